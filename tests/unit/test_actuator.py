"""The real actuator's typing, with the keyboard and xdotool replaced by recorders (no display needed)."""
import threading
import time
from types import SimpleNamespace

import pytest

from desktop_agent.act import actuator as actuator_module
from desktop_agent.act.actuator import KEY_IN_FLIGHT, DesktopActuator
from desktop_agent.core.actions import KeyText
from desktop_agent.core.errors import InputTaken, StopRequested
from desktop_agent.core.values import Rect
from desktop_agent.safety.stop import StopToken

SCREEN = Rect(left=0, top=0, width=1920, height=1080)


class FakeKeyboard:
    """Stands in for XTEST typing: takes as long as a key at 8 ms; `missing` are off the keymap; the
    key `taken_at` (an index) finds the focus moved; keys go at the application's pace when `paced`."""

    def __init__(self, missing: str = "", *, taken_at: int | None = None, paced: bool = True) -> None:
        self.typed: list[str] = []
        self.into: list[int | None] = []
        self.missing = missing
        self.taken_at = taken_at
        self.paced = paced
        self.calls: list[str] = []

    def type_char(self, char: str, *, into: int | None = None) -> bool:
        if char in self.missing:
            return False
        if len(self.typed) == self.taken_at:
            raise InputTaken("stopped typing: another window took the keyboard focus")
        self.calls.append("key")
        self.typed.append(char)
        self.into.append(into)
        time.sleep(0.008)
        return True

    def await_taken(self) -> None:
        self.calls.append("await")


class FakeXdotool:
    """Stands in for `subprocess.run([xdotool, ...])`: records the text of each call."""

    def __init__(self) -> None:
        self.typed: list[str] = []

    def __call__(self, argv, **_kwargs):
        self.typed.append(argv[-1])
        return SimpleNamespace(returncode=0, stderr="")


@pytest.fixture
def xdotool(monkeypatch):
    fake = FakeXdotool()
    monkeypatch.setattr(actuator_module.subprocess, "run", fake)
    return fake


def make(interrupt, keyboard: FakeKeyboard, input_into=lambda: None) -> DesktopActuator:
    act = DesktopActuator(bounds=lambda: SCREEN, interrupt=interrupt, input_into=input_into, keyboard=keyboard)
    act._xdotool = "/usr/bin/xdotool"
    act._gui = SimpleNamespace(FailSafeException=RuntimeError)  # typing needs no pyautogui with xdotool
    return act


def test_every_character_is_checked_for_before_it_is_typed(xdotool):
    keyboard, checks = FakeKeyboard(missing="é"), []
    make(lambda: checks.append(len(keyboard.typed) + len(xdotool.typed)), keyboard).execute(
        KeyText(text="Hello, é World!"))
    assert "".join(keyboard.typed) == "Hello,  World!" and xdotool.typed == ["é"]  # off the keymap
    assert checks == list(range(len("Hello, é World!")))  # one check right before each character


def test_a_stop_lands_within_200_ms_mid_typing(xdotool):
    stop, keyboard = StopToken(), FakeKeyboard()
    threading.Timer(0.3, stop.request, args=("test brake",)).start()
    started = time.monotonic()
    with pytest.raises(StopRequested):
        make(stop.raise_if_requested, keyboard).execute(KeyText(text="a" * 600))  # ~4.8 s of typing
    assert time.monotonic() - started - 0.3 < 0.2
    assert 0 < len(keyboard.typed) < 120  # it stopped part-way


def test_each_key_is_sent_for_the_window_the_typing_was_allowed_into(xdotool):
    keyboard, windows = FakeKeyboard(), iter([7, 7, 9])  # the guard's answer, asked again per key
    make(lambda: None, keyboard, input_into=lambda: next(windows)).execute(KeyText(text="abc"))
    assert keyboard.into == [7, 7, 9]


def test_each_key_waits_for_the_one_before_to_be_taken_and_so_does_the_end(xdotool):
    keyboard = FakeKeyboard()
    make(lambda: keyboard.calls.append("check"), keyboard).execute(KeyText(text="ab"))
    assert keyboard.calls == ["await", "check", "key", "await", "check", "key", "await"]


def test_a_focus_move_mid_typing_says_the_key_on_its_way_may_have_followed_it(xdotool):
    with pytest.raises(InputTaken) as first:
        make(lambda: None, FakeKeyboard(taken_at=0)).execute(KeyText(text="abc"))
    assert "on its way" not in str(first.value)  # nothing was typed before
    with pytest.raises(InputTaken) as seen:
        make(lambda: None, FakeKeyboard(taken_at=2)).execute(KeyText(text="abc"))
    assert str(seen.value).endswith(KEY_IN_FLIGHT)
    with pytest.raises(InputTaken) as unseen:
        make(lambda: None, FakeKeyboard(taken_at=2, paced=False)).execute(KeyText(text="abc"))
    assert "the keys typed before may have reached" in str(unseen.value)
