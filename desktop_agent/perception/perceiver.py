"""Frame + windows -> one `Screen` of elements in screen coordinates.

Where an application exposes its accessibility tree, its windows' elements come from the tree
(`fusion`), and vision reads only what the tree doesn't describe there (canvases, custom widgets);
other windows (Tk, Xt, remote desktops, a hung application's) are seen by vision alone.
Perceives window by window (full-frame OCR of a mostly empty screen misses small windows; an image with
no window list is split into the windows its pixels show, `regions`) and
incrementally: for a window seen before at the same place, only the pixels that changed are read again,
and the text outside them is kept. Widget proposals are recomputed on every changed window as a whole (cheap).
Guarantee: every element returned was read from pixels of the given frame or of an identical earlier
crop of the same window (or of a recorded image of it, identical there, when `prime`d), or from the
tree of the window's application as it stood after the frame was captured (read then, or kept and
brought up to date from what it said changed: `tree_memory`); no element of a window lies under
another window. Not guaranteed:
that text scrolled within an unchanged box is re-read unless its pixels changed (they do, when it
scrolls).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from desktop_agent.accessibility.nodes import TreeReader
from desktop_agent.core.values import Element, Frame, Rect, Role, Screen, Window
from desktop_agent.perception.glyphs import GlyphReader
from desktop_agent.perception.icon_names import IconNamer
from desktop_agent.perception.ocr import TextReader
from desktop_agent.perception.pixel_changes import changed_regions
from desktop_agent.perception.regions import window_like_regions
from desktop_agent.perception.tree_memory import TreeLook, TreeMemory
from desktop_agent.screen import coords

WidgetDetector = Callable[[np.ndarray], list[Element]]
TextAttacher = Callable[[Sequence[Element], Sequence[Element]], list[Element]]

_REREAD_MARGIN_PX = 8  # with 6 the text model dropped the glyph at a crop's edge (xedit's pane: "ear Ada")
_FULL_REREAD_SHARE = 0.5  # re-read the whole window when more than this share of it changed
_BLANK_STD = 2.0          # a crop this uniform shows nothing to read


@dataclass(slots=True)
class _WindowMemory:
    box: Rect
    image: np.ndarray
    texts: list[Element]      # OCR text, pixel coordinates of `image`
    elements: list[Element]   # fused with widgets, same coordinates


@dataclass(frozen=True, slots=True, kw_only=True)
class PerceptionStats:
    windows: int
    reused: int
    partial: int
    full: int
    accessible: int = 0   # windows whose elements came from an accessibility tree
    trees_read: int = 0        # applications whose tree was read whole
    trees_refreshed: int = 0   # applications whose changed nodes alone were read again
    tree_ms: float = 0.0


class Perceiver:
    def __init__(self, *, reader: TextReader, detect_widgets: WidgetDetector | None = None,
                 attach_text: TextAttacher | None = None, glyphs: GlyphReader | None = None,
                 icons: IconNamer | None = None, accessibility: TreeReader | None = None) -> None:
        self._reader = reader
        self._trees = TreeMemory(accessibility) if accessibility is not None else None
        self._detect_widgets = detect_widgets
        self._attach_text = attach_text
        self._glyphs = glyphs
        self._icons = icons
        self._memory: dict[object, _WindowMemory] = {}  # by window id, or (window id, area) in a tree
        self.last_stats = PerceptionStats(windows=0, reused=0, partial=0, full=0)

    def perceive(self, frame: Frame, windows: Sequence[Window], *,
                 skip: frozenset[int] = frozenset()) -> Screen:
        """Elements of every window except those in `skip`, which still hide what lies under them."""
        regions = _regions(frame, windows, skip)
        started = time.perf_counter()
        perceived = {window_id for window_id, _ in regions}
        look = self._trees.look(frame, [w for w in windows if w.id in perceived]) \
            if self._trees is not None and windows else TreeLook(trees={})
        trees = look.trees
        tree_ms = (time.perf_counter() - started) * 1000
        elements: list[Element] = []
        counts = {"reused": 0, "partial": 0, "full": 0}
        kept: set[object] = set()
        for window_id, box in regions:
            tree = trees.get(window_id)
            areas: list[tuple[object, Rect]] = [(window_id, box)]
            if tree is not None:
                elements += tree.elements
                areas = [((window_id, area), clipped) for area in tree.unread
                         if (clipped := area.intersection(box)) is not None]
            for key, area in areas:
                kept.add(key)
                sub = coords.crop(frame, area)
                if tree is not None and float(sub.image.std()) < _BLANK_STD:
                    continue
                found, how = self._perceive_region(key, sub)
                counts[how] += 1
                for element in found:
                    screen_box = coords.image_to_screen(sub, element.box)
                    elements.append(replace(element, box=screen_box, window_id=window_id))
        screen = Screen(frame=frame, elements=(), windows=tuple(windows))
        visible = tuple(e for e in elements if _on_top(screen, e))
        self._memory = {k: v for k, v in self._memory.items() if k in kept}
        self.last_stats = PerceptionStats(windows=len(regions), **counts, accessible=len(trees),
                                          trees_read=look.read, trees_refreshed=look.refreshed,
                                          tree_ms=tree_ms)
        return Screen(frame=frame, elements=visible, windows=tuple(windows))

    @property
    def accessibility(self) -> TreeReader | None:
        return self._trees.reader if self._trees is not None else None

    def prime(self, window_id: int, box: Rect, image: np.ndarray, texts: Sequence[Element]) -> None:
        """Start window `window_id` (at `box`) from an image of it read before (`texts`, in its pixels):
        its next perception reads only what differs from `image` (a replay starting from what its
        recording saw, `seen.prime`)."""
        self._remember(window_id, Frame(image=image, region=box), list(texts))

    def read_texts(self, image: np.ndarray) -> list[Element]:
        """The TEXT elements of `image` as a full read of a window shows them (for `seen.read_seen`)."""
        return self._reader.read(image)

    def _perceive_region(self, window_id: object, sub: Frame) -> tuple[list[Element], str]:
        image = sub.image
        memory = self._memory.get(window_id)
        if memory is not None and memory.box == sub.region and memory.image.shape == image.shape:
            changed = changed_regions(memory.image, image)
            if not changed:
                return memory.elements, "reused"
            if sum(r.area for r in changed) <= _FULL_REREAD_SHARE * image.shape[0] * image.shape[1]:
                return self._remember(window_id, sub, self._reread(memory, changed, image)), "partial"
        return self._remember(window_id, sub, self._reader.read(image)), "full"

    def _reread(self, memory: _WindowMemory, changed: list[Rect], image: np.ndarray) -> list[Element]:
        """Text again only where pixels changed, grown over every old line and widget they touch.
        Each area is read with a margin of context; lines found in the margin (cut neighbours) are
        ignored, and the old ones there are kept."""
        height, width = image.shape[:2]
        bounds = Rect(left=0, top=0, width=width, height=height)
        # Text inside a field is read with the whole field around it, as in a full read: a tight
        # crop would show the field's border as a "1" or "|" glued to the text.
        widgets = [e for e in memory.elements if e.role is not Role.TEXT]
        areas = _grow_over(changed, [*memory.texts, *widgets])
        texts = [t for t in memory.texts if not any(t.box.intersection(a) for a in areas)]
        for area in areas:
            context = area.inflate(_REREAD_MARGIN_PX).intersection(bounds) or area
            crop = image[context.top:context.bottom, context.left:context.right]
            texts += [t for t in _offset(self._reader.read(crop, at_window_top=context.top == 0), context)
                      if area.contains(t.box.center)]
        return texts

    def _remember(self, window_id: object, sub: Frame, texts: list[Element]) -> list[Element]:
        """Widgets are proposed on the whole window again (cheap, and a widget's look depends on its
        surroundings: hover, focus), then fused with the text; icon-only buttons are named by their
        picture where the icon reader is sure, then buttons of one glyph are read directly."""
        if self._detect_widgets is None or self._attach_text is None:
            elements = list(texts)
        else:
            elements = self._attach_text(self._detect_widgets(sub.image), texts)
            if self._icons is not None:
                elements = self._icons.name_icons(sub.image, elements, texts)
            if self._glyphs is not None:
                elements = self._glyphs.name_buttons(sub.image, elements, texts)
        self._memory[window_id] = _WindowMemory(box=sub.region, image=sub.image.copy(), texts=texts,
                                                elements=elements)
        return elements


def _grow_over(changed: list[Rect], elements: list[Element]) -> list[Rect]:
    """Grow changed boxes over every old element they touch, until no edge cuts one (an element only
    partly inside would be dropped and could not be found again); merge overlaps the same way."""
    areas = [_cover(rect, elements) for rect in changed]
    merged: list[Rect] = []
    while areas:
        area = areas.pop()
        for i, other in enumerate(merged):
            if other.intersection(area) is not None:
                areas.append(_cover(merged.pop(i).union(area), elements))
                break
        else:
            merged.append(area)
    return sorted(merged, key=lambda r: (r.top, r.left))


def _cover(area: Rect, elements: list[Element]) -> Rect:
    """`area` grown until it contains every element it touches."""
    while True:
        grown = area
        for element in elements:
            if element.box.intersection(grown) is not None:
                grown = grown.union(element.box)
        if grown == area:
            return area
        area = grown


def _offset(elements: list[Element], area: Rect) -> list[Element]:
    return [replace(e, box=Rect(left=e.box.left + area.left, top=e.box.top + area.top,
                                width=e.box.width, height=e.box.height)) for e in elements]


def _regions(frame: Frame, windows: Sequence[Window], skip: frozenset[int]) -> list[tuple[int, Rect]]:
    if not windows:  # no window system information (a saved screenshot): the windows its pixels show
        return [(i, coords.image_to_screen(frame, box))
                for i, box in enumerate(window_like_regions(frame.image))]
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
