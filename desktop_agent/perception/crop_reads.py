"""Reads of small crops (a button's inside, an icon), cached by their pixels, and the vote over a few
views of one crop. Shared by `glyphs` and `icon_names`.

Guaranteed: `CachedReads` passes each distinct crop (same pixels and shape) to its reader at most once
while it holds that crop's read (up to `limit` reads; it forgets them all when full), all unread crops of
a call in one batch. Not guaranteed: anything about the reads themselves.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import numpy as np

R = TypeVar("R")


class CachedReads(Generic[R]):
    def __init__(self, read: Callable[[list[np.ndarray]], list[R]], *, limit: int = 1024) -> None:
        self._read = read
        self._limit = limit
        self._reads: dict[bytes, R] = {}

    def __call__(self, crops: Sequence[np.ndarray]) -> list[R]:
        keys = [hashlib.blake2b(c.tobytes() + bytes(str(c.shape), "ascii"), digest_size=16).digest()
                for c in crops]
        known = {k: self._reads[k] for k in keys if k in self._reads}
        unread = {k: c for k, c in zip(keys, crops) if k not in known}
        if unread:
            known.update(zip(unread, self._read(list(unread.values()))))
        if len(self._reads) + len(unread) > self._limit:
            self._reads.clear()
        self._reads.update(known)
        return [known[k] for k in keys]


def vote(reads: Sequence[tuple[str, float]]) -> tuple[str, float]:
    """The text the reads agree on most, by summed score, with the mean score over all the reads."""
    totals: dict[str, float] = {}
    for text, score in reads:
        totals[text.strip()] = totals.get(text.strip(), 0.0) + score
    text, total = max(totals.items(), key=lambda item: item[1])
    return text, total / len(reads)
