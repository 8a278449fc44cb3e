"""One remembered task, as the memory tab shows it: its name and run count, its skill (success rate and
typical duration, when it has one), its steps with the last run's status of each, the last run's
parameters and its recent runs. Display only: it reads nothing and changes nothing (`read_memory` is the
memory tab's one way to read, shared by its panel and dialogs).

Guaranteed: the steps shown are the skill's canonical steps when the task has a skill, else the task's
own — the steps "Load into editor" gives; parameter values are shown as stored (secrets as "•••").
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QListWidget,
    QListWidgetItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_agent.core.errors import AgentError
from desktop_agent.memory.skills import Skill
from desktop_agent.memory.store import MemoryStore, TaskDetail
from ui.style import label
from ui.timeline import STATUS_COLOURS, status_icon

RECENT_RUNS = 20
_Read = TypeVar("_Read")


class TaskDetailView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = label("", "paneTitle")
        self._title.setWordWrap(True)
        self._summary = label("", "muted")
        self._skill = label("", "skill")
        self._skill.setWordWrap(True)
        self._steps = QListWidget()
        self._steps.setObjectName("memorySteps")
        self._steps.setWordWrap(True)
        self._params_caption = label("Parameters of the last run (loaded with the steps)", "caption")
        self._params = table("memoryParams", ("Parameter", "Value"))
        self._params.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self._params.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self._runs = table("memoryRuns", ("Status", "Started", "Duration"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for widget, stretch in ((self._title, 0), (self._summary, 0), (self._skill, 0),
                                (label("Steps", "caption"), 0), (self._steps, 3), (self._params_caption, 0),
                                (self._params, 0), (label(f"Recent runs (up to {RECENT_RUNS})", "caption"), 0),
                                (self._runs, 2)):
            layout.addWidget(widget, stretch)

    def show_task(self, detail: TaskDetail, skill: Skill | None) -> None:
        task = detail.task
        rate = f" · {task.success_rate:.0%} succeeded" if task.success_rate is not None else ""
        self._title.setText(task.name)
        self._summary.setText(f"{task.runs} run{'s' * (task.runs != 1)}{rate} · first run "
                              f"{when(task.created_at)}")
        self._skill.setVisible(skill is not None)
        if skill is not None:
            self._skill.setText(f"Skill: {skill.succeeded} of {skill.runs} runs succeeded "
                                f"({skill.success_rate:.0%}) · typically {duration(skill.median_ms)} · "
                                "its steps are those of its last successful run")
        last = {step.step_index: step for step in detail.last_steps}
        self._steps.clear()
        for index, text in enumerate(skill.steps if skill is not None else task.steps):
            item = QListWidgetItem(f"{index + 1}.  {text}")
            if (step := last.get(index)) is not None and step.status in STATUS_COLOURS:
                item.setIcon(status_icon(step.status))
                item.setToolTip(f"last run: {step.status}" + (f" — {step.error}" if step.error else ""))
            self._steps.addItem(item)
        self._show_params(detail.runs[0].params if detail.runs else {})
        runs = detail.runs[:RECENT_RUNS]
        self._runs.setRowCount(len(runs))
        for row, run in enumerate(runs):
            status = QTableWidgetItem(run.status)
            if run.status in STATUS_COLOURS:
                status.setIcon(status_icon(run.status))
                status.setForeground(QColor(STATUS_COLOURS[run.status]))
            status.setToolTip(str(run.trace_folder))
            took = QTableWidgetItem(duration(run.duration_ms))
            took.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            fill_row(self._runs, row, (status, QTableWidgetItem(when(run.started_at)), took))

    def _show_params(self, params: Mapping[str, str]) -> None:
        self._params_caption.setVisible(bool(params))
        self._params.setVisible(bool(params))
        self._params.setRowCount(len(params))
        for row, (name, value) in enumerate(sorted(params.items())):
            fill_row(self._params, row, (QTableWidgetItem(f"{{{name}}}"), QTableWidgetItem(value)))
        # as tall as its rows: a few parameters should not take the steps' room
        self._params.setFixedHeight(self._params.horizontalHeader().sizeHint().height() + 4
                                    + sum(self._params.rowHeight(r) for r in range(len(params))))


def fill_row(table: QTableWidget, row: int, items: tuple[QTableWidgetItem, ...]) -> None:
    for column, item in enumerate(items):
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        table.setItem(row, column, item)


def read_memory(path: Path, read: Callable[[MemoryStore], _Read], fallback: _Read) -> tuple[_Read, str]:
    """`read(store)` on a store opened at `path` just for it, and ""; or `fallback` and why not when
    the file is unusable (foreign, newer, corrupt, unreadable). A missing file is `fallback` and "" —
    nothing was remembered yet — and is not created."""
    if not path.exists():
        return fallback, ""
    try:
        with MemoryStore.open(path) as store:
            return read(store), ""
    except (AgentError, OSError, sqlite3.Error) as exc:
        return fallback, f"Can't read the memory: {exc}"


def when(iso: str | None) -> str:
    """A stored UTC time as local "YYYY-MM-DD HH:MM"; "never" for none."""
    return dt.datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M") if iso else "never"


def duration(ms: float) -> str:
    seconds = ms / 1000
    return f"{seconds:.1f} s" if seconds < 60 else f"{int(seconds // 60)} min {seconds % 60:02.0f} s"


def table(name: str, headers: tuple[str, ...]) -> QTableWidget:
    widget = QTableWidget(0, len(headers))
    widget.setObjectName(name)
    widget.setHorizontalHeaderLabels(list(headers))
    header = widget.horizontalHeader()
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for column in range(1, len(headers)):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    widget.verticalHeader().hide()
    widget.setShowGrid(False)
    widget.setAlternatingRowColors(True)
    widget.setWordWrap(False)
    widget.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    widget.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    widget.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    return widget
