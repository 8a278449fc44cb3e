"""What a recording saw (seen.json): saved and loaded, and a replay's perceiver started from it — on
synthetic frames with a fake text reader (no model)."""
import json

import cv2
import pytest
from test_perceiver import FakeReader, screen_with

from desktop_agent.core.errors import AgentError
from desktop_agent.core.values import Rect, Window
from desktop_agent.perception.perceiver import Perceiver
from desktop_agent.perception.seen import SEEN_FILE, load_seen, prime, read_seen, save_seen
from desktop_agent.screen import coords

RECORDED = Window(id=7, title="Form", wm_class="Form", box=Rect(left=100, top=50, width=300, height=200))


def recorded(folder, *blobs):
    """The recording's assets: the window image of its first step, saved with its text read."""
    image = coords.crop(screen_with(*blobs), RECORDED.box).image
    cv2.imwrite(str(folder / "step001-before.png"), image)
    save_seen(folder, read_seen([("step001-before.png", "Form", image)], FakeReader().read))
    return load_seen(folder)


def test_seen_round_trips_with_the_text_read_from_each_image(tmp_path):
    [seen] = recorded(tmp_path, (150, 80, 40, 12))
    assert (seen.image, seen.wm_class, seen.width, seen.height) == ("step001-before.png", "Form", 300, 200)
    assert [(t.text, t.box) for t in seen.texts] == [("blob40x12", Rect(left=50, top=30, width=40, height=12))]
    assert load_seen(tmp_path / "nothing here") == []  # a recording made before seen.json: nothing primed


def test_a_malformed_file_is_refused_naming_it(tmp_path):
    (tmp_path / SEEN_FILE).write_text(json.dumps({"version": 1, "windows": [{"image": "a.png"}]}))
    with pytest.raises(AgentError, match=f"cannot read .*{SEEN_FILE}"):
        load_seen(tmp_path)


def test_a_window_as_the_recording_saw_it_is_not_read_again_even_moved(tmp_path):
    seen = recorded(tmp_path, (150, 80, 40, 12))
    moved = Window(id=31, title="Form", wm_class="Form", box=Rect(left=200, top=150, width=300, height=200))
    reader = FakeReader()
    perceiver = Perceiver(reader=reader)
    assert prime(perceiver, [moved], tmp_path, seen) == 1
    screen = perceiver.perceive(screen_with((250, 180, 40, 12)), [moved])  # the same look, 100 px away
    assert reader.calls == [] and perceiver.last_stats.reused == 1
    assert [(e.text, e.box) for e in screen.elements] == [("blob40x12", Rect(left=250, top=180, width=40,
                                                                               height=12))]


def test_only_what_differs_from_the_recording_is_read(tmp_path):
    seen = recorded(tmp_path, (150, 80, 40, 12))
    reader = FakeReader()
    perceiver = Perceiver(reader=reader)
    prime(perceiver, [RECORDED], tmp_path, seen)
    screen = perceiver.perceive(screen_with((150, 80, 40, 12), (300, 200, 30, 12)), [RECORDED])
    assert perceiver.last_stats.partial == 1 and len(reader.calls) == 1
    assert {e.box.left for e in screen.elements} == {150, 300}


@pytest.mark.parametrize("other", [
    Window(id=8, title="Form", wm_class="Other", box=RECORDED.box),                     # another class
    Window(id=8, title="Form", wm_class="Form", box=Rect(left=100, top=50, width=320, height=200))])  # resized
def test_a_window_of_another_class_or_size_is_read_in_full(tmp_path, other):
    seen = recorded(tmp_path, (150, 80, 40, 12))
    reader = FakeReader()
    perceiver = Perceiver(reader=reader)
    assert prime(perceiver, [other], tmp_path, seen) == 0
    perceiver.perceive(screen_with((150, 80, 40, 12)), [other])
    assert perceiver.last_stats.full == 1
