"""Typed values that cross module boundaries: geometry, frames, perceived elements, targets and verdicts
(the step language's actions and the OS operations are in `actions.py`, a step's result in `results.py`).

Everything here is a frozen, keyword-only dataclass (or an enum). Geometry that leaves perception is in
screen coordinates (points); only `screen/coords.py` converts between image pixels and points.
"""
from __future__ import annotations

import enum
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, dataclass_transform

if TYPE_CHECKING:  # only needed for annotations
    import numpy as np

_Value = TypeVar("_Value")


@dataclass_transform(frozen_default=True, kw_only_default=True)
def frozen(cls: type[_Value]) -> type[_Value]:
    """The engine's value type: a frozen, keyword-only dataclass with slots."""
    return dataclass(frozen=True, slots=True, kw_only=True)(cls)


# ---------------------------------------------------------------- geometry
@frozen
class Point:
    x: int
    y: int


@frozen
class Rect:
    """Axis-aligned box; `right`/`bottom` are exclusive."""

    left: int
    top: int
    width: int
    height: int

    def __post_init__(self) -> None:
        if self.width < 0 or self.height < 0:
            raise ValueError(f"Rect with negative size: {self.width}x{self.height}")

    @classmethod
    def from_corners(cls, left: int, top: int, right: int, bottom: int) -> Rect:
        return cls(left=left, top=top, width=max(0, right - left), height=max(0, bottom - top))

    @property
    def right(self) -> int:
        return self.left + self.width

    @property
    def bottom(self) -> int:
        return self.top + self.height

    @property
    def center(self) -> Point:
        return Point(x=self.left + self.width // 2, y=self.top + self.height // 2)

    @property
    def area(self) -> int:
        return self.width * self.height

    def contains(self, point: Point) -> bool:
        return self.left <= point.x < self.right and self.top <= point.y < self.bottom

    def contains_rect(self, other: Rect) -> bool:
        return (self.left <= other.left and self.top <= other.top
                and other.right <= self.right and other.bottom <= self.bottom)

    def intersection(self, other: Rect) -> Rect | None:
        left, top = max(self.left, other.left), max(self.top, other.top)
        right, bottom = min(self.right, other.right), min(self.bottom, other.bottom)
        if right <= left or bottom <= top:
            return None
        return Rect.from_corners(left, top, right, bottom)

    def union(self, other: Rect) -> Rect:
        return Rect.from_corners(min(self.left, other.left), min(self.top, other.top),
                                 max(self.right, other.right), max(self.bottom, other.bottom))

    def inflate(self, margin: int) -> Rect:
        return Rect.from_corners(self.left - margin, self.top - margin,
                                 self.right + margin, self.bottom + margin)

    def iou(self, other: Rect) -> float:
        inter = self.intersection(other)
        if inter is None:
            return 0.0
        return inter.area / float(self.area + other.area - inter.area)


@frozen
class Monitor:
    """One physical monitor: its place in the virtual screen (points) and pixels per point."""

    index: int
    bounds: Rect
    scale: float = 1.0


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Frame:
    """One capture: BGR pixels of `region` (screen points), `scale` pixels per point."""

    image: np.ndarray
    region: Rect
    scale: float = 1.0
    monotonic: float = 0.0


# ---------------------------------------------------------------- perception
class Role(enum.Enum):
    TEXT = "text"
    BUTTON = "button"
    FIELD = "field"
    CHECKBOX = "checkbox"
    RADIO = "radio"
    COMBO = "combo"
    ITEM = "item"        # a list, table, tree or sidebar row: a file, a folder, a place
    CELL = "cell"
    SLIDER = "slider"
    SCROLLBAR = "scrollbar"
    MENU = "menu"
    TAB = "tab"
    LINK = "link"
    ICON = "icon"
    IMAGE = "image"
    WINDOW = "window"
    # parts of a window that hold others: what `in`/`inside` may name (never an element's role)
    TOOLBAR = "toolbar"
    SIDEBAR = "sidebar"
    TABSTRIP = "tab strip"


@frozen
class Window:
    """A top-level window as the window system reports it."""

    id: int
    title: str
    wm_class: str
    box: Rect
    pid: int | None = None
    owner: int | None = None  # the window it is transient for (a dialog's or a popup's parent)
    popup: bool = False       # override-redirect: a menu, list or tooltip, never given the input focus


def topmost_at(windows: Sequence[Window], point: Point) -> Window | None:
    """The topmost of `windows` (ordered bottom to top) containing `point`."""
    return next((window for window in reversed(windows) if window.box.contains(point)), None)


AGENT_TITLE = re.compile(r"(?i)\bdesktop[- ]agent\b")  # the app's windows, whichever process shows them


@frozen
class OwnWindows:
    """The agent's own windows — never perceived, recorded or acted on: those of its processes, and
    any window titled like the agent (its app, run by another process)."""

    pids: frozenset[int]
    title: re.Pattern[str] | None = AGENT_TITLE

    @classmethod
    def of_this_process(cls) -> OwnWindows:
        return cls(pids=frozenset({os.getpid()}))

    def owns(self, window: Window) -> bool:
        return ((window.pid is not None and window.pid in self.pids)
                or (self.title is not None and bool(self.title.search(window.title))))


@frozen
class Element:
    """Something perceived on screen. `label` is the text that names it (a field's label, a button's text)."""

    role: Role
    box: Rect
    text: str = ""
    label: str = ""
    confidence: float = 1.0
    checked: bool | None = None
    window_id: int | None = None
    source: str = "ocr"            # what found it: ocr, widget, template, a11y (the accessibility tree), icon
    states: frozenset[str] = frozenset()  # from the tree: focused, editable, password, selected, ...
    accessible: str | None = None  # the tree's handle for it (the accessibility adapter's, opaque here)


ICON_SOURCE = "icon"  # Element.source of words the icon reader guessed for a picture (perception.icon_names)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Screen:
    frame: Frame
    elements: tuple[Element, ...]
    windows: tuple[Window, ...] = ()

    def window_at(self, point: Point) -> Window | None:
        """Topmost window containing `point`; `windows` is ordered bottom to top."""
        return topmost_at(self.windows, point)

    def window_by_id(self, window_id: int | None) -> Window | None:
        return next((w for w in self.windows if w.id == window_id), None)


# ---------------------------------------------------------------- target descriptions
class Relation(enum.Enum):
    RIGHT_OF = "right of"
    LEFT_OF = "left of"
    BELOW = "below"
    ABOVE = "above"
    NEAR = "near"
    INSIDE = "inside"


@frozen
class Anchor:
    relation: Relation
    target: TargetSpec


@frozen
class TargetSpec:
    """What a step points at, exactly as written. Exactly one of text / image / point is the subject,
    or only a role ("the field right of 'Name'")."""

    text: str | None = None
    role: Role | None = None
    ordinal: int | None = None  # 1-based; -1 means "last"
    anchor: Anchor | None = None
    image: Path | None = None
    point: Point | None = None

    def __post_init__(self) -> None:
        subjects = [s for s in (self.text, self.image, self.point) if s is not None]
        if len(subjects) > 1:
            raise ValueError("a target names one of text, image or point")
        if not subjects and self.role is None:
            raise ValueError("a target needs text, an image, a point or a role")
        if self.ordinal == 0:
            raise ValueError("ordinals start at 1")

    def describe(self) -> str:
        parts: list[str] = []
        if self.ordinal is not None:
            parts.append("last" if self.ordinal == -1 else _ordinal_word(self.ordinal))
        if self.text is not None:
            parts.append(f'"{self.text}"')
        if self.image is not None:
            parts.append(f"image:{self.image}")
        if self.point is not None:
            parts.append(f"at {self.point.x},{self.point.y}")
        if self.role is not None:
            parts.append(self.role.value)
        if self.anchor is not None:
            parts.append(f"{self.anchor.relation.value} {self.anchor.target.describe()}")
        return " ".join(parts)


def _ordinal_word(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@frozen
class Target:
    """A target description grounded to one place on screen."""

    box: Rect
    point: Point
    strategy: str
    why: str
    element: Element | None = None
    score: float = 1.0


@frozen
class Candidate:
    element: Element
    score: float


# ---------------------------------------------------------------- guard
class Decision(enum.Enum):
    ALLOW = "allow"
    CONFIRM = "confirm"
    DENY = "deny"


@frozen
class Verdict:
    decision: Decision
    reason: str
    rule: str = ""


def text_rows(elements: Sequence[Element]) -> list[tuple[str, Rect]]:
    """The text read on each row (a line read in pieces, or split at wide gaps), joined left to right
    with a space, top to bottom, with the row's box."""
    rows: list[list[Element]] = []
    for element in sorted((e for e in elements if e.text.strip()), key=lambda e: e.box.center.y):
        if rows and rows[-1][0].box.top <= element.box.center.y < rows[-1][0].box.bottom:
            rows[-1].append(element)
        else:
            rows.append([element])
    joined = []
    for row in rows:
        row.sort(key=lambda e: e.box.left)
        box = row[0].box
        for element in row[1:]:
            box = box.union(element.box)
        joined.append((" ".join(e.text.strip() for e in row), box))
    return joined
