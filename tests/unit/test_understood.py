"""`understand_target`: what each word of a target phrase was read as, the same way the parser read it."""
from __future__ import annotations

import pytest

from desktop_agent.core.errors import TaskSyntaxError
from desktop_agent.core.values import Role
from desktop_agent.language.steps import understand_target


def read(text: str) -> list[tuple[str, str, Role | None]]:
    return [(u.words, u.read_as, u.role) for u in understand_target(text)]


def test_ordinal_quoted_text_role_noun_relation_and_anchor():
    assert read('the 2nd "Edit" button below "Name"') == [
        ("the", "article", None), ("2nd", "ordinal", None), ("Edit", "quoted text", None),
        ("button", "role noun", Role.BUTTON), ("below", "relation", None), ("Name", "anchor quoted text", None)]


def test_a_cell_in_a_named_row_under_a_header():
    assert read('the cell in row "notes.txt" under "Size"') == [
        ("the", "article", None), ("cell", "role noun", Role.CELL), ("in", "relation", None),
        ("row", "anchor role noun", Role.ITEM), ("notes.txt", "anchor quoted text", None),
        ("under", "anchor relation", None), ("Size", "anchor quoted text", None)]


@pytest.mark.parametrize(("target", "expected"), [
    ("Log in", [("Log", "text", None), ("in", "text", None)]),                  # no target follows "in"
    ("Open file menu", [("Open", "text", None), ("file", "text", None), ("menu", "role noun", Role.MENU)]),
    ("menu", [("menu", "text", None)]),                                       # a bare word is its text
    ("at 120,340", [("at", "point", None), ("120,340", "point", None)]),
    ('the "Documents" place', [("the", "article", None), ("Documents", "quoted text", None),
                               ("place", "role noun", Role.ITEM)]),
])
def test_words_read_as_the_parser_reads_them(target, expected):
    assert read(target) == expected


def test_a_phrase_that_does_not_parse_raises_its_syntax_error():
    with pytest.raises(TaskSyntaxError, match="is not a kind of target"):
        understand_target('the "Landscape" gizmo')
