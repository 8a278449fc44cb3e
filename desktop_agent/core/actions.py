"""The step language's actions and the low-level operations that carry them out, as typed values.

Actions say what a step means (`Click(target=...)`); operations are what actually reaches the OS
(`MouseClick(point=...)`), always through `guard.Guard`. Both are frozen and validated when built.
"""
from __future__ import annotations

import enum
from dataclasses import field
from pathlib import Path
from typing import Union, assert_never

from desktop_agent.core.values import Point, TargetSpec, frozen


# ---------------------------------------------------------------- actions (the step language)
class MouseButton(enum.Enum):
    LEFT = "left"
    RIGHT = "right"
    MIDDLE = "middle"


@frozen
class Click:
    target: TargetSpec
    button: MouseButton = MouseButton.LEFT
    count: int = 1

    def __post_init__(self) -> None:
        if self.count not in (1, 2, 3):
            raise ValueError(f"click count must be 1..3, got {self.count}")


@frozen
class TypeText:
    text: str
    target: TargetSpec | None = None

    def __post_init__(self) -> None:
        if not self.text:
            raise ValueError("type needs non-empty text")


@frozen
class Clear:
    """Empty a field: select what it holds and delete it."""

    target: TargetSpec


@frozen
class Press:
    keys: tuple[str, ...]  # one chord, e.g. ("ctrl", "s"); lower-case key names

    def __post_init__(self) -> None:
        if not self.keys:
            raise ValueError("press needs at least one key")


@frozen
class Check:
    target: TargetSpec
    checked: bool = True


@frozen
class Select:
    option: str
    target: TargetSpec


class ScrollDirection(enum.Enum):
    UP = "up"
    DOWN = "down"


@frozen
class Scroll:
    direction: ScrollDirection
    amount: int = 3
    target: TargetSpec | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.amount <= 100:
            raise ValueError(f"scroll amount must be 1..100, got {self.amount}")


@frozen
class Drag:
    source: TargetSpec
    destination: TargetSpec


@frozen
class WaitFor:
    target: TargetSpec
    appear: bool = True
    timeout_s: float = 10.0

    def __post_init__(self) -> None:
        if not 0 < self.timeout_s <= 600:
            raise ValueError(f"wait timeout must be in (0, 600] s, got {self.timeout_s}")


@frozen
class Expect:
    target: TargetSpec


@frozen
class Launch:
    argv: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.argv or not self.argv[0]:
            raise ValueError("launch needs a program")


Action = Union[Click, TypeText, Clear, Press, Check, Select, Scroll, Drag, WaitFor, Expect, Launch]


def action_name(action: Action) -> str:
    match action:
        case Click(button=MouseButton.RIGHT):
            return "right-click"
        case Click(count=2):
            return "double-click"
        case Click():
            return "click"
        case TypeText():
            return "type"
        case Clear():
            return "clear"
        case Press():
            return "press"
        case Check(checked=True):
            return "check"
        case Check():
            return "uncheck"
        case Select():
            return "select"
        case Scroll():
            return "scroll"
        case Drag():
            return "drag"
        case WaitFor():
            return "wait"
        case Expect():
            return "expect"
        case Launch():
            return "launch"
        case _:
            assert_never(action)


@frozen
class Step:
    """One parsed line of a task."""

    line: int
    text: str
    action: Action


@frozen
class Plan:
    name: str
    steps: tuple[Step, ...]
    policy: Path | None = None
    workspace: tuple[Path, ...] = ()
    params: dict[str, str] = field(default_factory=dict)
    assets: Path | None = None  # a recording's fallback locators (see locators.py)


# ---------------------------------------------------------------- operations
# Low-level operations: what actually reaches the OS, always through guard.Guard.
@frozen
class MouseClick:
    point: Point
    button: MouseButton = MouseButton.LEFT
    count: int = 1


@frozen
class MouseScroll:
    point: Point | None
    clicks: int  # positive = up


@frozen
class MouseDrag:
    start: Point
    end: Point


@frozen
class KeyText:
    text: str


@frozen
class KeyChord:
    keys: tuple[str, ...]


@frozen
class StartProcess:
    argv: tuple[str, ...]


Operation = Union[MouseClick, MouseScroll, MouseDrag, KeyText, KeyChord, StartProcess]


def target_specs(action: Action) -> tuple[TargetSpec, ...]:
    match action:
        case (Click(target=t) | Clear(target=t) | Check(target=t) | Select(target=t) | Expect(target=t)
              | WaitFor(target=t)):
            return (t,)
        case TypeText(target=t) | Scroll(target=t):
            return () if t is None else (t,)
        case Drag(source=a, destination=b):
            return (a, b)
        case Press() | Launch():
            return ()
        case _:
            assert_never(action)
