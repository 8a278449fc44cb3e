"""Grounding on saved screenshots, through the real perception (PP-OCR via onnxruntime + OpenCV).

sample_app.png: the bundled order form (560x494, menu bar on top); yad_order.png: a GTK form.
The frame is placed at a non-zero screen offset to prove boxes come back in screen coordinates.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from desktop_agent.compose import build_perceiver
from desktop_agent.core.errors import GroundingError
from desktop_agent.core.values import Frame, Rect, Role, Window
from desktop_agent.grounding.resolve import ground
from desktop_agent.language.steps import parse_target

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
OFFSET = (300, 200)


def perceived(path: Path, title: str):
    image = cv2.imread(str(path))
    height, width = image.shape[:2]
    region = Rect(left=OFFSET[0], top=OFFSET[1], width=width, height=height)
    window = Window(id=5, title=title, wm_class=title, box=region)
    return build_perceiver().perceive(Frame(image=image, region=region), [window])


@pytest.fixture(scope="module")
def form():
    return perceived(FIXTURES / "screens" / "sample_app.png", "Sample Order Form")


@pytest.fixture(scope="module")
def gtk_form():
    return perceived(FIXTURES / "widgets" / "yad_order.png", "Order")


def local(box: Rect) -> tuple[int, int, int, int]:
    """A screen box back in the screenshot's own pixels, to compare with what the PNG shows."""
    return box.left - OFFSET[0], box.top - OFFSET[1], box.width, box.height


def test_button_by_exact_text(form):
    target = ground(parse_target('"Submit order"'), form)
    assert target.element.role is Role.BUTTON
    left, top, width, height = local(target.box)
    assert 10 <= left < 40 and 355 <= top < 395 and width > 100


def test_field_right_of_its_label(form):
    target = ground(parse_target('the field right of "Customer name"'), form)
    assert target.element.role is Role.FIELD
    left, top, _, _ = local(target.box)
    assert left > 150 and 80 < top < 110  # the first entry, not the Email one below it


def test_field_named_by_its_label(form):
    email = ground(parse_target('the "Email" field'), form)
    name = ground(parse_target('the "Customer name" field'), form)
    assert email.element.role is Role.FIELD and email.box.top > name.box.top


def test_checkbox_and_its_state(form):
    target = ground(parse_target('the "Newsletter" checkbox'), form)
    assert target.element.role is Role.CHECKBOX and target.element.checked is False


def test_combo_shows_its_value(form):
    target = ground(parse_target('the "Shipping" combo'), form)
    assert target.element.role is Role.COMBO and target.element.text == "Standard"


def test_menu_word_inside_the_menu_bar(form):
    edit = ground(parse_target('"Edit"'), form)
    help_ = ground(parse_target('"Help"'), form)
    assert local(edit.box)[1] < 30 and edit.box.right <= help_.box.left


def test_word_inside_longer_labels_is_ambiguous(form):
    with pytest.raises(GroundingError, match="matches"):
        ground(parse_target('"order"'), form)


def test_ordinal_settles_it(form):
    second = ground(parse_target('the 2nd field'), form)
    first = ground(parse_target('the 1st field'), form)
    assert second.box.top > first.box.top


def test_gtk_form_field_right_of_label(gtk_form):
    target = ground(parse_target('the field right of "Email"'), gtk_form)
    assert target.element.role is Role.FIELD


def test_missing_target_lists_candidates(form):
    with pytest.raises(GroundingError) as caught:
        ground(parse_target('"Cancel order"'), form)
    assert caught.value.candidates
