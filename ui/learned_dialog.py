"""What grounding learned, for a person to review: the places remembered for targets (found for sure,
or pointed at in a correction) and the proposals rejected (skipped) — searchable by the target's words;
Forget removes the selected one, so the next run grounds that target from its words again.

Every read and change opens the memory just for it (`read_memory`). Guaranteed: a memory that can't be
read is reported in the dialog and left as it was; a missing file is not created.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_agent.memory.places import Lesson, Places
from ui.memory_detail import fill_row, read_memory, table, when
from ui.style import label

_KINDS = {"place": "remembered place", "rejection": "rejected proposal"}
_Read = TypeVar("_Read")


class LearnedDialog(QDialog):
    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("What grounding learned")
        self.resize(1000, 420)
        self._path = path
        self._lessons: list[Lesson] = []
        self._search = QLineEdit(placeholderText="Only targets containing these words")
        self._search.setObjectName("memorySearch")
        self._search.setClearButtonEnabled(True)
        self._search.textChanged.connect(self.refresh)
        self._problem = label("", "error")
        self._problem.setWordWrap(True)
        self._status = label("", "muted")
        self._table = table("lessons", ("Target", "What", "Window", "Detail", "When"))
        self._table.itemSelectionChanged.connect(self._update_buttons)
        header = self._table.horizontalHeader()  # the target is what a person looks for: never cut
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self._forget = QPushButton("Forget")
        self._forget.setObjectName("forgetLesson")
        self._forget.setToolTip("The next run finds this target from its words again")
        self._forget.clicked.connect(self._forget_selected)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self._forget)
        bottom.addWidget(self._status, 1)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self._search)
        layout.addWidget(self._problem)
        layout.addWidget(self._table, 1)
        layout.addLayout(bottom)
        self.refresh()

    @property
    def lessons(self) -> list[Lesson]:
        """The lessons listed, in order (most recent first)."""
        return list(self._lessons)

    @property
    def problem(self) -> str:
        """Why the memory could not be read or changed, or ""."""
        return self._problem.text()

    @property
    def status(self) -> str:
        """What the last forget did, or why nothing is listed."""
        return self._status.text()

    def refresh(self) -> None:
        """Read the lessons again for the words in the search box."""
        words = self._search.text()
        self._status.setText("")
        self._lessons = self._read(lambda places: places.lessons(words), [])
        self._table.setRowCount(len(self._lessons))
        for row, lesson in enumerate(self._lessons):
            window = f"{lesson.window_title} ({lesson.app})" if lesson.app else "the desktop"
            fill_row(self._table, row, tuple(QTableWidgetItem(text) for text in (
                lesson.target, _KINDS[lesson.kind], window, lesson.detail, when(lesson.when))))
        if not self._lessons and not self.problem:
            self._status.setText(f'Nothing learned for targets containing "{words}"' if words.strip()
                                 else "Nothing learned yet: places come from verified steps and corrections,"
                                      " rejections from skipped proposals")
        self._update_buttons()

    def select(self, row: int) -> None:
        self._table.selectRow(row)

    def _forget_selected(self) -> None:
        rows = self._table.selectionModel().selectedRows()
        if not rows:
            return
        lesson = self._lessons[rows[0].row()]
        forgotten = self._read(lambda places: places.unlearn(target=lesson.target, app=lesson.app,
                                                              window_title=lesson.window_title,
                                                              kind=lesson.kind), None)
        if forgotten is None:  # the reason is shown; the list stays as it was
            return
        self.refresh()
        where = lesson.window_title or "the desktop"
        self._status.setText(f"Forgot the {_KINDS[lesson.kind]} of {lesson.target} in {where}")

    def _read(self, use: Callable[[Places], _Read], fallback: _Read) -> _Read:
        result, problem = read_memory(self._path, lambda store: use(Places(store)), fallback)
        self._problem.setText(problem)
        self._problem.setVisible(bool(problem))
        return result

    def _update_buttons(self) -> None:
        self._forget.setEnabled(bool(self._table.selectionModel().selectedRows()))
