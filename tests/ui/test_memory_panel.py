"""The memory tab over a real memory file: search, a task's steps, skill, runs and parameters, loading into
and running from the main window's editor, forgetting, consolidating when idle, and a file that is not a
memory."""
from __future__ import annotations

import sqlite3
from contextlib import nullcontext
from pathlib import Path

import pytest
from fake_engine import FakeRuns
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QMessageBox, QPushButton, QTableWidget

from desktop_agent.core.results import RunStatus, StepResult, StepStatus, Timings
from desktop_agent.language.steps import plan_from_steps
from desktop_agent.memory.skills import consolidate, skills
from desktop_agent.memory.store import MemoryStore
from ui.main_window import MainWindow
from ui.memory_panel import MemoryPanel
from ui.settings import Mode, Settings, save_settings

TIMEOUT_MS = 5000
ORDER = ['type "Ada Lovelace" into the field right of "Customer name"', 'click "Submit order"']
LOGIN = ['type "ada" into the "User" field', 'click "Log in"']


def record(path: Path, name: str, texts: list[str], run: str,
           status: StepStatus = StepStatus.SUCCEEDED, params: dict[str, str] | None = None) -> None:
    """One run of task `name` in the memory at `path`, every step ending `status`; `params` fill the
    `{name}`s of `texts`."""
    results = [StepResult(step=step, status=status, timings=Timings(act_ms=40.0),
                          error=None if status is StepStatus.SUCCEEDED else "no such button")
               for step in plan_from_steps(texts, params=params).steps]
    with MemoryStore.open(path) as memory:
        memory.record_run(name, texts, results, status=RunStatus(status.value),
                          trace_folder=path.parent / run, duration_ms=2500, params=params)


def consolidated(path: Path) -> list[str]:
    """The names of the tasks with a skill in the memory at `path`."""
    with MemoryStore.open(path) as memory:
        return [learnt.name for learnt in skills(memory)]


@pytest.fixture
def memory_path(tmp_path) -> Path:
    path = tmp_path / "memory.sqlite3"
    record(path, "Fill in the order form", ORDER, "run-1")
    record(path, "Fill in the order form", ORDER, "run-2", StepStatus.FAILED)
    record(path, "Log in", LOGIN, "run-3")
    return path


@pytest.fixture
def panel(qtbot, memory_path) -> MemoryPanel:
    panel = MemoryPanel(memory_path)
    qtbot.addWidget(panel)
    panel.resize(520, 760)
    panel.show()
    return panel


@pytest.fixture
def runs() -> FakeRuns:
    return FakeRuns()


@pytest.fixture
def window(qtbot, tmp_path, memory_path, runs) -> MainWindow:
    store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    save_settings(store, Settings(mode=Mode.AUTONOMOUS, trace_root=tmp_path / "traces"))
    window = MainWindow(factory=runs, brakes=lambda runner, hotkey: nullcontext(), store=store,
                        tray=False, memory_path=memory_path)
    qtbot.addWidget(window)
    window.show()
    window._tabs.setCurrentWidget(window.memory_panel)
    return window


def names(panel: MemoryPanel) -> list[str]:
    return [task.name for task in panel.rows]


def select(panel: MemoryPanel, name: str) -> None:
    panel.findChild(QTableWidget, "memoryTasks").selectRow(names(panel).index(name))


def click(qtbot, panel: MemoryPanel, button: str) -> None:
    qtbot.mouseClick(panel.findChild(QPushButton, button), Qt.MouseButton.LeftButton)


def test_empty_search_lists_every_task_most_recent_first_and_a_search_filters(qtbot, panel):
    assert names(panel) == ["Log in", "Fill in the order form"]
    table = panel.findChild(QTableWidget, "memoryTasks")
    assert [table.item(1, column).text() for column in (1, 2)] == ["2", "50%"]
    search = panel.findChild(QLineEdit, "memorySearch")
    qtbot.keyClicks(search, "submit")
    assert names(panel) == ["Log in", "Fill in the order form"]  # debounced: not yet read again
    qtbot.waitUntil(lambda: names(panel) == ["Fill in the order form"], timeout=TIMEOUT_MS)
    search.setText("nothing like it")
    qtbot.waitUntil(lambda: names(panel) == [], timeout=TIMEOUT_MS)
    assert panel._empty.isVisible() and panel._empty.text() == 'No remembered task matches "nothing like it"'
    search.clear()
    qtbot.waitUntil(lambda: len(names(panel)) == 2, timeout=TIMEOUT_MS)


def test_the_detail_shows_the_steps_with_the_last_runs_statuses_and_the_runs(qtbot, panel):
    assert panel.detail is None and not panel.findChild(QPushButton, "loadTask").isEnabled()
    select(panel, "Fill in the order form")
    assert panel.detail.task.name == "Fill in the order form"
    steps = panel.findChild(QListWidget, "memorySteps")
    assert [steps.item(i).text() for i in range(steps.count())] == [f"{n}.  {text}" for n, text in
                                                                   enumerate(ORDER, start=1)]
    assert steps.item(1).toolTip() == "last run: failed — no such button"
    runs = panel.findChild(QTableWidget, "memoryRuns")
    assert [(runs.item(r, 0).text(), runs.item(r, 2).text()) for r in range(runs.rowCount())] == [
        ("failed", "2.5 s"), ("succeeded", "2.5 s")]
    assert runs.item(0, 0).toolTip().endswith("run-2")
    assert panel.findChild(QPushButton, "loadTask").isEnabled()


def test_load_into_editor_puts_the_steps_in_the_main_windows_editor(qtbot, window):
    panel = window.memory_panel
    select(panel, "Log in")
    click(qtbot, panel, "loadTask")
    assert window._tabs.currentWidget() is window.editor
    plan = window.editor.plan()
    assert plan.name == "Log in" and [step.text for step in plan.steps] == LOGIN
    assert window.editor.path is None and not window.editor.modified


def test_run_again_runs_the_task_and_the_list_is_read_again_when_it_ends(qtbot, window, runs, memory_path):
    panel = window.memory_panel
    select(panel, "Log in")
    record(memory_path, "Written meanwhile", ['click "OK"'], "run-4")
    with qtbot.waitSignal(window.control.runFinished, timeout=TIMEOUT_MS):
        click(qtbot, panel, "runTask")
        assert window.control.running and not panel.findChild(QPushButton, "runTask").isEnabled()
        assert window._tabs.currentWidget() is window.editor
        window._tabs.setCurrentWidget(panel)  # a hidden panel reads again when it is next shown
    assert [config.run_name for config in runs.configs] == ["Log in"]
    assert names(panel)[0] == "Written meanwhile"
    assert panel.detail.task.name == "Log in" and panel.findChild(QPushButton, "runTask").isEnabled()


@pytest.mark.parametrize("answer", [QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.Cancel])
def test_forget_asks_then_removes_the_task(qtbot, panel, memory_path, monkeypatch, answer):
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *args: asked.append(args[2]) or answer)
    select(panel, "Fill in the order form")
    click(qtbot, panel, "forgetTask")
    assert asked and "its 2 runs" in asked[0]
    with MemoryStore.open(memory_path) as memory:
        left = [task.name for task in memory.tasks()]
    if answer == QMessageBox.StandardButton.Yes:
        assert left == names(panel) == ["Log in"] and panel.detail is None
    else:
        assert left == names(panel) == ["Log in", "Fill in the order form"] and panel.detail is not None


@pytest.mark.parametrize("content", ["table", "garbage"])
def test_a_file_that_is_not_a_memory_is_reported_and_left_alone(qtbot, tmp_path, content):
    path = tmp_path / "memory.sqlite3"
    if content == "table":
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE invoices (id INTEGER)")
        db.commit()
        db.close()
    else:
        path.write_bytes(b"not a database at all" * 100)
    before = path.read_bytes()
    panel = MemoryPanel(path)
    qtbot.addWidget(panel)
    panel.show()
    error = panel.findChild(QLabel, "error")
    assert error.isVisible() and "is not a desktop-agent memory" in error.text() == panel.error
    assert panel.rows == [] and not panel._empty.isVisible()
    assert path.read_bytes() == before


def test_a_missing_file_is_not_created(qtbot, tmp_path):
    path = tmp_path / "none" / "memory.sqlite3"
    panel = MemoryPanel(path)
    qtbot.addWidget(panel)
    panel.show()
    assert panel.error == "" and panel.rows == [] and not path.parent.exists()
    assert panel._empty.isVisible() and "Nothing remembered yet" in panel._empty.text()



def test_a_skill_shows_its_rate_and_typical_duration_and_its_steps_are_what_loads(qtbot, window,
                                                                                 memory_path):
    panel = window.memory_panel
    select(panel, "Fill in the order form")
    assert panel.skill is None and not panel.findChild(QLabel, "skill").isVisible()
    with MemoryStore.open(memory_path) as memory:
        consolidate(memory)
    panel.refresh()  # keeps the selection, reads the skill
    assert panel.skill is not None and panel.skill.steps == tuple(ORDER)
    label = panel.findChild(QLabel, "skill")
    assert label.isVisible() and label.text().startswith("Skill: 1 of 2 runs succeeded (50%) · typically 2.5 s")
    click(qtbot, panel, "loadTask")
    assert [step.text for step in window.editor.plan().steps] == ORDER


def test_load_fills_in_the_last_runs_parameters_but_not_a_masked_secret(qtbot, window, memory_path,
                                                                         monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", lambda *args: QMessageBox.StandardButton.Discard)  # at close
    template = ['type "{customer}" into the "Name" field', 'type "{password}" into the "Password" field']
    record(memory_path, "Sign up", template, "run-4", params={"customer": "Old", "password": "pw"})
    record(memory_path, "Sign up", template, "run-5", params={"customer": "Grace", "password": "hunter2"})
    panel = window.memory_panel
    panel.refresh()
    select(panel, "Sign up")
    table = panel.findChild(QTableWidget, "memoryParams")
    assert table.isVisible()
    assert [(table.item(r, 0).text(), table.item(r, 1).text()) for r in range(table.rowCount())] == [
        ("{customer}", "Grace"), ("{password}", "•••")]
    click(qtbot, panel, "loadTask")
    assert window.editor.errors() and not window._run.isEnabled()  # the secret is left to fill in
    values = window.editor.findChild(QTableWidget, "parameters")
    row = [values.item(r, 0).text() for r in range(values.rowCount())].index("password")
    assert values.item(row, 1).text() == ""
    values.item(row, 1).setText("typed by hand")
    plan = window.editor.plan()
    assert plan.params == {"customer": "Grace", "password": "typed by hand"}
    assert plan.steps[0].action.text == "Grace"


def test_the_memory_is_consolidated_when_the_app_is_idle_after_a_run(qtbot, window, runs, memory_path):
    panel = window.memory_panel
    panel.consolidation.idle_ms = 50
    select(panel, "Log in")
    with qtbot.waitSignal(panel.consolidation.consolidated, timeout=TIMEOUT_MS) as done:
        with qtbot.waitSignal(window.control.runFinished, timeout=TIMEOUT_MS):
            click(qtbot, panel, "runTask")
            assert not panel.consolidation.pending  # not during the run
        assert panel.consolidation.pending
        window._tabs.setCurrentWidget(panel)
    assert {learnt.name for learnt in done.args[0].merged} == {"Log in", "Fill in the order form"}
    assert consolidated(memory_path) == ["Fill in the order form", "Log in"]
    qtbot.waitUntil(lambda: panel.skill is not None, timeout=TIMEOUT_MS)  # the panel read it again
    assert panel.detail.task.name == "Log in" and panel.findChild(QLabel, "skill").isVisible()


def test_consolidation_waits_while_a_run_goes(qtbot, panel, memory_path):
    panel.consolidation.idle_ms = 20
    panel.set_running(True)
    panel.consolidation.schedule()
    qtbot.wait(150)
    assert panel.consolidation.pending and not panel.consolidation.running and consolidated(memory_path) == []
    with qtbot.waitSignal(panel.consolidation.consolidated, timeout=TIMEOUT_MS):
        panel.set_running(False)
    assert not panel.consolidation.pending and len(consolidated(memory_path)) == 2


def test_a_failed_consolidation_is_shown_in_the_panels_error_label(qtbot, tmp_path):
    path = tmp_path / "memory.sqlite3"
    path.write_bytes(b"not a database at all" * 100)
    panel = MemoryPanel(path, idle_ms=10)
    qtbot.addWidget(panel)
    panel.show()
    with qtbot.waitSignal(panel.consolidation.failed, timeout=TIMEOUT_MS):
        panel.consolidation.schedule()
    error = panel.findChild(QLabel, "error")
    assert panel.error.startswith("Can't consolidate the memory: ") and "not a desktop-agent memory" in panel.error
    assert error.isVisible() and error.text() == panel.error
    assert path.read_bytes() == b"not a database at all" * 100


def test_consolidating_a_memory_that_does_not_exist_does_not_create_it(qtbot, tmp_path):
    path = tmp_path / "none" / "memory.sqlite3"
    panel = MemoryPanel(path, idle_ms=10)
    qtbot.addWidget(panel)
    panel.show()
    with qtbot.waitSignal(panel.consolidation.consolidated, timeout=TIMEOUT_MS) as done:
        panel.consolidation.schedule()
    assert done.args[0] is None and panel.error == "" and not path.parent.exists()
