"""Find a small image (an icon, a logo) in a screenshot: multi-scale normalised cross-correlation.

Works in the pixels of the image given (like the rest of perception's OpenCV half); the caller maps the
box to screen points. Guaranteed: the box returned is the single best match at one of `scales`, scored
with TM_CCOEFF_NORMED on greyscale, and no other place that does not overlap it scores within `margin`.
Not guaranteed: rotation, colour-only differences (greyscale hides them) and scales outside `scales`.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from desktop_agent.core.errors import GroundingError
from desktop_agent.core.values import Rect

MIN_TEMPLATE_SIDE = 4  # px; a smaller scaled template matches noise


@dataclass(frozen=True, slots=True, kw_only=True)
class _Match:
    box: Rect
    score: float
    scale: float

    def describe(self) -> str:
        box = self.box
        return f"{self.score:.2f} at {box.left},{box.top} {box.width}x{box.height} px (scale {self.scale:g})"


def match_template(image: np.ndarray, template_path: Path, region: Rect | None = None, *,
                   scales: Sequence[float] = (0.8, 0.9, 1.0, 1.1, 1.25), min_score: float = 0.85,
                   margin: float = 0.05) -> Rect:
    """Box (image pixels) of the one place where `template_path` appears, searched within `region`
    (image pixels) if given. Raises GroundingError if the file is missing or unreadable, nothing scores
    `min_score`, or a second, non-overlapping place scores within `margin` of the best."""
    name = f"image:{template_path}"
    template = _template(Path(template_path))
    search, origin = _search_area(image, region, name)
    scored = [(scale, _scores(search, template, scale)) for scale in scales]
    maps = [(scale, scores, size) for scale, (scores, size) in scored if scores is not None]
    if not maps:
        raise GroundingError(f"{name} is larger than the search area at every scale")
    best = max((_peak(scores, size, scale, origin) for scale, scores, size in maps), key=lambda m: m.score)
    if best.score < min_score:
        raise GroundingError(f"{name} not found; best score {best.score:.2f} at "
                             f"{best.box.left},{best.box.top} (needs {min_score:.2f})",
                             candidates=[best.describe()])
    runner_up = _runner_up(maps, best, origin)
    if runner_up is not None and runner_up.score >= best.score - margin:
        raise GroundingError(f"ambiguous: 2 places match {name} within {margin:.2f}",
                             candidates=[best.describe(), runner_up.describe()])
    return best.box


def _template(path: Path) -> np.ndarray:
    try:
        stat = path.stat()
    except OSError as exc:
        raise GroundingError(f"image:{path} cannot be read: {exc.strerror or exc}") from None
    template = _load(str(path), stat.st_mtime_ns, stat.st_size)
    if template is None:
        raise GroundingError(f"image:{path} cannot be read: not an image OpenCV can decode")
    return template


@lru_cache(maxsize=64)
def _load(path: str, mtime_ns: int, size: int) -> np.ndarray | None:
    """Greyscale pixels of one template file version (the key's mtime/size make edits reload)."""
    pixels = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    if pixels is not None:
        pixels.setflags(write=False)  # shared through the cache
    return pixels


def _search_area(image: np.ndarray, region: Rect | None, name: str) -> tuple[np.ndarray, Rect]:
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    bounds = Rect(left=0, top=0, width=gray.shape[1], height=gray.shape[0])
    area = bounds if region is None else region.intersection(bounds)
    if area is None:
        raise GroundingError(f"{name}: search region {region} is outside the image")
    return gray[area.top:area.bottom, area.left:area.right], area


def _scores(search: np.ndarray, template: np.ndarray, scale: float
            ) -> tuple[np.ndarray | None, tuple[int, int]]:
    """TM_CCOEFF_NORMED map of `template` resized by `scale`, and that size (w, h); None if it won't fit."""
    height, width = template.shape
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if min(size) < MIN_TEMPLATE_SIDE or size[0] > search.shape[1] or size[1] > search.shape[0]:
        return None, size
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    scaled = template if size == (width, height) else cv2.resize(template, size, interpolation=interpolation)
    scores = cv2.matchTemplate(search, scaled, cv2.TM_CCOEFF_NORMED)
    # A flat template or flat patch has no defined correlation: count it as no match.
    return np.nan_to_num(scores, nan=0.0, posinf=0.0, neginf=0.0), size


def _peak(scores: np.ndarray, size: tuple[int, int], scale: float, origin: Rect) -> _Match:
    _, score, _, (x, y) = cv2.minMaxLoc(scores)
    box = Rect(left=origin.left + x, top=origin.top + y, width=size[0], height=size[1])
    return _Match(box=box, score=float(score), scale=scale)


def _runner_up(maps: Sequence[tuple[float, np.ndarray, tuple[int, int]]], best: _Match,
               origin: Rect) -> _Match | None:
    """Best match at any scale whose box does not overlap the best one's."""
    found: list[_Match] = []
    for scale, scores, (width, height) in maps:
        masked = scores.copy()
        # Top-left corners whose box would overlap `best` (in search-area coordinates).
        left = max(0, best.box.left - origin.left - width + 1)
        top = max(0, best.box.top - origin.top - height + 1)
        right = max(0, best.box.right - origin.left)
        bottom = max(0, best.box.bottom - origin.top)
        masked[top:bottom, left:right] = -1.0
        if masked.max() > -1.0:
            found.append(_peak(masked, (width, height), scale, origin))
    return max(found, key=lambda m: m.score, default=None)
