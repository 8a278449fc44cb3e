"""A field's text as its application holds it, compared whole with what was typed into it."""
from __future__ import annotations

import numpy as np
import pytest

from desktop_agent.core.values import Element, Frame, Rect, Role, Screen
from desktop_agent.run.state_checks import typed_in_tree

BOX = Rect(left=10, top=10, width=200, height=24)


def field(text: str, *, accessible: str | None = ":1.4/field") -> Element:
    return Element(role=Role.FIELD, box=BOX, text=text, label="Name", source="a11y", accessible=accessible)


def after(element: Element) -> Screen:
    frame = Frame(image=np.zeros((50, 250, 3), np.uint8), region=Rect(left=0, top=0, width=250, height=50))
    return Screen(frame=frame, elements=(element,))


@pytest.mark.parametrize(("before", "now", "typed"), [
    ("", "Zoë 東京", "Zoë 東京"),
    ("Ada ", "Ada Lovelace", "Lovelace"),          # typed after what was there
    ("Lovelace", "Ada Lovelace", "Ada "),          # typed before it (the caret at the start)
    ("draft", "final", "final"),                   # the old text was selected and replaced
])
def test_the_typed_text_put_in_at_one_place_passes(before, now, typed):
    outcome = typed_in_tree(after(field(now)), field(before), typed)
    assert outcome is not None and outcome.ok and outcome.exact


@pytest.mark.parametrize(("before", "now", "typed"), [
    ("", "uiet", "quiet"),           # a character dropped
    ("", "quiett", "quiet"),         # one too many
    ("", "quite", "quiet"),          # two swapped
    ("Ada", "Ada", "Lovelace"),      # nothing arrived
])
def test_a_dropped_extra_or_swapped_character_fails(before, now, typed):
    outcome = typed_in_tree(after(field(now)), field(before), typed)
    assert outcome is not None and not outcome.ok
    assert f'holds "{now}"' in outcome.detail


def test_without_a_tree_or_once_the_field_is_gone_the_screen_is_read_instead():
    assert typed_in_tree(after(field("x")), field("", accessible=None), "x") is None
    assert typed_in_tree(after(field("x", accessible=":1.4/other")), field(""), "x") is None



def test_a_field_that_already_held_the_text_typed_over_it_passes():
    outcome = typed_in_tree(after(field("Ada")), field("Ada"), "Ada")  # typing replaces what is selected
    assert outcome is not None and outcome.ok and outcome.exact
