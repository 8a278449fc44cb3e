"""The recorder's input side on a real X server: xdotool input -> InputRecorder -> synthesize."""
from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from desktop_agent.core.values import Point, Rect
from desktop_agent.language.steps import KNOWN_KEYS
from desktop_agent.recording.events import RecordedChord, RecordedClick, RecordedDrag, RecordedTyping
from desktop_agent.recording.listener import InputRecorder, key_name
from desktop_agent.recording.synthesize import synthesize

pytestmark = pytest.mark.e2e

SCREEN = Rect(left=0, top=0, width=1920, height=1080)
PAUSE_S = 0.25


@pytest.fixture(scope="module", autouse=True)
def display_kept_up(xdisplay: str) -> Iterator[None]:
    """Xvfb resets when its last client leaves and refuses connections meanwhile; here the recorder is
    the only client, so hold one connection for the module to keep fixtures from hitting a reset."""
    from Xlib import display

    connection = display.Display(xdisplay)
    yield
    connection.close()


def test_real_input_becomes_clicks_typing_chords_and_a_drag(desktop) -> None:
    def do(*args: str) -> None:
        desktop.xdotool(*args)
        time.sleep(PAUSE_S)

    with InputRecorder(display=desktop.display) as recorder:
        do("mousemove", "300", "400")
        do("click", "1")
        do("type", "--delay", "30", "Hello, World!")
        do("key", "ctrl+s")
        do("key", "Return")
        do("mousemove", "500", "500")
        do("mousedown", "1")
        do("mousemove", "700", "650")
        do("mouseup", "1")
        desktop.xdotool("key", "ctrl+alt+r")
        assert recorder.wait(5.0), "the stop hotkey did not stop the recording"
    assert recorder.stopped_by_hotkey

    actions = synthesize(recorder.events())
    assert [_plain(a) for a in actions] == [
        ("click", Point(x=300, y=400), 1), ("typing", "Hello, World!"), ("chord", ("ctrl", "s")),
        ("chord", ("enter",)), ("drag", Point(x=500, y=500), Point(x=700, y=650))]
    for action in actions:
        if not isinstance(action, RecordedChord):
            assert action.before.frame.region == SCREEN
            assert action.before.frame.image.shape == (SCREEN.height, SCREEN.width, 3)
    times = [e.time for e in recorder.events()]
    assert times == sorted(times)
    assert all(e.before.time < e.time for e in recorder.events() if getattr(e, "before", None) is not None)


def test_other_hotkeys_are_recorded_and_stop_is_prompt(desktop) -> None:
    recorder = InputRecorder(display=desktop.display, stop_hotkey="<ctrl>+<alt>+q")
    recorder.start()
    try:
        assert recorder.wait(0.3) is False
        desktop.xdotool("key", "ctrl+alt+r")  # not this recorder's hotkey: recorded like any chord
        assert recorder.wait(0.5) is False
    finally:
        started = time.monotonic()
        recorder.stop()
    assert time.monotonic() - started < 3.0
    assert synthesize(recorder.events()) == [RecordedChord(keys=("ctrl", "alt", "r"))]


def test_pynput_keys_get_the_step_languages_names(desktop, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISPLAY", desktop.display)
    from pynput.keyboard import Key, KeyCode

    assert key_name(Key.ctrl_r) == ("ctrl", None)
    assert key_name(Key.cmd) == ("super", None)
    assert key_name(Key.esc) == ("escape", None)
    assert key_name(Key.page_down) == ("pagedown", None)
    assert key_name(Key.space) == ("space", " ")
    assert key_name(KeyCode.from_char("A")) == ("a", "A")
    assert key_name(KeyCode.from_char("!")) == ("!", "!")
    assert key_name(KeyCode.from_vk(0xFE20)) == ("tab", None)  # shift+tab on X
    assert key_name(Key.alt_gr) is None and key_name(Key.f13) is None
    named = [key_name(key) for key in Key]
    assert {n[0] for n in named if n is not None} <= KNOWN_KEYS


def _plain(action) -> tuple:
    match action:
        case RecordedClick():
            return ("click", action.point, action.count)
        case RecordedTyping():
            return ("typing", action.text)
        case RecordedChord():
            return ("chord", action.keys)
        case RecordedDrag():
            return ("drag", action.start, action.end)
    return ("other", action)
