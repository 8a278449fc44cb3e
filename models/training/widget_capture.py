"""The renderers' common end: a window's pixels once they hold still, and one sample written to disk."""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np

from desktop_agent.core.values import Rect
from desktop_agent.screen.capture import Grabber
from models.training.widget_spec import Truth, WindowSpec

_SETTLE_TRIES = 40
_SETTLE_PAUSE_S = 0.03


def settled_image(grabber: Grabber, region: Rect, pump: Callable[[], None]) -> np.ndarray:
    """The screen pixels of `region` once two grabs in a row (the toolkit's events pumped before each)
    are identical. Raises RuntimeError when they never are (an animation, a blinking caret)."""
    previous = None
    for _ in range(_SETTLE_TRIES):
        pump()
        image = grabber.grab(region, allow_blank=True).image
        if previous is not None and np.array_equal(image, previous):
            return image
        previous = image
        time.sleep(_SETTLE_PAUSE_S)
    raise RuntimeError(f"window {region} did not hold still")


def clipped(box: tuple[int, int, int, int], width: int, height: int) -> tuple[int, int, int, int] | None:
    """`box` cut to the image; None when less than half of it is inside (scrolled or cut off)."""
    whole = Rect(left=box[0], top=box[1], width=max(0, box[2]), height=max(0, box[3]))
    inside = whole.intersection(Rect(left=0, top=0, width=width, height=height))
    if inside is None or inside.area * 2 < whole.area:
        return None
    return inside.left, inside.top, inside.width, inside.height


def write_sample(folder: Path, spec: WindowSpec, image: np.ndarray, truths: list[Truth], seconds: float) -> None:
    """NAME.png, then NAME.json (the sample's commit marker: a reader ignores a PNG without one)."""
    height, width = image.shape[:2]
    elements = []
    for truth in truths:
        box = clipped(truth.box, width, height)
        if box is not None:
            indicator = truth.indicator and clipped(truth.indicator, width, height)
            elements.append({**asdict(truth), "box": list(box), "indicator": list(indicator) if indicator else None})
    if not cv2.imwrite(str(folder / f"{spec.name}.png"), image):
        raise OSError(f"cannot write {folder / spec.name}.png")
    record = {"spec": spec.to_json(), "size": [width, height], "seconds": round(seconds, 3), "elements": elements}
    partial = folder / f"{spec.name}.json.partial"
    partial.write_text(json.dumps(record, indent=1))
    partial.rename(folder / f"{spec.name}.json")
