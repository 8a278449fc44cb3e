"""The perceiver on saved-style synthetic frames with a fake text reader (no model)."""
import numpy as np

from desktop_agent.core.values import Element, Frame, Rect, Role, Window
from desktop_agent.perception.perceiver import Perceiver
from desktop_agent.perception.pixel_changes import changed_regions


class FakeReader:
    """Reads one TEXT element per dark blob; records the sizes of the images it was asked to read."""

    def __init__(self):
        self.calls: list[tuple[int, int]] = []

    def read(self, image, *, at_window_top=True):
        import cv2

        self.calls.append(image.shape[:2])
        dark = (image.min(axis=2) < 100).astype(np.uint8)
        count, _, stats, _ = cv2.connectedComponentsWithStats(dark)
        return [Element(role=Role.TEXT, box=Rect(left=int(x), top=int(y), width=int(w), height=int(h)),
                        text=f"blob{w}x{h}") for x, y, w, h, _ in stats[1:count]]


def screen_with(*blobs, size=(400, 600)):
    image = np.full((*size, 3), 230, np.uint8)
    for x, y, w, h in blobs:
        image[y:y + h, x:x + w] = 0
    return Frame(image=image, region=Rect(left=0, top=0, width=size[1], height=size[0]))


WINDOW = Window(id=7, title="Form", wm_class="Form", box=Rect(left=100, top=50, width=300, height=200))


def test_elements_come_back_in_screen_coordinates_with_their_window():
    perceiver = Perceiver(reader=FakeReader())
    screen = perceiver.perceive(screen_with((150, 80, 40, 12)), [WINDOW])
    assert [(e.box, e.window_id) for e in screen.elements] == [(Rect(left=150, top=80, width=40, height=12), 7)]


def test_unchanged_window_is_not_read_again():
    reader = FakeReader()
    perceiver = Perceiver(reader=reader)
    perceiver.perceive(screen_with((150, 80, 40, 12)), [WINDOW])
    perceiver.perceive(screen_with((150, 80, 40, 12)), [WINDOW])
    assert len(reader.calls) == 1
    assert perceiver.last_stats.reused == 1


def test_only_the_changed_part_is_read_again_and_old_text_is_kept():
    reader = FakeReader()
    perceiver = Perceiver(reader=reader)
    perceiver.perceive(screen_with((150, 80, 40, 12)), [WINDOW])
    screen = perceiver.perceive(screen_with((150, 80, 40, 12), (300, 200, 30, 12)), [WINDOW])
    assert perceiver.last_stats.partial == 1
    height, width = reader.calls[-1]
    assert height < 60 and width < 80
    assert {e.box.left for e in screen.elements} == {150, 300}


def test_text_just_outside_a_change_is_kept_not_cut_in_half():
    # A label 8 px below a changed field: within the re-read margin, so the re-read must take all of
    # it (a crop through the middle of a line reads nothing) or leave it alone.
    reader = FakeReader()
    perceiver = Perceiver(reader=reader)
    label = (150, 114, 40, 12)
    perceiver.perceive(screen_with((150, 80, 40, 12), label), [WINDOW])
    screen = perceiver.perceive(screen_with((150, 80, 60, 26), label), [WINDOW])
    assert perceiver.last_stats.partial == 1
    assert sorted((e.box.top, e.box.height) for e in screen.elements) == [(80, 26), (114, 12)]


def test_own_windows_are_skipped_and_hide_what_is_under_them():
    own = Window(id=9, title="desktop-agent", wm_class="Agent", box=Rect(left=140, top=70, width=80, height=40))
    screen = Perceiver(reader=FakeReader()).perceive(screen_with((150, 80, 40, 12), (300, 200, 30, 12)),
                                                     [WINDOW, own], skip=frozenset({9}))
    assert [e.box.left for e in screen.elements] == [300]


def test_a_blinking_caret_is_not_a_change_but_a_typed_character_is():
    before = screen_with().image
    caret = before.copy()
    caret[100:118, 200:202] = 0
    assert changed_regions(before, caret) == []
    typed = caret.copy()
    typed[104:118, 205:207] = 0   # a narrow glyph ("l") and the caret moved right of it
    typed[100:118, 200:202] = 230
    typed[100:118, 209:211] = 0
    assert len(changed_regions(caret, typed)) == 1


def test_a_neighbour_in_the_reading_margin_is_kept_not_cut():
    reader = FakeReader()
    perceiver = Perceiver(reader=reader)
    lines = ((150, 80, 60, 12), (150, 95, 60, 12))  # two lines 3 px apart
    perceiver.perceive(screen_with(*lines), [WINDOW])
    screen = perceiver.perceive(screen_with(*lines, (215, 95, 8, 12)), [WINDOW])  # a char typed
    assert perceiver.last_stats.partial == 1
    assert reader.calls[-1][0] < 30  # one line high: the line above was not pulled in
    assert sorted((e.box.left, e.box.top, e.box.width) for e in screen.elements) == [
        (150, 80, 60), (150, 95, 60), (215, 95, 8)]
