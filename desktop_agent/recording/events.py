"""What the recorder captured, as typed values: raw input events, and the actions merged from them.

Raw events come from the input listener in the order they happened; `synthesize` turns them into
recorded actions, each carrying the screen as it was just before the person acted (a `Snapshot`), so
that the target can be named from what the person saw.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from desktop_agent.core.actions import MouseButton
from desktop_agent.core.values import Frame, Point, Window, frozen


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Snapshot:
    """The screen just before an input event: pixels, windows (bottom to top) and the focused one."""

    frame: Frame
    windows: tuple[Window, ...]
    focused: Window | None
    time: float  # time.monotonic() when it was grabbed


# ---------------------------------------------------------------- raw input, as the listener saw it
@frozen
class MousePress:
    point: Point
    button: MouseButton
    time: float
    before: Snapshot | None = None  # the newest snapshot taken before the press


@frozen
class MouseRelease:
    point: Point
    button: MouseButton
    time: float


@frozen
class WheelScroll:
    point: Point
    clicks: int  # positive = up
    time: float
    before: Snapshot | None = None


@frozen
class KeyDown:
    key: str          # canonical key name as `press` accepts it ("a", "enter", "ctrl", "f5")
    char: str | None  # the character it typed, if any (already shifted: "A", "@")
    time: float
    before: Snapshot | None = None


@frozen
class KeyUp:
    key: str
    time: float


RawEvent = Union[MousePress, MouseRelease, WheelScroll, KeyDown, KeyUp]


# ---------------------------------------------------------------- actions merged from raw input
@frozen
class RecordedClick:
    point: Point
    before: Snapshot
    button: MouseButton = MouseButton.LEFT
    count: int = 1


@frozen
class RecordedDrag:
    start: Point
    end: Point
    before: Snapshot


@frozen
class RecordedScroll:
    point: Point
    clicks: int  # positive = up
    before: Snapshot


@frozen
class RecordedTyping:
    """Characters typed in one go (backspaces applied) into whatever had the keyboard focus."""

    text: str
    before: Snapshot


@frozen
class RecordedChord:
    keys: tuple[str, ...]  # canonical names, modifiers first: ("ctrl", "s"), ("enter",)


RecordedAction = Union[RecordedClick, RecordedDrag, RecordedScroll, RecordedTyping, RecordedChord]
