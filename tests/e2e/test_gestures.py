"""Scroll, drag, double-click and right-click (with a context menu) through the agent on a real Tk
window (tests/apps/gesture_board.py), checked by what the application itself printed."""
from __future__ import annotations

import sys

import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture
def board(desktop):
    return desktop.launch([sys.executable, "-m", "tests.apps.gesture_board", "--geometry", "+300+200"],
                          title="Gesture Board", name="gesture-board")


def events(app, kind: str) -> list[dict]:
    return [event for event in app.events() if event["event"] == kind]


def test_scroll_over_a_list_moves_it_down_by_the_clicks_asked_for(desktop, board):
    run = desktop.agent("run", "--step", 'scroll down 5 over "Item 04"',
                        "--step", 'wait for "Item 01" to disappear up to 2 s')

    assert run.code == 0, run.stdout + run.stderr
    scrolled = events(board, "scrolled")
    assert scrolled and scrolled[-1]["first"] > 8  # the list itself moved past its first page


def test_drag_moves_a_file_onto_the_bin(desktop, board):
    run = desktop.agent("run", "--step", 'drag "Report.txt" to "Bin"', "--step", 'expect "Report.txt is in the Bin"')

    assert run.code == 0, run.stdout + run.stderr
    assert events(board, "dropped") == [{"event": "dropped", "item": "Report.txt", "on": "Bin"}]


def test_double_click_opens_a_file(desktop, board):
    run = desktop.agent("run", "--step", 'double-click "Notes.md"')

    assert run.code == 0, run.stdout + run.stderr
    assert events(board, "opened") == [{"event": "opened", "item": "Notes.md"}]


def test_right_click_opens_the_context_menu_and_a_choice_in_it_is_clicked(desktop, board):
    run = desktop.agent("run", "--step", 'right-click "Notes.md"', "--step", 'click "Duplicate"')

    assert run.code == 0, run.stdout + run.stderr
    assert events(board, "menu") == [{"event": "menu", "item": "Notes.md"}]
    assert events(board, "chosen") == [{"event": "chosen", "item": "Notes.md", "choice": "Duplicate"}]


def test_a_click_into_an_empty_page_lands(desktop):
    """A page of one colour is something seen (an empty document), not a failed capture."""
    app = desktop.launch([sys.executable, "-m", "tests.apps.blank_page", "--geometry", "400x300+300+200"],
                         title="Blank Page", name="blank-page")
    point = app.point(200, 150)
    run = desktop.agent("run", "--json", "--step", f"click at {point.x},{point.y}")
    assert run.code == 0, run.stderr
    app.wait_for_output(lambda out: out.endswith("\n"))
    assert app.events() == [{"event": "clicked", "x": 200, "y": 150}]
