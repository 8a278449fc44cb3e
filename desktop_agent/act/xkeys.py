"""Type one character through the XTEST extension from this process: a key press and release (with
Shift when the keymap puts the character on the shifted level), then a sync.

Given the window the key must reach (`into`), the key is sent under a server grab right after asking,
on the same connection, which window the keyboard focus is in: no other client can move the focus in
between, so a key never lands in a window that took the focus at that instant (it raises InputTaken).

A character the keymap lacks (é on a US keymap, 東) is bound to a spare keycode (one the keymap leaves
empty) and stays bound until `release` — the end of the run — not for a few milliseconds: an
application reads the keymap when it gets to the key, which under load can be long after the key was
sent, and a binding already undone then typed nothing (xdotool's way, which dropped a Qt field's last
character on a busy machine). Guaranteed: typed keys reach the application as the characters meant,
however late it reads them, while at most as many characters as there are spare keycodes (19 on Xvfb)
are bound; `type_char` returns False and sends nothing for a character it can't bind then (the caller
falls back to xdotool's remapping). Not guaranteed: Caps Lock or a held modifier changing what the key
types; and an application that moves its own focus between its own windows (Tk's `focus -force` does it
in the process before the X server hears of it) may route the key in flight to its new window itself —
no X client can see that coming.
"""
from __future__ import annotations

import time

from desktop_agent.core.errors import InputTaken
from desktop_agent.screen.windows import focused_client_id

_SPECIAL_KEYSYMS = {"\n": 0xFF0D, "\t": 0xFF09}  # Return, Tab
_SHIFT_KEYSYM = 0xFFE1  # Shift_L
_UNICODE_KEYSYM = 0x01000000  # X's keysym for a code point outside Latin-1
_FIRST_SPARE = 9  # keycode 8 is skipped: some toolkits ignore it


class XTestKeyboard:
    def __init__(self, *, display: str | None = None, key_delay_ms: int = 4) -> None:
        self._display_name = display
        self._delay_s = key_delay_ms / 1000
        self._display = None
        self._last_key = 0.0  # time.monotonic() of the last key sent
        self._bound: dict[int, int] = {}  # keysym -> the spare keycode this keyboard bound it to

    def _connection(self):
        if self._display is None:
            from Xlib import display  # lazily: it connects to the X server

            self._display = display.Display(self._display_name)
        return self._display

    def type_char(self, char: str, *, into: int | None = None) -> bool:
        """Type `char`; False when it can't be put on a key. `into`: the id of the window (as
        `Window.id`) the key must reach."""
        keysym = _keysym(char)
        if keysym is None:
            return False
        connection = self._connection()
        key = self._key_for(connection, keysym)
        if key is None:
            return False
        keycode, shift = key
        from Xlib import X
        from Xlib.ext import xtest

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

    def release(self) -> None:
        """Give the spare keycodes back to the keymap (empty again). For the end of a run: every key
        typed has been seen through by then."""
        if self._bound and self._display is not None:
            empty = [(0,) * self._width(self._display)]
            for keycode in self._bound.values():
                self._display.change_keyboard_mapping(keycode, empty)
            self._display.sync()
        self._bound.clear()

    def close(self) -> None:
        if self._display is not None:
            self.release()
            self._display.close()
            self._display = None

    def _key_for(self, connection, keysym: int) -> tuple[int, int] | None:
        """(keycode, the Shift keycode to hold or 0) typing `keysym`: from the keymap's first two
        levels, or a spare keycode bound to it."""
        if keysym in self._bound:
            return self._bound[keysym], 0
        keycode = connection.keysym_to_keycode(keysym)
        if keycode:
            levels = [connection.keycode_to_keysym(keycode, level) for level in (0, 1)]
            if keysym in levels:
                shift = connection.keysym_to_keycode(_SHIFT_KEYSYM) if levels[0] != keysym else 0
                return keycode, shift
        spare = self._spare_keycode(connection)
        if spare is None:
            return None
        # Both levels: the key types the character with or without Shift, and X's case rules for a
        # lone letter keysym (the unshifted key typing the small letter of "É") don't apply.
        connection.change_keyboard_mapping(spare, [(keysym, keysym) + (0,) * (self._width(connection) - 2)])
        connection.sync()
        self._bound[keysym] = spare
        return spare, 0

    def _spare_keycode(self, connection) -> int | None:
        first = connection.display.info.min_keycode
        count = connection.display.info.max_keycode - first + 1
        taken = set(self._bound.values())
        for offset, keysyms in enumerate(connection.get_keyboard_mapping(first, count)):
            keycode = first + offset
            if keycode >= _FIRST_SPARE and keycode not in taken and not any(keysyms):
                return keycode
        return None

    @staticmethod
    def _width(connection) -> int:
        first = connection.display.info.min_keycode
        return max(2, len(connection.get_keyboard_mapping(first, 1)[0]))


def _keysym(char: str) -> int | None:
    if char in _SPECIAL_KEYSYMS:
        return _SPECIAL_KEYSYMS[char]
    if len(char) != 1 or not char.isprintable():
        return None
    code = ord(char)
    return code if " " <= char <= "~" or "\u00a0" <= char <= "\u00ff" else _UNICODE_KEYSYM | code
