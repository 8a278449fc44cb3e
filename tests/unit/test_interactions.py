"""Each action kind: the operations it becomes and what counts as having worked."""
import numpy as np
import pytest
from fakes import draw_mask

from desktop_agent.core.actions import (
    KeyChord,
    KeyText,
    MouseButton,
    MouseClick,
    MouseDrag,
    MouseScroll,
    StartProcess,
)
from desktop_agent.core.values import Element, Frame, Point, Rect, Role, Screen, Target
from desktop_agent.language.steps import parse_step
from desktop_agent.run import interactions
from desktop_agent.run.interactions import Grounded

A = Target(box=Rect(left=10, top=10, width=20, height=20), point=Point(x=20, y=20), strategy="t", why="")
B = Target(box=Rect(left=100, top=10, width=20, height=20), point=Point(x=110, y=20), strategy="t", why="")


def ops(text, *targets):
    return interactions.operations(parse_step(text).action, Grounded(targets=targets))


@pytest.mark.parametrize("text, expected", [
    ('click "A"', (MouseClick(point=A.point),)),
    ('double-click "A"', (MouseClick(point=A.point, count=2),)),
    ('right-click "A"', (MouseClick(point=A.point, button=MouseButton.RIGHT),)),
    ('type "hi" into "A"', (MouseClick(point=A.point), KeyText(text="hi"))),
    ('select "X" in "A"', (MouseClick(point=A.point),)),
    ('scroll down 4 in "A"', (MouseScroll(point=A.point, clicks=-4),)),
])
def test_targeted_operations(text, expected):
    assert ops(text, A) == expected


def test_typing_into_a_field_selects_its_content_first():
    field = Target(box=A.box, point=A.point, strategy="t", why="",
                   element=Element(role=Role.FIELD, box=A.box, text="old"))
    assert ops('type "new" into "A"', field) == (MouseClick(point=A.point, count=3), KeyText(text="new"))
    empty = Target(box=A.box, point=A.point, strategy="t", why="", element=Element(role=Role.FIELD, box=A.box))
    assert ops('type "new" into "A"', empty) == (MouseClick(point=A.point), KeyText(text="new"))


def test_untargeted_operations():
    assert ops('type "hi"') == (KeyText(text="hi"),)
    assert ops("press ctrl+s") == (KeyChord(keys=("ctrl", "s")),)
    assert ops("scroll up") == (MouseScroll(point=None, clicks=3),)
    assert ops('launch "xcalc -rpn"') == (StartProcess(argv=("xcalc", "-rpn")),)


def test_drag_goes_from_the_first_target_to_the_second():
    assert ops('drag "A" to "B"', A, B) == (MouseDrag(start=A.point, end=B.point),)


def test_check_clicks_only_when_the_state_differs():
    box = Element(role=Role.CHECKBOX, box=A.box, label="A", checked=True)
    checked = Target(box=A.box, point=A.point, strategy="t", why="", element=box)
    assert ops('check "A"', checked) == ()
    assert ops('uncheck "A"', checked) == (MouseClick(point=A.point),)


def screen(*elements):
    frame = Frame(image=np.zeros((200, 200, 3), np.uint8), region=Rect(left=0, top=0, width=200, height=200))
    return Screen(frame=frame, elements=elements)


def outcome(text, after, *, changed=True, secret=False, target=A):
    return interactions.check_outcome(parse_step(text).action, Grounded(targets=(target,)), after,
                                      changed=changed, secret=secret)


def test_typed_text_is_checked_in_the_field_tolerating_the_caret():
    field = Element(role=Role.FIELD, box=A.box, text="Ada|")
    assert outcome('type "Ada" into "A"', screen(field)).ok
    assert not outcome('type "Grace" into "A"', screen(field)).ok


def test_a_masked_field_is_checked_by_counting_its_marks():
    field = Target(box=Rect(left=10, top=10, width=120, height=24), point=Point(x=70, y=22), strategy="t", why="")
    after = screen()
    draw_mask(after.frame.image, field.box, 2)
    assert outcome('type "pw" into "A"', after, secret=True, target=field).exact
    assert not outcome('type "pwd" into "A"', after, secret=True, target=field).ok
    assert not outcome('type "pw" into "A"', after, secret=True, changed=False, target=field).ok


def test_checkbox_state_after_check():
    assert outcome('check "A"', screen(Element(role=Role.CHECKBOX, box=A.box, checked=True))).ok
    assert not outcome('check "A"', screen(Element(role=Role.CHECKBOX, box=A.box, checked=False))).ok


def test_click_must_change_something_but_press_need_not():
    assert not outcome('click "A"', screen(), changed=False).ok
    assert interactions.check_outcome(parse_step("press enter").action, Grounded(targets=()), screen(),
                                      changed=False).ok


def test_typed_text_check_respects_case_but_not_shape_twins():
    assert not outcome('type "Zoë Ångström" into "A"',
                       screen(Element(role=Role.FIELD, box=A.box, text="Zoë ångström"))).ok
    assert outcome('type "Oscar" into "A"', screen(Element(role=Role.FIELD, box=A.box, text="oscar"))).ok
