"""Type one character through the XTEST extension from this process: a key press and release (with
Shift when the keymap puts the character on the shifted level), then a sync.

Given the window the key must reach (`into`), the key is sent under a server grab right after asking,
on the same connection, which window the keyboard focus is in: no other client can move the focus in
between, so a key never lands in a window that took the focus at that instant (it raises InputTaken).
Guaranteed: only characters on the first two levels of the current keymap are typed — for any other
`type_char` returns False and sends nothing (the caller falls back to xdotool's remapping). Not
guaranteed: Caps Lock or a held modifier changing what the key types; and an application that moves its
own focus between its own windows (Tk's `focus -force` does it in the process before the X server
hears of it) may route the key in flight to its new window itself — no X client can see that coming.
"""
from __future__ import annotations

import time

from desktop_agent.core.errors import InputTaken
from desktop_agent.screen.windows import focused_client_id

_SPECIAL_KEYSYMS = {"\n": 0xFF0D, "\t": 0xFF09}  # Return, Tab
_SHIFT_KEYSYM = 0xFFE1  # Shift_L


class XTestKeyboard:
    def __init__(self, *, display: str | None = None, key_delay_ms: int = 4) -> None:
        self._display_name = display
        self._delay_s = key_delay_ms / 1000
        self._display = None
        self._last_key = 0.0  # time.monotonic() of the last key sent

    def _connection(self):
        if self._display is None:
            from Xlib import display  # lazily: it connects to the X server

            self._display = display.Display(self._display_name)
        return self._display

    def type_char(self, char: str, *, into: int | None = None) -> bool:
        """Type `char`; False when it is not on the keymap. `into`: the id of the window (as
        `Window.id`) the key must reach."""
        keysym = _SPECIAL_KEYSYMS.get(char, ord(char) if len(char) == 1 and (
            " " <= char <= "~" or "\u00a0" <= char <= "\u00ff") else None)
        if keysym is None:
            return False
        connection = self._connection()
        keycode = connection.keysym_to_keycode(keysym)
        if not keycode:
            return False
        levels = [connection.keycode_to_keysym(keycode, level) for level in (0, 1)]
        if keysym not in levels:
            return False
        from Xlib import X
        from Xlib.ext import xtest

        shift = connection.keysym_to_keycode(_SHIFT_KEYSYM) if levels[0] != keysym else 0
        # One key per delay at most: the time the caller spent checking since the last key counts.
        time.sleep(max(0.0, self._last_key + self._delay_s - time.monotonic()))
        if into is not None:
            connection.grab_server()
        try:
            if into is not None and focused_client_id(connection) != into:
                raise InputTaken("stopped typing: another window took the keyboard focus as a key was "
                                 "about to be sent")
            if shift:
                xtest.fake_input(connection, X.KeyPress, shift)
            xtest.fake_input(connection, X.KeyPress, keycode)
            xtest.fake_input(connection, X.KeyRelease, keycode)
            if shift:
                xtest.fake_input(connection, X.KeyRelease, shift)
        finally:
            if into is not None:
                connection.ungrab_server()
            connection.sync()
        self._last_key = time.monotonic()
        return True

    def close(self) -> None:
        if self._display is not None:
            self._display.close()
            self._display = None
