"""The check of typed text: read whole it passes, a tail is unverified, a head or anything more fails."""
from __future__ import annotations

import numpy as np
import pytest

from desktop_agent.core.values import Element, Frame, Rect, Role, Screen
from desktop_agent.run.verify import check_typed

FIELD = Rect(left=10, top=10, width=200, height=24)
TEXT = "Augusta Ada King, Countess of Lovelace"


def reads(text: str) -> Screen:
    field = Element(role=Role.FIELD, box=FIELD, text=text)
    return Screen(frame=Frame(image=np.zeros((100, 300, 3), np.uint8),
                              region=Rect(left=0, top=0, width=300, height=100)), elements=(field,))


@pytest.mark.parametrize("seen, ok, exact", [
    (TEXT, True, True),
    ("Augusta Ada King, Countess of LoveIace", True, True),   # OCR's l/I
    ("Countess of Lovelace", True, False),                    # a narrow field, scrolled to the end
    ("Ada King, Countess of", True, False),                   # a stretch of the middle
    ("Augusta Ada King, Countess of Lovelac", False, True),   # the end never arrived
    ("Augusta Ada King", False, True),
    (TEXT + "x", False, True),                                # more than was typed
    ("Grace Hopper " + TEXT, False, True),                    # the old text was not replaced
    ("", False, True),
    ("Countess of Lovelace|", True, False),                   # a tail, with the caret after it
])
def test_typed_text_is_read_whole_or_said_to_be_unverified(seen, ok, exact):
    outcome = check_typed(reads(seen), TEXT, FIELD, secret=False)
    assert (outcome.ok, outcome.exact) == (ok, exact), outcome.detail


@pytest.mark.parametrize("typed, seen, ok, exact", [
    ("Ada", "Adal", True, True),      # the caret right after the text, read as "l"
    ("Ada", "Ada|", True, True),
    ("Ada", "Adl", False, True),      # one key short, caret after it
    ("Paul", "Paull", True, True),
    ("Paul", "Paul", True, False),    # "Paul", or "Pau" and the caret: can't tell
])
def test_a_caret_after_the_text_is_not_taken_for_a_key(typed, seen, ok, exact):
    outcome = check_typed(reads(seen), typed, FIELD, secret=False)
    assert (outcome.ok, outcome.exact) == (ok, exact), outcome.detail


def test_typing_at_the_focus_passes_when_a_row_shows_it_after_the_prompt():
    row = (Element(role=Role.TEXT, box=Rect(left=0, top=50, width=60, height=16), text="$ echo"),
           Element(role=Role.TEXT, box=Rect(left=70, top=51, width=60, height=16), text="hello"))
    screen = Screen(frame=reads("").frame, elements=row)
    outcome = check_typed(screen, "echo hello", None, secret=False)
    assert outcome.ok and outcome.exact


@pytest.mark.parametrize("seen", ["Zoë Ångström café ñ ", "Zoë Ångström café ñ 图", "Zoë Ångström café ñ |"])
def test_characters_ocr_cannot_read_make_the_check_unverified_not_passed(seen):
    outcome = check_typed(reads(seen), "Zoë Ångström café ñ 東京", FIELD, secret=False)
    assert outcome.ok and not outcome.exact, outcome.detail


@pytest.mark.parametrize("typed, seen, exact", [
    ("Zoë", "Zoë", True), ("Zoë", "Zoë|", True), ("Zoe", "Zoe", True),
    ("Zoë", "Zoe", False),    # the accent read away, or lost by the keys: can't tell, so never passed
    ("Zoe", "Zoë", False),    # an accent the text doesn't have
    ("café", "cafe|", False)])
def test_a_reading_that_matches_only_without_accents_is_unverified(typed, seen, exact):
    outcome = check_typed(reads(seen), typed, FIELD, secret=False)
    assert outcome.ok and outcome.exact is exact, outcome.detail
    at_the_focus = check_typed(reads(seen), typed, None, secret=False)  # typed at the focus: any text on screen
    assert at_the_focus.ok and at_the_focus.exact is exact, at_the_focus.detail


def test_latin_text_cut_short_before_cjk_still_fails():
    outcome = check_typed(reads("Zoë Ångström"), "Zoë Ångström café ñ 東京", FIELD, secret=False)
    assert not outcome.ok
