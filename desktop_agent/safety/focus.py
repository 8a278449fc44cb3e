"""Where keys and presses would land, as the platform says, and the guard's checks on it (guard.py asks
before and during every input operation).

`FocusSense` is what the platform can tell (each part optional: without one, its check is not made):
the window keys would reach now, the window that took the input for itself (a modal dialog's grab),
whether an element holds the keyboard focus in its application (the accessibility tree), and how to
move the focus to a window. `FocusChecks` turns those answers into the waits and refusals the guard
needs; what it refuses is recorded through the guard's audit (`record`).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from desktop_agent.core.errors import ActionError, InputTaken
from desktop_agent.core.values import Role, Target, Window

FOCUS_WAIT_S = 0.2  # how long keys wait for the keyboard focus to reach the window they are meant for


@dataclass(frozen=True, slots=True, kw_only=True)
class FocusSense:
    keyboard_focus: Callable[[], Window | None] | None = None  # the window keys would reach now
    keyboard_focus_id: Callable[[], int | None] | None = None  # its id alone: cheaper, asked before every key
    input_holder: Callable[[], Window | None] | None = None    # None when focus follows the pointer
    holds_focus: Callable[[str], bool | None] | None = None    # by accessibility handle; None: can't tell
    give_focus: Callable[[Window], None] | None = None         # as a window manager does on a click


class FocusChecks:
    def __init__(self, sense: FocusSense, *, is_own: Callable[[Window], bool],
                 record: Callable[..., None]) -> None:
        self.sense = sense
        self._is_own = is_own
        self._record = record

    @property
    def knows_keyboard_focus(self) -> bool:
        return self.sense.keyboard_focus is not None

    def window_for_keys(self, authorized: Window | None) -> Window | None:
        """The window keys would reach: the authorized one, once the focus has arrived there (a click
        just before may still be moving it: up to `FOCUS_WAIT_S`), or wherever it is then. A focus left
        on the agent's own window (no window manager moves it on a click) is handed to `authorized`,
        never taken away from another application."""
        keyboard_focus = self.sense.keyboard_focus
        assert keyboard_focus is not None  # asked only when knows_keyboard_focus
        deadline = time.monotonic() + FOCUS_WAIT_S
        given = False
        while True:
            focus = keyboard_focus()
            if authorized is None or (focus is not None and authorized.id in (focus.id, focus.owner)):
                return focus
            if time.monotonic() >= deadline:
                if given or self.sense.give_focus is None or focus is None or not self._is_own(focus):
                    return focus
                self._record("focus-given", from_window=focus.title, to_window=authorized.title)
                self.sense.give_focus(authorized)
                given, deadline = True, time.monotonic() + FOCUS_WAIT_S
            time.sleep(0.005)

    def refuse_unfocused_field(self, target: Target | None, *, permit: int) -> None:
        """Keys meant for a field its application says doesn't have the focus (after waiting up to
        `FOCUS_WAIT_S` for a click to put it there) would go to another of its controls: refused."""
        field = target.element if target is not None else None
        holds_focus = self.sense.holds_focus
        if holds_focus is None or field is None or field.role is not Role.FIELD or field.accessible is None:
            return
        deadline = time.monotonic() + FOCUS_WAIT_S
        while (holds := holds_focus(field.accessible)) is False and time.monotonic() < deadline:
            time.sleep(0.01)
        if holds is False:
            name = field.label or field.text or "the field"
            message = f'refusing keys: "{name}" does not have the keyboard focus (its application says so)'
            self._record("refused", permit=permit, reason=message)
            raise InputTaken(message, details={"field": name})

    def refuse_moved(self, started: Window) -> None:
        """Before a key: the keyboard focus must still be in `started`, the window the typing began in
        (described only when it has moved, for the message)."""
        keyboard_focus = self.sense.keyboard_focus
        if keyboard_focus is None:
            return
        if self.sense.keyboard_focus_id is not None and self.sense.keyboard_focus_id() == started.id:
            return
        now = keyboard_focus()
        if now is None or now.id != started.id:
            where = f'"{now.title}"' if now is not None else "no window"
            self._record("focus-moved", expected=started.title, now=now.title if now else None)
            message = f'stopped typing: the keyboard focus moved from "{started.title}" to {where}'
            raise ActionError(message) if now is None else InputTaken(message)

    def input_holder(self) -> Window | None:
        """The window that took the input for itself, if the platform tells and one did."""
        return self.sense.input_holder() if self.sense.input_holder is not None else None
