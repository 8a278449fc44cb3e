"""The memory tab: search the tasks that were run, see one's steps, its skill, its recent runs and the
last run's parameters; load it into the editor, run it again or forget it.

A task with a skill (`skills.skill`: it succeeded at least once, as of the last consolidation) shows its
success rate and typical duration, and loads its canonical steps (those of its last successful run);
loading also fills the editor's parameters with the last run's values, secret ones left empty to fill.
The memory is consolidated (`ui.consolidation`) when the app is idle after a run; the panel reads again
when that is done.

Reads go through `MemoryStore`, opened for each read and closed right after, on the GUI thread: the file
is a small SQLite database in WAL mode, so a read never waits for a run that is recording itself, and a
run never waits for a read. Guaranteed: a memory file that can't be opened or read (foreign, newer,
corrupt, unreadable) is reported in the panel and left as it was; a missing file is not created — it
means nothing was remembered yet. Reads happen only while the panel is visible: a `refresh()` asked while
it is hidden happens when it is next shown; a failed consolidation is reported like a failed read. Not
guaranteed: that a loaded task runs as it did — secrets were stored as "•••" and the screen may have
changed.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_agent.memory.skills import Skill, skill
from desktop_agent.memory.store import MASK, MemoryStore, TaskDetail, TaskRecord, default_path
from ui.consolidation import IDLE_MS, IdleConsolidation
from ui.editor import DEBOUNCE_MS
from ui.learned_dialog import LearnedDialog
from ui.memory_detail import TaskDetailView, read_memory, table, when
from ui.style import label

SEARCH_LIMIT = 100
_Read = TypeVar("_Read")
_STYLE = """
QLabel#caption { color: #5f6673; font-weight: 600; }
QLabel#skill { color: #1a7f37; background: #eefbf0; padding: 4px 8px; border-radius: 4px; }
QLabel#error { color: #cf222e; background: #fff0ee; padding: 6px 8px; border-radius: 4px; }
QLineEdit#memorySearch { padding: 5px 8px; border: 1px solid #d5d9e0; border-radius: 4px; }
QLineEdit#memorySearch:focus { border-color: #5b8def; }
QListWidget, QTableWidget { border: 1px solid #d5d9e0; border-radius: 4px; }
QListWidget::item { padding: 3px 4px; }
QHeaderView::section { background: #f4f5f7; border: none; border-bottom: 1px solid #d5d9e0;
                        padding: 4px 6px; }
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Remembered:
    """A remembered task as the editor gets it: the skill's steps when there is one, else the task's; the
    last run's parameter values, a masked (secret) value as ""."""

    name: str
    steps: tuple[str, ...]
    params: Mapping[str, str]


class MemoryPanel(QWidget):
    loadRequested = Signal(object)  # a Remembered: put it in the editor
    runRequested = Signal(object)   # a Remembered: put it in the editor, then run it as the Run button does

    def __init__(self, path: Path | None = None, parent: QWidget | None = None, *,
                 idle_ms: int = IDLE_MS) -> None:
        """`path`: the memory file (default: `memory.default_path()`, where runs record themselves);
        `idle_ms`: how long the app must be idle after a run before the memory is consolidated."""
        super().__init__(parent)
        self._path = path or default_path()
        self._rows: list[TaskRecord] = []
        self._detail: TaskDetail | None = None
        self._skill: Skill | None = None
        self.consolidation = IdleConsolidation(self._path, idle_ms=idle_ms, parent=self)
        self.consolidation.consolidated.connect(self.refresh)
        self.consolidation.failed.connect(self._show_problem)
        self._error = ""
        self._stale = True  # read on the first show
        self._running = False
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self.refresh)
        self._build()
        self._show_detail(None)

    # ------------------------------------------------------------ API
    def refresh(self) -> None:
        """Read the list again for the current search (empty: every task, most recently run first) and
        keep the selected task selected if it is still there. Deferred to the next show while hidden."""
        self._timer.stop()
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        query = self._search.text().strip()
        rows = self._read(lambda store: [m.task for m in store.search(query, SEARCH_LIMIT)] if query
                          else store.tasks(), [])
        selected = self._detail.task.id if self._detail is not None else None
        self._rows = rows
        self._table.blockSignals(True)
        self._table.setRowCount(len(rows))
        for row, task in enumerate(rows):
            rate = f"{task.success_rate:.0%}" if task.success_rate is not None else "—"
            for column, text in enumerate((task.name, str(task.runs), rate, when(task.last_run_at))):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                if column:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self._table.setItem(row, column, item)
            self._table.item(row, 0).setToolTip("\n".join(task.steps))
        ids = [task.id for task in rows]
        self._table.clearSelection()
        if selected in ids:
            self._table.selectRow(ids.index(selected))
        self._table.blockSignals(False)
        self._show_detail(self._read_detail(selected) if selected in ids else None)
        self._empty.setVisible(not rows and not self._error)
        self._empty.setText(f'No remembered task matches "{query}"' if query else
                            "Nothing remembered yet: every finished run (not dry runs) appears here")

    def set_running(self, running: bool) -> None:
        """While a run (or a recording) goes the editor is read-only: nothing can be loaded or started,
        and the memory is not consolidated."""
        self._running = running
        self.consolidation.set_busy(running)
        self._update_buttons()

    @property
    def error(self) -> str:
        """Why the memory could not be read, or ""."""
        return self._error

    @property
    def rows(self) -> list[TaskRecord]:
        """The tasks listed, in order."""
        return list(self._rows)

    @property
    def detail(self) -> TaskDetail | None:
        """The selected task, as read when it was selected."""
        return self._detail

    @property
    def skill(self) -> Skill | None:
        """The selected task's skill, if it has one."""
        return self._skill

    def remembered(self) -> Remembered | None:
        """The selected task as "Load into editor" gives it; None when none is selected."""
        if self._detail is None:
            return None
        params = self._detail.runs[0].params if self._detail.runs else {}
        return Remembered(name=self._detail.task.name,
                          steps=self._skill.steps if self._skill is not None else self._detail.task.steps,
                          params={name: "" if value == MASK else value for name, value in params.items()})

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    # ------------------------------------------------------------ reading and forgetting
    def _read(self, read: Callable[[MemoryStore], _Read], fallback: _Read) -> _Read:
        """`read(store)` on a freshly opened store; `fallback` (and the reason shown) if the file is
        missing or unusable."""
        result, problem = read_memory(self._path, read, fallback)
        self._show_problem(problem)
        return result

    def _read_detail(self, task_id: int) -> tuple[TaskDetail, Skill | None] | None:
        return self._read(lambda store: (store.task(task_id), skill(store, task_id)), None)

    @Slot(str)
    def _show_problem(self, problem: str) -> None:
        self._error = problem
        self._problem.setText(problem)
        self._problem.setVisible(bool(problem))

    def _forget(self) -> None:
        if self._detail is None:
            return
        task = self._detail.task
        runs = f"{task.runs} run{'s' * (task.runs != 1)}"
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self, "Forget task", f'Forget "{task.name}"? The task and its {runs} are removed from the memory;'
            " trace folders stay on disk.", buttons.Yes | buttons.Cancel, buttons.Cancel)
        if answer != buttons.Yes:
            return
        if self._read(lambda store: store.forget(task.id), None) is not None:
            self.refresh()  # a failed forget leaves its reason shown and the list as it was

    # ------------------------------------------------------------ display
    def _on_row(self) -> None:
        rows = self._table.selectionModel().selectedRows()
        task = self._rows[rows[0].row()] if rows else None
        self._show_detail(self._read_detail(task.id) if task is not None else None)

    def _show_detail(self, read: tuple[TaskDetail, Skill | None] | None) -> None:
        self._detail, self._skill = read or (None, None)
        self._pages.setCurrentIndex(read is not None)
        self._hint.setVisible(bool(self._rows))
        self._update_buttons()
        if read is None:
            return
        self._view.show_task(*read)

    def _update_buttons(self) -> None:
        chosen = self._detail is not None
        self._load.setEnabled(chosen and not self._running)
        self._run.setEnabled(chosen and not self._running)
        self._forget_button.setEnabled(chosen)

    def _emit(self, signal: Signal) -> None:
        if (remembered := self.remembered()) is not None:
            signal.emit(remembered)

    # ------------------------------------------------------------ layout
    def _build(self) -> None:
        self.setStyleSheet(_STYLE)
        self._search = QLineEdit(placeholderText="Search remembered tasks by name or step words")
        self._search.setObjectName("memorySearch")
        self._search.setClearButtonEnabled(True)
        self._search.textChanged.connect(self._timer.start)
        learned = _button("What it learned…", "learnedButton", "Review or forget the places remembered and"
                                                               " the proposals rejected for targets")
        learned.clicked.connect(lambda: LearnedDialog(self._path, self).open())
        self._problem = label("", "error")
        self._problem.setWordWrap(True)
        self._problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._empty = label("", "muted")
        self._empty.setWordWrap(True)
        self._table = table("memoryTasks", ("Task", "Runs", "Success", "Last run"))
        self._table.itemSelectionChanged.connect(self._on_row)
        self._hint = label("Select a task to see its steps and its runs", "muted")
        self._hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._view = TaskDetailView()
        self._load = _button("Load into editor", "loadTask", "Put the task's steps in the editor")
        self._run = _button("Run again", "runTask", "Load the task and run it in the chosen mode")
        self._forget_button = _button("Forget…", "forgetTask",
                                      "Remove the task and its runs from the memory")
        self._load.clicked.connect(lambda: self._emit(self.loadRequested))
        self._run.clicked.connect(lambda: self._emit(self.runRequested))
        self._forget_button.clicked.connect(self._forget)
        buttons = QHBoxLayout()
        for button in (self._load, self._run):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self._forget_button)
        details = QWidget()
        detail = QVBoxLayout(details)
        detail.setContentsMargins(0, 10, 0, 0)
        detail.setSpacing(4)
        detail.addWidget(self._view, 1)
        detail.addLayout(buttons)
        top = QWidget()
        listing = QVBoxLayout(top)
        listing.setContentsMargins(0, 0, 0, 10)
        listing.setSpacing(6)
        listing.addWidget(self._empty)
        listing.addWidget(self._table, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)
        split.addWidget(top)
        self._pages = QStackedWidget()
        self._pages.addWidget(self._hint)
        self._pages.addWidget(details)
        split.addWidget(self._pages)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(6)
        searching = QHBoxLayout()
        searching.addWidget(self._search, 1)
        searching.addWidget(learned)
        layout.addLayout(searching)
        layout.addWidget(self._problem)
        layout.addWidget(split, 1)


def _button(text: str, name: str, tip: str) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    button.setToolTip(tip)
    return button
