"""`in`/`inside` a part of a window — toolbar, sidebar, tab strip — on a drawn file manager: the part's
box holds the target, so words found elsewhere too are told apart."""
from __future__ import annotations

import numpy as np
import pytest

from desktop_agent.core.errors import GroundingError
from desktop_agent.core.values import Element, Frame, Rect, Role, Screen
from desktop_agent.grounding.containers import parts
from desktop_agent.grounding.resolve import ground
from desktop_agent.language.steps import parse_target

WINDOW = Rect(left=0, top=0, width=800, height=400)


def el(role: Role, s: str, left: int, top: int, height: int = 20) -> Element:
    return Element(role=role, box=Rect(left=left, top=top, width=9 * len(s), height=height), text=s, window_id=1)


def file_manager(*extra: Element) -> Screen:
    elements = [el(Role.TEXT, w, 10 + 60 * i, 0) for i, w in enumerate(("File", "Edit", "View", "Help"))]
    elements += [el(Role.TEXT, w, 10 + 90 * i, 28) for i, w in enumerate(("Back", "Forward", "Delete", "Rename"))]
    elements += [el(Role.TEXT, p, 10, 70 + 20 * i) for i, p in enumerate(("Home", "Desktop", "Music", "Trash"))]
    for i, name in enumerate(("Delete", "notes.txt", "Music")):
        elements += [el(Role.TEXT, name, 250, 70 + 30 * i), el(Role.TEXT, "2 KB", 450, 70 + 30 * i)]
    image = np.full((WINDOW.height, WINDOW.width, 3), 255, np.uint8)
    image[60:, :200] = 236  # the sidebar's own shade, as GTK and Qt draw it
    return Screen(frame=Frame(image=image, region=WINDOW), elements=tuple(elements + list(extra)))


def test_the_toolbar_is_the_row_under_the_menu_bar():
    [toolbar] = parts(Role.TOOLBAR, file_manager())
    assert toolbar.top == 28 and toolbar.left == 10
    found = ground(parse_target('"Delete" in the toolbar'), file_manager())
    assert found.box.top == 28
    assert "inside toolbar at" in found.why


def test_the_sidebar_is_the_list_down_the_left_with_more_beside_it():
    [sidebar] = parts(Role.SIDEBAR, file_manager())
    assert sidebar.left <= 10 and sidebar.right < 250
    found = ground(parse_target('"Music" in the sidebar'), file_manager())
    assert found.box.left <= 10 and found.point.x == 10 + 9 * len("Music") // 2


def test_an_entry_in_the_sidebar_is_its_row():
    found = ground(parse_target('"Music" in the sidebar'), file_manager())
    assert found.element is not None and found.element.role is Role.ITEM
    assert found.box.width > 9 * len("Music") and found.box.right <= 250  # the sidebar's row, not the table's


def test_words_outside_the_part_are_not_it():
    with pytest.raises(GroundingError, match=r'no "notes.txt" inside toolbar at'):
        ground(parse_target('"notes.txt" in the toolbar'), file_manager())


def test_a_tab_in_the_tab_strip_and_two_strips_must_be_told_apart():
    tabs = [Element(role=Role.TAB, box=Rect(left=300 + 70 * i, top=300, width=70, height=24), text=t, window_id=1)
            for i, t in enumerate(("General", "Network", "Privacy"))]
    found = ground(parse_target("the last tab in the tab strip"), file_manager(*tabs))
    assert found.element is not None and found.element.text == "Privacy"
    other = Element(role=Role.TAB, box=Rect(left=20, top=360, width=70, height=24), text="Sheet1", window_id=1)
    with pytest.raises(GroundingError, match="2 of tab strip on screen; name one by a word in it"):
        ground(parse_target("the last tab in the tab strip"), file_manager(*tabs, other))
    found = ground(parse_target('the last tab in the "General" tab strip'), file_manager(*tabs, other))
    assert found.element is not None and found.element.text == "Privacy"
