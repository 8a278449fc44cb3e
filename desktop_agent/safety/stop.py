"""The brake: a thread-safe stop token and a global hotkey that pulls it.

Guaranteed: once requested, a token stays requested and keeps its first reason. A `StopScope` stops only
what runs inside it (one MCP call's step, whose client went away): while it is entered and requested,
the token reads as requested with the scope's reason — every check and wait of the run sees it — and
once it is left the token reads as before; `pulled` is the run's own brake alone. Not guaranteed: that
the hotkey works everywhere — it needs an X display with the RECORD extension (pynput);
`StopHotkey.start` returns False and sets `problem` when it can't listen, and the run goes on with the
other brakes (fail-safe corner, Stop button, Ctrl+C).
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType

from desktop_agent.core.errors import StopRequested
from desktop_agent.core.values import Point, Rect

_STOP_WAIT_S = 1.0
FAIL_SAFE_MARGIN = 2  # points from a screen corner that count as "in the corner"
_STARTUP_GRACE_S = 0.2  # a listener that can't reach the display dies within this

STOP_HOTKEY = "<ctrl>+<alt>+q"  # the default global stop hotkey (CLI, app and demo)


class StopToken:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._reason: str | None = None  # the run's brake
        self._scope: StopScope | None = None

    def request(self, reason: str) -> None:
        """Pull the run's brake."""
        with self._changed:
            if self._reason is None:
                self._reason = reason
                self._changed.notify_all()

    def scope(self) -> StopScope:
        """A stop for what runs inside one `with` of it (on the run's thread), requested from anywhere —
        also before it is entered, then it stops at its first check."""
        return StopScope(self)

    @property
    def pulled(self) -> bool:
        """Whether the run's own brake was pulled (a scope's stop is not)."""
        with self._changed:
            return self._reason is not None

    @property
    def requested(self) -> bool:
        with self._changed:
            return self._stopping() is not None

    @property
    def reason(self) -> str:
        with self._changed:
            return self._stopping() or ""

    def wait(self, timeout_s: float) -> bool:
        """Sleep up to `timeout_s`, waking early on a stop; returns whether a stop was requested."""
        with self._changed:
            return self._changed.wait_for(lambda: self._stopping() is not None, timeout_s)

    def raise_if_requested(self) -> None:
        with self._changed:
            reason = self._stopping()
        if reason is not None:
            raise StopRequested(f"stopped: {reason}", details={"reason": reason})

    def _stopping(self) -> str | None:  # with the lock held
        if self._reason is not None:
            return self._reason
        return self._scope.reason if self._scope is not None else None


class StopScope:
    """See `StopToken.scope`. One scope is entered at a time; once requested it stays requested."""

    def __init__(self, token: StopToken) -> None:
        self._token = token
        self.reason: str | None = None

    def request(self, reason: str) -> None:
        with self._token._changed:
            if self.reason is None:
                self.reason = reason
                self._token._changed.notify_all()

    def __enter__(self) -> StopScope:
        with self._token._changed:
            if self._token._scope is not None:
                raise RuntimeError("a stop scope is already entered on this token")
            self._token._scope = self
        return self

    def __exit__(self, *_exc: object) -> None:
        with self._token._changed:
            self._token._scope = None


def near_corner(pointer: Point, bounds: Rect) -> bool:
    corners = ((bounds.left, bounds.top), (bounds.right - 1, bounds.top),
               (bounds.left, bounds.bottom - 1), (bounds.right - 1, bounds.bottom - 1))
    return any(abs(pointer.x - x) <= FAIL_SAFE_MARGIN and abs(pointer.y - y) <= FAIL_SAFE_MARGIN
               for x, y in corners)


class CornerWatch:
    """The fail-safe between actions: polls the pointer and requests a stop the moment a person pushes
    it into a screen corner — also while the agent waits, not only when it next acts (the guard checks
    again before every operation). `pointer` is called on the watch thread."""

    def __init__(self, token: StopToken, *, pointer: Callable[[], Point], bounds: Rect,
                 interval_s: float = 0.05) -> None:
        self.token = token
        self._pointer = pointer
        self._bounds = bounds
        self._interval_s = interval_s
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._watch, name="fail-safe corner watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join(_STOP_WAIT_S)
            self._thread = None

    def __enter__(self) -> CornerWatch:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _watch(self) -> None:
        while not self._done.wait(self._interval_s):
            if near_corner(self._pointer(), self._bounds):
                self.token.request("fail-safe: pointer in a screen corner")
                return


class StopHotkey:
    """Requests a stop on `token` when `combo` (pynput syntax) is pressed anywhere on the desktop."""

    def __init__(self, token: StopToken, combo: str = STOP_HOTKEY) -> None:
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
            unblock_xrecord(self._listener)
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


def unblock_xrecord(listener: object, display: str | None = None) -> None:
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
        connection = xdisplay.Display(display)
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
