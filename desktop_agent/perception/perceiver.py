"""Frame + windows -> one `Screen` of elements in screen coordinates.

Perceives window by window (full-frame OCR of a mostly empty screen misses small windows) and
incrementally: for a window seen before at the same place, only the pixels that changed are read again,
and the text outside them is kept. Widget proposals are recomputed for every changed window (cheap).
Guarantee: every element returned was read from pixels of the given frame or of an identical earlier
crop of the same window. Not guaranteed: that text scrolled within an unchanged box is re-read unless
its pixels changed (they do, when it scrolls).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np

from desktop_agent.perception.ocr import TextReader
from desktop_agent.screen import coords
from desktop_agent.types import Element, Frame, Rect, Screen, Window

WidgetDetector = Callable[[np.ndarray], list[Element]]
TextAttacher = Callable[[Sequence[Element], Sequence[Element]], list[Element]]

_DIFF_LEVEL = 12         # per-channel change that counts as a changed pixel
_DIFF_JOIN_PX = 12       # changed pixels closer than this form one changed region
_REREAD_MARGIN_PX = 6
_CARET_WIDTH_PX = 3
_CARET_HEIGHT_PX = 60
_FULL_REREAD_SHARE = 0.5  # re-read the whole window when more than this share of it changed


@dataclass(slots=True)
class _WindowMemory:
    box: Rect
    image: np.ndarray
    texts: list[Element]      # pixel coordinates of `image`
    elements: list[Element]   # fused, pixel coordinates of `image`


@dataclass(frozen=True, slots=True, kw_only=True)
class PerceptionStats:
    windows: int
    reused: int
    partial: int
    full: int


class Perceiver:
    def __init__(self, *, reader: TextReader, detect_widgets: WidgetDetector | None = None,
                 attach_text: TextAttacher | None = None) -> None:
        self._reader = reader
        self._detect_widgets = detect_widgets
        self._attach_text = attach_text
        self._memory: dict[int, _WindowMemory] = {}
        self.last_stats = PerceptionStats(windows=0, reused=0, partial=0, full=0)

    def forget(self) -> None:
        self._memory.clear()

    def perceive(self, frame: Frame, windows: Sequence[Window], *,
                 skip: frozenset[int] = frozenset()) -> Screen:
        """Elements of every window except those in `skip`, which still hide what lies under them."""
        regions = _regions(frame, windows, skip)
        elements: list[Element] = []
        counts = {"reused": 0, "partial": 0, "full": 0}
        for window_id, box in regions:
            sub = coords.crop(frame, box)
            found, how = self._perceive_region(window_id, sub)
            counts[how] += 1
            for element in found:
                screen_box = coords.image_to_screen(sub, element.box)
                elements.append(replace(element, box=screen_box, window_id=window_id))
        screen = Screen(frame=frame, elements=(), windows=tuple(windows))
        visible = tuple(e for e in elements if _on_top(screen, e))
        self._memory = {k: v for k, v in self._memory.items() if k in {w for w, _ in regions}}
        self.last_stats = PerceptionStats(windows=len(regions), **counts)
        return Screen(frame=frame, elements=visible, windows=tuple(windows))

    def _perceive_region(self, window_id: int, sub: Frame) -> tuple[list[Element], str]:
        image = sub.image
        memory = self._memory.get(window_id)
        if memory is not None and memory.box == sub.region and memory.image.shape == image.shape:
            changed = changed_regions(memory.image, image)
            if not changed:
                return memory.elements, "reused"
            changed_area = sum(r.area for r in changed)
            if changed_area <= _FULL_REREAD_SHARE * image.shape[0] * image.shape[1]:
                texts = self._reread(memory.texts, changed, image)
                how = "partial"
            else:
                texts, how = self._reader.read(image), "full"
        else:
            texts, how = self._reader.read(image), "full"
        elements = self._fuse(image, texts)
        self._memory[window_id] = _WindowMemory(box=sub.region, image=image.copy(), texts=texts,
                                                elements=elements)
        return elements, how

    def _reread(self, old: list[Element], changed: list[Rect], image: np.ndarray) -> list[Element]:
        height, width = image.shape[:2]
        bounds = Rect(left=0, top=0, width=width, height=height)
        areas = _grow_over_texts(changed, old, bounds)
        kept = [t for t in old if not any(t.box.intersection(a) for a in areas)]
        for area in areas:
            crop = image[area.top:area.bottom, area.left:area.right]
            for text in self._reader.read(crop):
                kept.append(replace(text, box=Rect(left=text.box.left + area.left,
                                                    top=text.box.top + area.top,
                                                    width=text.box.width, height=text.box.height)))
        return kept

    def _fuse(self, image: np.ndarray, texts: list[Element]) -> list[Element]:
        if self._detect_widgets is None or self._attach_text is None:
            return list(texts)
        return self._attach_text(self._detect_widgets(image), texts)


def changed_regions(before: np.ndarray, after: np.ndarray) -> list[Rect]:
    """Boxes (pixels) around the pixels that differ between two same-sized images. A change that is
    only a thin vertical line (a text caret blinking) is not a region: typing a character changes the
    glyph and moves the caret, which is always wider."""
    diff = cv2.absdiff(before, after)
    mask = (diff.max(axis=2) if diff.ndim == 3 else diff) > _DIFF_LEVEL
    if not mask.any():
        return []
    kernel = np.ones((_DIFF_JOIN_PX, _DIFF_JOIN_PX), np.uint8)
    joined = cv2.dilate(mask.astype(np.uint8), kernel)
    count, _labels, stats, _ = cv2.connectedComponentsWithStats(joined)
    regions = []
    for x, y, w, h, _ in stats[1:count]:
        columns = np.flatnonzero(mask[y:y + h, x:x + w].any(axis=0))
        if columns[-1] - columns[0] < _CARET_WIDTH_PX and h <= _CARET_HEIGHT_PX:
            continue
        regions.append(Rect(left=int(x), top=int(y), width=int(w), height=int(h)))
    return regions


def _grow_over_texts(changed: list[Rect], texts: list[Element], bounds: Rect) -> list[Rect]:
    """Grow changed boxes by a margin, then over every old text line they touch, until no edge cuts
    a text line (a line only partly inside would be dropped and could not be read again); merge
    overlaps the same way."""
    areas = [_cover(rect.inflate(_REREAD_MARGIN_PX).intersection(bounds) or rect, texts)
             for rect in changed]
    merged: list[Rect] = []
    while areas:
        area = areas.pop()
        for i, other in enumerate(merged):
            if other.inflate(1).intersection(area) is not None:
                areas.append(_cover(merged.pop(i).union(area), texts))
                break
        else:
            merged.append(area)
    return sorted(merged, key=lambda r: (r.top, r.left))


def _cover(area: Rect, texts: list[Element]) -> Rect:
    """`area` grown until it contains every text line it touches."""
    while True:
        grown = area
        for text in texts:
            if text.box.intersection(grown) is not None:
                grown = grown.union(text.box)
        if grown == area:
            return area
        area = grown


def _regions(frame: Frame, windows: Sequence[Window], skip: frozenset[int]) -> list[tuple[int, Rect]]:
    if not windows:  # no window system information: read the whole frame
        return [(0, frame.region)]
    regions = []
    for window in windows:
        if window.id in skip:
            continue
        box = window.box.intersection(frame.region)
        if box is not None and box.width >= 8 and box.height >= 8:
            regions.append((window.id, box))
    return regions


def _on_top(screen: Screen, element: Element) -> bool:
    if not screen.windows:
        return True
    top = screen.window_at(element.box.center)
    return top is None or top.id == element.window_id
