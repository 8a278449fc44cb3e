"""Structure of windows on drawn screens: linked buttons split at the lines between them, a tab strip's
current tab (drawn without an outline) joins its tabs, buttons whose outline went unseen join the one
beside them, and column headers (wide) are not tabs."""
from __future__ import annotations

import cv2
import numpy as np

from desktop_agent.core.values import Element, Rect, Role
from desktop_agent.perception.strips import find_strips
from desktop_agent.perception.widgets import detect_widgets


def button(left: int, width: int, text: str, top: int = 10, height: int = 24) -> Element:
    return Element(role=Role.BUTTON, box=Rect(left=left, top=top, width=width, height=height), text=text,
                   label=text, source="widget")


def text(left: int, width: int, s: str, top: int = 8, height: int = 28) -> Element:
    return Element(role=Role.TEXT, box=Rect(left=left, top=top, width=width, height=height), text=s)


def test_a_path_bar_drawn_as_one_outline_is_split_into_its_buttons():
    image = np.full((60, 400, 3), 245, np.uint8)
    cv2.rectangle(image, (20, 10), (320, 43), (120, 120, 120), 1)
    for x in (70, 150, 240):
        cv2.line(image, (x, 10), (x, 43), (120, 120, 120), 1)
    for x in (30, 80, 160, 250):
        cv2.putText(image, "ab", (x, 32), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (20, 20, 20), 1)
    found = [e for e in detect_widgets(image) if e.role is Role.BUTTON]
    assert len(found) == 4
    for e, (left, right) in zip(found, [(20, 70), (70, 150), (150, 240), (240, 320)]):
        assert abs(e.box.left - left) <= 2 and abs(e.box.right - right) <= 2


def test_a_tab_strips_current_tab_joins_its_tabs():
    elements = [text(10, 60, "General"), button(76, 96, "Appearance"), button(172, 75, "Network"),
                button(247, 68, "Privacy"), text(20, 40, "Name", top=60, height=20)]
    out = find_strips(elements)
    tabs = [e for e in out if e.role is Role.TAB]
    assert [t.text for t in tabs] == ["General", "Appearance", "Network", "Privacy"]
    assert tabs[0].box.right == 76 and tabs[0].box.top == 10  # the gap it fills, the strip's height
    assert next(e for e in out if e.text == "Name").role is Role.TEXT


def test_text_touching_a_lone_button_is_a_button_boxed_to_it():
    out = find_strips([text(200, 33, "Quit", top=120, height=20), button(233, 34, "Save", top=120, height=20),
                       text(267, 43, "Load", top=120, height=20)])
    assert [(e.role, e.text, e.box.left, e.box.right) for e in out] == [
        (Role.BUTTON, "Quit", 200, 233), (Role.BUTTON, "Save", 233, 267), (Role.BUTTON, "Load", 267, 310)]


def test_column_headers_wider_than_their_words_are_not_tabs():
    out = find_strips([button(10, 300, "Title", height=20), button(310, 260, "Artist", height=20),
                       text(575, 60, "Length", height=24)])
    assert all(e.role is not Role.TAB for e in out)


def test_text_in_an_empty_button_of_a_run_names_it():
    out = find_strips([button(10, 150, "Income"), button(160, 150, ""), text(200, 70, "Summary")])
    assert [(e.role, e.text) for e in out] == [(Role.BUTTON, "Income"), (Role.BUTTON, "Summary")]


def test_a_current_tab_in_the_middle_of_its_strip_joins_the_tabs_on_both_sides():
    out = find_strips([button(10, 70, "General"), button(80, 96, "Appearance"), text(186, 60, "Network"),
                       button(252, 84, "Advanced")])
    assert [(e.role, e.text) for e in out] == [(Role.TAB, "General"), (Role.TAB, "Appearance"),
                                               (Role.TAB, "Network"), (Role.TAB, "Advanced")]
