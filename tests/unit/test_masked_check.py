"""A secret typed into a masked field is checked by counting the field's mask characters, never by
reading it: fields of three toolkits as captured on Xvfb (Tk's show="•" with its caret, Qt's
Password echo mode, GTK3's invisible entry in yad), each after typing a known number of characters."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from desktop_agent.core.values import Frame, Rect, Screen
from desktop_agent.run.verify import check_typed, mask_glyphs

SCREENS = Path(__file__).resolve().parents[1] / "fixtures" / "screens"
TYPED = {"masked_tk.png": 9, "masked_qt.png": 8, "masked_gtk.png": 11}


@pytest.mark.parametrize(("name", "length"), TYPED.items())
def test_each_typed_character_is_one_mask_mark(name, length):
    assert mask_glyphs(cv2.imread(str(SCREENS / name))) == length


def field_screen(image: np.ndarray) -> tuple[Screen, Rect]:
    box = Rect(left=40, top=30, width=image.shape[1], height=image.shape[0])
    canvas = np.full((box.bottom + 30, box.right + 40, 3), 200, np.uint8)
    canvas[box.top:box.bottom, box.left:box.right] = image
    frame = Frame(image=canvas, region=Rect(left=0, top=0, width=canvas.shape[1], height=canvas.shape[0]))
    return Screen(frame=frame, elements=()), box


def test_as_many_marks_as_typed_pass_exactly_and_one_short_fails():
    screen, box = field_screen(cv2.imread(str(SCREENS / "masked_tk.png")))
    assert check_typed(screen, "S3cret-pw", box, secret=True).exact
    short = check_typed(screen, "S3cret-pw!", box, secret=True)
    assert not short.ok and "9 characters; 10 were typed" in short.detail


def test_a_field_that_shows_text_cannot_be_counted_and_is_unverified():
    image = np.full((30, 300, 3), 255, np.uint8)
    cv2.putText(image, "Ada Lovelace", (6, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
    screen, box = field_screen(image)
    outcome = check_typed(screen, "Ada Lovelace", box, secret=True)
    assert outcome.ok and not outcome.exact
    assert "Ada" not in outcome.detail  # the secret's check never repeats what it read


def test_an_empty_masked_field_counts_none():
    screen, box = field_screen(np.full((30, 300, 3), 255, np.uint8))
    outcome = check_typed(screen, "x", box, secret=True)
    assert not outcome.ok and "0 characters; 1 were typed" in outcome.detail
