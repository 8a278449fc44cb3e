"""The element detector's data: random forms rendered by real toolkits on Xvfb, labelled by the toolkits.

    python -m models.training.widget_data OUT [--count N] [--seed S] [--split train|held-out]
    python -m models.training.widget_data --evaluate-opencv [--count N] [--seed S]

Each window is a random `WindowSpec` (widget_spec.py; seeded: the same seed and count give the same
specs) built with Tk/ttk (widget_tk.py), Qt/PySide6 (widget_qt.py) or GTK 4 (widget_gtk.py, which
builds it in Debian's /usr/bin/python3 through widget_gtk_app.py) on a private Xvfb, one toolkit
process at a time, and written as two files:

    OUT/NAME.png    the window's screen pixels (BGR PNG, no window-manager frame)
    OUT/NAME.json   {"spec": the WindowSpec (toolkit, theme, palette, font_size, parts ...),
                     "size": [width, height], "seconds": time to build, draw and capture it,
                     "elements": [{"role": a Role value, "box": [left, top, width, height],
                                   "widget": toolkit class, "text": caption/item/value,
                                   "checked": true/false for checkboxes and radios, else null,
                                   "indicator": [l, t, w, h] of the check/radio mark or null}, ...]}

Boxes are in the image's pixels, cut to the image; an element less than half inside is left out, as
are widgets not shown (another tab's page). Roles: text, button, field, checkbox, radio, combo, tab,
slider, item (a list/tree row). The JSON is written last: a PNG without one is unfinished and ignored.

Splits: "train" draws ttk clam/alt/default (light and dark), Qt Fusion/Windows (light) and GTK 4's
built-in Default and Default-hc (high contrast) themes, light and dark; "held-out" draws what training
never sees: ttk classic (light and dark) and Qt's dark palette (both styles) — `widget_spec.HELD_OUT`.
Not covered yet: GTK in held-out, scale factors other than 1, real applications.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from desktop_agent.demo.display import start_virtual_display
from models.training.widget_spec import LOOKS, WindowSpec, random_window

_RENDERERS = {"tk": "models.training.widget_tk", "qt": "models.training.widget_qt",
              "gtk": "models.training.widget_gtk"}
_SECONDS_PER_WINDOW = 30  # a renderer that takes longer per window is stuck
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True, kw_only=True)
class Sample:
    name: str
    image: np.ndarray  # BGR
    record: dict  # NAME.json as written


def plan(count: int, seed: int, split: str) -> list[WindowSpec]:
    """`count` window specs of `split`, cycling through its looks; window i depends on (seed, split, i) only."""
    looks = LOOKS[split]
    return [random_window(np.random.default_rng([seed, tuple(LOOKS).index(split), i]), name=f"{split}-{i:04d}", split=split,
                          look=looks[i % len(looks)]) for i in range(count)]


def render(specs: list[WindowSpec], folder: Path) -> None:
    """Build and capture `specs` on a private Xvfb, into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    with start_virtual_display(width=1600, height=1200, accessibility=False) as display, \
            tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "DISPLAY": display.name, "QT_QPA_PLATFORM": "xcb"}
        for toolkit, module in _RENDERERS.items():
            mine = [s.to_json() for s in specs if s.toolkit == toolkit]
            if not mine:
                continue
            spec_file = Path(scratch) / f"{toolkit}.json"
            spec_file.write_text(json.dumps(mine))
            subprocess.run([sys.executable, "-m", module, str(spec_file), str(folder)], env=env, cwd=ROOT,
                           check=True, timeout=_SECONDS_PER_WINDOW * len(mine) + 30)


def load(folder: Path) -> list[Sample]:
    """The finished samples in `folder` (those with their JSON), by name."""
    samples = []
    for marker in sorted(folder.glob("*.json")):
        image = cv2.imread(str(marker.with_suffix(".png")))
        if image is None:
            raise OSError(f"{marker} has no readable image")
        samples.append(Sample(name=marker.stem, image=image, record=json.loads(marker.read_text())))
    return samples


def summary(samples: list[Sample]) -> str:
    roles: dict[str, int] = {}
    for s in samples:
        for e in s.record["elements"]:
            roles[e["role"]] = roles.get(e["role"], 0) + 1
    looks = sorted({"/".join((s.record["spec"]["toolkit"], s.record["spec"]["theme"], s.record["spec"]["palette"]))
                    for s in samples})
    seconds = np.mean([s.record["seconds"] for s in samples]) if samples else 0.0
    return (f"{len(samples)} windows, {sum(roles.values())} elements "
            f"({', '.join(f'{r} {n}' for r, n in sorted(roles.items()))}); looks: {', '.join(looks)}; "
            f"{seconds:.2f} s per window to build and capture")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.training.widget_data", description=__doc__.split("\n")[0])
    parser.add_argument("out", nargs="?", type=Path, help="folder for NAME.png + NAME.json")
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--split", choices=sorted(LOOKS), default="train")
    parser.add_argument("--evaluate-opencv", action="store_true",
                        help="score perception/widgets.py's proposals on a generated held-out set, per role")
    args = parser.parse_args(argv)
    if args.evaluate_opencv:
        from models.training.widget_eval import opencv_table

        with tempfile.TemporaryDirectory() as scratch:
            folder = args.out or Path(scratch)
            render(plan(args.count, args.seed, "held-out"), folder)
            samples = load(folder)
            print(summary(samples))
            for toolkit in ("tk", "qt", None):
                chosen = [s for s in samples if toolkit in (None, s.record["spec"]["toolkit"])]
                print(f"\nOpenCV proposals (perception/widgets.py), IoU >= 0.5, {toolkit or 'both toolkits'}:")
                print(opencv_table(chosen))
        return 0
    if args.out is None:
        parser.error("give OUT, the folder to write to (or --evaluate-opencv)")
    render(plan(args.count, args.seed, args.split), args.out)
    print(summary(load(args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
