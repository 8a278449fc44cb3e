"""The task editor: a name, one step per line checked as you type, and the task's parameters.

Guaranteed: `errors()` and `plan()` always reflect the current text (they parse it on the spot); only
the on-screen marks and list wait for a 250 ms pause in typing. Every bad line is listed, with the
column the parser points at. A parameter used in quoted text without a value is an error. Not
guaranteed: that a step's target exists on screen (grounding decides that at run time).
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_agent.core.actions import Plan
from desktop_agent.core.errors import AgentError, TaskSyntaxError
from desktop_agent.language import task_file
from desktop_agent.language.phrases import is_blank
from desktop_agent.language.steps import parse_step
from ui.code_edit import ERROR, CodeEdit, mark_token
from ui.step_check import Check, check_lines, describe
from ui.style import label

DEBOUNCE_MS = 250
OK, MUTED, MISSING = QColor("#1e7f4f"), QColor("#8b929c"), QColor("#fdecea")


class TaskEditor(QWidget):
    validityChanged = Signal(bool)
    modifiedChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._path: Path | None = None
        self._policy: Path | None = None
        self._workspace: tuple[Path, ...] = ()
        self._assets: Path | None = None
        self._values: dict[str, str] = {}
        self._load_error = ""
        self._valid: bool | None = None
        self._modified = False
        self._filling = False
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self._refresh)
        self._build()
        self._saved = self._snapshot()
        self._refresh()

    # ------------------------------------------------------------ API
    def set_task(self, *, name: str, steps: Sequence[str], params: Mapping[str, str] | None = None) -> None:
        """Start a new, unsaved task (no path, no policy or workspace); not marked modified."""
        self._fill(name=name, steps=steps, params=params or {})
        self._path, self._policy, self._workspace, self._assets = None, None, (), None
        self._refresh()

    def open_file(self, path: Path) -> None:
        """Load a task file and remember its path. A file that can't be read or isn't a task file is
        reported at the top of the problem list; the editor keeps what it had and the file is untouched."""
        try:
            task = task_file.read_task(path)
            # read_task checked that every step item is a string; take them all, comment steps included.
            root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
            steps = [item.value for key, node in root.value if key.value == "steps" for item in node.value]
        except (AgentError, OSError) as exc:
            self._load_error = _load_message(path, exc)
            self._refresh()
            return
        self._fill(name=task.name, steps=steps, params=task.params)
        self._path, self._policy, self._workspace, self._assets = path, task.policy, task.workspace, task.assets
        self._refresh()

    def save_file(self, path: Path | None = None) -> Path:
        """Write the task to `path` or the remembered one (atomically) and remember it; a draft with bad
        lines saves too. An empty name becomes the file's stem. Raises ValueError with no path or no
        steps, OSError if writing fails."""
        target = path or self._path
        if target is None:
            raise ValueError("no file to save to: pass a path")
        if not self._name.text().strip():
            self._name.setText(target.stem)
        task_file.save_task(target, name=self._name.text(), steps=self._lines(), params=self._filled(),
                            policy=self._policy, workspace=self._workspace, assets=self._assets)
        self._path, self._saved = target, self._snapshot()
        self._edited()
        return target

    def plan(self) -> Plan:
        """The whole task with the current parameter values; raises the first TaskSyntaxError if any line
        is bad (nothing partial)."""
        values, check = self._filled(), self._check()
        if check.errors:
            raise check.errors[0]
        steps = tuple(parse_step(text, line=n, source=self._source(), params=values)
                      for n, text in enumerate(self._lines(), start=1) if not is_blank(text))
        name = self._name.text().strip() or (self._path.stem if self._path else "untitled")
        return Plan(name=name, steps=steps, policy=self._policy, workspace=self._workspace, params=values,
                    assets=self._assets)

    def errors(self) -> list[TaskSyntaxError]:
        """Every problem of the current text, in line order (a failed open_file is not one of them)."""
        return list(self._check().errors)

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def modified(self) -> bool:
        return self._modified

    @property
    def valid(self) -> bool:
        return not self._check().errors

    def set_read_only(self, on: bool) -> None:
        """Freeze the name, steps and parameter values (during a run)."""
        self._steps.setReadOnly(on)
        self._name.setReadOnly(on)
        self._table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers if on else self._triggers)
        self._banner.setVisible(on)

    # ------------------------------------------------------------ layout
    def _build(self) -> None:
        self._name = QLineEdit(placeholderText="untitled")
        self._name.setObjectName("taskName")
        self._steps = CodeEdit()
        self._steps.setObjectName("steps")
        self._steps.setPlaceholderText('One step per line, e.g.\nclick "OK"\n'
                                       'type "Ada" into the "Name" field')
        _StepHighlighter(self._steps.document())
        self._banner = QLabel("Read-only while the task runs")
        self._banner.setObjectName("banner")
        self._banner.hide()
        self._problems = QListWidget()
        self._problems.setObjectName("problems")
        self._problems.setWordWrap(True)
        self._problems.itemClicked.connect(self._go_to_problem)
        self._problems.itemActivated.connect(self._go_to_problem)
        self._status = QLabel()
        self._status.setObjectName("problemCount")
        self._table = QTableWidget(0, 2)
        self._table.setObjectName("parameters")
        self._table.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft
                                                           | Qt.AlignmentFlag.AlignVCenter)
        self._table.setHorizontalHeaderLabels(["Name", "Value"])
        self._table.verticalHeader().hide()
        self._table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self._table.horizontalHeader().setStretchLastSection(True)
        self._table.setShowGrid(False)
        self._table.setAlternatingRowColors(True)
        self._table.itemChanged.connect(self._value_changed)
        self._triggers = self._table.editTriggers()

        name_row = QHBoxLayout()
        name_row.addWidget(label("Task", "caption"))
        name_row.addWidget(self._name, 1)
        editor_frame = _framed(self._steps)
        problems = _section("Problems", self._problems, self._status)
        params = _section("Parameters", self._table)
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(problems)
        bottom.addWidget(params)
        bottom.setStretchFactor(0, 3)
        bottom.setStretchFactor(1, 2)
        bottom.setHandleWidth(14)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(editor_frame)
        split.addWidget(bottom)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(8)
        layout.addLayout(name_row)
        layout.addWidget(self._banner)
        layout.addWidget(split, 1)
        self.setStyleSheet(_STYLE)

        self._name.textChanged.connect(self._edited)
        self._steps.textChanged.connect(self._edited)

    # ------------------------------------------------------------ state
    def _lines(self) -> list[str]:
        return self._steps.toPlainText().split("\n")

    def _filled(self) -> dict[str, str]:
        return {name: value for name, value in self._values.items() if value}

    def _source(self) -> str:
        return str(self._path) if self._path else "<editor>"

    def _check(self) -> Check:
        return check_lines(self._lines(), self._filled(), self._source())

    def _snapshot(self) -> tuple[str, str, frozenset]:
        return self._name.text(), self._steps.toPlainText(), frozenset(self._filled().items())

    def _fill(self, *, name: str, steps: Sequence[str], params: Mapping[str, str]) -> None:
        self._values, self._load_error, self._filling = dict(params), "", True
        self._name.setText(name)
        self._steps.setPlainText("\n".join(steps))
        self._saved, self._filling = self._snapshot(), False
        self._edited()

    def _edited(self) -> None:
        if self._filling:
            return
        modified = self._snapshot() != self._saved
        if modified != self._modified:
            self._modified = modified
            self.modifiedChanged.emit(modified)
        self._timer.start()

    def _value_changed(self, item: QTableWidgetItem) -> None:
        if item.column() == 1:
            self._values[self._table.item(item.row(), 0).text()] = item.text()
            self._load_error = ""
            self._edited()

    # ------------------------------------------------------------ display
    def _refresh(self) -> None:
        self._timer.stop()
        check = self._check()
        lines = self._lines()
        self._steps.set_marks([mark_token(e.location.line, lines[e.location.line - 1], e.location.column)
                               for e in check.errors if e.location.line <= len(lines)])
        self._show_problems(check.errors)
        self._show_params(check.used)
        valid = not check.errors
        if valid != self._valid:
            self._valid = valid
            self.validityChanged.emit(valid)

    def _show_problems(self, errors: Sequence[TaskSyntaxError]) -> None:
        self._problems.clear()
        if self._load_error:
            item = QListWidgetItem(self._load_error)
            item.setForeground(ERROR)
            item.setFont(_bold(item.font()))
            self._problems.addItem(item)
        for error in errors:
            item = QListWidgetItem(describe(error))
            item.setData(Qt.ItemDataRole.UserRole, (error.location.line, error.location.column))
            item.setForeground(ERROR)
            self._problems.addItem(item)
        steps = sum(not is_blank(text) for text in self._lines())
        count = len(errors) + bool(self._load_error)
        self._status.setText(f"{count} problem{'s' * (count != 1)}" if count
                             else f"No problems · {steps} step{'s' * (steps != 1)}")
        self._status.setStyleSheet(f"color: {(ERROR if count else OK).name()};")

    def _show_params(self, used: Sequence[str]) -> None:
        names = [*used, *(n for n in self._filled() if n not in used)]
        self._table.blockSignals(True)
        if [self._table.item(r, 0).text() for r in range(self._table.rowCount())] != names:
            self._table.setRowCount(len(names))
            for row, name in enumerate(names):
                key = QTableWidgetItem(name)
                key.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self._table.setItem(row, 0, key)
                self._table.setItem(row, 1, QTableWidgetItem(self._values.get(name, "")))
        for row, name in enumerate(names):
            key, value = self._table.item(row, 0), self._table.item(row, 1)
            missing, unused = not self._values.get(name), name not in used
            key.setForeground(ERROR if missing else MUTED if unused else self.palette().text().color())
            key.setToolTip("needs a value" if missing else "not used by any step" if unused else "")
            value.setBackground(MISSING if missing else QColor(Qt.GlobalColor.transparent))
        self._table.blockSignals(False)

    def _go_to_problem(self, item: QListWidgetItem) -> None:
        where = item.data(Qt.ItemDataRole.UserRole)
        if where is not None:
            self._steps.go_to(*where)


class _StepHighlighter(QSyntaxHighlighter):
    """Colours verbs, quoted text, {parameters}, role words and relations; comment lines are grey."""

    _VERB = re.compile(r"^\s*(?:(?:then|please|and),?\s+)*((?:double|right|left)[\s-]click|[\w-]+)",
                       re.IGNORECASE)
    _QUOTED = re.compile(r"""(["'])(?:\\.|(?!\1).)*?\1(?=[\s.,;:!?)]|$)""")
    _PARAM = re.compile(r"\{[A-Za-z_][\w-]*\}")
    _ROLE = re.compile(r"\b(?:button|(?:text )?field|textbox|input|entry|box|check ?box|combo(?:box)?"
                       r"|dropdown|list|menu(?: item)?|tab|link|icon|window|dialog)\b", re.IGNORECASE)
    _RELATION = re.compile(r"\b(?:(?:to the )?(?:right|left) of|below|under|beneath|above|near|next to|beside"
                           r"|inside|within)\b", re.IGNORECASE)

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        # Formats are made once: PySide6 6.12 crashes at exit when highlightBlock passes a fresh one.
        self._formats = {kind: _format(color, bold=kind in ("verb", "param"), italic=kind == "comment")
                         for kind, color in (("verb", "#1f4fd1"), ("quoted", "#0f7b45"), ("param", "#b4237a"),
                                             ("role", "#7b3fc4"), ("relation", "#a05a00"),
                                             ("comment", "#8b929c"))}

    def highlightBlock(self, text: str) -> None:
        if is_blank(text):
            self.setFormat(0, len(text), self._formats["comment"])
            return
        for kind, pattern in (("role", self._ROLE), ("relation", self._RELATION), ("quoted", self._QUOTED),
                              ("param", self._PARAM)):
            for match in pattern.finditer(text):
                self.setFormat(match.start(), match.end() - match.start(), self._formats[kind])
        if verb := self._VERB.match(text):
            self.setFormat(verb.start(1), verb.end(1) - verb.start(1), self._formats["verb"])


# ---------------------------------------------------------------- helpers
def _load_message(path: Path, exc: Exception) -> str:
    if isinstance(exc, TaskSyntaxError):
        return f"Could not open {path.name}: {describe(exc)}"
    return f"Could not open {path.name}: {exc}"


def _format(color: str, *, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(color))
    fmt.setFontWeight(QFont.Weight.DemiBold if bold else QFont.Weight.Normal)
    fmt.setFontItalic(italic)
    return fmt


def _bold(font: QFont) -> QFont:
    font.setBold(True)
    return font


def _framed(widget: QWidget) -> QFrame:
    frame = QFrame()
    frame.setObjectName("codeFrame")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(1, 1, 1, 1)
    layout.addWidget(widget)
    return frame


def _section(title: str, body: QWidget, aside: QWidget | None = None) -> QWidget:
    box = QWidget()
    header = QHBoxLayout()
    header.addWidget(label(title, "caption"))
    header.addStretch(1)
    if aside is not None:
        header.addWidget(aside)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 6, 0, 0)
    layout.setSpacing(4)
    layout.addLayout(header)
    layout.addWidget(body, 1)
    return box


_STYLE = """
QLabel#caption { color: #5f6673; font-weight: 600; }
QLineEdit#taskName { padding: 5px 8px; font-size: 11pt; border: 1px solid #d5d9e0; border-radius: 4px; }
QLineEdit#taskName:focus { border-color: #5b8def; }
QFrame#codeFrame { border: 1px solid #d5d9e0; border-radius: 4px; background: white; }
QLabel#banner { background: #fff4e0; color: #8a5300; padding: 4px 8px; border-radius: 4px; }
QListWidget, QTableWidget { border: 1px solid #d5d9e0; border-radius: 4px; }
QListWidget::item { padding: 3px 4px; }
QHeaderView::section { background: #f4f5f7; border: none; border-bottom: 1px solid #d5d9e0;
                        padding: 4px 6px; }
"""
