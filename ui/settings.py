"""The app's settings: the run mode it starts in, the policy file, where traces go and the stop hotkey —
kept in QSettings, edited in a small dialog.

Guaranteed: `load_settings` never fails on what it finds in the store; a missing, empty or unknown value
falls back to its default. Not checked here: that the policy file exists or parses (the policy view
reports that when it loads it).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_agent.safety.stop import STOP_HOTKEY

DEFAULT_HOTKEY = STOP_HOTKEY  # as the CLI's --stop-hotkey


class Mode(enum.Enum):
    """How a run treats its steps. Steps the policy marks `confirm` ask in every mode that acts."""

    AUTONOMOUS = "autonomous"
    APPROVE = "approve"
    DRY_RUN = "dry-run"

    @property
    def label(self) -> str:
        return {Mode.AUTONOMOUS: "Autonomous", Mode.APPROVE: "Approve each step",
                Mode.DRY_RUN: "Dry run"}[self]

    @property
    def hint(self) -> str:
        return {Mode.AUTONOMOUS: "Acts on its own; asks only where the policy says confirm",
                Mode.APPROVE: "Shows every proposed action and waits for your answer",
                Mode.DRY_RUN: "Finds every target and asks the policy, but acts on nothing"}[self]

    @property
    def approve_every_step(self) -> bool:
        return self is Mode.APPROVE

    @property
    def dry_run(self) -> bool:
        return self is Mode.DRY_RUN


def _default_trace_root() -> Path:
    data = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation)
    return Path(data or Path.home() / ".local" / "share" / "desktop-agent") / "traces"


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    mode: Mode = Mode.APPROVE
    policy_file: Path | None = None  # None: the shipped default policy
    trace_root: Path = field(default_factory=_default_trace_root)
    hotkey: str = DEFAULT_HOTKEY


def load_settings(store: QSettings) -> Settings:
    default = Settings()
    mode = str(store.value("run/mode", default.mode.value))
    policy = str(store.value("run/policy_file", "") or "")
    traces = str(store.value("run/trace_root", "") or "")
    hotkey = str(store.value("control/stop_hotkey", "") or "")
    return Settings(mode=next((m for m in Mode if m.value == mode), default.mode),
                    policy_file=Path(policy) if policy else None,
                    trace_root=Path(traces) if traces else default.trace_root,
                    hotkey=hotkey or default.hotkey)


def save_settings(store: QSettings, settings: Settings) -> None:
    store.setValue("run/mode", settings.mode.value)
    store.setValue("run/policy_file", str(settings.policy_file) if settings.policy_file else "")
    store.setValue("run/trace_root", str(settings.trace_root))
    store.setValue("control/stop_hotkey", settings.hotkey)
    store.sync()


def hotkey_label(combo: str) -> str:
    """A pynput combo as people write it: "<ctrl>+<alt>+q" -> "Ctrl+Alt+Q"."""
    return "+".join(part.strip("<>").capitalize() for part in combo.split("+"))


def hotkey_problem(combo: str) -> str:
    """Why `combo` is not a usable pynput hotkey, or "" — checked by pynput itself when it can reach a
    display, else only for its shape (keys joined by "+", names in angle brackets)."""
    parts = combo.split("+")
    if not combo or any(not p or (len(p) > 1 and not (p.startswith("<") and p.endswith(">")))
                        for p in parts):
        return 'write keys joined by "+", named keys in angle brackets: <ctrl>+<alt>+q'
    try:
        from pynput.keyboard import HotKey  # lazy: importing it connects to the display
    except ImportError:
        return ""
    try:
        HotKey.parse(combo)
    except ValueError as exc:
        return f"not a key combination pynput knows: {exc}"
    return ""


class SettingsDialog(QDialog):
    """Edits a copy of the settings; `settings()` is the result once accepted."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(520)
        self._mode = QComboBox()
        for mode in Mode:
            self._mode.addItem(mode.label, mode)
            self._mode.setItemData(self._mode.count() - 1, mode.hint, Qt.ItemDataRole.ToolTipRole)
        self._mode.setCurrentIndex(list(Mode).index(settings.mode))
        self._policy = QLineEdit(str(settings.policy_file) if settings.policy_file else "")
        self._policy.setPlaceholderText("the shipped default policy")
        self._traces = QLineEdit(str(settings.trace_root))
        self._hotkey = QLineEdit(settings.hotkey)
        self._hotkey.setPlaceholderText(DEFAULT_HOTKEY)
        self._problem = QLabel()
        self._problem.setStyleSheet("color: #cf222e;")
        self._problem.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Start in mode", self._mode)
        form.addRow("Policy file", self._with_browse(self._policy, self._browse_policy))
        form.addRow("Trace folder", self._with_browse(self._traces, self._browse_traces))
        form.addRow("Stop hotkey", self._hotkey)
        hint = QLabel("Pressed anywhere on the desktop, it stops a run at once (pynput syntax).")
        hint.setStyleSheet("color: palette(mid);")
        form.addRow("", hint)
        self._buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                         | QDialogButtonBox.StandardButton.Cancel)
        self._buttons.accepted.connect(self.accept)
        self._buttons.rejected.connect(self.reject)
        self._hotkey.textChanged.connect(self._check)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self._problem)
        layout.addWidget(self._buttons)
        self._check()

    def settings(self) -> Settings:
        policy, traces = self._policy.text().strip(), self._traces.text().strip()
        return Settings(mode=self._mode.currentData(), policy_file=Path(policy) if policy else None,
                        trace_root=Path(traces) if traces else Settings().trace_root,
                        hotkey=self._hotkey.text().strip() or DEFAULT_HOTKEY)

    def _check(self) -> None:
        problem = hotkey_problem(self._hotkey.text().strip() or DEFAULT_HOTKEY)
        self._problem.setText(f"Stop hotkey: {problem}" if problem else "")
        self._problem.setVisible(bool(problem))
        self._buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)

    def _with_browse(self, edit: QLineEdit, browse) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        button = QPushButton("Browse…")
        button.clicked.connect(browse)
        layout.addWidget(edit, 1)
        layout.addWidget(button)
        return row

    def _browse_policy(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Policy file", self._policy.text(),
                                              "Policy (*.yaml *.yml)")
        if path:
            self._policy.setText(path)

    def _browse_traces(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Trace folder", self._traces.text())
        if path:
            self._traces.setText(path)
