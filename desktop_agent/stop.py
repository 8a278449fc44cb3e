"""The brake: a thread-safe stop token and a global hotkey that pulls it.

Guaranteed: once requested, a token stays requested and keeps its first reason. Not guaranteed: that the
hotkey works everywhere — it needs an X display with the RECORD extension (pynput); `StopHotkey.start`
returns False and sets `problem` when it can't listen, and the run goes on with the other brakes
(fail-safe corner, Stop button, Ctrl+C).
"""
from __future__ import annotations

import threading
from types import TracebackType

from desktop_agent.errors import StopRequested

_STOP_WAIT_S = 1.0
_STARTUP_GRACE_S = 0.2  # a listener that can't reach the display dies within this


class StopToken:
    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._reason = ""

    def request(self, reason: str) -> None:
        with self._lock:
            if not self._event.is_set():
                self._reason = reason
                self._event.set()

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    @property
    def reason(self) -> str:
        with self._lock:
            return self._reason

    def wait(self, timeout_s: float) -> bool:
        """Sleep up to `timeout_s`, waking early on a stop; returns whether a stop was requested."""
        return self._event.wait(timeout_s)

    def raise_if_requested(self) -> None:
        if self._event.is_set():
            reason = self.reason
            raise StopRequested(f"stopped: {reason}", details={"reason": reason})


class StopHotkey:
    """Requests a stop on `token` when `combo` (pynput syntax) is pressed anywhere on the desktop."""

    def __init__(self, token: StopToken, combo: str = "<ctrl>+<alt>+q") -> None:
        self.token = token
        self.combo = combo
        self.problem = ""
        self._listener = None

    @property
    def listening(self) -> bool:
        return self._listener is not None

    def start(self) -> bool:
        """Start listening; False (with `problem` set) when no global keyboard hook is available."""
        if self._listener is not None:
            return True
        try:
            from pynput import keyboard  # lazy: importing it connects to the display
        except ImportError as exc:  # pynput reports a missing or unusable display this way
            return self._unavailable(f"no global keyboard hook: {str(exc).splitlines()[0]}")
        listener = keyboard.GlobalHotKeys({self.combo: self._pressed})
        listener.start()
        listener.join(_STARTUP_GRACE_S)
        if not listener.is_alive():
            return self._unavailable("the keyboard listener could not start (no X RECORD extension?)")
        self._listener = listener
        self.problem = ""
        return True

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            _unblock_xrecord(self._listener)
            # Bounded: if the X server never answers, the daemon thread must not hold the run open.
            self._listener.join(_STOP_WAIT_S)
            self._listener = None

    def __enter__(self) -> StopHotkey:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    def _pressed(self) -> None:
        self.token.request(f"stop hotkey {self.combo} pressed")

    def _unavailable(self, problem: str) -> bool:
        self.problem = problem
        return False


def _unblock_xrecord(listener: object) -> None:
    """pynput (1.8.2) on X11 disables its RECORD context on the very connection its thread is blocked
    reading, so `join` waits for the next key or mouse event — forever on an idle desktop
    (moses-palmer/pynput#583). Disabling the context from a connection of our own ends it now; the
    listener's connections are its thread's alone (sharing one raced with it closing them)."""
    context = getattr(listener, "_context", None)
    if context is None or not hasattr(listener, "_display_record"):  # not X11, or never recorded
        return
    from Xlib import display as xdisplay  # only reached with pynput's X11 backend loaded
    from Xlib.error import ConnectionClosedError, DisplayError

    try:
        connection = xdisplay.Display()
    except DisplayError:
        return
    try:
        connection.set_error_handler(lambda *_: None)  # the listener may have freed the context already
        connection.record_disable_context(context)
        connection.sync()
    except ConnectionClosedError:
        pass
    finally:
        connection.close()
