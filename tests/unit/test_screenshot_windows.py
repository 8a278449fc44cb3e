"""A saved screenshot has no window list: the windows its pixels show are found and read each like a
live window, and a window's menu bar comes apart into its menus. Real screens, real models.

qt_dialog.png: a PySide6 dialog (group box, labelled fields, a checkbox, OK/Cancel) as captured on
Xvfb; qt_menu.png: a PySide6 main window with seven menus; sample_app.png: the bundled Tk form.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from desktop_agent.compose import build_perceiver
from desktop_agent.core.values import Frame, Rect, Role, Screen
from desktop_agent.grounding.resolve import ground
from desktop_agent.language.steps import parse_target
from desktop_agent.perception.ocr import TextReader
from desktop_agent.perception.regions import window_like_regions

SCREENS = Path(__file__).resolve().parents[1] / "fixtures" / "screens"
DESKTOP_BGR = (52, 44, 40)


def image(name: str) -> np.ndarray:
    return cv2.imread(str(SCREENS / name))


def on_desktop(window: np.ndarray, *, size: tuple[int, int], at: tuple[int, int]) -> np.ndarray:
    width, height = size
    shot = np.full((height, width, 3), DESKTOP_BGR, np.uint8)
    shot[at[1]:at[1] + window.shape[0], at[0]:at[0] + window.shape[1]] = window
    return shot


def perceived(shot: np.ndarray) -> Screen:
    height, width = shot.shape[:2]
    return build_perceiver().perceive(Frame(image=shot, region=Rect(left=0, top=0, width=width, height=height)), ())


def test_the_windows_on_a_desktop_are_found_with_an_icon_caption_on_their_own():
    dialog = image("qt_dialog.png")
    shot = on_desktop(dialog, size=(1920, 1080), at=(900, 500))
    cv2.putText(shot, "Trash", (40, 120), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1)
    regions = window_like_regions(shot)
    assert Rect(left=900, top=500, width=dialog.shape[1], height=dialog.shape[0]) in regions
    assert len(regions) == 2
    caption = next(r for r in regions if r.left < 100)
    assert caption.width < 100 and caption.height < 40


@pytest.mark.parametrize("name", ["sample_app.png", "qt_menu.png", "qt_dialog.png"])
def test_a_screenshot_of_one_window_is_one_region(name):
    shot = image(name)
    assert window_like_regions(shot) == [Rect(left=0, top=0, width=shot.shape[1], height=shot.shape[0])]


def test_a_small_dialog_on_a_large_desktop_is_read_whole():
    # Read as one image, a 3840x2160 frame was scaled down and the labels were lost: "Name" not found.
    screen = perceived(on_desktop(image("qt_dialog.png"), size=(3840, 2160), at=(1800, 1000)))
    field = ground(parse_target('the field right of "Name"'), screen)
    assert field.element.role is Role.FIELD and field.box.left > 1800 and 1000 < field.box.top < 1060
    assert ground(parse_target('the "Gift wrap" checkbox'), screen).element.role is Role.CHECKBOX
    assert ground(parse_target('"OK"'), screen).element.role is Role.BUTTON


@pytest.mark.parametrize(("name", "menus"), [
    ("qt_menu.png", ["File", "Edit", "View", "Insert", "Format", "Help"]),
    ("sample_app.png", ["File", "Edit", "Help"])])
def test_a_menu_bar_comes_apart_into_its_menus(name, menus):
    screen = perceived(image(name))
    lefts = []
    for menu in menus:
        target = ground(parse_target(f'"{menu}"'), screen)
        assert target.element.text == menu and target.strategy == "text-exact"
        lefts.append(target.box.left)
    assert lefts == sorted(lefts) and target.box.top < 10


def test_only_a_window_top_line_is_taken_for_a_menu_bar():
    bar = image("qt_menu.png")[:22, :330]
    reader = TextReader()
    assert len(reader.read(bar)) == 7
    assert [e.text for e in reader.read(bar, at_window_top=False)] == ["File Edit View Insert Format Iools Help"]


def test_a_row_of_capitalised_words_right_under_the_menu_bar_is_no_menu_bar():
    # A toolbar of worded buttons under a Qt menu bar starts within one of its line heights from the
    # window's top: it was split word by word, and "Get Mail" could not be found.
    bar = image("qt_menu.png")[:22, :330]
    under = np.vstack([bar, bar, np.full((10, 330, 3), bar[0, 0], np.uint8)])
    texts = [e.text for e in TextReader().read(under)]
    assert texts[:7] == ["File", "Edit", "View", "Insert", "Format", "Iools", "Help"]
    assert texts[7:] == ["File Edit View Insert Format Iools Help"]
