"""Capturing a person's real mouse and keyboard input, with the screen as it was before each press.

`InputRecorder` listens with pynput (X RECORD on X11, so it also sees xdotool's XTest input) while a
snapshot thread grabs the whole screen, the window list and the focused window about every
`interval_s`, keeping only the newest few. Each `MousePress`, `WheelScroll` and `KeyDown` carries the
newest snapshot finished strictly before the event reached the listener. The stop hotkey ends the
recording, and its own key presses are left out of `events()`.

Guaranteed: events are kept in the order the listeners delivered them; `stop()` returns in bounded time
and leaves no thread running; key characters are never logged. A `KeyDown` that continues typing (a
character right after another character, no ctrl/alt/super held, no mouse event between) carries no
snapshot — `synthesize` only uses a typing run's first — so a long text does not hold one screenshot
per key. Not guaranteed: that a snapshot shows the screen to the millisecond (it is up to `interval_s`
old, and event times are taken when the listener thread sees the event); keys outside the step
language (media keys, F13+, AltGr itself) are not recorded; with `display` given, DISPLAY is set in
this process's environment while the listeners connect (pynput has no display parameter).
"""
from __future__ import annotations

import contextlib
import enum
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Protocol

from desktop_agent.core.actions import MouseButton
from desktop_agent.core.errors import AgentError, CaptureError
from desktop_agent.core.values import Frame, Point, Window
from desktop_agent.recording.events import (
    KeyDown,
    KeyUp,
    MousePress,
    MouseRelease,
    RawEvent,
    Snapshot,
    WheelScroll,
)
from desktop_agent.safety.stop import unblock_xrecord

DEFAULT_STOP_HOTKEY = "<ctrl>+<alt>+r"
_CHORD_MODIFIERS = frozenset(("ctrl", "alt", "super"))
_STARTUP_S = 5.0   # listeners must connect, and the first snapshot arrive, within this
_STOP_WAIT_S = 1.0  # per thread, when stopping
_ENV_LOCK = threading.Lock()

# pynput `Key` member names -> the step language's key names (desktop_agent.language.steps)
_SPECIAL_KEYS = {
    "alt": "alt", "alt_l": "alt", "alt_r": "alt", "ctrl": "ctrl", "ctrl_l": "ctrl", "ctrl_r": "ctrl",
    "shift": "shift", "shift_l": "shift", "shift_r": "shift", "cmd": "super", "cmd_l": "super",
    "cmd_r": "super", "enter": "enter", "tab": "tab", "esc": "escape", "backspace": "backspace",
    "delete": "delete", "insert": "insert", "space": "space", "up": "up", "down": "down",
    "left": "left", "right": "right", "home": "home", "end": "end", "page_up": "pageup",
    "page_down": "pagedown", "caps_lock": "capslock", "num_lock": "numlock",
    "print_screen": "printscreen", "pause": "pause", "menu": "menu",
    **{f"f{n}": f"f{n}" for n in range(1, 13)},
}
_ISO_LEFT_TAB = 0xFE20  # what X reports for shift+tab; pynput has no `Key` for it
_BUTTONS = {"left": MouseButton.LEFT, "right": MouseButton.RIGHT, "middle": MouseButton.MIDDLE}


class RecorderUnavailable(AgentError):
    """Global input can't be listened to here (no X display, no RECORD extension)."""


class ScreenSource(Protocol):
    def grab(self, *, allow_blank: bool = False) -> Frame: ...
    def close(self) -> None: ...


class WindowSource(Protocol):
    def list_windows(self) -> tuple[Window, ...]: ...
    def focused_window(self) -> Window | None: ...
    def close(self) -> None: ...


class _HotKey(Protocol):  # pynput.keyboard.HotKey
    def press(self, key: object) -> None: ...
    def release(self, key: object) -> None: ...


def key_name(key: object) -> tuple[str, str | None] | None:
    """A pynput key as (step-language key name, character it typed), or None for keys not recorded.
    Letters are named in lower case ("a") while the character keeps what was typed ("A")."""
    if isinstance(key, enum.Enum):  # pynput.keyboard.Key
        name = _SPECIAL_KEYS.get(key.name)
        return None if name is None else (name, " " if name == "space" else None)
    char, vk = getattr(key, "char", None), getattr(key, "vk", None)
    if isinstance(char, str) and len(char) == 1 and char.isprintable():
        return (char.lower() if char.isascii() and char.isalpha() else char), char
    if vk == _ISO_LEFT_TAB:
        return "tab", None
    return None


class InputRecorder:
    """Records real input on `display` (default: $DISPLAY) until `stop()` or the stop hotkey.

    `screen` and `windows` default to `Grabber` and `WindowLister` on `display`; they are used and
    closed only on the snapshot thread."""

    def __init__(self, *, display: str | None = None, stop_hotkey: str = DEFAULT_STOP_HOTKEY,
                 screen: ScreenSource | None = None, windows: WindowSource | None = None,
                 interval_s: float = 0.1, keep: int = 4) -> None:
        if screen is None:
            from desktop_agent.screen.capture import Grabber
            screen = Grabber(display=display)
        if windows is None:
            from desktop_agent.screen.windows import WindowLister
            windows = WindowLister(display=display)
        self.display = display
        self.stop_hotkey = stop_hotkey
        self._screen, self._windows = screen, windows
        self._interval_s = interval_s
        self._lock = threading.Lock()
        self._snapshots: deque[Snapshot] = deque(maxlen=keep)
        self._snapshot_problem: CaptureError | None = None
        self._first_snapshot = threading.Event()
        self._done = threading.Event()
        self._hotkey_pressed = threading.Event()
        self._ended = threading.Event()  # by the hotkey or by stop()
        self._events: list[RawEvent] = []
        self._recording = False
        self._held: dict[str, KeyDown] = {}  # key name -> its KeyDown, while held
        self._typing = False  # the last recorded press was a typed character
        self._hotkey: _HotKey | None = None
        self._hotkey_names: frozenset[str] = frozenset()
        self._canonical: Callable[[object], object] | None = None
        self._listeners: list = []
        self._snapper: threading.Thread | None = None

    # ------------------------------------------------------------ life cycle
    def start(self) -> None:
        """Begin recording; returns once both listeners are connected and the first snapshot exists.
        Raises `RecorderUnavailable` or `CaptureError` (and has stopped everything) otherwise."""
        if self._snapper is not None:
            raise RuntimeError("an InputRecorder records once; make a new one")
        self._snapper = threading.Thread(target=self._snap_loop, name="recorder snapshots", daemon=True)
        self._snapper.start()
        try:
            self._start_listeners()
            if not self._first_snapshot.wait(_STARTUP_S):
                raise CaptureError(f"no screen snapshot within {_STARTUP_S:g} s")
            if self._snapshot_problem is not None:
                raise self._snapshot_problem
        except BaseException:
            self.stop()
            raise
        with self._lock:
            self._recording = True

    def stop(self) -> None:
        """Stop recording and release every thread (each joined with a timeout). Safe to call twice."""
        with self._lock:
            self._recording = False
        self._ended.set()
        self._done.set()
        listeners, self._listeners = self._listeners, []
        for listener in listeners:
            if getattr(listener, "_ready", False):  # pynput's stop() waits forever for one never ready
                listener.stop()
                unblock_xrecord(listener, self.display)
        for listener in listeners:
            listener.join(_STOP_WAIT_S)
        if self._snapper is not None:
            self._snapper.join(_STOP_WAIT_S + self._interval_s)

    def wait(self, timeout_s: float) -> bool:
        """Wait up to `timeout_s` for the recording to end; True (and everything stopped) if the stop
        hotkey ended it, False on timeout or after `stop()`."""
        if not self._ended.wait(timeout_s) or not self._hotkey_pressed.is_set():
            return False
        self.stop()
        return True

    @property
    def stopped_by_hotkey(self) -> bool:
        return self._hotkey_pressed.is_set()

    def events(self) -> list[RawEvent]:
        """The raw events so far, in order (without the stop hotkey's own presses)."""
        with self._lock:
            return list(self._events)

    def __enter__(self) -> InputRecorder:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    def _start_listeners(self) -> None:
        with _display_env(self.display):
            try:
                from pynput import keyboard, mouse  # lazy: importing connects to the display
            except ImportError as exc:  # pynput's way of saying "no usable display"
                raise RecorderUnavailable(f"no global input hook: {str(exc).splitlines()[0]}") from exc
            hotkey_keys = keyboard.HotKey.parse(self.stop_hotkey)
            self._hotkey_names = frozenset(n[0] for n in map(key_name, hotkey_keys) if n is not None)
            self._hotkey = keyboard.HotKey(hotkey_keys, self._hotkey_pressed.set)
            keys = keyboard.Listener(on_press=self._on_press, on_release=self._on_release)
            self._canonical = keys.canonical
            buttons = mouse.Listener(on_click=self._on_click, on_scroll=self._on_scroll)
            for listener in (keys, buttons):
                listener.start()
                self._listeners.append(listener)
                if not _ready(listener, _STARTUP_S):
                    raise RecorderUnavailable("the input listener could not start (no X RECORD extension?)")

    # ------------------------------------------------------------ snapshots (snapshot thread)
    def _snap_loop(self) -> None:
        try:
            while not self._done.is_set():
                try:
                    frame = self._screen.grab(allow_blank=True)
                    windows, focused = self._windows.list_windows(), self._windows.focused_window()
                except CaptureError as exc:
                    self._snapshot_problem = exc
                else:
                    snapshot = Snapshot(frame=frame, windows=windows, focused=focused, time=time.monotonic())
                    with self._lock:
                        self._snapshots.append(snapshot)
                    self._snapshot_problem = None
                self._first_snapshot.set()
                self._done.wait(self._interval_s)
        finally:
            self._screen.close()
            self._windows.close()

    def _before(self, now: float) -> Snapshot | None:
        return next((s for s in reversed(self._snapshots) if s.time < now), None)

    # ------------------------------------------------------------ input (listener threads)
    def _on_click(self, x: int, y: int, button: object, pressed: bool, _injected: bool = False) -> None:
        ours = _BUTTONS.get(getattr(button, "name", ""))
        if ours is None:
            return
        now, point = time.monotonic(), Point(x=int(x), y=int(y))
        with self._lock:
            if not self._recording:
                return
            if pressed:
                self._typing = False
                self._events.append(MousePress(point=point, button=ours, time=now, before=self._before(now)))
            else:
                self._events.append(MouseRelease(point=point, button=ours, time=now))

    def _on_scroll(self, x: int, y: int, _dx: int, dy: int, _injected: bool = False) -> None:
        if dy == 0:  # horizontal scrolling has no step
            return
        now = time.monotonic()
        with self._lock:
            if self._recording:
                self._typing = False
                self._events.append(WheelScroll(point=Point(x=int(x), y=int(y)), clicks=int(dy), time=now,
                                                before=self._before(now)))

    def _on_press(self, key: object, _injected: bool = False) -> None:
        now, named = time.monotonic(), key_name(key)
        with self._lock:
            if not self._recording:
                return
            if named is not None:
                self._key_down(*named, now)
            assert self._hotkey is not None and self._canonical is not None  # set before recording starts
            if key is not None:
                self._hotkey.press(self._canonical(key))
            if self._hotkey_pressed.is_set():
                self._drop_hotkey_presses()
                self._recording = False
                self._ended.set()

    def _on_release(self, key: object, _injected: bool = False) -> None:
        now, named = time.monotonic(), key_name(key)
        with self._lock:
            if not self._recording:
                return
            assert self._hotkey is not None and self._canonical is not None  # set before recording starts
            if key is not None:
                self._hotkey.release(self._canonical(key))
            if named is not None:
                self._held.pop(named[0], None)
                self._events.append(KeyUp(key=named[0], time=now))

    def _key_down(self, name: str, char: str | None, now: float) -> None:
        typed = char is not None and not _CHORD_MODIFIERS & self._held.keys()
        continues = typed and self._typing
        if name != "shift":  # shift doesn't interrupt typing
            self._typing = typed
        event = KeyDown(key=name, char=char, time=now, before=None if continues else self._before(now))
        self._held[name] = event
        self._events.append(event)

    def _drop_hotkey_presses(self) -> None:
        # Only the trailing run of held hotkey keys: a ctrl held since an earlier ctrl+s stays.
        while self._events:
            last = self._events[-1]
            if not (isinstance(last, KeyDown) and last.key in self._hotkey_names
                    and self._held.get(last.key) is last):
                return
            self._events.pop()


@contextlib.contextmanager
def _display_env(display: str | None) -> Iterator[None]:
    if display is None:
        yield
        return
    with _ENV_LOCK:
        previous = os.environ.get("DISPLAY")
        os.environ["DISPLAY"] = display
        try:
            yield
        finally:
            if previous is None:
                del os.environ["DISPLAY"]
            else:
                os.environ["DISPLAY"] = previous


def _ready(listener: threading.Thread, timeout_s: float) -> bool:
    """Whether the listener opened its X connections within `timeout_s`. pynput's own `wait()` blocks
    forever when the thread dies first, so poll its ready flag (pynput 1.8 internals) instead."""
    deadline = time.monotonic() + timeout_s
    while not getattr(listener, "_ready", False):
        if not listener.is_alive() or time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
