"""The real input backend: pyautogui for the mouse and plain keys, xdotool (X11) for text and chords that
pyautogui's key map can't type reliably (shifted characters, non-ASCII, Ctrl chords on GTK).

Only `guard.Guard` calls `execute`; nothing else in the engine imports pyautogui. Guarantees: pyautogui
is imported lazily with PAUSE set explicitly; its own fail-safe stays on and surfaces as StopRequested.
Not guaranteed: that the focused application received the keys — verification checks that.
"""
from __future__ import annotations

import re
import shutil
import string
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from desktop_agent.act.xkeys import XTestKeyboard
from desktop_agent.core.actions import (
    KeyChord,
    KeyText,
    MouseClick,
    MouseDrag,
    MouseScroll,
    Operation,
    StartProcess,
)
from desktop_agent.core.errors import ActionError, InputTaken, StopRequested
from desktop_agent.core.values import Point, Rect

# Characters pyautogui.write types without Shift on a US keymap.
_PLAIN_CHARS = frozenset(string.ascii_lowercase + string.digits + " -=[];',./\\`\n\t")
# Latin-1 capitals (À..Þ but ×): their keysym is their code point, and when xdotool 3.2016 binds one alone
# to a spare keycode, X case rules make the unshifted key type the small letter. Shift+keysym types them.
_LATIN1_CAPITALS = re.compile("([\u00c0-\u00d6\u00d8-\u00de])")
# Step-language key names (steps.KNOWN_KEYS) that the backends spell differently.
_PYAUTOGUI_KEYS = {"super": "win"}
_XDOTOOL_KEYS = {"enter": "Return", "escape": "Escape", "tab": "Tab", "backspace": "BackSpace",
                 "delete": "Delete", "space": "space", "up": "Up", "down": "Down", "left": "Left",
                 "right": "Right", "home": "Home", "end": "End", "pageup": "Prior", "pagedown": "Next",
                 "insert": "Insert", "menu": "Menu", "capslock": "Caps_Lock", "printscreen": "Print",
                 "+": "plus", "-": "minus", "=": "equal", ".": "period", ",": "comma", "/": "slash",
                 "\\": "backslash", ";": "semicolon", "'": "apostrophe", "`": "grave",
                 "[": "bracketleft", "]": "bracketright"}


_REMAP_DELAY_MS = 40
KEY_IN_FLIGHT = "the key typed before was on its way as the focus moved and may have reached the window it moved to"
_HOVER_S = 0.01  # the pointer rests on a target this long before the press: the toolkit sees it enter


def xdotool_key(name: str) -> str:
    if len(name) > 1 and name[0] == "f" and name[1:].isdigit():
        return name.upper()
    return _XDOTOOL_KEYS.get(name, name)


class DesktopActuator:
    def __init__(self, *, bounds: Callable[[], Rect], pause_s: float = 0.01,
                 key_delay_ms: int = 4, launch_output: Path | None = None,
                 interrupt: Callable[[], None] = lambda: None,
                 input_into: Callable[[], int | None] = lambda: None,
                 keyboard: XTestKeyboard | None = None) -> None:
        """`interrupt` is called right before each key and button press and raises to stop the
        operation there: a stop was asked for, the keyboard focus moved, another window took the input
        (`Guard.before_input`). `input_into`: the id of the window typed keys must reach, checked
        again as each key is sent, or a click presses in, if any (`Guard.input_into`); its application
        has taken all sent to it before each press (xkeys.py)."""
        self._bounds = bounds
        self._interrupt = interrupt
        self._input_into = input_into
        self._pause_s = pause_s
        self._key_delay_ms = key_delay_ms
        self._launch_output = launch_output
        self._gui = None
        self._xdotool = shutil.which("xdotool")
        self._keyboard = keyboard or XTestKeyboard(key_delay_ms=key_delay_ms)
        # Held, never waited for: the programs outlive the run, and a dropped Popen of a running one
        # would be reported as a leak (ResourceWarning).
        self._launched: list[subprocess.Popen[bytes]] = []

    def _pyautogui(self):
        if self._gui is None:
            import pyautogui  # lazy: it queries the screen at import

            pyautogui.PAUSE = self._pause_s
            pyautogui.FAILSAFE = True
            pyautogui.MINIMUM_DURATION = 0
            self._gui = pyautogui
        return self._gui

    def pointer(self) -> Point:
        x, y = self._pyautogui().position()
        return Point(x=int(x), y=int(y))

    def screen_bounds(self) -> Rect:
        return self._bounds()

    def end_run(self) -> None:
        self._keyboard.release()

    def execute(self, operation: Operation) -> None:
        gui = self._pyautogui()
        try:
            self._dispatch(gui, operation)
        except gui.FailSafeException as exc:
            raise StopRequested("pyautogui fail-safe: pointer in a screen corner") from exc

    def _dispatch(self, gui, operation: Operation) -> None:
        match operation:
            case MouseClick(point=p, button=button, count=count):
                # No pyautogui pause: the hover wait is the one before; after the click comes settling,
                # or typing, which waits for the keyboard focus to arrive (the guard does).
                gui.moveTo(p.x, p.y, _pause=False)
                time.sleep(_HOVER_S)
                self._keyboard.await_idle(self._input_into())
                self._interrupt()
                gui.click(p.x, p.y, clicks=count, interval=0.02 if count > 1 else 0.0,
                          button=button.value, _pause=False)
            case MouseScroll(point=p, clicks=clicks):
                if p is not None:
                    gui.moveTo(p.x, p.y)
                gui.scroll(clicks)
            case MouseDrag(start=a, end=b):
                gui.moveTo(a.x, a.y)
                self._keyboard.await_idle(self._input_into())
                self._interrupt()
                gui.mouseDown(button="left")
                gui.moveTo(b.x, b.y, duration=0.3)
                gui.mouseUp(button="left")
            case KeyText(text=text):
                self._type(gui, text)
            case KeyChord(keys=keys):
                self._chord(gui, keys)
            case StartProcess(argv=argv):
                self._launch(argv)
            case _:
                raise TypeError(f"not an operation: {operation!r}")

    def _type(self, gui, text: str) -> None:
        xdotool = self._xdotool
        if xdotool is None:
            if not set(text) <= _PLAIN_CHARS:
                raise ActionError("typing shifted or non-ASCII text needs xdotool, which is not "
                                  "installed (installer/install.sh installs it)")
            gui.write(text, interval=self._key_delay_ms / 1000)
            return
        # One character at a time, once the application took the key before, the stop and
        # keyboard-focus check right before each: no key lands after a stop or in a window that took
        # the focus part-way. Keys on the keymap go through XTEST in this process (no gap between the
        # check and the key); others through xdotool.
        for typed, char in enumerate(text):
            self._keyboard.await_taken()
            try:
                self._interrupt()
                if self._keyboard.type_char(char, into=self._input_into()):
                    continue
            except InputTaken as taken:
                raise self._with_keys_in_flight(taken, typed=typed) from taken
            if char.isascii():
                self._run_xdotool(xdotool, "type", "--", char)
                continue
            # No spare keycode left to bind it to (see xkeys.py): xdotool maps it onto one and maps it
            # back right after, so an app that looks the keycode up late reads the wrong character.
            # One character at a time, slowly, was reliable where a fast run dropped characters.
            if _LATIN1_CAPITALS.fullmatch(char):
                self._run_xdotool(xdotool, "key", "--delay", str(_REMAP_DELAY_MS), f"shift+U{ord(char):04X}")
            else:
                self._run_xdotool(xdotool, "type", "--delay", str(_REMAP_DELAY_MS), "--", char)
            time.sleep(_REMAP_DELAY_MS / 1000)
        self._keyboard.await_taken()

    def _with_keys_in_flight(self, taken: InputTaken, *, typed: int) -> InputTaken:
        """`taken` (the focus moved before a key), saying which keys typed before it were on their way as
        the focus moved: an application routes a key it takes after moving its own focus to the new
        window itself (xkeys.py). No character is named: the text may be a secret."""
        if typed == 0:
            return taken
        if self._keyboard.paced:
            note = KEY_IN_FLIGHT
        else:
            note = ("the keys typed before may have reached the window the focus moved to: their "
                    "application does not say when it takes a key")
        return InputTaken(f"{taken}; {note}", details=taken.details)

    def _chord(self, gui, keys: tuple[str, ...]) -> None:
        xdotool = self._xdotool
        if len(keys) == 1 or xdotool is None:
            gui.hotkey(*(_PYAUTOGUI_KEYS.get(k, k) for k in keys), interval=0.03)
            return
        self._run_xdotool(xdotool, "key", "--delay", "30", "+".join(xdotool_key(k) for k in keys))

    def _run_xdotool(self, xdotool: str, *args: str) -> None:
        result = subprocess.run([xdotool, *args], capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise ActionError(f"xdotool {args[0]} failed: {result.stderr.strip()}")

    def _launch(self, argv: tuple[str, ...]) -> None:
        output = self._launch_output.open("ab") if self._launch_output else None
        log = subprocess.DEVNULL if output is None else output
        try:
            self._launched.append(subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=log,
                                                   stderr=log, start_new_session=True))
        except OSError as exc:
            raise ActionError(f"cannot launch {argv[0]!r}: {exc.strerror or exc}") from exc
        finally:
            if output is not None:
                output.close()
