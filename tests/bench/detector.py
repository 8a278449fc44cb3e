"""Element detector: per-role precision and recall at IoU 0.5 and milliseconds per window, next to the
OpenCV proposals (perception/widgets.py) on the same held-out windows — the committed fixtures, looks
training never saw (ttk classic, Qt's dark palette) —, the detector's maps alone (without its role
reader) and the detector on the same windows drawn 1.5 times as big (a scaled screen, as training saw
now and then)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from desktop_agent.perception.detector import ElementDetector
from desktop_agent.perception.widgets import detect_widgets
from models.training import widget_data, widget_eval
from models.training.train_detector import rescaled

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "detector"
BAR_ROLES = ("button", "field", "checkbox", "combo")
BAR_RECALL = 0.90
SCALE = 1.5


@dataclass(frozen=True, slots=True, kw_only=True)
class Scored:
    name: str
    scores: dict[str, widget_eval.RoleScore]
    ms_per_window: float


def measure() -> list[Scored]:
    samples = widget_data.load(FIXTURES)
    detector = ElementDetector()
    detector.detect(samples[0].image)  # the session's first run allocates
    out = []
    maps_alone = ElementDetector(read_roles=False)
    for name, propose in (("detector", detector.detect), ("opencv", detect_widgets),
                          ("maps alone", maps_alone.detect)):
        scores, ms = widget_eval.score(samples, propose)
        out.append(Scored(name=name, scores={s.role: s for s in scores}, ms_per_window=ms))
    bigger = [widget_data.Sample(name=s.name, image=image, record=record)
              for s in samples for image, record in [rescaled(s, SCALE)]]
    scores, ms = widget_eval.score(bigger, detector.detect)
    out.append(Scored(name=f"det {SCALE}x", scores={s.role: s for s in scores}, ms_per_window=ms))
    return out


def report(results: list[Scored]) -> list[str]:
    roles = sorted({r for s in results for r in s.scores if s.scores[r].truths})

    def cell(s: Scored, role: str) -> str:
        score = s.scores.get(role)
        if score is None or not score.proposals:
            return "    -/0.00"
        return f"{score.precision:.2f}/{score.recall:.2f}"
    lines = [f"element detector vs OpenCV proposals on {FIXTURES.name} fixtures (held-out looks), "
             f"precision/recall at IoU {widget_eval.IOU}",
             f"{'role':<9} " + " ".join(f"{s.name:>10}" for s in results)]
    lines += [f"{role:<9} " + " ".join(f"{cell(s, role):>10}" for s in results) for role in roles]
    lines.append(f"{'ms/window':<9} " + " ".join(f"{s.ms_per_window:>10.1f}" for s in results))
    ours, opencv = results[0], results[1]
    short = [r for r in BAR_ROLES if (ours.scores[r].recall or 0) < BAR_RECALL]
    behind = [r for r in roles if r in opencv.scores and ours.scores[r].f1 <= opencv.scores[r].f1]
    lines.append(f"bar: detector recall >= {BAR_RECALL} on {', '.join(BAR_ROLES)}: "
                 + ("met" if not short else f"short on {', '.join(short)}")
                 + "; above OpenCV (F1) on every role: " + ("met" if not behind else f"not on {', '.join(behind)}"))
    return lines
