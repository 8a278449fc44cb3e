"""detect_widgets and attach_text on real screenshots (tests/fixtures/widgets/README.md says how they
were made and how the ground truth was measured) and on a few hand-made element lists."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import pytest

from desktop_agent.core.values import Element, Rect, Role
from desktop_agent.perception.widget_text import attach_text
from desktop_agent.perception.widgets import detect_widgets

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "widgets"
NAMES = ("yad_order", "yad_dark", "yad_prefs", "tk_classic", "tk_clam", "tk_misc", "xterm_text")
# False positives measured when the thresholds were set: the two ballot-box glyphs of tk_clam's legend
# label; attach_text drops the one inside the text line (the first, at the line's start, stays).
MAX_PROPOSED_EXTRA = {"tk_clam": 2}
MAX_FINAL_EXTRA = {"tk_clam": 1}
MATCH_IOU = 0.5


@dataclass(frozen=True, slots=True, kw_only=True)
class Truth:
    role: Role
    box: Rect
    checked: bool | None
    text: str
    label: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Fixture:
    image: np.ndarray
    widgets: tuple[Truth, ...]
    optional: tuple[Rect, ...]
    not_widgets: tuple[Rect, ...]
    texts: tuple[Element, ...]


def _rect(values: list[int]) -> Rect:
    left, top, width, height = values
    return Rect(left=left, top=top, width=width, height=height)


@cache
def fixture(name: str) -> Fixture:
    truth = json.loads((FIXTURES / f"{name}.truth.json").read_text())
    ocr = json.loads((FIXTURES / f"{name}.ocr.json").read_text())
    image = cv2.imread(str(FIXTURES / f"{name}.png"))
    assert image is not None, name
    widgets = tuple(Truth(role=Role(w["role"]), box=_rect(w["box"]), checked=w.get("checked"),
                          text=w.get("text", ""), label=w.get("label", w.get("text", "")))
                    for w in truth["widgets"])
    texts = tuple(Element(role=Role.TEXT, box=_rect(t["box"]), text=t["text"], confidence=t["score"])
                  for t in ocr)
    return Fixture(image=image, widgets=widgets, optional=tuple(_rect(o["box"]) for o in truth["optional"]),
                   not_widgets=tuple(_rect(o["box"]) for o in truth.get("not_widgets", ())), texts=texts)


@cache
def proposed(name: str) -> tuple[Element, ...]:
    return tuple(detect_widgets(fixture(name).image))


@cache
def final(name: str) -> tuple[Element, ...]:
    return tuple(attach_text(proposed(name), fixture(name).texts))


def _match(truth: Truth, elements: tuple[Element, ...]) -> Element | None:
    hits = [e for e in elements if e.role is truth.role and e.box.iou(truth.box) >= MATCH_IOU]
    return max(hits, key=lambda e: e.box.iou(truth.box), default=None)


def _extras(name: str, elements: tuple[Element, ...]) -> list[Element]:
    known = [t.box for t in fixture(name).widgets] + list(fixture(name).optional)
    return [e for e in elements if e.role is not Role.TEXT
            and all(e.box.iou(box) < MATCH_IOU for box in known)]


# ---------------------------------------------------------------- detect_widgets on screenshots
@pytest.mark.parametrize("name", NAMES)
def test_every_true_widget_is_found_with_its_role(name: str) -> None:
    missing = [t for t in fixture(name).widgets if _match(t, proposed(name)) is None]
    assert missing == []


@pytest.mark.parametrize("name", NAMES)
def test_checkbox_states_are_read(name: str) -> None:
    for truth in fixture(name).widgets:
        if truth.role is Role.CHECKBOX:
            assert _match(truth, proposed(name)).checked is truth.checked, truth


@pytest.mark.parametrize("name", NAMES)
def test_few_false_positives(name: str) -> None:
    assert len(_extras(name, proposed(name))) <= MAX_PROPOSED_EXTRA.get(name, 0)
    assert len(_extras(name, final(name))) <= MAX_FINAL_EXTRA.get(name, 0)


@pytest.mark.parametrize("name", ["tk_classic", "tk_clam", "tk_misc"])
def test_labels_panels_radios_and_sliders_are_not_widgets(name: str) -> None:
    for box in fixture(name).not_widgets:
        assert [e for e in final(name) if e.role is not Role.TEXT and e.box.iou(box) >= 0.3] == [], box


@pytest.mark.parametrize("name", NAMES)
def test_proposals_are_bare_widgets(name: str) -> None:
    for element in proposed(name):
        assert element.role in (Role.FIELD, Role.BUTTON, Role.CHECKBOX, Role.COMBO, Role.SLIDER)
        assert element.source == "widget" and element.text == "" and 0.0 <= element.confidence <= 1.0
        assert (element.checked is not None) == (element.role is Role.CHECKBOX)


def test_boxes_are_in_the_pixels_of_the_image_given() -> None:
    image = fixture("yad_order").image
    region = image[100:, 50:]  # a crop starting at (50, 100)
    moved = {(e.role, e.box.left + 50, e.box.top + 100, e.box.width) for e in detect_widgets(region)}
    whole = {(e.role, e.box.left, e.box.top, e.box.width) for e in proposed("yad_order")
             if e.box.left >= 50 and e.box.top >= 100}
    assert whole and moved == whole


def test_grey_and_bgra_images_are_accepted() -> None:
    image = fixture("tk_classic").image
    bgra = cv2.cvtColor(image, cv2.COLOR_BGR2BGRA)
    assert [e.box for e in detect_widgets(bgra)] == [e.box for e in proposed("tk_classic")]
    grey = detect_widgets(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
    assert sum(e.role is Role.BUTTON for e in grey) == 3


def test_a_blank_image_or_a_bare_frame_has_no_widgets() -> None:
    blank = np.full((200, 300, 3), 240, np.uint8)
    assert detect_widgets(blank) == []
    framed = blank.copy()
    cv2.rectangle(framed, (0, 0), (299, 199), (90, 90, 90), 1)
    assert detect_widgets(framed) == []


# ---------------------------------------------------------------- attach_text on screenshots
@pytest.mark.parametrize("name", NAMES)
def test_widgets_get_their_values_and_labels(name: str) -> None:
    for truth in fixture(name).widgets:
        element = _match(truth, final(name))
        assert element is not None, truth
        if truth.role is not Role.CHECKBOX:
            assert element.text == truth.text, truth
        assert element.label == truth.label, truth


@pytest.mark.parametrize("name", NAMES)
def test_values_are_absorbed_and_labels_stay_text(name: str) -> None:
    texts = [e for e in final(name) if e.role is Role.TEXT]
    for truth in fixture(name).widgets:
        inside = [t for t in texts if truth.box.inflate(2).contains_rect(t.box)]
        assert inside == [], truth
        if truth.label and truth.role is not Role.BUTTON:
            assert any(t.text == truth.label for t in texts), truth


# ---------------------------------------------------------------- attach_text on made-up elements
def _text(text: str, left: int, top: int, width: int, height: int = 16) -> Element:
    return Element(role=Role.TEXT, box=Rect(left=left, top=top, width=width, height=height), text=text)


def _field(left: int, top: int, width: int = 200, height: int = 30, role: Role = Role.FIELD) -> Element:
    return Element(role=role, box=Rect(left=left, top=top, width=width, height=height), source="widget")


def test_a_label_above_is_used_when_none_is_left_of_the_field() -> None:
    out = attach_text([_field(20, 40)], [_text("Address", 22, 18, 60)])
    assert [e.label for e in out if e.role is Role.FIELD] == ["Address"]


def test_the_nearest_text_on_the_row_wins_over_one_above() -> None:
    texts = [_text("Far", 0, 47, 30), _text("Near", 60, 47, 40), _text("Above", 130, 10, 50)]
    out = attach_text([_field(120, 40)], texts)
    assert [e.label for e in out if e.role is Role.FIELD] == ["Near"]


def test_text_too_far_above_is_no_label() -> None:
    out = attach_text([_field(20, 100)], [_text("Title", 22, 10, 60)])
    assert [e.label for e in out if e.role is Role.FIELD] == [""]


def test_a_line_running_into_a_field_is_split_at_its_border() -> None:
    # OCR joined the label and the value: "City:Paris" over 100 px, the field starting at x=50.
    out = attach_text([_field(50, 40)], [_text("City:Paris", 0, 47, 100)])
    field = next(e for e in out if e.role is Role.FIELD)
    assert (field.text, field.label) == ("Paris", "City:")
    assert [t.text for t in out if t.role is Role.TEXT] == ["City:"]


def test_a_value_whose_box_starts_less_than_a_character_before_the_field_is_its_value() -> None:
    # Tk draws an entry's value right against its edge; OCR's box starts 6 px before it. Split there,
    # the "L" of "Light" named the combo instead of the "Theme" label left of it.
    combo = _field(100, 40, 180, 22, role=Role.COMBO)
    out = attach_text([combo], [_text("Theme", 10, 43, 60), _text("Light", 94, 37, 40, 28)])  # OCR: taller
    assert [(e.text, e.label) for e in out if e.role is Role.COMBO] == [("Light", "Theme")]
    assert [t.text for t in out if t.role is Role.TEXT] == ["Theme"]


def test_several_texts_in_a_button_join_in_reading_order() -> None:
    button = _field(10, 10, 120, 30, role=Role.BUTTON)
    out = attach_text([button], [_text("now", 70, 17, 30), _text("Save", 20, 17, 40)])
    assert [(e.role, e.text, e.label) for e in out] == [(Role.BUTTON, "Save now", "Save now")]


def test_a_button_holding_words_far_apart_in_a_row_is_a_frame_and_its_words_stay_text() -> None:
    # mtpaint outlines its menu bar: proposed as one button, it took every menu's name, and "Image"
    # was found at the bar's middle, over "Selection".
    bar = _field(0, 0, 630, 27, role=Role.BUTTON)
    menus = [_text("File", 8, 5, 30), _text("Edit View Image", 47, 5, 135), _text("Help", 588, 5, 33)]
    out = attach_text([bar], menus)
    assert [(e.role, e.text) for e in out] == [(Role.TEXT, "File"), (Role.TEXT, "Edit View Image"),
                                               (Role.TEXT, "Help")]


def test_a_checkbox_inside_a_line_of_text_is_a_glyph() -> None:
    box = Element(role=Role.CHECKBOX, box=Rect(left=60, top=12, width=10, height=10), checked=True,
                  source="widget")
    out = attach_text([box], [_text("done \u2611 yes", 10, 9, 100)])
    assert [e.role for e in out] == [Role.TEXT]


def test_a_one_pixel_thin_region_is_not_a_crash():
    image = np.full((400, 1, 3), 240, np.uint8)
    image[100:200] = 20
    assert detect_widgets(image) == []
    assert detect_widgets(np.ascontiguousarray(image.transpose(1, 0, 2))) == []


def _trough(*, handle_at: int | None, caret: bool = False) -> np.ndarray:
    """A ttk.Scale as Tk's default theme draws it, 160x17 on a 217-grey window: a darker sunken trough
    and a raised handle of two 15 px halves (or an empty entry with a caret, for contrast)."""
    image = np.full((60, 220, 3), 217, np.uint8)
    cv2.rectangle(image, (20, 20), (179, 36), (195, 195, 195), -1)
    cv2.line(image, (20, 20), (179, 20), (130, 130, 130), 1)
    cv2.line(image, (20, 20), (20, 36), (130, 130, 130), 1)
    cv2.line(image, (20, 36), (179, 36), (255, 255, 255), 1)
    cv2.line(image, (179, 20), (179, 36), (255, 255, 255), 1)
    if handle_at is not None:
        for left in (handle_at, handle_at + 15):
            cv2.rectangle(image, (left, 21), (left + 14, 35), (217, 217, 217), -1)
            cv2.line(image, (left, 21), (left + 14, 21), (255, 255, 255), 1)
            cv2.line(image, (left, 21), (left, 35), (255, 255, 255), 1)
            cv2.line(image, (left + 14, 21), (left + 14, 35), (130, 130, 130), 1)
            cv2.line(image, (left, 35), (left + 14, 35), (130, 130, 130), 1)
    if caret:
        cv2.line(image, (30, 23), (30, 33), (0, 0, 0), 1)
    return image


@pytest.mark.parametrize("handle_at", [21, 90, 148])
def test_a_trough_with_a_handle_across_it_is_a_slider(handle_at: int) -> None:
    [slider] = detect_widgets(_trough(handle_at=handle_at))  # the handle's halves are no checkboxes
    assert slider.role is Role.SLIDER and slider.box == Rect(left=20, top=20, width=160, height=17)
    out = attach_text([slider], [_text("Vol", 0, 20, 18)])
    assert [e.label for e in out if e.role is Role.SLIDER] == ["Vol"]  # a slider is named by the text left of it, like a field


def test_a_trough_without_a_handle_or_with_a_caret_is_no_slider() -> None:
    assert all(e.role is not Role.SLIDER for e in detect_widgets(_trough(handle_at=None)))
    assert all(e.role is not Role.SLIDER for e in detect_widgets(_trough(handle_at=None, caret=True)))
