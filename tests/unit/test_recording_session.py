"""save_actions: what was done to the agent's own windows is left out and its windows are not perceived;
nothing at all, or nothing a step can say, writes nothing."""
from __future__ import annotations

import re

import numpy as np
import pytest

from desktop_agent.core.values import Element, Frame, Point, Rect, Role, Screen, Window
from desktop_agent.language.task_file import read_task
from desktop_agent.perception.seen import load_seen
from desktop_agent.recording.events import (
    RecordedChord,
    RecordedClick,
    RecordedDrag,
    RecordedTyping,
    Snapshot,
)
from desktop_agent.recording.session import NothingRecorded, save_actions

OURS = 4242
APP = Window(id=1, title="Orders", wm_class="orders", box=Rect(left=0, top=0, width=400, height=300), pid=7)
INDICATOR = Window(id=2, title="recording", wm_class="desktop-agent",
                   box=Rect(left=100, top=0, width=150, height=30), pid=OURS)
OK = Element(role=Role.BUTTON, box=Rect(left=20, top=100, width=80, height=30), text="OK", window_id=1)
NAME = Element(role=Role.FIELD, box=Rect(left=20, top=200, width=200, height=28), label="Name", window_id=1)
SECRETS = re.compile("(?i)password")


def shot(focused: Window = APP) -> Snapshot:
    image = np.full((300, 400, 3), 200, np.uint8)
    return Snapshot(frame=Frame(image=image, region=Rect(left=0, top=0, width=400, height=300)),
                    windows=(APP, INDICATOR), focused=focused, time=0.0)


class Perceiver:
    def __init__(self) -> None:
        self.skipped: list[frozenset[int]] = []

    def perceive(self, frame, windows, *, skip=frozenset()) -> Screen:
        self.skipped.append(skip)
        return Screen(frame=frame, elements=(OK, NAME), windows=tuple(windows))

    def read_texts(self, image) -> list[Element]:
        return [Element(role=Role.TEXT, box=Rect(left=20, top=100, width=30, height=16), text="OK")]


def save(tmp_path, actions, perceiver=None):
    return save_actions(actions, perceiver or Perceiver(), path=tmp_path / "task.yaml", name="task",
                        secret_fields=SECRETS, own_pids=frozenset({OURS}))


def test_actions_on_the_agents_own_windows_are_left_out_and_its_windows_not_perceived(tmp_path):
    before, ours = shot(), shot(focused=INDICATOR)
    perceiver = Perceiver()
    recording = save(tmp_path, [
        RecordedClick(point=OK.box.center, before=before),
        RecordedClick(point=Point(x=120, y=10), before=before),  # the indicator lies over the app
        RecordedDrag(start=Point(x=110, y=10), end=Point(x=300, y=250), before=before),
        RecordedTyping(text="typed into our own window", before=ours),
        RecordedChord(keys=("ctrl", "s")),
    ], perceiver)
    assert recording.steps == ('click "OK"', "press ctrl+s")
    assert read_task(tmp_path / "task.yaml").name == "task"
    assert perceiver.skipped and set(perceiver.skipped) == {frozenset({INDICATOR.id})}


@pytest.mark.parametrize("actions", [[], [RecordedClick(point=Point(x=120, y=10), before=shot())]])
def test_nothing_recorded_writes_nothing(tmp_path, actions):
    with pytest.raises(NothingRecorded, match="nothing was recorded"):
        save(tmp_path, actions)
    assert list(tmp_path.iterdir()) == []


def test_nothing_a_step_can_say_writes_nothing_and_says_why(tmp_path):
    with pytest.raises(NothingRecorded, match="that a step can say") as raised:
        save(tmp_path, [RecordedChord(keys=("ctrl", "f20"))])
    assert raised.value.notes and "f20" in raised.value.notes[0]
    assert list(tmp_path.iterdir()) == []


def test_each_window_image_is_saved_with_its_text_read_for_replays_to_start_from(tmp_path):
    save(tmp_path, [RecordedClick(point=OK.box.center, before=shot())])
    [seen] = load_seen(tmp_path / "task.assets")
    assert (seen.image, seen.wm_class, seen.width, seen.height) == ("step001-before.png", "orders", 400, 300)
    assert [t.text for t in seen.texts] == ["OK"]
    assert (tmp_path / "task.assets" / seen.image).is_file()


def test_the_agents_app_shown_by_another_process_is_its_own_window_too(tmp_path):
    """The guard refuses a window titled like the agent whoever shows it; recording leaves it out alike."""
    app_elsewhere = Window(id=3, title="order.yaml — Desktop Agent", wm_class="desktop-agent",
                           box=Rect(left=200, top=150, width=200, height=150), pid=9999)
    before = Snapshot(frame=shot().frame, windows=(APP, app_elsewhere), focused=APP, time=0.0)
    perceiver = Perceiver()
    recording = save(tmp_path, [RecordedClick(point=OK.box.center, before=before),
                                RecordedClick(point=Point(x=300, y=200), before=before)], perceiver)
    assert recording.steps == ('click "OK"',)
    assert set(perceiver.skipped) == {frozenset({app_elsewhere.id})}
