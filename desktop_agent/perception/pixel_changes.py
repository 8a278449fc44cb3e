"""Where two captures of the same place differ: the changed pixels, and the boxes around them.

A change that is only a thin vertical line (a text caret blinking) is no changed region: typing a
character changes the glyph and moves the caret, which is always wider.
"""
from __future__ import annotations

import cv2
import numpy as np

from desktop_agent.core.values import Rect

DIFF_LEVEL = 12          # per-channel change that counts as a changed pixel
_DIFF_JOIN_PX = 12       # changed pixels closer than this form one changed region
_CARET_WIDTH_PX = 3
_CARET_HEIGHT_PX = 60


def changed_mask(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """True where two same-sized images differ by more than `DIFF_LEVEL` in some channel."""
    diff = cv2.absdiff(before, after)
    return (diff.max(axis=2) if diff.ndim == 3 else diff) > DIFF_LEVEL


def changed_regions(before: np.ndarray, after: np.ndarray) -> list[Rect]:
    """Boxes (pixels) around the pixels that differ between two same-sized images, carets left out."""
    return regions_of(changed_mask(before, after))


def regions_of(mask: np.ndarray) -> list[Rect]:
    """The boxes of the changed pixels of `mask`, near ones joined, carets left out."""
    if not mask.any():
        return []
    kernel = np.ones((_DIFF_JOIN_PX, _DIFF_JOIN_PX), np.uint8)
    joined = cv2.dilate(mask.astype(np.uint8), kernel)
    count, _labels, stats, _ = cv2.connectedComponentsWithStats(joined)
    regions = []
    for x, y, w, h, _ in stats[1:count]:
        part = mask[y:y + h, x:x + w]
        columns, rows = np.flatnonzero(part.any(axis=0)), np.flatnonzero(part.any(axis=1))
        if columns[-1] - columns[0] < _CARET_WIDTH_PX and h <= _CARET_HEIGHT_PX:
            continue
        # The changed pixels' own box, not the dilated one: it must not reach into neighbours.
        regions.append(Rect.from_corners(int(x + columns[0]), int(y + rows[0]),
                                         int(x + columns[-1] + 1), int(y + rows[-1] + 1)))
    return regions
