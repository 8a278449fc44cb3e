"""Positional relations between boxes (screen points): which candidates stand right of, left of, below,
above or near an anchor, nearest first. Pure geometry over anything with a `box`."""
from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from desktop_agent.core.values import Point, Rect, Relation

NEAR_LIMIT = 250  # points
EDGE_TOLERANCE = 4  # points a candidate may overlap the anchor's edge


class Boxed(Protocol):
    @property
    def box(self) -> Rect: ...


_B = TypeVar("_B", bound=Boxed)


def related(relation: Relation, anchor: Rect, candidates: Sequence[_B]) -> list[_B]:
    """Candidates standing in `relation` to `anchor`, nearest first."""
    others = [m for m in candidates if m.box != anchor]
    match relation:
        case Relation.RIGHT_OF:
            row = [m for m in others
                   if m.box.left >= anchor.right - EDGE_TOLERANCE and in_row(m.box, anchor)]
            return sorted(row, key=lambda m: (m.box.left - anchor.right, _off_row(m.box, anchor)))
        case Relation.LEFT_OF:
            row = [m for m in others
                   if m.box.right <= anchor.left + EDGE_TOLERANCE and in_row(m.box, anchor)]
            return sorted(row, key=lambda m: (anchor.left - m.box.right, _off_row(m.box, anchor)))
        case Relation.BELOW:
            below = [m for m in others if m.box.top >= anchor.bottom - EDGE_TOLERANCE]
            return _column_first(below, anchor, lambda m: m.box.top - anchor.bottom)
        case Relation.ABOVE:
            above = [m for m in others if m.box.bottom <= anchor.top + EDGE_TOLERANCE]
            return _column_first(above, anchor, lambda m: anchor.top - m.box.bottom)
        case Relation.NEAR:
            near = [m for m in others if distance(m.box.center, anchor.center) <= NEAR_LIMIT]
            return sorted(near, key=lambda m: distance(m.box.center, anchor.center))
    raise ValueError(f"not a positional relation: {relation}")


def _column_first(matches: list[_B], anchor: Rect, gap: Callable[[_B], int]) -> list[_B]:
    """Those overlapping the anchor's column, by `gap`; if none does, all by centre distance."""
    column = [m for m in matches if overlap(m.box.left, m.box.right, anchor.left, anchor.right)]
    if column:
        return sorted(column, key=lambda m: (gap(m), abs(m.box.center.x - anchor.center.x)))
    return sorted(matches, key=lambda m: distance(m.box.center, anchor.center))


def in_row(box: Rect, anchor: Rect) -> bool:
    return in_band(box.center.y, anchor.top, anchor.bottom)


def _off_row(box: Rect, anchor: Rect) -> int:
    return abs(box.center.y - anchor.center.y)


def in_band(v: int, low: int, high: int) -> bool:
    """`v` within [low, high] widened by half its length on each side."""
    half = (high - low) / 2
    return low - half <= v <= high + half


def overlap(a0: int, a1: int, b0: int, b1: int) -> bool:
    return a0 < b1 and b0 < a1


def distance(a: Point, b: Point) -> float:
    return math.hypot(a.x - b.x, a.y - b.y)


def reading_order(matches: Sequence[_B]) -> list[_B]:
    """Top-to-bottom rows (centres within half a line height), each left to right."""
    if not matches:
        return []
    line = max(1.0, statistics.median(m.box.height for m in matches))
    rows: list[list[_B]] = []
    for m in sorted(matches, key=lambda m: (m.box.center.y, m.box.left)):
        if rows and m.box.center.y - rows[-1][0].box.center.y <= line / 2:
            rows[-1].append(m)
        else:
            rows.append([m])
    return [m for row in rows for m in sorted(row, key=lambda m: m.box.left)]
