"""The role reader: an element's box in a window image -> its role (or "no element"), by a small CNN of
our own run by onnxruntime — the detector's second look at what it found.

The detector places elements well on looks it never saw but often names them wrongly (a check box
called a radio, a combo a button: models/element-detector.yaml); the role reader sees each box alone,
at one height, with a little of what surrounds it: its two ends side by side (where a check mark, a
radio's ring, a combo's arrow and a button's rounded ends are) and its width for its height.
Guaranteed: the model is the committed file with the manifest's sha256 (models/element-roles.yaml),
loaded lazily once; `read` returns, per box, the probability of each of `detector.CLASSES` (index 0:
not an element), summing to 1.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from desktop_agent.core.values import Rect
from desktop_agent.perception import models

MODEL = "element-roles"
HEIGHT, END = 32, 32  # the input: the box scaled to HEIGHT px high, its left and right END px side by side
SHAPE = (4, HEIGHT, 2 * END)  # BGR -0.5..0.5, then the box's log aspect ratio / ASPECT_UNIT everywhere
CONTEXT = 0.2  # share of its height shown around the box on each side
ASPECT_UNIT = 3.0


def preprocess(image: np.ndarray, box: Rect) -> np.ndarray:
    """One box of a BGR (or BGRA) window image -> float32 SHAPE. Training crops through this too."""
    margin = max(2, round(CONTEXT * box.height))
    left, top = box.left - margin, box.top - margin
    right, bottom = box.right + margin, box.bottom + margin
    h, w = image.shape[:2]
    pad = max(0, -left, -top, right - w, bottom - h)
    bgr = np.ascontiguousarray(image[..., :3])
    if pad:
        bgr = cv2.copyMakeBorder(bgr, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    crop = bgr[top + pad:bottom + pad, left + pad:right + pad]
    scale = HEIGHT / crop.shape[0]
    width = max(1, round(crop.shape[1] * scale))
    small = cv2.resize(crop, (width, HEIGHT), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    if width >= 2 * END:
        ends = np.concatenate([small[:, :END], small[:, -END:]], axis=1)
    else:
        ends = cv2.copyMakeBorder(small, 0, 0, (2 * END - width) // 2, 2 * END - width - (2 * END - width) // 2,
                                  cv2.BORDER_REPLICATE)
    pixels = ends.astype(np.float32).transpose(2, 0, 1) / 255.0 - 0.5
    aspect = np.full((1, HEIGHT, 2 * END), np.log(max(box.width, 1) / max(box.height, 1)) / ASPECT_UNIT,
                     np.float32)
    return np.concatenate([pixels, aspect])


class RoleReader:
    def __init__(self, *, path: Path | None = None) -> None:
        """`path`: an unverified model file (only training, before its manifest exists); None: the
        committed model, resolved and sha256-checked."""
        self._model = models.LazySession(MODEL, path=path, threads=2)

    def read(self, image: np.ndarray, boxes: Sequence[Rect]) -> np.ndarray:
        """Probabilities [len(boxes), len(detector.CLASSES)] of each box's role."""
        if not boxes:
            return np.zeros((0, 0), np.float32)
        batch = np.stack([preprocess(image, box) for box in boxes])
        (logits,) = self._model.get().run(None, {"image": batch})
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        return probs / probs.sum(axis=1, keepdims=True)
