"""Per-role precision and recall at IoU 0.5 of a widget proposer on generated windows (widget_data).

A proposal matches a true element of the same role when their boxes overlap by IoU >= 0.5; for a
checkbox or radio the mark's own box (`indicator`) counts too, since the OpenCV proposals outline the
mark, not the mark and its caption. Matching is greedy, best overlap first, one to one. Checkbox state
is scored on matched checkboxes: the share whose `checked` agrees with the toolkit's.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from desktop_agent.core.values import Element, Rect
from desktop_agent.perception.widgets import detect_widgets
from models.training.widget_data import Sample

IOU = 0.5


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleScore:
    role: str
    truths: int
    proposals: int
    matched: int
    state_agrees: int  # matched checkboxes whose state agrees

    @property
    def precision(self) -> float | None:
        return self.matched / self.proposals if self.proposals else None

    @property
    def recall(self) -> float | None:
        return self.matched / self.truths if self.truths else None

    @property
    def f1(self) -> float:
        """The harmonic mean of precision and recall; 0 when nothing matched."""
        return 2 * self.matched / (self.truths + self.proposals) if self.matched else 0.0


def rect_of(box: Sequence[int]) -> Rect:
    """A record's [left, top, width, height] as a Rect."""
    return Rect(left=box[0], top=box[1], width=box[2], height=box[3])


def _overlap(proposal: Element, truth: dict) -> float:
    boxes = [truth["box"]] + ([truth["indicator"]] if truth.get("indicator") else [])
    return max(proposal.box.iou(rect_of(b)) for b in boxes)


def match(proposals: Sequence[Element], truths: Sequence[dict]) -> list[tuple[Element, dict]]:
    """Pairs (proposal, truth) of the same role at IoU >= `IOU`, greedily by overlap, one to one."""
    pairs = sorted(((_overlap(p, t), i, j) for i, p in enumerate(proposals) for j, t in enumerate(truths)
                    if p.role.value == t["role"]), reverse=True)
    used_p: set[int] = set()
    used_t: set[int] = set()
    out = []
    for iou, i, j in pairs:
        if iou < IOU:
            break
        if i not in used_p and j not in used_t:
            used_p.add(i)
            used_t.add(j)
            out.append((proposals[i], truths[j]))
    return out


def score(samples: Sequence[Sample], propose: Callable[[np.ndarray], list[Element]]) -> tuple[list[RoleScore], float]:
    """Scores per role (every role of the truths or the proposals) and milliseconds per window."""
    counts: dict[str, list[int]] = {}  # role -> [truths, proposals, matched, state agrees]
    elapsed = 0.0
    for sample in samples:
        started = time.perf_counter()
        proposals = propose(sample.image)
        elapsed += time.perf_counter() - started
        truths = sample.record["elements"]
        for t in truths:
            counts.setdefault(t["role"], [0, 0, 0, 0])[0] += 1
        for p in proposals:
            counts.setdefault(p.role.value, [0, 0, 0, 0])[1] += 1
        for p, t in match(proposals, truths):
            counts[t["role"]][2] += 1
            counts[t["role"]][3] += p.checked == t["checked"]
    scores = [RoleScore(role=r, truths=c[0], proposals=c[1], matched=c[2], state_agrees=c[3])
              for r, c in sorted(counts.items())]
    return scores, 1000 * elapsed / max(1, len(samples))


def table(scores: Sequence[RoleScore], ms_per_window: float) -> str:
    def share(v: float | None) -> str:
        return "   -" if v is None else f"{v:4.2f}"
    lines = [f"{'role':<10} {'true':>5} {'proposed':>8} {'matched':>7} {'precision':>9} {'recall':>6}"]
    for s in scores:
        lines.append(f"{s.role:<10} {s.truths:>5} {s.proposals:>8} {s.matched:>7} {share(s.precision):>9} "
                     f"{share(s.recall):>6}")
    total = RoleScore(role="all", truths=sum(s.truths for s in scores), proposals=sum(s.proposals for s in scores),
                      matched=sum(s.matched for s in scores), state_agrees=0)
    lines.append(f"{'all':<10} {total.truths:>5} {total.proposals:>8} {total.matched:>7} "
                 f"{share(total.precision):>9} {share(total.recall):>6}")
    checkbox = next((s for s in scores if s.role == "checkbox" and s.matched), None)
    if checkbox is not None:
        lines.append(f"checkbox state agrees on {checkbox.state_agrees}/{checkbox.matched} matched")
    lines.append(f"{ms_per_window:.1f} ms per window")
    return "\n".join(lines)


def opencv_table(samples: Sequence[Sample]) -> str:
    """The baseline: perception/widgets.py's `detect_widgets` on `samples`, as a table."""
    return table(*score(samples, detect_widgets))
