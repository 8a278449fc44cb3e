"""Run > Roll back files…: put the workspace of the last run back as it was before one of its steps
(what `desktop-agent rollback RUN --to STEP` does), after asking which step and confirming.

Guaranteed: nothing is restored without the person confirming; the restore takes an undo snapshot
first (restore.py), and its report — what was and wasn't restored — is shown. The action is enabled
only after a run that took workspace checkpoints.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QMessageBox, QWidget

from desktop_agent.core.events import RunFinished
from desktop_agent.durability.restore import describe, restore
from desktop_agent.durability.snapshots import CheckpointError, WorkspaceStore

WORKSPACE = "workspace"  # the run folder's checkpoints (run/rollback.py)


class WorkspaceRollback(QObject):
    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._window = parent
        self._store: WorkspaceStore | None = None
        self._steps = 0
        self.action = QAction("Roll back files…", parent)
        self.action.setToolTip("Put the last run's workspace files back as they were before one of its steps")
        self.action.setEnabled(False)
        self.action.triggered.connect(self.ask)

    @Slot(object)
    def set_run(self, finished: RunFinished | None) -> None:
        folder = finished.trace / WORKSPACE if finished is not None else None
        self._store = WorkspaceStore(folder) if folder is not None and folder.is_dir() else None
        self._steps = len(finished.results) if finished is not None else 0
        self.action.setEnabled(self._store is not None and bool(self._store.checkpoints()))

    @Slot()
    def ask(self) -> None:
        if self._store is None:
            return
        step, ok = QInputDialog.getInt(self._window, "Roll back files",
                                       "Put the workspace files back as they were before step:",
                                       1, 1, max(self._steps, 1))
        if not ok:
            return
        try:
            checkpoint = self._store.before_step(step)
            preview = describe(restore(self._store, checkpoint, dry_run=True))
        except CheckpointError as exc:
            QMessageBox.warning(self._window, "Roll back files", str(exc))
            return
        answer = QMessageBox.question(self._window, "Roll back files", f"{preview}\n\nRoll back now?")
        if answer != QMessageBox.StandardButton.Yes:
            return
        report = restore(self._store, checkpoint)
        show = QMessageBox.information if report.complete else QMessageBox.warning
        show(self._window, "Roll back files", describe(report))
