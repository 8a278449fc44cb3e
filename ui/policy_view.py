"""The policy view: the policy's YAML, checked as you type; Apply makes it the one the next run uses.

Guaranteed: `policy()` is always a validated Policy (the shipped default until something else is
applied), `path` is the file of that applied policy, and Apply is only enabled while the current text
validates. Edits don't touch the file until Save as…; applying doesn't save either.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import yaml
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QColor, QSyntaxHighlighter, QTextCharFormat, QTextDocument
from PySide6.QtWidgets import QFileDialog, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop_agent.core.errors import PolicyError
from desktop_agent.safety.policy import Policy, default_policy_path, load_policy, parse_policy
from ui.code_edit import CodeEdit, Mark, monospace

DEBOUNCE_MS = 250
_AT_LINE = re.compile(r"line (\d+), column (\d+)")
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def summary(policy: Policy) -> str:
    """`default allow · 14 rules · 4 denied window patterns · max 200 steps, 60 actions/min`"""
    limits = policy.limits
    parts = [f"default {policy.default.value}", f"{len(policy.rules)} rule{'s' * (len(policy.rules) != 1)}",
             f"{len(policy.windows_deny)} denied window pattern{'s' * (len(policy.windows_deny) != 1)}"]
    if policy.windows_allow:
        parts.append(f"only {len(policy.windows_allow)} allowed window pattern(s)")
    steps = f"max {limits.max_steps} steps" if limits.max_steps else "no step limit"
    rate = (f"{limits.max_actions_per_minute} actions/min" if limits.max_actions_per_minute
            else "no rate limit")
    return " · ".join([*parts, f"{steps}, {rate}"])


def error_line(text: str, error: PolicyError) -> tuple[int, int] | None:
    """1-based (line, column) of a policy error in `text`: from a YAML syntax error's position, or by
    following `where` (`rules[3].text`) through the YAML nodes to the value (to the key when the key is
    the problem). None when there is no such place."""
    if match := _AT_LINE.fullmatch(error.where):
        return int(match.group(1)), int(match.group(2))
    if not error.where:
        return None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    mark, at_key = None, error.message.startswith("unknown key")
    for key, index in _PATH_PART.findall(error.where):
        if index and isinstance(node, yaml.SequenceNode) and int(index) < len(node.value):
            node = node.value[int(index)]
            mark = node.start_mark
        elif key and isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if k.value == key), None)
            if found is None:
                return None
            mark, node = found[0 if at_key else 1].start_mark, found[1]
        else:
            return None
    return (mark.line + 1, mark.column + 1) if mark is not None else None


class PolicyView(QWidget):
    policyApplied = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._path: Path | None = None       # the applied policy's file
        self._text_path: Path | None = None  # the file the text came from or was saved to
        self._applied_text = ""
        self._error_at: tuple[int, int] | None = None
        self._policy = load_policy(None)
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self.validate)
        self._build()
        self.load(None)

    # ------------------------------------------------------------ API
    def load(self, path: Path | None) -> bool:
        """Show a policy file (None: the shipped default) and apply it when it validates; True if applied.
        A file that doesn't validate is shown with its error and not applied; one that can't be read is
        reported and nothing changes."""
        source = path or default_policy_path()
        try:
            text = source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self._show_error(PolicyError(f"cannot read the policy: {exc}", source=str(source)), "")
            self._show_state(f"Could not load {source.name}; the applied policy is unchanged", ok=False)
            return False
        self._show_file(path)
        self._editor.setPlainText(text)
        return self.validate() is not None and self.apply()

    def policy(self) -> Policy:
        """The applied policy (not the text being edited)."""
        return self._policy

    @property
    def path(self) -> Path | None:
        """The file of the applied policy; None for the shipped default."""
        return self._path

    def validate(self) -> Policy | None:
        """Check the current text; show the result; enable Apply only when it is valid."""
        self._timer.stop()
        text = self._editor.toPlainText()
        try:
            policy = parse_policy(text, source=self._source())
        except PolicyError as exc:
            self._show_error(exc, text)
            self._show_state("Not valid — fix the problem above to apply", ok=False)
            return None
        self._editor.set_marks(())
        self._error.hide()
        self._error_at = None
        self._apply.setEnabled(text != self._applied_text)
        self._show_state(f"Valid — {summary(policy)}", ok=True)
        return policy

    def apply(self) -> bool:
        """Make the current text the applied policy (emits policyApplied); False if it doesn't validate."""
        policy = self.validate()
        if policy is None:
            return False
        self._policy, self._applied_text, self._path = policy, self._editor.toPlainText(), self._text_path
        self._apply.setEnabled(False)
        self._dirty.hide()
        self._show_state(f"Applied — {summary(policy)}", ok=True)
        self.policyApplied.emit(policy)
        return True

    def save_as(self, path: Path) -> None:
        """Write the current text to `path` (atomically); does not apply. If the text is the applied
        policy, `path` becomes this file."""
        fd, temp = tempfile.mkstemp(dir=path.absolute().parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(self._editor.toPlainText())
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        self._show_file(path)
        if self._editor.toPlainText() == self._applied_text:
            self._path = path

    def set_read_only(self, on: bool) -> None:
        """No edits, applying or saving (during a run: the run keeps the policy it started with)."""
        self._editor.setReadOnly(on)
        for button in (self._validate, self._save):
            button.setEnabled(not on)
        self._apply.setEnabled(not on and self._applied_text != self._editor.toPlainText()
                               and self._error.isHidden())

    # ------------------------------------------------------------ layout
    def _build(self) -> None:
        self._file = QLabel()
        self._file.setObjectName("file")
        self._dirty = QLabel("● Unapplied changes")
        self._dirty.setObjectName("dirty")
        self._dirty.hide()
        self._validate = QPushButton("Validate")
        self._apply = QPushButton("Apply")
        self._save = QPushButton("Save as…")
        for button, name in ((self._validate, "validate"), (self._apply, "apply"), (self._save, "saveAs")):
            button.setObjectName(name)
        self._validate.clicked.connect(self._validate_clicked)
        self._apply.clicked.connect(self.apply)
        self._save.clicked.connect(self._ask_save_as)
        self._editor = CodeEdit()
        self._editor.setObjectName("policyText")
        _YamlHighlighter(self._editor.document())
        self._editor.textChanged.connect(self._edited)
        self._state = QLabel()
        self._state.setObjectName("state")
        self._state.setWordWrap(True)
        self._error = QLabel()
        self._error.setObjectName("error")
        self._error.setWordWrap(True)
        self._error.setFont(monospace(9))
        self._error.hide()

        header = QHBoxLayout()
        header.addWidget(self._file)
        header.addWidget(self._dirty)
        header.addStretch(1)
        for button in (self._validate, self._apply, self._save):
            header.addWidget(button)
        frame = QFrame()
        frame.setObjectName("codeFrame")
        inner = QVBoxLayout(frame)
        inner.setContentsMargins(1, 1, 1, 1)
        inner.addWidget(self._editor)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(8)
        layout.addLayout(header)
        layout.addWidget(frame, 1)
        layout.addWidget(self._error)
        layout.addWidget(self._state)
        self.setStyleSheet(_STYLE)

    # ------------------------------------------------------------ behaviour
    def _source(self) -> str:
        return str(self._text_path or default_policy_path())

    def _show_file(self, path: Path | None) -> None:
        self._text_path = path
        self._file.setText(path.name if path else "Default policy (shipped)")
        self._file.setToolTip(str(path or default_policy_path()))

    def _edited(self) -> None:
        self._dirty.setVisible(self._editor.toPlainText() != self._applied_text)
        self._apply.setEnabled(False)  # until the debounced validation passes
        self._timer.start()

    def _validate_clicked(self) -> None:
        if self.validate() is None and self._error_at is not None:
            self._editor.go_to(*self._error_at)

    def _show_error(self, error: PolicyError, text: str) -> None:
        where = self._error_at = error_line(text, error)
        lines = [error.message]
        if error.where:
            lines.append(f"at {error.where}")
        marks: list[Mark] = []
        if where is not None:
            line, column = where
            shown = text.split("\n")[line - 1] if line <= text.count("\n") + 1 else ""
            lines += [f"{line:>4} │ {shown}", "     │ " + " " * (column - 1) + "^"]
            marks.append(Mark(line=line, start=column - 1, end=max(column, len(shown))))
        self._editor.set_marks(marks)
        self._error.setText("\n".join(lines))
        self._error.show()
        self._apply.setEnabled(False)

    def _show_state(self, text: str, *, ok: bool) -> None:
        self._state.setText(text)
        self._state.setStyleSheet(f"color: {'#1e7f4f' if ok else '#b3261e'};")

    def _ask_save_as(self) -> None:
        start = str(self._text_path or Path.home() / "policy.yaml")
        name, _ = QFileDialog.getSaveFileName(self, "Save policy as", start, "YAML (*.yaml *.yml)")
        if name:
            self.save_as(Path(name))


class _YamlHighlighter(QSyntaxHighlighter):
    """Comments grey, keys blue, quoted strings green; enough to read a policy at a glance."""

    _STRING = re.compile(r"'(?:[^']|'')*'|\"(?:\\.|[^\"\\])*\"")
    _KEY = re.compile(r"(?:^\s*(?:-\s+)?|[{,]\s*)([\w-]+)(?=\s*:)")
    _COMMENT = re.compile(r"(?:^|\s)(#.*)$")

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        # Formats are made once: PySide6 6.12 crashes at exit when highlightBlock passes a fresh one.
        self._formats = [(pattern, _color(color)) for pattern, color in
                         ((self._STRING, "#0f7b45"), (self._KEY, "#1f4fd1"), (self._COMMENT, "#8b929c"))]

    def highlightBlock(self, text: str) -> None:
        for pattern, fmt in self._formats:
            for match in pattern.finditer(text):
                group = 1 if pattern.groups else 0
                self.setFormat(match.start(group), match.end(group) - match.start(group), fmt)


def _color(color: str) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(color))
    return fmt


_STYLE = """
QLabel#file { font-weight: 600; color: #2b303b; }
QLabel#dirty { color: #a05a00; }
QFrame#codeFrame { border: 1px solid #d5d9e0; border-radius: 4px; background: white; }
QLabel#error { background: #fdecea; color: #b3261e; border: 1px solid #f3c1bc; border-radius: 4px;
               padding: 8px 10px; }
QPushButton { padding: 4px 14px; border: 1px solid #c9ced6; border-radius: 4px; background: white; }
QPushButton:hover { background: #f4f6f9; }
QPushButton:disabled { color: #a0a6b0; background: #f6f7f9; border-color: #dfe2e7; }
QPushButton#apply:enabled { background: #1f5fd1; color: white; border-color: #1a52b5; }
"""
