"""Window-like regions of an image that comes with no window list (a saved screenshot).

A desktop shows windows as solid rectangles on a plain background. When the image's border is mostly
one colour and the rectangles that stand out from it are window-sized, each is returned to be perceived
like a live window (read at its own resolution, its labels paired within it); whatever else stands
out (icons and their captions on the desktop) is returned in clusters of its own. Guaranteed: every
pixel that differs from the background lies in a returned region. Not guaranteed: that overlapping
windows come apart (they are one region), nor that a window as dark as the desktop is found (then the
whole image is one region, as before).
"""
from __future__ import annotations

import cv2
import numpy as np

from desktop_agent.core.values import Rect

BACKGROUND_SHARE = 0.6   # of the border's pixels in one colour: a desktop
COLOUR_LEVEL = 12        # per-channel difference from the background that stands out
MIN_WINDOW = (120, 60)   # px: a smaller rectangle is a widget or an icon, not a window
SOLID = 0.85             # share of a window's bounding box that stands out from the background
WINDOWS_SHARE = 0.8      # of everything that stands out, held by windows: the image is a desktop
_JOIN_PX = 16            # an icon and its caption are one cluster


def window_like_regions(image: np.ndarray) -> list[Rect]:
    height, width = image.shape[:2]
    whole = [Rect(left=0, top=0, width=width, height=height)]
    background = _border_colour(image)
    if background is None:
        return whole
    differs = (np.abs(image.astype(np.int16) - background).max(axis=2) > COLOUR_LEVEL).astype(np.uint8)
    windows = [box for box in _components(differs) if _window_sized(box, differs)]
    standing_out = int(differs.sum())
    in_windows = sum(int(differs[b.top:b.bottom, b.left:b.right].sum()) for b in windows)
    if not windows or in_windows < WINDOWS_SHARE * standing_out:
        return whole
    rest = differs.copy()
    for box in windows:
        rest[box.top:box.bottom, box.left:box.right] = 0
    joined = cv2.dilate(rest, np.ones((_JOIN_PX, _JOIN_PX), np.uint8))
    clusters = [box.intersection(whole[0]) for box in _components(joined)]
    return sorted([*windows, *(c for c in clusters if c is not None and min(c.width, c.height) >= 8)],
                  key=lambda r: (r.top, r.left))


def _border_colour(image: np.ndarray) -> np.ndarray | None:
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]]).reshape(-1, image.shape[2])
    colours, counts = np.unique(border // 4, axis=0, return_counts=True)
    if counts.max() < BACKGROUND_SHARE * len(border):
        return None
    mode = colours[counts.argmax()]
    return border[(border // 4 == mode).all(axis=1)].mean(axis=0).astype(np.int16)


def _components(mask: np.ndarray) -> list[Rect]:
    count, _labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    return [Rect(left=int(x), top=int(y), width=int(w), height=int(h)) for x, y, w, h, _ in stats[1:count]]


def _window_sized(box: Rect, differs: np.ndarray) -> bool:
    if box.width < MIN_WINDOW[0] or box.height < MIN_WINDOW[1]:
        return False
    return differs[box.top:box.bottom, box.left:box.right].mean() >= SOLID
