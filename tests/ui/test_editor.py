"""Task editor: errors as you type (debounced), every bad line listed, parameters, files, read-only."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCharFormat
from PySide6.QtWidgets import QLineEdit, QListWidget, QTableWidget

from desktop_agent.core.errors import TaskSyntaxError
from desktop_agent.language.task_file import read_task
from ui.code_edit import CodeEdit
from ui.editor import TaskEditor

ORDER = ['type "Ada Lovelace" into the field right of "Customer name"',
         'type "{email}" into the "Email" field',
         'select "Express" in the "Shipping" combo',
         'click "Submit order"']


@pytest.fixture
def editor(qtbot) -> TaskEditor:
    widget = TaskEditor()
    qtbot.addWidget(widget)
    widget.resize(800, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def steps_of(editor: TaskEditor) -> CodeEdit:
    return editor.findChild(CodeEdit, "steps")


def problems_of(editor: TaskEditor) -> list[str]:
    problems = editor.findChild(QListWidget, "problems")
    return [problems.item(i).text() for i in range(problems.count())]


def table_of(editor: TaskEditor) -> dict[str, str]:
    table = editor.findChild(QTableWidget, "parameters")
    return {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}


def set_param(editor: TaskEditor, name: str, value: str) -> None:
    table = editor.findChild(QTableWidget, "parameters")
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == name)
    table.item(row, 1).setText(value)  # what the cell editor does when it commits


def wavy_marks(edit: CodeEdit) -> list[tuple[int, int, int]]:
    """(line, start column, end column) of every wavy underline, 0-based columns."""
    return [(s.cursor.blockNumber() + 1, s.cursor.selectionStart() - s.cursor.block().position(),
             s.cursor.selectionEnd() - s.cursor.block().position())
            for s in edit.extraSelections()
            if s.format.underlineStyle() == QTextCharFormat.UnderlineStyle.WaveUnderline]


def test_typing_a_bad_step_shows_the_error_after_a_pause_and_fixing_it_clears_it(editor, qtbot):
    editor.set_task(name="Order", steps=['click "OK"'])
    steps = steps_of(editor)
    steps.moveCursor(steps.textCursor().MoveOperation.End)
    qtbot.keyClick(steps, Qt.Key.Key_Return)
    qtbot.keyClicks(steps, 'clik "Save"')
    assert problems_of(editor) == []  # not yet: the list waits for a pause in typing
    assert [(e.location.line, e.location.column) for e in editor.errors()] == [(2, 1)]  # the API doesn't
    qtbot.waitUntil(lambda: len(problems_of(editor)) == 1)
    assert problems_of(editor)[0] == 'line 2, col 1: unknown verb "clik" — did you mean "click"?'
    assert wavy_marks(steps) == [(2, 0, 4)]
    assert not editor.valid

    steps.go_to(2, 4)
    with qtbot.waitSignal(editor.validityChanged, check_params_cb=lambda ok: ok):
        qtbot.keyClicks(steps, "c")
    assert steps.toPlainText() == 'click "OK"\nclick "Save"'
    assert problems_of(editor) == [] and wavy_marks(steps) == [] and editor.errors() == []


def test_every_bad_line_is_listed_with_its_column(editor):
    editor.set_task(name="Bad", steps=['clik "OK"', "", 'type "x" onto "Name"', "# fine",
                                       "press ctrl+shiftt+s", 'click "OK"'])
    assert [(e.location.line, e.location.column) for e in editor.errors()] == [(1, 1), (3, 10), (5, 12)]
    assert problems_of(editor) == [
        'line 1, col 1: unknown verb "clik" — did you mean "click"?',
        'line 3, col 10: unexpected "onto" — write: type "hello" into the "Name" field',
        'line 5, col 12: unknown key "shiftt" — did you mean "shift"?']
    assert wavy_marks(steps_of(editor)) == [(1, 0, 4), (3, 9, 13), (5, 11, 17)]
    with pytest.raises(TaskSyntaxError, match="clik"):
        editor.plan()


def test_clicking_an_error_moves_the_cursor_there(editor, qtbot):
    editor.set_task(name="Bad", steps=['click "OK"', 'click "Cancel"', 'type "x" onto "Name"'])
    problems = editor.findChild(QListWidget, "problems")
    item = problems.item(0)
    qtbot.mouseClick(problems.viewport(), Qt.MouseButton.LeftButton,
                     pos=problems.visualItemRect(item).center())
    cursor = steps_of(editor).textCursor()
    assert (cursor.blockNumber() + 1, cursor.positionInBlock() + 1) == (3, 10)
    assert steps_of(editor).hasFocus()


def test_parameters_come_from_quoted_text_and_fill_the_plan(editor, qtbot):
    editor.set_task(name="Order", steps=[*ORDER, "click {not_a_param}", 'type "{{literal}}"'])
    assert table_of(editor) == {"email": ""}  # only {name} in quoted text is a parameter, as when it runs
    (error,) = editor.errors()
    assert (error.message, error.location.line, error.location.column) == \
        ("parameter {email} has no value", 2, 7)
    assert wavy_marks(steps_of(editor)) == [(2, 6, 13)]

    with qtbot.waitSignal(editor.validityChanged, check_params_cb=lambda ok: ok):
        set_param(editor, "email", "ada@example.org")
    plan = editor.plan()
    assert plan.name == "Order" and plan.params == {"email": "ada@example.org"}
    assert plan.steps[1].action.text == "ada@example.org"
    assert [s.line for s in plan.steps] == [1, 2, 3, 4, 5, 6]
    assert plan.steps[5].action.text == "{literal}"


def test_a_missing_parameter_value_is_an_error(editor, qtbot):
    editor.set_task(name="Order", steps=ORDER, params={"email": "ada@example.org"})
    assert editor.valid and editor.errors() == []
    with qtbot.waitSignal(editor.validityChanged, check_params_cb=lambda ok: not ok):
        set_param(editor, "email", "")
    assert [e.message for e in editor.errors()] == ["parameter {email} has no value"]
    with pytest.raises(TaskSyntaxError, match=r"\{email\} has no value"):
        editor.plan()
    assert problems_of(editor) == [
        "line 2, col 7: parameter {email} has no value — fill it in under Parameters"]


def test_a_renamed_parameter_gets_its_own_row(editor, qtbot):
    editor.set_task(name="Order", steps=['type "{email}"'], params={"email": "ada@example.org"})
    steps = steps_of(editor)
    steps.selectAll()
    qtbot.keyClicks(steps, 'type "{mail}" into "Email"')
    qtbot.waitUntil(lambda: "mail" in table_of(editor))
    assert table_of(editor) == {"mail": "", "email": "ada@example.org"}  # a filled, unused one stays


def test_open_edit_save_round_trip_and_modified_flag(editor, qtbot, tmp_path):
    path = tmp_path / "order.yaml"
    path.write_text("name: Fill in the order\n"
                    "steps:\n"
                    '  - "# the customer"\n'
                    "  - type \"{email}\" into the \"Email\" field\n"
                    "  - click 'Submit order'\n"
                    "params:\n  email: ada@example.org\n"
                    "policy: strict.yaml\n", encoding="utf-8")
    editor.open_file(path)
    assert editor.path == path and not editor.modified
    assert editor.findChild(QLineEdit, "taskName").text() == "Fill in the order"
    assert steps_of(editor).toPlainText() == "# the customer\ntype \"{email}\" into the \"Email\" field\n" \
                                             "click 'Submit order'"
    assert table_of(editor) == {"email": "ada@example.org"}
    assert editor.plan().policy == tmp_path / "strict.yaml"

    steps = steps_of(editor)
    steps.moveCursor(steps.textCursor().MoveOperation.End)
    with qtbot.waitSignal(editor.modifiedChanged, check_params_cb=lambda on: on):
        qtbot.keyClick(steps, Qt.Key.Key_Return)
    qtbot.keyClicks(steps, 'wait for "Done" to appear')
    assert editor.modified
    with qtbot.waitSignal(editor.modifiedChanged, check_params_cb=lambda on: not on):
        assert editor.save_file() == path
    assert not editor.modified

    task = read_task(path)
    assert task.name == "Fill in the order" and task.params == {"email": "ada@example.org"}
    assert [s.text for s in task.steps] == ['type "{email}" into the "Email" field', "click 'Submit order'",
                                            'wait for "Done" to appear']
    assert task.policy == tmp_path / "strict.yaml"

    other = tmp_path / "copy.yaml"
    editor.save_file(other)
    assert editor.path == other
    again = TaskEditor()
    qtbot.addWidget(again)
    again.open_file(other)
    assert steps_of(again).toPlainText() == steps.toPlainText()  # the comment step survives too
    assert again.plan() == editor.plan()


def test_undoing_an_edit_clears_modified(editor, qtbot):
    editor.set_task(name="Order", steps=['click "OK"'])
    steps = steps_of(editor)
    qtbot.keyClicks(steps, "x")
    assert editor.modified
    steps.undo()
    assert not editor.modified


def test_a_bad_file_is_reported_and_nothing_changes(editor, tmp_path):
    editor.set_task(name="Mine", steps=['click "OK"'])
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nstep:\n  - click OK\n", encoding="utf-8")
    editor.open_file(path)
    assert path.read_text(encoding="utf-8") == "name: x\nstep:\n  - click OK\n"
    assert editor.path is None and steps_of(editor).toPlainText() == 'click "OK"'
    assert problems_of(editor) == [('Could not open broken.yaml: line 2, col 1: unknown key "step" — '
                                    'did you mean "steps"?')]
    assert editor.errors() == []
    editor.open_file(tmp_path / "missing.yaml")
    assert problems_of(editor)[0].startswith("Could not open missing.yaml: cannot read task file")


def test_save_needs_a_path_and_an_empty_name_becomes_the_file_stem(editor, tmp_path):
    editor.set_task(name="", steps=['click "OK"'])
    with pytest.raises(ValueError, match="no file"):
        editor.save_file()
    path = editor.save_file(tmp_path / "quick-fix.yaml")
    assert read_task(path).name == "quick-fix"
    assert editor.findChild(QLineEdit, "taskName").text() == "quick-fix" and not editor.modified


def test_read_only_during_a_run(editor, qtbot):
    editor.set_task(name="Order", steps=ORDER, params={"email": "ada@example.org"})
    editor.set_read_only(True)
    steps, name = steps_of(editor), editor.findChild(QLineEdit, "taskName")
    qtbot.keyClicks(steps, "xyz")
    qtbot.keyClicks(name, "xyz")
    table = editor.findChild(QTableWidget, "parameters")
    table.setCurrentCell(0, 1)
    qtbot.keyClicks(table, "xyz")
    assert steps.toPlainText() == "\n".join(ORDER) and name.text() == "Order"
    assert table_of(editor) == {"email": "ada@example.org"} and not editor.modified

    editor.set_read_only(False)
    qtbot.keyClicks(steps, "#")
    assert steps.toPlainText().startswith("#") and editor.modified


def test_an_empty_task_is_invalid(editor):
    assert not editor.valid
    assert [e.message for e in editor.errors()] == ["no steps yet"]
    editor.set_task(name="t", steps=["# only a comment", ""])
    assert [e.message for e in editor.errors()] == ["no steps yet"]
