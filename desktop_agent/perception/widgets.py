"""Widget proposals from pixels: text fields, buttons, checkboxes, combo boxes and sliders.

Works on one window (or region) image in that image's pixel coordinates: every box is a `Rect` in pixels
of the image given, never screen points (the perceiver maps them). OpenCV and numpy only; no model.

Guaranteed: a widget is an axis-aligned rectangle outlined by a border (a checkbox: a 9-20 px square with
at least two solid sides) that is not the image frame, not a panel holding other widgets and not a part
of a bigger widget; roles are FIELD, BUTTON, CHECKBOX, COMBO, SLIDER (a wide trough with a handle across
it and nothing else inside) or CELL (a box sharing its border lines with neighbours beside and above or
below it: a grid), `source="widget"`, `text=""`, confidence in [0, 1], and `checked` is set on checkboxes
only.
Not guaranteed: radio buttons, tabs, links, flat (borderless) buttons and sliders drawn as a line with a
knob (GTK, Qt) or spanning the whole window are not proposed; a box
glyph drawn in text (U+2610) is indistinguishable from an unchecked checkbox. The thresholds below were
measured on GTK 3 Adwaita (light and dark) and Tk (classic, clam) at scale 1 — the fixtures in
tests/fixtures/widgets/ — and other themes may need them retuned.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np

from desktop_agent.core.values import Element, Rect, Role

# Edge mask: weakest real border is Adwaita-dark's entry (27 on 53: 26 levels); the strongest shading
# inside a widget is GTK's button gradient (7).
EDGE_CONTRAST = 18
MIN_SIDE = 9  # checkboxes measured 11 (Tk) to 16 (GTK) px
MIN_CONTROL_HEIGHT = 14  # fields/buttons measured 21-34 px; runs of terminal digits are 9
MAX_HEIGHT = 72  # tallest single-line widget measured 34 px; room for scale 2
MIN_RECT_FILL = 0.85  # share of the bounding box inside the contour: GTK's rounded ~0.96, clam checkbox 0.89
MAX_CHECKBOX = 20  # px; a bigger square is an icon button
# A border line differs from the fill and from the window (mean over the outline): real widgets measured
# 16.6 (Adwaita-dark entry) to 68; a filled label or a text selection ~0-2.
BORDER_CONTRAST = 10
INK_CONTRAST = 60  # text and marks against a widget's fill
# Checkbox sides: 3D boxes draw two sides dark (Tk's light sides differ by 17-38); glyphs run together
# (xterm digits) show at most one solid side, a radio circle none.
LINE_CONTRAST = 25
LINE_SIDE = 0.9
CHECKED_FRACTION = 0.2  # share of the interior unlike the window: unchecked 0.00, checked 0.43-1.0
BASE_FILL = 4  # fill minus window, distance from mid-grey: fields measured 8-38, buttons -2.3 to 1
WIDE_ASPECT = 5.0  # fields measured 7-11 wide per unit height, buttons 2.5-3.5
DUPLICATE_SLACK = 2  # px per side
SNAP_GAIN = 1.2  # a side moves only to a clearly stronger line
LINK_MARGIN = 1  # px inside a button's outline: the lines between linked buttons run up to it, text never does
LINK_LINE = 0.95  # share of that height a line between two linked buttons covers
HANDLE_WIDTHS = 2.5  # a slider's handle is at most this many trough heights wide (a scroll bar's thumb: longer)
ROW_WIDTHS = 8  # a box this many times as wide as a checkbox inside it is a list row, not the box's frame
ROW_INSET = 6  # px at least between such a checkbox and its row's ends
SHARED_LINE = 1  # px between the edges of two cells of a grid (they share one border line)
CLOSED_SIDE = 0.8  # share of each side of the outline on the edge mask


@dataclass(frozen=True, slots=True, kw_only=True)
class _Look:
    """What one candidate rectangle looks like."""

    box: Rect
    border: float  # mean contrast of the outline against the fill
    base_fill: bool  # fill further from mid-grey than the surroundings (a field's white)
    ink: Rect | None  # bounding box of text/marks inside, image pixels
    mark: float  # share of the interior unlike the surroundings (checkbox state)
    arrow: bool  # a small down-pointing triangle at the right end
    handle: bool  # a box across it from top to bottom, nothing else inside (a slider's)
    line_sides: int  # sides of the outline drawn as a solid line against the window around


def detect_widgets(image: np.ndarray) -> list[Element]:
    """Propose widgets in one window/region image (BGR, BGRA or grey); boxes in that image's pixels,
    sorted top to bottom."""
    bgr = image[..., :3] if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    pixels = bgr.astype(np.int16)
    edges = edge_mask(bgr)
    found: list[Element] = []
    for box in _dedupe(_rect_candidates(edges)):
        look = _look(pixels, edges, box)
        element = None if look is None else _classify(look)
        if element is not None:
            found.append(element)
    found = _grid_cells(_drop_containers_and_parts(found))
    found = [part for e in found for part in (_split_linked(edges, e) if e.role is Role.BUTTON else [e])]
    return sorted(found, key=lambda e: (e.box.top, e.box.left))


# ---------------------------------------------------------------- rectangles
def edge_mask(image: np.ndarray) -> np.ndarray:
    """1 where a pixel's 3x3 neighbourhood spans `EDGE_CONTRAST` levels in some channel (BGR image)."""
    gradient = cv2.morphologyEx(np.ascontiguousarray(image), cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    blue, green, red = cv2.split(gradient)
    return (cv2.max(cv2.max(blue, green), red) >= EDGE_CONTRAST).astype(np.uint8)


def _rect_candidates(edges: np.ndarray) -> list[Rect]:
    """Boxes of rectangular edge rings: outer contours shrunk and holes grown by the ring's 1 px spill,
    so both land on the border line itself. Holes come first: they are not merged with nearby text."""
    height, width = edges.shape
    contours, hierarchy = cv2.findContours(edges, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    holes: list[Rect] = []
    outers: list[Rect] = []
    for contour, (_, _, _, parent) in zip(contours, hierarchy[0] if hierarchy is not None else ()):
        x, y, w, h = cv2.boundingRect(contour)
        grow = 1 if parent >= 0 else -1
        box = Rect.from_corners(x - grow, y - grow, x + w + grow, y + h + grow)  # empty if 1 px thin
        if not _plausible_size(box, width, height) or _rect_fill(contour, x, y, w, h) < MIN_RECT_FILL:
            continue
        (holes if parent >= 0 else outers).append(box)
    return holes + outers


def _plausible_size(box: Rect, image_width: int, image_height: int) -> bool:
    if min(box.width, box.height) < MIN_SIDE or box.height > MAX_HEIGHT:
        return False
    # A box spanning the whole width is a bar (menu bar, toolbar, status bar) or the window frame.
    return not (box.left <= 1 and box.right >= image_width - 1)


def _rect_fill(contour: np.ndarray, x: int, y: int, w: int, h: int) -> float:
    mask = np.zeros((h, w), np.uint8)
    cv2.drawContours(mask, [contour - (x, y)], 0, 1, thickness=cv2.FILLED)
    return float(mask.mean())


def _dedupe(boxes: Sequence[Rect]) -> list[Rect]:
    """One box per border: a ring's hole and outer contour (and a snapped twin) differ by a pixel or two."""
    kept: list[Rect] = []
    for box in boxes:
        if not any(_same_place(box, other) for other in kept):
            kept.append(box)
    return kept


def _same_place(a: Rect, b: Rect) -> bool:
    return max(abs(a.left - b.left), abs(a.top - b.top),
               abs(a.right - b.right), abs(a.bottom - b.bottom)) <= DUPLICATE_SLACK


# ---------------------------------------------------------------- measuring one box
def _look(pixels: np.ndarray, edges: np.ndarray, box: Rect) -> _Look | None:
    """Measure `box` after snapping it onto its border line; None when the outline is not closed."""
    box, border = _snap(pixels, box)
    if not _closed(edges, box):
        return None
    around = _median(_ring(pixels, box.inflate(2), 2))
    inner = box.inflate(-2)
    interior = _crop(pixels, inner)
    fill = _median(interior)
    ink_mask = _unlike(interior, fill)
    return _Look(
        box=box,
        border=border,
        base_fill=_from_mid(fill) - _from_mid(around) >= BASE_FILL,
        ink=_mask_box(ink_mask, inner),
        mark=float(_unlike(interior, around).mean()),
        arrow=_has_arrow(ink_mask, inner),
        handle=_has_handle(edges, box),
        line_sides=_line_sides(pixels, box, around),
    )


def _snap(pixels: np.ndarray, box: Rect) -> tuple[Rect, float]:
    """Move each side by at most 1 px onto the line standing out most from both the fill and the window
    around (a contour lands a pixel off at rounded or two-tone corners); also return that line's mean
    contrast, the border strength. A filled label or a text selection matches its own fill: ~0."""
    fill = _median(_crop(pixels, box.inflate(-3)))
    around = _median(_ring(pixels, box.inflate(4), 2))
    height, width = pixels.shape[:2]

    def contrast(line: np.ndarray) -> float:
        return float(np.minimum(_distance(line, fill), _distance(line, around)).mean())

    def best(current: int, limit: int, line) -> tuple[int, float]:
        scored = [(contrast(line(p)), p) for p in (current, current - 1, current + 1) if 0 <= p < limit]
        top = max(scored)
        return (top[1], top[0]) if top[0] > SNAP_GAIN * scored[0][0] + 2 else (current, scored[0][0])

    rows, cols = slice(box.top + 2, box.bottom - 2), slice(box.left + 2, box.right - 2)
    left, s_left = best(box.left, width, lambda x: pixels[rows, x])
    right, s_right = best(box.right - 1, width, lambda x: pixels[rows, x])
    top, s_top = best(box.top, height, lambda y: pixels[y, cols])
    bottom, s_bottom = best(box.bottom - 1, height, lambda y: pixels[y, cols])
    snapped = Rect.from_corners(left, top, right + 1, bottom + 1)
    return snapped, (s_left + s_right + s_top + s_bottom) / 4


def _line_sides(pixels: np.ndarray, box: Rect, around: np.ndarray) -> int:
    """Sides (corners left out) whose pixels nearly all differ from the window around the box."""
    unlike = _distance(_crop(pixels, box), around) >= LINE_CONTRAST
    sides = (unlike[0, 1:-1], unlike[-1, 1:-1], unlike[1:-1, 0], unlike[1:-1, -1])
    return sum(side.mean() >= LINE_SIDE for side in sides)


def _crop(pixels: np.ndarray, box: Rect) -> np.ndarray:
    return pixels[box.top:box.bottom, box.left:box.right]


def _closed(edges: np.ndarray, box: Rect) -> bool:
    """Each side of the outline lies on the edge mask (an outline that cut through text does not)."""
    sides = (edges[box.top, box.left:box.right], edges[box.bottom - 1, box.left:box.right],
             edges[box.top:box.bottom, box.left], edges[box.top:box.bottom, box.right - 1])
    return all(side.mean() >= CLOSED_SIDE for side in sides)


def _ring(pixels: np.ndarray, box: Rect, width: int) -> np.ndarray:
    """Pixels of the `width`-wide band just inside `box` (clipped to the image), as (N, 3)."""
    height, image_width = pixels.shape[:2]
    clipped = box.intersection(Rect(left=0, top=0, width=image_width, height=height))
    if clipped is None:
        return np.zeros((0, 3), np.int16)
    patch = pixels[clipped.top:clipped.bottom, clipped.left:clipped.right]
    inside = np.ones(patch.shape[:2], bool)
    inside[width:-width, width:-width] = False
    return patch[inside]


def _median(pixels: np.ndarray) -> np.ndarray:
    if not pixels.size:
        return np.zeros(3, np.int16)
    return np.median(pixels.reshape(-1, 3), axis=0).astype(np.int16)


def _from_mid(color: np.ndarray) -> float:
    return abs(float(color.mean()) - 127.5)


def _unlike(pixels: np.ndarray, color: np.ndarray) -> np.ndarray:
    return _distance(pixels, color) > INK_CONTRAST


def _distance(pixels: np.ndarray, color: np.ndarray) -> np.ndarray:
    """Largest per-channel difference from `color` (faster than a max over the channel axis)."""
    diff = np.abs(pixels - color)
    return np.maximum(np.maximum(diff[..., 0], diff[..., 1]), diff[..., 2])


def _mask_box(mask: np.ndarray, origin: Rect) -> Rect | None:
    ys, xs = np.nonzero(mask)
    if xs.size == 0:
        return None
    return Rect.from_corners(origin.left + int(xs.min()), origin.top + int(ys.min()),
                             origin.left + int(xs.max()) + 1, origin.top + int(ys.max()) + 1)


def _has_arrow(ink_mask: np.ndarray, inner: Rect) -> bool:
    """One down-pointing triangle (measured 7x4 on Tk, 12x6 on GTK) in the right end's last square,
    besides any separator line."""
    side = min(inner.height + 4, inner.width // 3)
    tail = np.ascontiguousarray(ink_mask[:, inner.width - side:]).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(tail, connectivity=8)
    blobs = [tuple(int(v) for v in stats[i]) for i in range(1, count)]
    marks = [b for b in blobs if not (b[2] <= 3 and b[3] >= 0.6 * inner.height)]
    if len(marks) != 1:
        return False
    x, y, w, h, area = marks[0]
    rows = tail[y:y + h, x:x + w].sum(axis=1)
    return (5 <= w <= 16 and 3 <= h <= 9 and w >= 1.4 * h and rows[0] > rows[-1]
            and 0.4 <= area / (w * h) <= 0.8)


def _has_handle(edges: np.ndarray, box: Rect) -> bool:
    """Two or more lines crossing the box from top to bottom, at most `HANDLE_WIDTHS` heights apart and
    a handle's width at least, and no edge anywhere else inside: a slider's handle on its trough (Tk's
    ttk.Scale). Text, a caret or a spin box's arrows are not."""
    inner = edges[box.top + 2:box.bottom - 2, box.left + 2:box.right - 2]
    if inner.size == 0:
        return False
    crossing = np.flatnonzero(inner.mean(axis=0) >= LINK_LINE)
    if len(crossing) < 2:
        return False
    first, last = int(crossing[0]), int(crossing[-1])
    if not box.height / 2 <= last - first <= HANDLE_WIDTHS * box.height:
        return False
    rest = np.concatenate([inner[:, :max(0, first - 2)], inner[:, last + 3:]], axis=1)
    return not rest.any()


# ---------------------------------------------------------------- roles
def _classify(look: _Look) -> Element | None:
    box = look.box
    if max(box.width, box.height) <= MAX_CHECKBOX and abs(box.width - box.height) <= 2:
        if look.line_sides < 2:
            return None  # glyphs run together, a radio button's circle
        checked = look.mark >= CHECKED_FRACTION
        # Every real unchecked box measured has a base fill; a box glyph in a label has the window's.
        return _widget(Role.CHECKBOX, box, 0.9 if checked or look.base_fill else 0.5, checked=checked)
    if look.border < BORDER_CONTRAST or box.height < MIN_CONTROL_HEIGHT:
        return None
    certainty = min(1.0, look.border / (2 * BORDER_CONTRAST))  # the weakest real border scored 16.6
    if look.arrow:
        return _widget(Role.COMBO, box, 0.9 * certainty)
    if look.handle and not look.base_fill and box.width >= WIDE_ASPECT * box.height:
        return _widget(Role.SLIDER, box, 0.8 * certainty)
    if look.ink is None and not look.base_fill:
        return None  # an empty frame: no caption, no field fill
    field_votes = sum((look.base_fill, not _centered(look), box.width >= WIDE_ASPECT * box.height))
    role = Role.FIELD if field_votes >= 2 else Role.BUTTON
    agreement = max(field_votes, 3 - field_votes) / 3
    return _widget(role, box, agreement * certainty)


def _centered(look: _Look) -> bool:
    """Ink centred left-right with real margins (a caption), not starting at the left (a value)."""
    if look.ink is None:
        return False
    left = look.ink.left - look.box.left
    right = look.box.right - look.ink.right
    return abs(left - right) <= max(4, 0.2 * look.box.width) and min(left, right) >= 6


def _widget(role: Role, box: Rect, confidence: float, *, checked: bool | None = None) -> Element:
    return Element(role=role, box=box, confidence=round(max(0.0, min(1.0, confidence)), 3),
                   checked=checked, source="widget")


def _drop_containers_and_parts(found: Sequence[Element]) -> list[Element]:
    """Drop panels (boxes holding two or more other widgets), parts (a box inside a kept widget; not a
    checkbox on a list row's highlight) and
    "checkboxes" touching another box (halves of a slider handle, spin arrows)."""
    containers = {id(e) for e in found
                  if sum(e.box.contains_rect(o.box.inflate(2)) for o in found if o is not e) >= 2}
    kept: list[Element] = []
    for element in sorted((e for e in found if id(e) not in containers), key=lambda e: -e.box.area):
        if not any(k.box.inflate(1).contains_rect(element.box) and not _row_mark(element, k) for k in kept):
            kept.append(element)
    return [e for e in kept if e.role is not Role.CHECKBOX or not _touches_another(e, kept)]


def _grid_cells(found: list[Element]) -> list[Element]:
    """Boxes that share a border line with a neighbour on their side and with one above or below are
    the cells of a grid (a spreadsheet, a table drawn with lines): CELL, whatever they looked like."""
    def shares(a: Rect, b: Rect, across: bool) -> bool:
        if across:
            return abs(a.right - b.left) <= SHARED_LINE and abs(a.top - b.top) <= SHARED_LINE
        return abs(a.bottom - b.top) <= SHARED_LINE and abs(a.left - b.left) <= SHARED_LINE

    def in_grid(e: Element) -> bool:
        side = any(shares(e.box, o.box, True) or shares(o.box, e.box, True) for o in found if o is not e)
        stacked = any(shares(e.box, o.box, False) or shares(o.box, e.box, False) for o in found if o is not e)
        return side and stacked
    return [replace(e, role=Role.CELL, checked=None) if e.role is not Role.CHECKBOX and in_grid(e) else e
            for e in found]


def _split_linked(edges: np.ndarray, button: Element) -> list[Element]:
    """A row of linked buttons drawn as one outline (a path bar, a segmented toggle) split at the lines
    crossing it from top to bottom."""
    box = button.box
    inner = edges[box.top + LINK_MARGIN:box.bottom - LINK_MARGIN, box.left + LINK_MARGIN:box.right - LINK_MARGIN]
    if inner.size == 0 or box.width < 2 * box.height:
        return [button]
    crossing = np.flatnonzero(inner.mean(axis=0) >= LINK_LINE) + box.left + LINK_MARGIN
    cuts = [int(x) for i, x in enumerate(crossing) if i == 0 or x - crossing[i - 1] > 1]  # a line's first column
    edges_x = [box.left, *(c + 1 for c in cuts), box.right]
    parts = [(a, b) for a, b in zip(edges_x, edges_x[1:]) if b - a >= MIN_SIDE]
    if len(parts) < 2:
        return [button]
    return [replace(button, box=Rect.from_corners(a, box.top, b, box.bottom)) for a, b in parts]


def _row_mark(element: Element, box: Element) -> bool:
    """A checkbox on a selected list row (the row's highlight is outlined like a field), not a part of it:
    well inside the row's ends (spin arrows sit at a field's end)."""
    inner, outer = element.box, box.box
    return (element.role is Role.CHECKBOX and box.role is not Role.SLIDER and outer.width >= ROW_WIDTHS * inner.width
            and min(inner.left - outer.left, outer.right - inner.right) >= ROW_INSET)


def _touches_another(element: Element, others: Sequence[Element]) -> bool:
    near = element.box.inflate(2)
    column = _mark_column(element, others)
    return any(o is not element and near.intersection(o.box) is not None and not _row_mark(element, o)
               and all(o is not c for c in column) for o in others)


def _mark_column(element: Element, others: Sequence[Element]) -> list[Element]:
    """Checkboxes stacked with `element` in one column of three or more (a list's, each row's box
    touching the next: Qt's item views); two stacked are spin arrows."""
    box = element.box
    column = [o for o in others if o.role is Role.CHECKBOX and abs(o.box.left - box.left) <= 1
              and abs(o.box.width - box.width) <= 1 and abs(o.box.center.y - box.center.y) <= 3 * box.height]
    return column if len(column) >= 3 else []
