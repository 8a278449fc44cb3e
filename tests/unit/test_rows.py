"""Rows, cells and grids on small drawn screens: a file table beside a sidebar (its entries at another
spacing), each row the table's whole line; cells by row and column header; OCR lines across columns;
spreadsheet grids seen as cells."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from desktop_agent.core.errors import GroundingError
from desktop_agent.core.values import Element, Frame, Rect, Role, Screen
from desktop_agent.grounding.resolve import ground
from desktop_agent.grounding.textmatch import Tier, score_text
from desktop_agent.language.steps import parse_target
from desktop_agent.perception.widget_text import attach_text
from desktop_agent.perception.widgets import detect_widgets

FILES = [("notes.txt", "2 KB", "Text"), ("report.pdf", "840 KB", "PDF"), ("budget.xlsx", "56 KB", "Sheet"),
         ("photo.jpg", "3 MB", "Image")]
TABLE = Rect(left=200, top=80, width=500, height=200)  # framed, white; rows 30 px from y=110
PLACES = ["Home", "Desktop", "Documents", "Music", "Trash", "Other"]  # x=20, 14 px apart from y=112


def text(s: str, left: int, top: int, height: int = 20) -> Element:
    return Element(role=Role.TEXT, box=Rect(left=left, top=top, width=9 * len(s), height=height), text=s,
                   source="ocr")


def file_manager(*, merged: bool = False, checkboxes: bool = False) -> Screen:
    image = np.full((320, 760, 3), 240, np.uint8)
    cv2.rectangle(image, (TABLE.left, TABLE.top), (TABLE.right - 1, TABLE.bottom - 1), (255, 255, 255), -1)
    cv2.rectangle(image, (TABLE.left, TABLE.top), (TABLE.right - 1, TABLE.bottom - 1), (120, 120, 120), 1)
    elements = [text("Name", 240, 84), text("Size", 420, 84), text("Type", 520, 84)]
    elements += [text(p, 20, 105 + 14 * i, 14) for i, p in enumerate(PLACES)]
    for i, (name, size, kind) in enumerate(FILES):
        top = 115 + 30 * i
        elements.append(text(name, 240, top))
        if merged:  # one OCR line from the Size column's words to the end of the Type column's
            line = f"{size} {kind}"
            elements.append(Element(role=Role.TEXT, box=Rect(left=420, top=top, width=100 + 9 * len(kind),
                                                             height=20), text=line, source="ocr"))
        else:
            elements += [text(size, 420, top), text(kind, 520, top)]
        if checkboxes:
            elements.append(Element(role=Role.CHECKBOX, box=Rect(left=214, top=top + 2, width=16, height=16),
                                    checked=i % 2 == 0, source="widget"))
    frame = Frame(image=image, region=Rect(left=0, top=0, width=760, height=320))
    return Screen(frame=frame, elements=tuple(elements))


def grounded(target: str, screen: Screen):
    return ground(parse_target(target), screen)


def test_a_row_is_the_tables_whole_line_acted_on_at_its_words():
    found = grounded('the row "report.pdf"', file_manager())
    assert found.box.left <= TABLE.left + 2 and found.box.right >= TABLE.right - 2  # the list's edges
    assert found.box.top <= 145 and found.box.bottom >= 165 and found.box.height == 30  # its line
    assert found.point == text("report.pdf", 240, 145).box.center
    assert found.element is not None and found.element.role is Role.ITEM
    assert "row (" in found.why


def test_a_sidebar_entry_beside_the_table_is_a_row_of_the_sidebar_only():
    found = grounded('the "Documents" place', file_manager())
    assert found.box.right <= TABLE.left   # the table's cells in that band are spaced otherwise
    assert found.box.height == 14


def test_the_cell_in_a_row_under_a_header():
    found = grounded('the cell in row "budget.xlsx" under "Size"', file_manager())
    assert found.element is not None and found.element.text == "56 KB"
    assert found.element.role is Role.CELL
    assert 'inside "budget.xlsx" item' in found.why and 'below "Size"' in found.why


def test_a_cell_is_its_columns_span_across_the_row_acted_on_at_its_words():
    found = grounded('the cell in row "budget.xlsx" under "Size"', file_manager())
    row = grounded('the row "budget.xlsx"', file_manager()).box
    name_right, size_right, type_left = 240 + 9 * 4, 420 + 9 * 4, 520  # the headers' words
    assert (found.box.left, found.box.right) == ((name_right + 420) // 2, (size_right + type_left) // 2)
    assert (found.box.top, found.box.bottom) == (row.top, row.bottom)
    assert found.point == text("56 KB", 420, 175).box.center
    last = grounded('the cell in row "budget.xlsx" under "Type"', file_manager())
    assert last.box.right == row.right  # the last column reaches the table's edge


def test_a_framed_last_header_ends_its_column_at_its_own_edge():
    plain = file_manager()
    section = Element(role=Role.BUTTON, box=Rect(left=515, top=82, width=80, height=24), text="Type",
                      source="widget")  # a header section drawn as a button, the table wider than it
    framed = Screen(frame=plain.frame, elements=tuple(e if e.text != "Type" else section for e in plain.elements))
    found = grounded('the cell in row "budget.xlsx" under "Type"', framed)
    assert (found.box.left, found.box.right) == ((420 + 9 * 4 + 515) // 2, 595)


def test_a_line_ocr_read_across_columns_is_cut_to_the_words_in_the_headers_column():
    found = grounded('the cell in row "photo.jpg" under "Type"', file_manager(merged=True))
    assert found.element is not None and found.element.text == "Image"
    assert found.point.x > (420 + 9 * 4 + 520) // 2 == found.box.left  # its words, in its column
    found = grounded('the cell in row "photo.jpg" under "Size"', file_manager(merged=True))
    assert found.element is not None and found.element.text == "3 MB"


def test_the_checkbox_in_a_named_row():
    found = grounded('the checkbox in the "report.pdf" row', file_manager(checkboxes=True))
    assert found.element is not None and found.element.role is Role.CHECKBOX
    assert found.element.box.top == 145 + 2


def test_no_checkbox_in_a_row_that_has_none_is_an_error_naming_the_row():
    with pytest.raises(GroundingError, match=r'no checkbox inside "report.pdf" item at'):
        grounded('the checkbox in the "report.pdf" row', file_manager())


def test_a_text_in_no_list_is_still_found_as_a_row_by_its_words():
    lone = Screen(frame=file_manager().frame, elements=(text("Welcome", 300, 20),))
    found = grounded('the row "Welcome"', lone)
    assert found.element is not None and found.element.text == "Welcome"
    assert "perception saw them as text" in found.why


def test_a_misread_phrase_inside_a_longer_line_is_a_fuzzy_match_of_its_words():
    tier, _score, span = score_text("Core files", "Core fles 12 MB")
    assert tier is Tier.FUZZY and span == (0, 9)
    assert score_text("Item 12", "Item 26 and more") is None  # numbers are never read loosely


def test_a_drawn_grid_is_cells_and_a_line_across_them_is_cut_at_their_edges():
    image = np.full((140, 420, 3), 255, np.uint8)
    for x in range(20, 401, 95):
        cv2.line(image, (x, 20), (x, 110), (160, 160, 160), 1)
    for y in range(20, 111, 30):
        cv2.line(image, (20, y), (400, y), (160, 160, 160), 1)
        for x in range(20, 400, 95):
            cv2.putText(image, "42", (x + 8, y + 22), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1)
    found = detect_widgets(image)
    assert len(found) == 12 and all(e.role is Role.CELL for e in found)
    line = Element(role=Role.TEXT, box=Rect(left=60, top=55, width=90, height=20), text="Rent 900")
    out = attach_text(found, [line])
    assert sorted(e.text for e in out if e.text) == ["900", "Rent"]


def _marks(count: int) -> np.ndarray:
    """Check boxes drawn as Qt's item views draw them: 14 px, rounded corners, one under the next from
    the list's top edge."""
    image = np.full((120, 200, 3), 255, np.uint8)
    cv2.rectangle(image, (11, 9), (190, 110), (184, 184, 184), 1)
    for i in range(count):
        top = 10 + 14 * i
        cv2.rectangle(image, (15, top), (28, top + 13), (188, 188, 188), 1)
        for x, y in ((15, top), (28, top), (15, top + 13), (28, top + 13)):
            image[y, x] = 204
    return image


def test_a_lists_check_boxes_stacked_edge_to_edge_are_each_a_checkbox():
    found = detect_widgets(_marks(4))
    assert [(e.role, e.box.top) for e in found] == [(Role.CHECKBOX, 10 + 14 * i) for i in range(4)]


def test_two_boxes_stacked_edge_to_edge_are_spin_arrows_not_checkboxes():
    assert detect_widgets(_marks(2)) == []
