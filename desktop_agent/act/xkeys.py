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
falls back to xdotool's remapping).

Keys into a window go at its application's pace once it has been heard answering `_NET_WM_PING`: each
key is followed by a ping, and the next waits until the application has answered it, so has read the
key before from its queue (one that then takes no key for `TAKE_WAIT_S` is not responding: the typing
stops there, ActionError). An application moves its own focus between its own windows (Tk's `focus
-force`, a modal dialog opening) in the process, before the X server hears of it, and routes the keys it
takes afterwards there itself: with one key at a time in flight, at most that one can go astray so, and
the check before the next key sees the move (`paced` tells the caller so). Pinged are only windows
whose WM_PROTOCOLS lists the ping, or Tk's (Tk answers without saying so): Xt programs (xterm) take any
WM_PROTOCOLS message for WM_DELETE_WINDOW and close. A pinged window's first key waits
`_FIRST_TAKE_WAIT_S` to hear it answer; one not heard is typed into unpaced until an answer comes after
all. Not guaranteed: Caps Lock or a held modifier changing what the key types.
"""
from __future__ import annotations

import itertools
import select
import time
from dataclasses import dataclass

from desktop_agent.core.errors import ActionError, InputTaken
from desktop_agent.screen.windows import focused_client_id

_SPECIAL_KEYSYMS = {"\n": 0xFF0D, "\t": 0xFF09}  # Return, Tab
_SHIFT_KEYSYM = 0xFFE1  # Shift_L
_UNICODE_KEYSYM = 0x01000000  # X's keysym for a code point outside Latin-1
_FIRST_SPARE = 9  # keycode 8 is skipped: some toolkits ignore it
TAKE_WAIT_S = 5.0  # an application heard answering that takes no key for this long is not responding
_FIRST_TAKE_WAIT_S = 0.25  # how long a pinged window's first key waits to hear an answer
_FOCUS_POLL_S = 0.05  # meanwhile, how often to look whether the focus is still in the key's window


@dataclass(frozen=True, slots=True)
class _Ping:
    window: int  # the id of the window pinged
    token: int


class XTestKeyboard:
    def __init__(self, *, display: str | None = None, key_delay_ms: int = 4) -> None:
        self._display_name = display
        self._delay_s = key_delay_ms / 1000
        self._display = None
        self._last_key = 0.0  # time.monotonic() of the last key sent
        self._bound: dict[int, int] = {}  # keysym -> the spare keycode this keyboard bound it to
        self._in_flight: _Ping | None = None  # the ping after the last key or press, until answered
        self._may_ping: dict[int, bool] = {}  # window id -> whether it can be pinged safely
        self._heard: set[int] = set()  # windows whose application answered a ping
        self._first_waited: set[int] = set()  # windows whose first key waited to hear an answer
        self._answered = 0  # the highest ping token answered
        self._pings = itertools.count(1)
        self._last_into: int | None = None  # the window the last key was sent into

    def _connection(self):
        if self._display is None:
            from Xlib import X, display  # lazily: it connects to the X server

            self._display = display.Display(self._display_name)
            # Answers to pings are sent to the root window, to whoever listens for its children (Tk, GTK)
            # or for its own structure (Qt).
            self._display.screen().root.change_attributes(
                event_mask=X.SubstructureNotifyMask | X.StructureNotifyMask)
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
            self.await_taken()
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
        if into is not None:
            self._last_into = into
            if self._pingable(connection, into):
                self._in_flight = self._ping(connection, into)
        return True

    def await_taken(self) -> None:
        """Wait until the application has taken the last key sent into its window (it answered the ping
        sent after it), if it answers pings. Returns at once when the focus leaves that window meanwhile
        (the check before the next key says where it went); raises ActionError when the application
        took no key for `TAKE_WAIT_S`."""
        sent, self._in_flight = self._in_flight, None
        if sent is None or self._display is None:
            return
        heard = sent.window in self._heard
        if heard:
            wait_s = TAKE_WAIT_S
        elif sent.window not in self._first_waited:
            self._first_waited.add(sent.window)
            wait_s = _FIRST_TAKE_WAIT_S
        else:
            wait_s = 0.0
        deadline = time.monotonic() + wait_s
        while True:
            self._read_answers(self._display)
            if self._answered >= sent.token:
                self._heard.add(sent.window)
                return
            if focused_client_id(self._display) != sent.window:
                return
            left = deadline - time.monotonic()
            if left <= 0 and heard:
                raise ActionError(f"stopped typing: the application took no key for {TAKE_WAIT_S:g} s "
                                  "(not responding)")
            if left <= 0:
                return
            select.select([self._display.fileno()], [], [], min(left, _FOCUS_POLL_S))

    @property
    def paced(self) -> bool:
        """Whether the last key sent into a window goes at its application's pace (an answer to a ping
        was heard from there): then it is the only key that may not have been taken yet."""
        return self._last_into is not None and self._last_into in self._heard

    def _pingable(self, connection, window_id: int) -> bool:
        known = self._may_ping.get(window_id)
        if known is None:
            known = self._may_ping[window_id] = _may_ping(connection, window_id)
        return known

    def await_idle(self, into: int | None) -> None:
        """Before a press in window `into`: wait until its application has taken every event sent to it
        so far (as `await_taken`), if it answers pings — a press it takes after it opened a modal
        dialog goes to the dialog, and the check before the press can't see that coming. Only where an
        answer was heard before: a click waits for no first answer."""
        if into is None:
            return
        if into in self._heard:
            self._in_flight = self._ping(self._connection(), into)
            self.await_taken()

    def _ping(self, connection, window_id: int) -> _Ping:
        from Xlib import X
        from Xlib.protocol import event

        token = next(self._pings)
        window = connection.create_resource_object("window", window_id)
        ping = event.ClientMessage(window=window, client_type=connection.get_atom("WM_PROTOCOLS"),
                                   data=(32, [connection.get_atom("_NET_WM_PING"), token, window_id, 0, 0]))
        window.send_event(ping, event_mask=X.NoEventMask)
        connection.flush()
        return _Ping(window=window_id, token=token)

    def _read_answers(self, connection) -> None:
        """Drain the events queued on this connection, noting the pings answered (an answer to any
        ping means every key sent before it has been taken: an application takes its events in order)."""
        from Xlib import X

        protocols, ping = connection.get_atom("WM_PROTOCOLS"), connection.get_atom("_NET_WM_PING")
        while connection.pending_events():
            answer = connection.next_event()
            if (answer.type == X.ClientMessage and answer.client_type == protocols
                    and answer.data[1][0] == ping):
                self._answered = max(self._answered, answer.data[1][1])

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


def _may_ping(connection, window_id: int) -> bool:
    """Whether window `window_id` may be sent `_NET_WM_PING`: its WM_PROTOCOLS lists it, or it is Tk's —
    an X client with a Tk interpreter in the root window's InterpRegistry (Tk's `send` registry,
    "COMM-WINDOW NAME" per interpreter; a live one's comm window holds TK_APPLICATION)."""
    from Xlib import Xatom
    from Xlib.error import XError

    try:
        window = connection.create_resource_object("window", window_id)
        if connection.get_atom("_NET_WM_PING") in (window.get_wm_protocols() or ()):
            return True
        registry = connection.screen().root.get_full_property(connection.get_atom("InterpRegistry"),
                                                              Xatom.STRING)
        if registry is None:
            return False
        client = ~connection.display.info.resource_id_mask
        value = registry.value
        for entry in (value.encode() if isinstance(value, str) else bytes(value)).split(b"\0"):
            comm_id = int(entry.split()[0], 16) if entry.split() else 0
            if comm_id and comm_id & client == window_id & client:
                comm = connection.create_resource_object("window", comm_id)
                return comm.get_full_property(connection.get_atom("TK_APPLICATION"), Xatom.STRING) is not None
    except (XError, ValueError):
        return False
    return False
