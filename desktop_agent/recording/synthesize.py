"""Merging raw input into the actions a person meant: clicks, drags, scrolls, typed text and chords.

`synthesize` is pure. Guaranteed: actions come out in the order the person did them; a press and
release within `SAME_PLACE_PX` is a click, farther apart a drag; left clicks at the same place with
presses `MULTI_CLICK_S` apart merge into a double (or triple) click; wheel notches at the same place in
the same direction sum into one scroll; printable characters (shift allowed, no ctrl/alt/super) merge
into one typing run with backspaces applied; any other key becomes a chord named modifiers first
(ctrl, alt, shift, super). Dropped, by design: pauses, modifiers pressed and released alone, a press
whose release was never recorded, and a click, drag, scroll or typing run whose first event has no
snapshot (the recorder had not seen the screen yet). Not guaranteed: that a chord's key name is the
unshifted key (ctrl+shift+1 is named by what it typed, "!").
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from desktop_agent.core.actions import MouseButton
from desktop_agent.core.values import Point
from desktop_agent.recording.events import (
    KeyDown,
    KeyUp,
    MousePress,
    MouseRelease,
    RawEvent,
    RecordedAction,
    RecordedChord,
    RecordedClick,
    RecordedDrag,
    RecordedScroll,
    RecordedTyping,
    Snapshot,
    WheelScroll,
)

SAME_PLACE_PX = 6.0
MULTI_CLICK_S = 0.4
MAX_CLICKS = 3
_MODIFIERS = ("ctrl", "alt", "shift", "super")  # the order a chord names them in
_CHORD_MODIFIERS = frozenset(("ctrl", "alt", "super"))


def synthesize(events: Sequence[RawEvent]) -> list[RecordedAction]:
    """The recorded actions that `events` (in the order they happened) add up to."""
    return _Merger().run(events)


class _Merger:
    def __init__(self) -> None:
        self.out: list[RecordedAction] = []
        self.held: set[str] = set()  # modifiers
        self.pressed: dict[MouseButton, MousePress] = {}
        self.run_text: list[str] | None = None  # the open typing run, if any
        self.run_before: Snapshot | None = None
        self.last_click: RecordedClick | None = None  # the click `out[-1]` may still grow from
        self.last_click_press = 0.0

    def run(self, events: Sequence[RawEvent]) -> list[RecordedAction]:
        for event in events:
            match event:
                case MousePress():
                    self.flush_typing()
                    self.pressed[event.button] = event
                case MouseRelease():
                    self.release(event)
                case WheelScroll():
                    self.flush_typing()
                    self.scroll(event)
                case KeyDown():
                    self.key_down(event)
                case KeyUp():
                    self.held.discard(event.key)
        self.flush_typing()
        return self.out

    # ------------------------------------------------------------ mouse
    def release(self, release: MouseRelease) -> None:
        press = self.pressed.pop(release.button, None)
        if press is None or press.before is None:
            return
        if _distance(press.point, release.point) > SAME_PLACE_PX:
            self.out.append(RecordedDrag(start=press.point, end=release.point, before=press.before))
            return
        previous = self.last_click
        if (previous is not None and self.out and self.out[-1] is previous
                and press.button is MouseButton.LEFT and previous.button is MouseButton.LEFT
                and previous.count < MAX_CLICKS and press.time - self.last_click_press <= MULTI_CLICK_S
                and _distance(previous.point, press.point) <= SAME_PLACE_PX):
            click = replace(previous, count=previous.count + 1)
            self.out[-1] = click
        else:
            click = RecordedClick(point=press.point, before=press.before, button=press.button)
            self.out.append(click)
        self.last_click, self.last_click_press = click, press.time

    def scroll(self, wheel: WheelScroll) -> None:
        previous = self.out[-1] if self.out else None
        if (isinstance(previous, RecordedScroll) and (previous.clicks > 0) == (wheel.clicks > 0)
                and _distance(previous.point, wheel.point) <= SAME_PLACE_PX):
            self.out[-1] = replace(previous, clicks=previous.clicks + wheel.clicks)
        elif wheel.before is not None:
            self.out.append(RecordedScroll(point=wheel.point, clicks=wheel.clicks, before=wheel.before))

    # ------------------------------------------------------------ keyboard
    def key_down(self, key: KeyDown) -> None:
        if key.key in _MODIFIERS:
            self.held.add(key.key)
            return
        plain = not self.held & _CHORD_MODIFIERS
        if plain and key.char is not None:
            if self.run_text is None:
                self.run_text, self.run_before = [], key.before
            self.run_text.append(key.char)
        elif plain and key.key == "backspace" and self.run_text:
            self.run_text.pop()
        else:
            self.flush_typing()
            self.out.append(RecordedChord(keys=(*(m for m in _MODIFIERS if m in self.held), key.key)))

    def flush_typing(self) -> None:
        if self.run_text and self.run_before is not None:
            self.out.append(RecordedTyping(text="".join(self.run_text), before=self.run_before))
        self.run_text, self.run_before = None, None


def _distance(a: Point, b: Point) -> float:
    return math.hypot(a.x - b.x, a.y - b.y)
