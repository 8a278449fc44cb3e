"""Rows of lists, tables, tree views and file lists, as the layout of their text shows them.

A row is found from one element of it: the elements stacked above and below it at a steady pitch (its
column, indented tree items included) give the row's height, and the row holds every element in that band of
its window that lines up with the other rows — the table's other columns, and a check box or icon just left
of its text, within the run of the row's background colour around it (a list's edge ends a row; a grid's
thin lines do not). A column spaced unlike the rows, or whose entries fall between them (a sidebar beside a
table), is not part of it. Screen points; pure.

Guaranteed: a returned row's box contains the element it was found from and the cells found with it. Not
guaranteed: that a list of a single entry is seen as a list (there is no pitch to measure), nor empty cells
(there is nothing to see)."""
from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from desktop_agent.core.values import Element, Frame, Rect, Role, Screen
from desktop_agent.screen import coords

_MAX_PITCH = 2.6      # line heights between two entries of one column
_TALLER = 1.8         # an entry at most this many times another's height
_ON_ROW = 0.3         # of the pitch: how far a cell's centre may be from its row's
_OFF_ROWS = 0.34      # share of a column's entries off the rows that makes it another list
_LEAD_REACH = 3.0      # line heights left of the words where a row's check box or icon may sit
_SAME_PITCH = 0.25    # a column spaced differently by more than this share belongs to another list
_BACKGROUND_LEVEL = 14  # per-channel difference from the row's background that ends it
_GRID_LINE = 2        # px: a line this thin inside a row is a grid's, not the list's edge
_ACROSS = 2             # characters of a line in each of two columns: OCR read it across them
_OPEN = 10_000          # points: the first and last columns reach as far as their table
_LEAD_ROLES = frozenset({Role.CHECKBOX, Role.ICON, Role.IMAGE, Role.RADIO})


def row_of(element: Element, screen: Screen) -> Rect | None:
    """The box of the row `element` is an entry of, or None when it is not in a list (no entry above or
    below it at a list's spacing)."""
    peers = [e for e in screen.elements if e.window_id == element.window_id and e is not element]
    column = _column(element, peers)
    if len(column) < 2:
        return None
    centres = [e.box.center.y for e in column]
    pitch = _pitch(column)
    top = element.box.center.y - pitch // 2
    band = Rect(left=element.box.left, top=top, width=element.box.width, height=pitch)
    left, right = _extent(screen.frame, band, _GRID_LINE)
    cells = [element]
    for other in peers:
        x, y = other.box.center.x, other.box.center.y
        if (not top <= y < top + pitch or other.box.height > pitch * _TALLER
                or any(other is c for c in column) or _overlap(other.box, element.box)):
            continue
        if other.role in _LEAD_ROLES and (left <= x < right or _leads(other.box, element.box)):
            cells.append(other)
        elif left <= x < right and _lines_up(other, peers, centres, pitch):
            cells.append(other)
    cells.sort(key=lambda e: e.box.left)
    # up to the first thin line (a list's edge beside a sidebar's) unless cells lie beyond it (a grid)
    near_left, near_right = _extent(screen.frame, band, 0)
    left = near_left if cells[0].box.center.x >= near_left else left
    right = near_right if cells[-1].box.center.x < near_right else right
    left = min(left, *(c.box.left for c in cells))
    right = max(right, *(c.box.right for c in cells))
    return Rect.from_corners(left, top, right, top + pitch)


def under(header: Element, cells: Sequence[Element], elements: Sequence[Element]) -> list[tuple[int, Element]]:
    """The cells of one row in `header`'s column, by their index in `cells`. A cell belongs to the column it
    overlaps most, and a line OCR read across columns is cut to the words whose middle is in the header's."""
    columns, at = _columns(header, elements)
    found = []
    for index, cell in enumerate(cells):
        if cell.box == header.box:
            continue
        spans = [_span(cell.box, column) for column in columns]
        glyphs = _ACROSS * cell.box.width / max(1, len(cell.text))
        across = sum(span >= glyphs for span in spans) > 1
        if cell.text and cell.source.startswith("ocr") and across and spans[at] >= glyphs:
            if (words := _cut(cell, columns[at])) is not None:
                found.append((index, words))
        elif max(range(len(spans)), key=lambda i: spans[i]) == at and spans[at] > 0:
            found.append((index, cell))
    return found


def cell_box(words: Element, header: Element, elements: Sequence[Element], row: Rect) -> Rect:
    """The box of the cell whose words are `words`: the span of `header`'s column across `row`. A cell
    that perception proposed as a widget keeps its own box."""
    if not words.source.startswith("ocr"):
        return words.box
    columns, at = _columns(header, elements)
    left, right = max(columns[at].left, row.left), min(columns[at].right, row.right)
    if right <= left:
        return words.box
    return Rect.from_corners(left, row.top, right, row.bottom).union(words.box)


def _columns(header: Element, elements: Sequence[Element]) -> tuple[list[Rect], int]:
    """The columns of `header`'s row of headers, left to right, and which one is `header`'s: each reaches
    halfway to the headers beside it; the first and last as far as their table, or, when framed, as far
    as their own edges."""
    headers = sorted([e for e in elements if e.window_id == header.window_id and e.text
                      and abs(e.box.center.y - header.box.center.y) <= header.box.height // 2
                      and e.box != header.box] + [header], key=lambda e: e.box.left)
    at = next(i for i, h in enumerate(headers) if h is header)
    columns = []
    for i, h in enumerate(headers):
        open_end = 0 if h.role is not Role.TEXT else _OPEN
        left = (headers[i - 1].box.right + h.box.left) // 2 if i else h.box.left - open_end
        right = (h.box.right + headers[i + 1].box.left) // 2 if i + 1 < len(headers) else h.box.right + open_end
        columns.append(Rect.from_corners(left, h.box.top, right, h.box.bottom))
    return columns, at


def _span(a: Rect, b: Rect) -> int:
    return max(0, min(a.right, b.right) - max(a.left, b.left))


def _cut(cell: Element, column: Rect) -> Element | None:
    """The words of a text line whose middles lie under `column`, by proportional character offsets;
    None when none does."""
    n, box = len(cell.text), cell.box

    def x(i: float) -> float:
        return box.left + box.width * i / n

    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", cell.text)
             if column.left <= x((m.start() + m.end()) / 2) < column.right]
    if not words:
        return None
    start, end = words[0][0], words[-1][1]
    left, right = round(x(start)), round(x(end))
    return replace(cell, text=cell.text[start:end], box=Rect.from_corners(left, box.top, right, box.bottom))


def as_row(element: Element, row: Rect) -> Element:
    """The row as one element: an ITEM with the row's box, named by the entry it was found from."""
    return replace(element, role=Role.ITEM, box=row, label="", source=f"{element.source}+row")


def as_cell(element: Element) -> Element:
    return replace(element, role=Role.CELL, source=f"{element.source}+cell")


def column_of(element: Element, elements: Sequence[Element]) -> list[Element]:
    """The entries of the list column `element` is in (itself included), top to bottom."""
    return _column(element, [e for e in elements if e.window_id == element.window_id and e is not element])


def _column(element: Element, peers: Sequence[Element]) -> list[Element]:
    """`element` and the entries stacked above and below it, each overlapping the last one horizontally,
    of a like height, at most `_MAX_PITCH` line heights apart; top to bottom."""
    stack = [element]
    for direction in (-1, 1):
        last = element
        while True:
            reach = _MAX_PITCH * last.box.height
            nxt = [p for p in peers if _overlap(p.box, last.box) and _alike(p.box, last.box)
                   and 0 < direction * (p.box.center.y - last.box.center.y) <= reach]
            if not nxt:
                break
            last = min(nxt, key=lambda p: abs(p.box.center.y - last.box.center.y))
            stack.append(last)
    return sorted(stack, key=lambda e: e.box.center.y)


def _pitch(column: Sequence[Element]) -> int:
    centres = [e.box.center.y for e in column]
    return round(statistics.median(b - a for a, b in zip(centres, centres[1:])))


def _lines_up(cell: Element, peers: Sequence[Element], rows: list[int], pitch: int) -> bool:
    """A table's cell: its column is spaced like the rows and sits on them (few of its entries between)."""
    own = _column(cell, peers)
    if len(own) >= 2 and abs(_pitch(own) - pitch) > _SAME_PITCH * pitch:
        return False
    column = [p for p in own if p is not cell and rows[0] - pitch <= p.box.center.y <= rows[-1] + pitch]
    on = [p for p in column if _on_a_row(p.box.center.y, rows, pitch)]
    return bool(on) and len(column) - len(on) <= _OFF_ROWS * len(column)


def _extent(frame: Frame, band: Rect, line: int) -> tuple[int, int]:
    """Left and right (screen points) of the row's background around `band`: out along the band's top and
    bottom lines while their colour stays the one under the entry, across lines at most `line` px wide."""
    px = coords.screen_to_image(frame, band)
    image = frame.image
    height, width = image.shape[:2]
    rows = [min(max(px.top, 0), height - 1), min(max(px.bottom - 1, 0), height - 1)]
    lines = image[rows][..., :3].astype(np.int16)
    span = lines[:, max(px.left, 0):min(px.right, width)].reshape(-1, 3)
    if not span.size:
        return band.left, band.right
    colours, counts = np.unique(span // 8, axis=0, return_counts=True)
    ground = span[(span // 8 == colours[counts.argmax()]).all(axis=1)].mean(axis=0)
    # a list's edge crosses both lines between rows; a letter reaching into the gap crosses at most one
    plain = (np.abs(lines - ground).max(axis=2) <= _BACKGROUND_LEVEL).any(axis=0)
    left, right = _run(plain, max(px.left, 0), -1, line), _run(plain, min(px.right, width) - 1, 1, line)
    found = coords.image_to_screen(frame, Rect.from_corners(left, px.top, right + 1, px.bottom))
    return found.left, found.right


def _run(plain: np.ndarray, start: int, step: int, line: int) -> int:
    """The last column from `start` going `step` that is still the row's, stepping over lines at most
    `line` columns wide."""
    x, end = start, len(plain) if step > 0 else -1
    while True:
        nxt = next((x + k * step for k in range(1, line + 2)
                    if 0 <= x + k * step < len(plain) and plain[x + k * step]), None)
        if nxt is None or nxt == end:
            return x
        x = nxt


def _on_a_row(y: int, rows: list[int], pitch: int) -> bool:
    return any(abs(y - r) <= _ON_ROW * pitch for r in rows)


def _leads(mark: Rect, text: Rect) -> bool:
    """A check box or icon just left of the entry's words (its outline may stop the row's background)."""
    return 0 <= text.left - mark.right <= _LEAD_REACH * text.height


def _overlap(a: Rect, b: Rect) -> bool:
    return a.left < b.right and b.left < a.right


def _alike(a: Rect, b: Rect) -> bool:
    return max(a.height, b.height) <= _TALLER * min(a.height, b.height)
