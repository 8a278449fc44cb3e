"""Parts of a window that hold others — tab strips, toolbars, sidebars — found from a screen's elements
(screen points; pure), for `in`/`inside`.

A tab strip is a run of TABs side by side. A toolbar is a row of three or more buttons or short words
near a window's top that is not its menu bar (the first such row, when it starts at the window's top
edge, is the menu bar). A sidebar is a list down a window's left side with more of the window right of
it: its entries' column, as wide as their rows (each narrower than half the window).
Not guaranteed: a toolbar whose buttons are icons without words or framed buttons, nor a sidebar on the
right or at the top; a window with no menu bar whose toolbar touches its top edge is taken for one.
"""
from __future__ import annotations

import statistics
from collections.abc import Sequence

from desktop_agent.core.values import Element, Rect, Role, Screen
from desktop_agent.grounding.rows import column_of, row_of

PARTS = frozenset({Role.TABSTRIP, Role.TOOLBAR, Role.SIDEBAR})
_TAB_GAP = 8           # points between two tabs of one strip
_TOOL_ITEMS = 3
_TOOL_WORDS = 3        # words on one toolbar button at most
_TOP_LINES = 5         # line heights from a window's top where its toolbar may be
_SIDE_SHARE = 0.35     # of a window's width: a sidebar's entries start within it
_SIDE_ROW = 0.5        # of a window's width: a sidebar's rows are narrower
_SIDE_ENTRIES = 3


def parts(role: Role, screen: Screen) -> list[Rect]:
    """Every part of kind `role` (one of PARTS) on the screen, top to bottom."""
    windows = _by_window(screen.elements)
    match role:
        case Role.TABSTRIP:
            found = _tab_strips([e for e in screen.elements if e.role is Role.TAB])
        case Role.TOOLBAR:
            found = [box for elements in windows.values() if (box := _toolbar(elements)) is not None]
        case Role.SIDEBAR:
            found = [box for elements in windows.values() if (box := _sidebar(elements, screen)) is not None]
        case _:
            raise ValueError(f"not a part of a window: {role}")
    return sorted(found, key=lambda r: (r.top, r.left))


def _by_window(elements: Sequence[Element]) -> dict[int | None, list[Element]]:
    windows: dict[int | None, list[Element]] = {}
    for e in elements:
        windows.setdefault(e.window_id, []).append(e)
    return windows


def _tab_strips(tabs: list[Element]) -> list[Rect]:
    strips: list[list[Element]] = []
    for tab in sorted(tabs, key=lambda e: (e.box.top, e.box.left)):
        strip = next((s for s in strips if abs(s[-1].box.top - tab.box.top) <= _TAB_GAP
                      and abs(tab.box.left - s[-1].box.right) <= _TAB_GAP), None)
        if strip is None:
            strips.append([tab])
        else:
            strip.append(tab)
    return [_union([t.box for t in s]) for s in strips]


def _toolbar(elements: list[Element]) -> Rect | None:
    window = _union([e.box for e in elements])
    items = [e for e in elements if e.role in (Role.BUTTON, Role.ICON)
             or (e.role is Role.TEXT and 0 < len(e.text.split()) <= _TOOL_WORDS)]
    if not items:
        return None
    line = statistics.median(e.box.height for e in items)
    near_top = [e for e in items if e.box.top - window.top <= _TOP_LINES * line]
    rows: list[list[Element]] = []
    for item in sorted(near_top, key=lambda e: e.box.center.y):
        if rows and abs(item.box.center.y - rows[-1][0].box.center.y) <= line / 2:
            rows[-1].append(item)
        else:
            rows.append([item])
    rows = [r for r in rows if len(r) >= _TOOL_ITEMS]
    if rows and min(e.box.top for e in rows[0]) - window.top <= line / 2:
        rows = rows[1:]  # the menu bar, at the window's top edge
    return _union([e.box for e in rows[0]]) if rows else None


def _sidebar(elements: list[Element], screen: Screen) -> Rect | None:
    window = _union([e.box for e in elements])
    reach = window.left + round(_SIDE_SHARE * window.width)
    for entry in sorted((e for e in elements if e.text and e.box.left <= reach), key=lambda e: e.box.top):
        rows = [row for e in column_of(entry, elements) if (row := row_of(e, screen)) is not None
                and row.width <= _SIDE_ROW * window.width]  # not a menu bar's or a toolbar's row
        if len(rows) < _SIDE_ENTRIES:
            continue
        span = _union(rows)
        if any(e.box.left >= span.right and _overlaps_rows(e.box, span) for e in elements):
            return span  # more of the window beside it: a sidebar, not a list
    return None


def _overlaps_rows(box: Rect, span: Rect) -> bool:
    return box.top < span.bottom and span.top < box.bottom


def _union(boxes: list[Rect]) -> Rect:
    box = boxes[0]
    for other in boxes[1:]:
        box = box.union(other)
    return box
