"""Element ids from observe: only the latest observation's count, and an element is acted on only when
it is still there and looks the same."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from desktop_agent.core.actions import Check, Clear, Click, MouseButton, Select, TypeText
from desktop_agent.core.values import Element, Frame, Point, Rect, Role, Screen, TargetSpec, Window
from desktop_agent.language.steps import parse_step
from desktop_agent.serve.elements import ElementError, Observations, still_there
from desktop_agent.serve.session import element_step
from desktop_agent.serve.tools import ElementAction

WINDOW = Window(id=7, title="Orders", wm_class="Orders", box=Rect(left=100, top=100, width=400, height=300))
SAVE = Element(role=Role.BUTTON, box=Rect(left=200, top=300, width=80, height=30), text="Save", window_id=7)
NAME = Element(role=Role.FIELD, box=Rect(left=200, top=150, width=200, height=26), label="Name", window_id=7)


def screen(*elements, windows=(WINDOW,)):
    frame = Frame(image=np.zeros((600, 800, 3), np.uint8), region=Rect(left=0, top=0, width=800, height=600))
    return Screen(frame=frame, elements=tuple(elements), windows=windows)


def test_ids_name_their_observation_and_only_the_latest_counts():
    book = Observations()
    first = book.record(screen(SAVE, NAME), windows=(WINDOW,), focused=7)
    assert [s.id for s in first.elements] == ["o1.e1", "o1.e2"] and first.elements[0].window == WINDOW
    assert book.resolve("o1.e2").element == NAME
    book.record(screen(NAME, SAVE), windows=(WINDOW,), focused=None)
    assert book.resolve("o2.e2").element == SAVE  # the new observation's numbering
    with pytest.raises(ElementError, match="is from observation 1, not the latest"):
        book.resolve("o1.e2")
    with pytest.raises(ElementError, match="observation 2 has no element e9"):
        book.resolve("o2.e9")
    with pytest.raises(ElementError, match="not an element id"):
        book.resolve("Save")


def test_nothing_resolves_before_the_first_observation():
    with pytest.raises(ElementError, match="no observation yet"):
        Observations().resolve("o1.e1")


def test_an_element_is_found_again_where_it_was_even_a_few_points_off():
    nudged = replace(SAVE, box=Rect(left=203, top=301, width=80, height=30))
    book = Observations()
    seen = book.record(screen(SAVE), windows=(WINDOW,), focused=None).elements[0]
    assert still_there(seen, screen(NAME, nudged)) == nudged


def test_a_field_is_known_by_its_label_not_by_what_it_holds():
    seen = Observations().record(screen(NAME), windows=(WINDOW,), focused=None).elements[0]
    typed = replace(NAME, text="Ada")
    assert still_there(seen, screen(typed)) == typed


@pytest.mark.parametrize(("now", "message"), [
    (screen(replace(SAVE, box=Rect(left=400, top=300, width=80, height=30))), "moved to (400,300 80x30)"),
    (screen(replace(SAVE, text="Saved")), 'changed: there is now button "Saved" in its place'),
    (screen(replace(SAVE, role=Role.TEXT)), 'changed: there is now text "Save"'),
    (screen(NAME), "is gone from the screen"),
    (screen(windows=()), "is gone: its window closed"),
    (screen(replace(SAVE, window_id=8)), "is gone from the screen"),  # the same words in another window
])
def test_a_moved_changed_or_gone_element_is_refused_saying_so(now, message):
    seen = Observations().record(screen(SAVE), windows=(WINDOW,), focused=None).elements[0]
    with pytest.raises(ElementError, match="element o1.e1 \\(button \"Save\"\\)") as caught:
        still_there(seen, now)
    assert message in str(caught.value)


AT = TargetSpec(point=Point(x=240, y=315))


@pytest.mark.parametrize(("action", "text", "meant"), [
    (ElementAction.CLICK, None, Click(target=AT)),
    (ElementAction.DOUBLE_CLICK, None, Click(target=AT, count=2)),
    (ElementAction.RIGHT_CLICK, None, Click(target=AT, button=MouseButton.RIGHT)),
    (ElementAction.TYPE, 'say "hi" {not a param} \\ done', TypeText(text='say "hi" {not a param} \\ done', target=AT)),
    (ElementAction.CLEAR, None, Clear(target=AT)),
    (ElementAction.CHECK, None, Check(target=AT)),
    (ElementAction.UNCHECK, None, Check(target=AT, checked=False)),
    (ElementAction.SELECT, "Express", Select(option="Express", target=AT)),
])
def test_an_action_on_an_element_is_the_step_line_it_means_at_its_place_now(action, text, meant):
    assert parse_step(element_step(action, text, 240, 315)).action == meant
