"""`synthesize`: raw input sequences -> the recorded actions they add up to."""
from __future__ import annotations

import numpy as np

from desktop_agent.core.actions import MouseButton
from desktop_agent.core.values import Frame, Point, Rect
from desktop_agent.recording.events import (
    KeyDown,
    KeyUp,
    MousePress,
    MouseRelease,
    RecordedChord,
    RecordedClick,
    RecordedDrag,
    RecordedScroll,
    RecordedTyping,
    Snapshot,
    WheelScroll,
)
from desktop_agent.recording.synthesize import synthesize


def snap(t: float) -> Snapshot:
    frame = Frame(image=np.zeros((8, 8, 3), np.uint8), region=Rect(left=0, top=0, width=8, height=8))
    return Snapshot(frame=frame, windows=(), focused=None, time=t)


S1, S2, S3 = snap(1.0), snap(2.0), snap(3.0)
LEFT, RIGHT = MouseButton.LEFT, MouseButton.RIGHT


def click(x: int, y: int, t: float, before: Snapshot | None = S1, button: MouseButton = LEFT,
          to: tuple[int, int] | None = None) -> list:
    end = Point(x=to[0], y=to[1]) if to else Point(x=x, y=y)
    return [MousePress(point=Point(x=x, y=y), button=button, time=t, before=before),
            MouseRelease(point=end, button=button, time=t + 0.05)]


def down(key: str, t: float, char: str | None = None, before: Snapshot | None = None) -> KeyDown:
    return KeyDown(key=key, char=char, time=t, before=before)


def typed(text: str, t: float, before: Snapshot = S1) -> list:
    """Key presses for `text`, shift held around capitals; only the first key carries a snapshot."""
    events: list = []
    for i, ch in enumerate(text):
        at, snapshot = t + i * 0.1, before if i == 0 else None
        name = "space" if ch == " " else ch.lower()
        if ch.isupper():
            events += [down("shift", at), down(name, at, ch, snapshot), KeyUp(key=name, time=at),
                       KeyUp(key="shift", time=at)]
        else:
            events += [down(name, at, ch, snapshot), KeyUp(key=name, time=at)]
    return events


def chord(*keys: str, t: float) -> list:
    return ([down(k, t, k if len(k) == 1 else None) for k in keys]
            + [KeyUp(key=k, time=t) for k in reversed(keys)])


def test_press_and_release_in_place_is_a_click_with_the_press_snapshot() -> None:
    actions = synthesize(click(100, 200, 1.0, to=(103, 204)))
    assert actions == [RecordedClick(point=Point(x=100, y=200), before=S1)]
    assert actions[0].before is S1


def test_right_click_keeps_its_button() -> None:
    assert synthesize(click(5, 5, 1.0, button=RIGHT)) == [
        RecordedClick(point=Point(x=5, y=5), before=S1, button=RIGHT)]


def test_fast_left_clicks_in_place_merge_into_double_and_triple_clicks() -> None:
    double = synthesize(click(50, 50, 1.0) + click(51, 50, 1.3, before=S2))
    assert double == [RecordedClick(point=Point(x=50, y=50), before=S1, count=2)]
    triple = synthesize(click(50, 50, 1.0) + click(51, 50, 1.3) + click(50, 51, 1.6))
    assert [a.count for a in triple] == [3]
    four = synthesize(click(50, 50, 1.0) + click(50, 50, 1.3) + click(50, 50, 1.6) + click(50, 50, 1.9))
    assert [a.count for a in four] == [3, 1]


def test_slow_far_or_right_clicks_stay_separate() -> None:
    assert [a.count for a in synthesize(click(50, 50, 1.0) + click(50, 50, 1.5))] == [1, 1]
    assert [a.count for a in synthesize(click(50, 50, 1.0) + click(80, 50, 1.2))] == [1, 1]
    right = synthesize(click(50, 50, 1.0, button=RIGHT) + click(50, 50, 1.2, button=RIGHT))
    assert [a.count for a in right] == [1, 1]


def test_press_and_release_apart_is_a_drag() -> None:
    assert synthesize(click(10, 10, 1.0, to=(300, 40))) == [
        RecordedDrag(start=Point(x=10, y=10), end=Point(x=300, y=40), before=S1)]


def test_press_without_release_or_without_snapshot_is_dropped() -> None:
    assert synthesize([MousePress(point=Point(x=1, y=1), button=LEFT, time=1.0, before=S1)]) == []
    assert synthesize(click(10, 10, 1.0, before=None)) == []
    assert synthesize([MouseRelease(point=Point(x=1, y=1), button=LEFT, time=1.0)]) == []


def test_wheel_notches_in_place_sum_into_one_scroll() -> None:
    wheel = [WheelScroll(point=Point(x=400, y=300), clicks=-1, time=1.0, before=S1),
             WheelScroll(point=Point(x=402, y=301), clicks=-1, time=1.1, before=S2),
             WheelScroll(point=Point(x=401, y=300), clicks=-1, time=5.0, before=S3)]
    assert synthesize(wheel) == [RecordedScroll(point=Point(x=400, y=300), clicks=-3, before=S1)]


def test_scrolls_elsewhere_or_the_other_way_are_new_scrolls() -> None:
    wheel = [WheelScroll(point=Point(x=400, y=300), clicks=-1, time=1.0, before=S1),
             WheelScroll(point=Point(x=400, y=300), clicks=2, time=1.1, before=S2),
             WheelScroll(point=Point(x=900, y=300), clicks=1, time=1.2, before=S3)]
    assert [(a.clicks, a.before) for a in synthesize(wheel)] == [(-1, S1), (2, S2), (1, S3)]


def test_printable_keys_with_shift_merge_into_typing_with_the_first_snapshot() -> None:
    assert synthesize(typed("Hello, World!", 1.0, before=S2)) == [
        RecordedTyping(text="Hello, World!", before=S2)]


def test_backspace_edits_the_run_and_on_an_empty_run_is_a_chord() -> None:
    edited = typed("cat", 1.0) + chord("backspace", t=2.0) + typed("r", 2.1, before=S2)
    assert synthesize(edited) == [RecordedTyping(text="car", before=S1)]
    emptied = (typed("a", 1.0) + chord("backspace", t=2.0) + chord("backspace", t=2.1)
               + typed("b", 2.2, before=S2))
    assert synthesize(emptied) == [RecordedChord(keys=("backspace",)), RecordedTyping(text="b", before=S2)]


def test_modified_and_special_keys_are_chords_modifiers_first_in_order() -> None:
    events = (chord("ctrl", "s", t=1.0) + chord("enter", t=1.1) + chord("shift", "alt", "ctrl", "t", t=1.2)
              + chord("shift", "tab", t=1.3) + chord("super", "e", t=1.4) + chord("f5", t=1.5))
    assert synthesize(events) == [RecordedChord(keys=("ctrl", "s")), RecordedChord(keys=("enter",)),
                                  RecordedChord(keys=("ctrl", "alt", "shift", "t")),
                                  RecordedChord(keys=("shift", "tab")), RecordedChord(keys=("super", "e")),
                                  RecordedChord(keys=("f5",))]


def test_modifiers_alone_and_pauses_leave_nothing() -> None:
    assert synthesize(chord("ctrl", t=1.0) + chord("shift", t=9.0) + chord("alt", t=20.0)) == []


def test_a_chord_or_a_click_ends_the_typing_run() -> None:
    events = (typed("ab", 1.0) + chord("ctrl", "a", t=2.0) + typed("cd", 3.0, before=S2)
              + click(10, 10, 4.0, before=S3) + typed("e", 5.0, before=S3))
    assert synthesize(events) == [RecordedTyping(text="ab", before=S1), RecordedChord(keys=("ctrl", "a")),
                                  RecordedTyping(text="cd", before=S2),
                                  RecordedClick(point=Point(x=10, y=10), before=S3),
                                  RecordedTyping(text="e", before=S3)]


def test_space_types_and_ctrl_space_is_a_chord() -> None:
    events = typed("a b", 1.0) + [down("ctrl", 2.0), down("space", 2.0, " "), KeyUp(key="space", time=2.0)]
    assert synthesize(events) == [RecordedTyping(text="a b", before=S1),
                                  RecordedChord(keys=("ctrl", "space"))]
