"""The icon reader: a crop of an icon -> the words a person would use for it ("save", "undo", "search").

A small CNN of our own (models/icon-reader.yaml: how it was trained, on which icon themes, and how well
it reads a theme it never saw), run by onnxruntime; its words are in the model's metadata.
Guarantees: the model is the committed file with the manifest's sha256 (`perception.models`), loaded
lazily once; `read` returns the top `k` words with softmax scores, best first. Not guaranteed: that a
crop which is no icon gets low scores (there is no "not an icon" class), nor that an icon outside the
model's ~170 meanings gets a right word.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from desktop_agent.perception import models

MODEL = "icon-reader"
SIDE = 32  # the model's input: BGR, SIDE x SIDE, values 0..1


@dataclass(frozen=True, slots=True, kw_only=True)
class IconWord:
    words: str
    score: float


def preprocess(crop: np.ndarray) -> np.ndarray:
    """A BGR (or BGRA) crop of any size -> float32 [3, SIDE, SIDE]: padded to a square with its border's
    colour, then resized. Training renders its samples through this same function."""
    bgr = np.ascontiguousarray(crop[..., :3])
    h, w = bgr.shape[:2]
    side = max(h, w)
    border = np.concatenate([bgr[0], bgr[-1], bgr[:, 0], bgr[:, -1]])
    fill = np.median(border, axis=0).astype(np.uint8)
    square = np.empty((side, side, 3), np.uint8)
    square[:] = fill
    top, left = (side - h) // 2, (side - w) // 2
    square[top:top + h, left:left + w] = bgr
    interpolation = cv2.INTER_AREA if side > SIDE else cv2.INTER_LINEAR
    small = cv2.resize(square, (SIDE, SIDE), interpolation=interpolation)
    return (small.astype(np.float32) / 255.0).transpose(2, 0, 1)


class IconReader:
    def __init__(self, *, path: Path | None = None) -> None:
        """`path`: an unverified model file (only training, before its manifest exists); None: the
        committed model, resolved and sha256-checked."""
        self._model = models.LazySession(MODEL, path=path, threads=1)
        self._words: tuple[str, ...] = ()

    def _load(self):
        session = self._model.get()
        if not self._words:
            self._words = tuple(json.loads(session.get_modelmeta().custom_metadata_map["words"]))
        return session

    def read_many(self, crops: Sequence[np.ndarray], *, k: int = 5) -> list[tuple[IconWord, ...]]:
        """For each BGR crop, its top `k` words with scores, best first."""
        if not crops:
            return []
        session = self._load()
        batch = np.stack([preprocess(c) for c in crops])
        (logits,) = session.run(None, {"image": batch})
        logits = logits - logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        top = np.argsort(-probs, axis=1)[:, :k]
        return [tuple(IconWord(words=self._words[j], score=float(p[j])) for j in row)
                for p, row in zip(probs, top)]

    def read(self, crop: np.ndarray, *, k: int = 5) -> tuple[IconWord, ...]:
        return self.read_many([crop], k=k)[0]
