"""Settling after an action, on scripted captures and a fake clock (no display, no real waiting)."""
import numpy as np
import pytest

from desktop_agent.core.values import Frame, Rect
from desktop_agent.run import verify

REGION = Rect(left=0, top=0, width=40, height=30)


def frame(shade: int, *, box: tuple[int, int, int, int] = (0, 0, 40, 30)) -> Frame:
    image = np.zeros((30, 40, 3), np.uint8)
    left, top, right, bottom = box
    image[top:bottom, left:right] = shade
    return Frame(image=image, region=REGION)


class Screen:
    """Shows `frames` in turn, one per capture (the last one from then on), on a clock that moves
    only when settle sleeps."""

    def __init__(self, monkeypatch, frames: list[Frame]) -> None:
        self.frames, self.grabs, self.now = frames, 0, 0.0
        monkeypatch.setattr(verify.time, "monotonic", lambda: self.now)
        monkeypatch.setattr(verify.time, "sleep", self._sleep)

    def _sleep(self, seconds: float) -> None:
        self.now += seconds

    def grab(self, _region: Rect | None) -> Frame:
        shown = self.frames[min(self.grabs, len(self.frames) - 1)]
        self.grabs += 1
        return shown


BEFORE = frame(0)
PRESSED = frame(90, box=(0, 0, 20, 15))   # the first half of the reaction (a button drawn pressed)
DONE = frame(200, box=(0, 0, 40, 15))     # what the app finally shows


def test_a_late_reaction_is_seen_within_a_few_milliseconds_and_then_watched_until_still(monkeypatch):
    screen = Screen(monkeypatch, [BEFORE, BEFORE, BEFORE, DONE])
    settled = verify.settle(screen.grab, BEFORE)
    assert (settled.changed, settled.stable) == (True, True)
    assert settled.frame is DONE
    assert settled.elapsed_ms == pytest.approx(3 * 5 + 30, abs=5)  # seen on the third look, then still for 30 ms


def test_a_reaction_drawn_in_two_stages_is_not_taken_for_still_half_way(monkeypatch):
    screen = Screen(monkeypatch, [BEFORE, BEFORE, PRESSED, PRESSED, PRESSED, DONE])
    settled = verify.settle(screen.grab, BEFORE)
    assert settled.frame is DONE and settled.stable
    assert settled.elapsed_ms == pytest.approx(5 * 5 + 30, abs=5)  # still for 30 ms from DONE on, not PRESSED


def test_no_reaction_settles_unchanged_after_the_reaction_time(monkeypatch):
    screen = Screen(monkeypatch, [BEFORE])
    settled = verify.settle(screen.grab, BEFORE, react_s=0.1)
    assert (settled.changed, settled.stable) == (False, True)
    assert 100 <= settled.elapsed_ms < 110


def test_a_screen_that_never_holds_still_gives_up_at_the_timeout_unstable(monkeypatch):
    screen = Screen(monkeypatch, [BEFORE] + [frame(40 + 60 * (i % 2), box=(0, 0, 40, 20)) for i in range(200)])
    settled = verify.settle(screen.grab, BEFORE, timeout_s=0.5)
    assert (settled.changed, settled.stable) == (True, False)
    assert settled.elapsed_ms >= 500
