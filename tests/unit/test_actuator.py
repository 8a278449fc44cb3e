"""The real actuator's typing, with xdotool replaced by a recorder (no display needed)."""
import threading
import time
from types import SimpleNamespace

import pytest

from desktop_agent import actuator as actuator_module
from desktop_agent.actions import KeyText
from desktop_agent.actuator import DesktopActuator
from desktop_agent.errors import StopRequested
from desktop_agent.stop import StopToken
from desktop_agent.types import Rect

SCREEN = Rect(left=0, top=0, width=1920, height=1080)


class FakeXdotool:
    """Stands in for `subprocess.run([xdotool, ...])`: records the text of each call and takes as long
    as xdotool would at 8 ms a key."""

    def __init__(self) -> None:
        self.typed: list[str] = []

    def __call__(self, argv, **_kwargs):
        text = argv[-1]
        self.typed.append(text)
        time.sleep(0.008 * len(text))

        class Done:
            returncode, stderr = 0, ""

        return Done()


@pytest.fixture
def xdotool(monkeypatch):
    fake = FakeXdotool()
    monkeypatch.setattr(actuator_module.subprocess, "run", fake)
    return fake


def make(stop: StopToken) -> DesktopActuator:
    act = DesktopActuator(bounds=lambda: SCREEN, interrupt=stop.raise_if_requested)
    act._xdotool = "/usr/bin/xdotool"
    act._gui = SimpleNamespace(FailSafeException=RuntimeError)  # typing needs no pyautogui with xdotool
    return act


def test_text_is_typed_in_short_runs_in_order(xdotool):
    make(StopToken()).execute(KeyText(text="Hello, World! " * 3))
    assert "".join(xdotool.typed) == "Hello, World! " * 3
    assert max(len(run) for run in xdotool.typed) <= 12


def test_a_stop_lands_within_200_ms_mid_typing(xdotool):
    stop = StopToken()
    long_text = "a" * 600  # ~4.8 s of typing
    threading.Timer(0.3, stop.request, args=("test brake",)).start()
    started = time.monotonic()
    with pytest.raises(StopRequested):
        make(stop).execute(KeyText(text=long_text))
    stopped_after = time.monotonic() - started - 0.3
    assert stopped_after < 0.2
    assert 0 < len("".join(xdotool.typed)) < 120  # it stopped part-way
