"""The memory tab over a real memory file: search, a task's steps and runs, loading into and running from
the main window's editor, forgetting, and a file that is not a memory."""
from __future__ import annotations

import sqlite3
from contextlib import nullcontext
from pathlib import Path

import pytest
from fake_engine import FakeRuns
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QMessageBox, QPushButton, QTableWidget

from desktop_agent.memory import MemoryStore
from desktop_agent.steps import plan_from_steps
from desktop_agent.types import RunStatus, StepResult, StepStatus, Timings
from ui.main_window import MainWindow
from ui.memory_panel import MemoryPanel
from ui.settings import Mode, Settings, save_settings

TIMEOUT_MS = 5000
ORDER = ['type "Ada Lovelace" into the field right of "Customer name"', 'click "Submit order"']
LOGIN = ['type "ada" into the "User" field', 'click "Log in"']


def record(path: Path, name: str, texts: list[str], run: str,
           status: StepStatus = StepStatus.SUCCEEDED) -> None:
    """One run of task `name` in the memory at `path`, every step ending `status`."""
    results = [StepResult(step=step, status=status, timings=Timings(act_ms=40.0),
                          error=None if status is StepStatus.SUCCEEDED else "no such button")
               for step in plan_from_steps(texts).steps]
    with MemoryStore.open(path) as memory:
        memory.record_run(name, texts, results, status=RunStatus(status.value),
                          trace_folder=path.parent / run, duration_ms=2500)


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

