"""describe(): hand-made recorded actions on the sample form (perceived for real from
tests/fixtures/screens/sample_app.png, placed at a screen offset) and on small hand-built screens."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from desktop_agent.compose import build_perceiver
from desktop_agent.core.actions import Click, Drag, Press, Scroll, TypeText
from desktop_agent.core.values import Element, Frame, Point, Rect, Role, Screen, TargetSpec, Window
from desktop_agent.grounding.resolve import ground
from desktop_agent.language.steps import parse_step, parse_target
from desktop_agent.recording.describe import Recording, describe
from desktop_agent.recording.events import (
    RecordedChord,
    RecordedClick,
    RecordedDrag,
    RecordedScroll,
    RecordedTyping,
    Snapshot,
)
from desktop_agent.safety.policy import load_policy

SCREENS = Path(__file__).resolve().parents[1] / "fixtures" / "screens"
OFFSET = Point(x=300, y=200)
SECRET_FIELDS = load_policy(None).secret_fields
# Window-relative points on sample_app.png
CUSTOMER, EMAIL, PASSWORD, NOTES = Point(x=300, y=106), Point(x=300, y=145), Point(x=300, y=185), \
    Point(x=300, y=300)
SUBMIT, GIFT_WRAP_BOX = Point(x=95, y=382), Point(x=172, y=260)


def at(point: Point) -> Point:
    return Point(x=point.x + OFFSET.x, y=point.y + OFFSET.y)


@pytest.fixture(scope="module")
def form() -> tuple[Snapshot, Screen]:
    image = cv2.imread(str(SCREENS / "sample_app.png"))
    canvas = np.full((800, 1280, 3), 48, np.uint8)
    height, width = image.shape[:2]
    canvas[OFFSET.y:OFFSET.y + height, OFFSET.x:OFFSET.x + width] = image
    window = Window(id=7, title="Sample Order Form", wm_class="SampleOrderForm",
                    box=Rect(left=OFFSET.x, top=OFFSET.y, width=width, height=height))
    frame = Frame(image=canvas, region=Rect(left=0, top=0, width=1280, height=800))
    snapshot = Snapshot(frame=frame, windows=(window,), focused=window, time=0.0)
    return snapshot, build_perceiver().perceive(frame, (window,))


class Perceive:
    """A fake perceive: the screen built for each snapshot, counting the calls."""

    def __init__(self, screens: dict[Snapshot, Screen]) -> None:
        self.screens, self.calls = screens, 0

    def __call__(self, snapshot: Snapshot) -> Screen:
        self.calls += 1
        return self.screens[snapshot]


def run(actions, screens, **kw) -> Recording:
    recording = describe(actions, Perceive(screens), secret_fields=SECRET_FIELDS, **kw)
    params = kw.get("params", {})
    for n, step in enumerate(recording.steps, 1):
        parse_step(step, line=n, params=params)  # every step parses
    return recording


def grounds_at(recording: Recording, step: int, screen: Screen, point: Point) -> None:
    """The step's target grounds on `screen` to a box holding `point`."""
    action = parse_step(recording.steps[step - 1]).action
    spec = action.source if isinstance(action, Drag) else action.target
    assert ground(spec, screen).box.contains(point), recording.steps[step - 1]


def replayed_from_landmark(locator, screen: Screen) -> Point:
    """Where replay's anchor fallback would act: the anchor text grounded alone, plus the offset."""
    found = ground(TargetSpec(text=locator.anchor.text), screen)
    return Point(x=found.point.x + locator.anchor.dx, y=found.point.y + locator.anchor.dy)


def everything(recording: Recording) -> str:
    """All text the recording holds, crops' bytes included."""
    texts = [repr(dataclasses.astuple(locator)) for locator in recording.locators]
    texts += [*recording.steps, *recording.notes, *recording.secrets, *recording.crops]
    texts += [cv2.imencode(".png", pixels)[1].tobytes().decode("latin-1") for pixels in recording.crops.values()]
    return "\n".join(texts)


# ---------------------------------------------------------------- the sample form
def test_a_button_click_is_named_by_its_text(form):
    snapshot, screen = form
    recording = run([RecordedClick(point=at(SUBMIT), before=snapshot)], {snapshot: screen},
                    assets="order.assets")
    assert recording.steps == ('click "Submit order"',)
    grounds_at(recording, 1, screen, at(SUBMIT))
    [locator] = recording.locators
    assert locator.target == '"Submit order"' and locator.step == 1
    assert locator.element_role == "button" and locator.element_text == "Submit order"
    assert locator.window.title == "Sample Order Form" and (locator.window.width, locator.window.height) \
        == (560, 494)
    assert locator.offset == SUBMIT
    crop = recording.crops[locator.crop]
    assert locator.crop == "step001.png" and crop.shape[2] == 3
    assert 0 <= locator.crop_point.x < crop.shape[1] and 0 <= locator.crop_point.y < crop.shape[0]
    assert crop.shape[1] > 140 and crop.shape[0] > 30  # the button's box, grown a little
    assert recording.crops["step001-before.png"].shape[:2] == (494, 560)  # the window, as it was seen
    assert locator.anchor is not None and locator.anchor.text != "Submit order"
    assert replayed_from_landmark(locator, screen) == at(SUBMIT)
    assert recording.notes == () and recording.secrets == ()


def test_a_click_on_a_field_then_typing_is_one_type_into_step(form):
    snapshot, screen = form
    recording = run([RecordedClick(point=at(CUSTOMER), before=snapshot),
                     RecordedTyping(text="Ada", before=snapshot)], {snapshot: screen})
    assert recording.steps == ('type "Ada" into the field right of "Customer name"',)
    grounds_at(recording, 1, screen, at(CUSTOMER))
    [locator] = recording.locators
    assert locator.target == 'field right of "Customer name"' and locator.element_role == "field"
    assert locator.element_text == ""  # a field's content is not kept
    assert replayed_from_landmark(locator, screen) == at(CUSTOMER)


def test_password_text_becomes_a_secret_placeholder_and_is_kept_nowhere(form):
    snapshot, screen = form
    recording = run([RecordedClick(point=at(PASSWORD), before=snapshot),
                     RecordedTyping(text="Tr0ub4dor&3", before=snapshot),
                     RecordedClick(point=at(SUBMIT), before=snapshot)], {snapshot: screen})
    assert recording.steps[0] == 'type "{secret:password}" into the field right of "Password"'
    assert parse_step(recording.steps[0]).action.text == "{secret:password}"
    assert recording.secrets == ("password",)
    assert "Tr0ub4dor" not in everything(recording)


def test_a_param_whose_value_is_typed_as_a_password_is_withheld(form):
    snapshot, screen = form
    recording = run([RecordedClick(point=at(PASSWORD), before=snapshot),
                     RecordedTyping(text="hunter2", before=snapshot)], {snapshot: screen},
                    params={"pw": "hunter2"})
    assert recording.steps == ('type "{secret:password}" into the field right of "Password"',)
    assert recording.withheld_params == ("pw",)
    assert "hunter2" not in everything(recording)


def test_typing_reached_by_tab_from_a_field_into_the_password_field_is_secret(form):
    snapshot, screen = form
    recording = run([RecordedClick(point=at(EMAIL), before=snapshot),
                     RecordedTyping(text="ada@example.org", before=snapshot),
                     RecordedChord(keys=("tab",)),
                     RecordedTyping(text="hunter2", before=snapshot)], {snapshot: screen})
    assert recording.steps == ('type "ada@example.org" into the field right of "Email"', "press tab",
                               'type "{secret:password}"')
    assert "hunter2" not in everything(recording)


def test_typing_into_a_window_titled_like_a_secret_is_masked(form):
    snapshot, screen = form
    window = dataclasses.replace(snapshot.windows[0], title="Enter passphrase")
    prompt = dataclasses.replace(snapshot, windows=(window,), focused=window)
    recording = run([RecordedTyping(text="open sesame", before=prompt)], {prompt: screen})
    assert recording.steps == ('type "{secret:passphrase}"',)


def test_a_typed_value_equal_to_a_param_becomes_the_param(form):
    snapshot, screen = form
    params = {"customer": "Ada Lovelace", "unused": "never typed"}
    recording = run([RecordedClick(point=at(CUSTOMER), before=snapshot),
                     RecordedTyping(text="Ada Lovelace", before=snapshot),
                     RecordedClick(point=at(EMAIL), before=snapshot),
                     RecordedTyping(text="Ada Lovelace Jr", before=snapshot)], {snapshot: screen},
                    params=params)
    assert recording.steps == ('type "{customer}" into the field right of "Customer name"',
                               'type "Ada Lovelace Jr" into the field right of "Email"')
    assert parse_step(recording.steps[0], params=params).action.text == "Ada Lovelace"
    assert any("{unused}" in note for note in recording.notes)


def test_quotes_backslashes_and_braces_in_typed_text_survive(form):
    snapshot, screen = form
    text = 'say "hi" {not a param} C:\\dir\\ it\'s\ttabbed'
    recording = run([RecordedTyping(text=text, before=snapshot)], {snapshot: screen})
    assert parse_step(recording.steps[0]).action == TypeText(text=text)


def test_chords_scrolls_drags_and_other_clicks(form):
    snapshot, screen = form
    recording = run([RecordedChord(keys=("ctrl", "s")), RecordedChord(keys=("enter",)),
                     RecordedScroll(point=at(NOTES), clicks=-3, before=snapshot),
                     RecordedScroll(point=at(NOTES), clicks=2, before=snapshot),
                     RecordedDrag(start=at(SUBMIT), end=at(NOTES), before=snapshot),
                     RecordedClick(point=at(GIFT_WRAP_BOX), before=snapshot),
                     RecordedClick(point=at(SUBMIT), before=snapshot, count=2),
                     RecordedChord(keys=("ctrl", "kp_begin"))], {snapshot: screen})
    assert recording.steps == (
        "press ctrl+s", "press enter",
        'scroll down 3 in the field right of "Notes"', 'scroll up 2 in the field right of "Notes"',
        'drag "Submit order" to the field right of "Notes"',
        'check the "Gift wrap" checkbox',  # a click on an unticked box: recorded as the state it left
        'double-click "Submit order"')
    actions = [parse_step(step).action for step in recording.steps]
    assert actions[0] == Press(keys=("ctrl", "s"))
    assert isinstance(actions[2], Scroll) and actions[2].amount == 3
    assert isinstance(actions[6], Click) and actions[6].count == 2
    assert any("ctrl+kp_begin" in note for note in recording.notes)  # said, not dropped silently
    drag_locators = [loc for loc in recording.locators if loc.step == 5]
    assert [loc.crop for loc in drag_locators] == ["step005.png", "step005-to.png"]
    assert set(recording.crops) == ({loc.crop for loc in recording.locators}
                                    | {f"step{loc.step:03d}-before.png" for loc in recording.locators})
    grounds_at(recording, 5, screen, at(SUBMIT))
    grounds_at(recording, 6, screen, at(GIFT_WRAP_BOX))


def test_each_snapshot_is_perceived_once(form):
    snapshot, screen = form
    perceive = Perceive({snapshot: screen})
    describe([RecordedClick(point=at(SUBMIT), before=snapshot), RecordedClick(point=at(EMAIL), before=snapshot)],
             perceive, secret_fields=SECRET_FIELDS)
    assert perceive.calls == 1


# ---------------------------------------------------------------- hand-built screens
def snap(image: np.ndarray, windows: tuple[Window, ...]) -> Snapshot:
    frame = Frame(image=image, region=Rect(left=0, top=0, width=image.shape[1], height=image.shape[0]))
    return Snapshot(frame=frame, windows=windows, focused=windows[-1] if windows else None, time=0.0)


def button(text: str, left: int, top: int, window: int = 1) -> Element:
    return Element(role=Role.BUTTON, box=Rect(left=left, top=top, width=80, height=30), text=text,
                   label=text, window_id=window)


def label(text: str, left: int, top: int, window: int = 1) -> Element:
    return Element(role=Role.TEXT, box=Rect(left=left, top=top, width=10 * len(text), height=20),
                   text=text, window_id=window)


def test_an_ambiguous_text_gets_a_relation_to_a_unique_text():
    window = Window(id=1, title="Settings", wm_class="x", box=Rect(left=0, top=0, width=600, height=400))
    shot = snap(np.zeros((400, 600, 3), np.uint8), (window,))
    screen = Screen(frame=shot.frame, windows=(window,), elements=(
        label("Shipping", 20, 20), button("OK", 20, 60), label("Billing", 300, 20), button("OK", 300, 60)))
    point = Point(x=340, y=75)
    recording = run([RecordedClick(point=point, before=shot)], {shot: screen})
    [step] = recording.steps
    assert step.startswith('click "OK" ') and '"Billing"' in step
    grounds_at(recording, 1, screen, point)


def test_identical_buttons_with_nothing_unique_near_get_an_ordinal():
    window = Window(id=1, title="List", wm_class="x", box=Rect(left=0, top=0, width=600, height=400))
    shot = snap(np.zeros((400, 600, 3), np.uint8), (window,))
    screen = Screen(frame=shot.frame, windows=(window,), elements=tuple(
        button("Edit", 20 + 100 * i, 60) for i in range(3)))
    point = Point(x=160, y=75)
    recording = run([RecordedClick(point=point, before=shot)], {shot: screen})
    assert recording.steps == ('click the 2nd "Edit"',)
    grounds_at(recording, 1, screen, point)


def test_a_spot_with_no_words_but_a_distinctive_look_is_found_by_its_picture():
    image = np.full((400, 600, 3), 200, np.uint8)
    cv2.circle(image, (300, 200), 10, (0, 0, 255), -1)
    cv2.line(image, (285, 190), (315, 212), (20, 90, 20), 2)
    window = Window(id=1, title="Canvas", wm_class="x", box=Rect(left=0, top=0, width=600, height=400))
    shot = snap(image, (window,))
    screen = Screen(frame=shot.frame, windows=(window,), elements=())
    recording = run([RecordedClick(point=Point(x=300, y=200), before=shot)], {shot: screen},
                    assets="my task.assets")
    assert recording.steps == ('click image:"my task.assets/step001.png"',)
    assert parse_target('image:"my task.assets/step001.png"').image == Path("my task.assets/step001.png")
    assert recording.crops["step001.png"].shape[:2] == (32, 48)
    assert recording.locators[0].crop_point == Point(x=24, y=16)
    assert "picture" in recording.notes[0]


def test_a_plain_spot_is_a_bare_point_and_says_so():
    window = Window(id=1, title="Blank", wm_class="x", box=Rect(left=100, top=50, width=400, height=300))
    shot = snap(np.full((400, 600, 3), 200, np.uint8), (window,))
    screen = Screen(frame=shot.frame, windows=(window,), elements=())
    recording = run([RecordedClick(point=Point(x=250, y=150), before=shot)], {shot: screen})
    assert recording.steps == ("click at 250,150",)
    assert recording.locators[0].offset == Point(x=150, y=100)
    assert re.search(r"neither unique words nor a distinctive look", recording.notes[0])


def test_the_same_text_in_two_windows_is_told_apart_by_the_window_title():
    main = Window(id=1, title="Main", wm_class="x", box=Rect(left=0, top=0, width=300, height=400))
    dialog = Window(id=2, title="Confirm", wm_class="x", box=Rect(left=300, top=0, width=300, height=400))
    shot = snap(np.zeros((400, 600, 3), np.uint8), (main, dialog))
    screen = Screen(frame=shot.frame, windows=(main, dialog),
                    elements=(button("OK", 20, 60, window=1), button("OK", 320, 60, window=2)))
    recording = run([RecordedClick(point=Point(x=340, y=75), before=shot)], {shot: screen})
    assert recording.steps == ('click "OK" inside window "Confirm"',)
    assert recording.locators[0].window.title == "Confirm" and recording.locators[0].offset == Point(x=40, y=75)


def test_a_click_on_a_ticked_box_or_its_label_is_recorded_as_uncheck_as_the_next_screen_shows(form):
    snapshot, screen = form
    ticked_box = next(e for e in screen.elements if e.role is Role.CHECKBOX and e.box.contains(at(GIFT_WRAP_BOX)))
    ticked = dataclasses.replace(screen, elements=tuple(dataclasses.replace(e, checked=True) if e is ticked_box
                                                        else e for e in screen.elements))
    later = dataclasses.replace(snapshot, time=1.0)  # the snapshot before the next action: unticked
    unticked = dataclasses.replace(screen, elements=tuple(dataclasses.replace(e, checked=False) if e is ticked_box
                                                          else e for e in screen.elements))
    recording = run([RecordedClick(point=at(GIFT_WRAP_BOX), before=snapshot),
                     RecordedClick(point=at(SUBMIT), before=later)], {snapshot: ticked, later: unticked})
    assert recording.steps[0] == 'uncheck the "Gift wrap" checkbox'
