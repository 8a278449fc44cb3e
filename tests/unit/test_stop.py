from __future__ import annotations

import sys
import threading

import pytest

from desktop_agent.core.errors import StopRequested
from desktop_agent.safety.stop import StopHotkey, StopToken


def test_stop_token_keeps_the_first_reason_and_raises():
    token = StopToken()
    token.raise_if_requested()
    assert not token.requested and token.reason == ""
    token.request("fail-safe")
    token.request("hotkey")
    assert token.requested and token.reason == "fail-safe"
    with pytest.raises(StopRequested, match="fail-safe"):
        token.raise_if_requested()


def test_stop_token_wakes_a_waiter_from_another_thread():
    token = StopToken()
    thread = threading.Timer(0.05, token.request, args=("Stop button",))
    thread.start()
    assert token.wait(5.0)
    thread.join()


def test_stop_hotkey_reports_unavailable_without_a_display(monkeypatch):
    monkeypatch.setenv("DISPLAY", "not-a-display")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    for name in [m for m in sys.modules if m == "pynput" or m.startswith("pynput.")]:
        monkeypatch.delitem(sys.modules, name)
    token = StopToken()
    with StopHotkey(token) as hotkey:
        assert not hotkey.listening
        assert hotkey.problem
    assert hotkey.start() is False
    assert not token.requested


def test_corner_watch_stops_when_the_pointer_reaches_a_corner():
    import time

    from desktop_agent.core.values import Point, Rect
    from desktop_agent.safety.stop import CornerWatch

    positions = iter([Point(x=500, y=500)] * 3 + [Point(x=1919, y=1)] * 100)
    token = StopToken()
    with CornerWatch(token, pointer=lambda: next(positions), bounds=Rect(left=0, top=0, width=1920,
                                                                            height=1080), interval_s=0.01):
        deadline = time.monotonic() + 2
        while not token.requested and time.monotonic() < deadline:
            time.sleep(0.01)
    assert token.requested and "fail-safe" in token.reason


def test_a_scope_stops_what_runs_inside_it_and_leaves_the_run_going():
    token = StopToken()
    first = token.scope()
    first.request("the client went away")  # before it is entered: it stops at its first check
    first.request("again")
    assert not token.requested
    with first:
        assert token.requested and token.reason == "the client went away" and not token.pulled
        assert token.wait(0.0)
        with pytest.raises(StopRequested, match="the client went away"):
            token.raise_if_requested()
        with pytest.raises(RuntimeError):
            token.scope().__enter__()  # one at a time
    assert not token.requested and token.reason == ""
    token.raise_if_requested()
    first.request("late")  # left: it stops nothing any more
    assert not token.requested


def test_a_scope_wakes_a_waiter_and_the_brake_still_wins():
    token = StopToken()
    scope = token.scope()
    with scope:
        thread = threading.Timer(0.05, scope.request, args=("client gone",))
        thread.start()
        assert token.wait(5.0) and token.reason == "client gone"
        thread.join()
        token.request("stop hotkey")
        assert token.reason == "stop hotkey" and token.pulled
    assert token.requested and token.reason == "stop hotkey"  # the brake outlives the scope
