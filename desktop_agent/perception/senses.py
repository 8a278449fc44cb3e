"""Seeing the desktop: capture + window list + perception, timed, with the agent's own windows skipped.

Guarantee: a `Look` never contains elements read from the agent's own windows (they are not perceived
and they hide what lies under them), and its frame passed the blank-capture check unless the caller
allowed a blank one (observing after an action that closed the last window).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from desktop_agent.core.values import Frame, OwnWindows, Point, Rect, Screen, Window
from desktop_agent.perception.perceiver import Perceiver
from desktop_agent.screen.capture import Grabber
from desktop_agent.screen.windows import WindowLister


@dataclass(frozen=True, slots=True, kw_only=True)
class Look:
    screen: Screen
    capture_ms: float
    perceive_ms: float


class Senses:
    def __init__(self, *, grabber: Grabber, windows: WindowLister, perceiver: Perceiver,
                 own: OwnWindows | None = None) -> None:
        self.grabber = grabber
        self.windows = windows
        self.perceiver = perceiver
        self.own = own or OwnWindows.of_this_process()

    def grab(self, region: Rect | None = None, *, allow_blank: bool = False) -> Frame:
        return self.grabber.grab(region, allow_blank=allow_blank)

    def list_windows(self) -> tuple[Window, ...]:
        return self.windows.list_windows()

    def focused_window(self, *, follow_pointer: bool = True) -> Window | None:
        return self.windows.focused_window(follow_pointer=follow_pointer)

    def pointer(self) -> Point:
        return self.windows.pointer()

    def holds_focus(self, accessible: str) -> bool | None:
        """Whether the element with this accessibility handle holds the keyboard focus, as its
        application says; None without a tree, or when it doesn't answer within 200 ms."""
        tree = self.perceiver.accessibility
        return None if tree is None else tree.focused(accessible, budget_s=0.2)

    def look(self, *, allow_blank: bool = False, read: bool = True) -> Look:
        """`allow_blank`: accept a blank capture (to observe after acting, never to act on); without
        `read`, a glance: nothing is perceived (for a check that needs only pixels and windows)."""
        started = time.perf_counter()
        frame = self.grabber.grab(allow_blank=allow_blank)
        windows = self.windows.list_windows()
        captured = time.perf_counter()
        if not read:
            return Look(screen=Screen(frame=frame, elements=(), windows=tuple(windows)),
                        capture_ms=(captured - started) * 1000, perceive_ms=0.0)
        skip = frozenset(w.id for w in windows if self.own.owns(w))
        screen = self.perceiver.perceive(frame, windows, skip=skip)
        done = time.perf_counter()
        return Look(screen=screen, capture_ms=(captured - started) * 1000,
                    perceive_ms=(done - captured) * 1000)
