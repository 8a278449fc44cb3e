"""The memory tab: search the tasks that were run, see one's steps and recent runs, load it into the editor,
run it again or forget it.

Reads go through `MemoryStore`, opened for each read and closed right after, on the GUI thread: the file
is a small SQLite database in WAL mode, so a read never waits for a run that is recording itself, and a
run never waits for a read. Guaranteed: a memory file that can't be opened or read (foreign, newer,
corrupt, unreadable) is reported in the panel and left as it was; a missing file is not created — it
means nothing was remembered yet. Reads happen only while the panel is visible: a `refresh()` asked while
it is hidden happens when it is next shown. Not guaranteed: that a loaded task runs as it did — secrets
were stored as "•••" and the screen may have changed.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QShowEvent
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QMessageBox, QPushButton, QSplitter, QStackedWidget,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from desktop_agent.errors import AgentError
from desktop_agent.memory import MemoryStore, TaskDetail, TaskRecord, default_path
from ui.editor import DEBOUNCE_MS
from ui.timeline import STATUS_COLOURS, status_icon

SEARCH_LIMIT = 100
RECENT_RUNS = 20
_Read = TypeVar("_Read")
_STYLE = """
QLabel#caption { color: #5f6673; font-weight: 600; }
QLabel#error { color: #cf222e; background: #fff0ee; padding: 6px 8px; border-radius: 4px; }
QLineEdit#memorySearch { padding: 5px 8px; border: 1px solid #d5d9e0; border-radius: 4px; }
QLineEdit#memorySearch:focus { border-color: #5b8def; }
QListWidget, QTableWidget { border: 1px solid #d5d9e0; border-radius: 4px; }
QListWidget::item { padding: 3px 4px; }
QHeaderView::section { background: #f4f5f7; border: none; border-bottom: 1px solid #d5d9e0;
                        padding: 4px 6px; }
"""


class MemoryPanel(QWidget):
    loadRequested = Signal(str, object)  # task name, tuple[str, ...] of step texts: put them in the editor
    runRequested = Signal(str, object)   # the same, then run them as the Run button does

    def __init__(self, path: Path | None = None, parent: QWidget | None = None) -> None:
        """`path`: the memory file (default: `memory.default_path()`, where runs record themselves)."""
        super().__init__(parent)
        self._path = path or default_path()
        self._rows: list[TaskRecord] = []
        self._detail: TaskDetail | None = None
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
            for column, text in enumerate((task.name, str(task.runs), rate, _when(task.last_run_at))):
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
        self._show_detail(self._read(lambda store: store.task(selected), None) if selected in ids else None)
        self._empty.setVisible(not rows and not self._error)
        self._empty.setText(f'No remembered task matches "{query}"' if query else
                            "Nothing remembered yet: every finished run (not dry runs) appears here")

    def set_running(self, running: bool) -> None:
        """While a run goes the editor is read-only: nothing can be loaded or started."""
        self._running = running
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

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    # ------------------------------------------------------------ reading and forgetting
    def _read(self, read: Callable[[MemoryStore], _Read], fallback: _Read) -> _Read:
        """`read(store)` on a freshly opened store; `fallback` (and the reason shown) if the file is
        missing or unusable."""
        self._error = ""
        if not self._path.exists():
            result = fallback
        else:
            try:
                with MemoryStore.open(self._path) as store:
                    result = read(store)
            except (AgentError, OSError, sqlite3.Error) as exc:
                self._error, result = f"Can't read the memory: {exc}", fallback
        self._problem.setText(self._error)
        self._problem.setVisible(bool(self._error))
        return result

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
        self._show_detail(self._read(lambda store: store.task(task.id), None) if task is not None else None)

    def _show_detail(self, detail: TaskDetail | None) -> None:
        self._detail = detail
        self._pages.setCurrentIndex(detail is not None)
        self._hint.setVisible(bool(self._rows))
        self._update_buttons()
        if detail is None:
            return
        task = detail.task
        rate = f" · {task.success_rate:.0%} succeeded" if task.success_rate is not None else ""
        self._title.setText(task.name)
        self._summary.setText(f"{task.runs} run{'s' * (task.runs != 1)}{rate} · first run "
                              f"{_when(task.created_at)}")
        last = {step.step_index: step for step in detail.last_steps}
        self._steps.clear()
        for index, text in enumerate(task.steps):
            item = QListWidgetItem(f"{index + 1}.  {text}")
            if (step := last.get(index)) is not None and step.status in STATUS_COLOURS:
                item.setIcon(status_icon(step.status))
                item.setToolTip(f"last run: {step.status}" + (f" — {step.error}" if step.error else ""))
            self._steps.addItem(item)
        runs = detail.runs[:RECENT_RUNS]
        self._runs.setRowCount(len(runs))
        for row, run in enumerate(runs):
            status = QTableWidgetItem(run.status)
            if run.status in STATUS_COLOURS:
                status.setIcon(status_icon(run.status))
                status.setForeground(QColor(STATUS_COLOURS[run.status]))
            status.setToolTip(str(run.trace_folder))
            duration = QTableWidgetItem(_duration(run.duration_ms))
            duration.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            for column, item in enumerate((status, QTableWidgetItem(_when(run.started_at)), duration)):
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self._runs.setItem(row, column, item)

    def _update_buttons(self) -> None:
        chosen = self._detail is not None
        self._load.setEnabled(chosen and not self._running)
        self._run.setEnabled(chosen and not self._running)
        self._forget_button.setEnabled(chosen)

    def _emit(self, signal: Signal) -> None:
        if self._detail is not None:
            signal.emit(self._detail.task.name, self._detail.task.steps)

    # ------------------------------------------------------------ layout
    def _build(self) -> None:
        self.setStyleSheet(_STYLE)
        self._search = QLineEdit(placeholderText="Search remembered tasks by name or step words")
        self._search.setObjectName("memorySearch")
        self._search.setClearButtonEnabled(True)
        self._search.textChanged.connect(self._timer.start)
        self._problem = _label("", "error")
        self._problem.setWordWrap(True)
        self._problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._empty = _label("", "muted")
        self._empty.setWordWrap(True)
        self._table = _table("memoryTasks", ("Task", "Runs", "Success", "Last run"))
        self._table.itemSelectionChanged.connect(self._on_row)
        self._hint = _label("Select a task to see its steps and its runs", "muted")
        self._hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._title = _label("", "paneTitle")
        self._title.setWordWrap(True)
        self._summary = _label("", "muted")
        self._steps = QListWidget()
        self._steps.setObjectName("memorySteps")
        self._steps.setWordWrap(True)
        self._runs = _table("memoryRuns", ("Status", "Started", "Duration"))
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
        detail.addWidget(self._title)
        detail.addWidget(self._summary)
        detail.addWidget(_label("Steps", "caption"))
        detail.addWidget(self._steps, 3)
        detail.addWidget(_label(f"Recent runs (up to {RECENT_RUNS})", "caption"))
        detail.addWidget(self._runs, 2)
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
        layout.addWidget(self._search)
        layout.addWidget(self._problem)
        layout.addWidget(split, 1)


def _when(iso: str | None) -> str:
    """A stored UTC time as local "YYYY-MM-DD HH:MM"; "never" for none."""
    return dt.datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M") if iso else "never"


def _duration(ms: float) -> str:
    seconds = ms / 1000
    return f"{seconds:.1f} s" if seconds < 60 else f"{int(seconds // 60)} min {seconds % 60:02.0f} s"


def _label(text: str, name: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def _button(text: str, name: str, tip: str) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    button.setToolTip(tip)
    return button


def _table(name: str, headers: tuple[str, ...]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(list(headers))
    table.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for column in range(1, len(headers)):
        table.horizontalHeader().setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    table.verticalHeader().hide()
    table.setShowGrid(False)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    return table
