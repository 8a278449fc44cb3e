"""The task file behind the editor: open, save, save as — and, before edits would be lost, asking whether
to save them. The file last opened or saved is remembered in the settings store ("task/last"), where the
app looks for the task to open at start.

Guaranteed: a failed save is shown and leaves the editor's path and its unsaved state as they were; a
cancelled dialog changes nothing.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from ui.editor import TaskEditor

LAST_TASK = "task/last"  # the settings key
_FILTER = "Task (*.yaml *.yml)"


class TaskFiles(QObject):
    pathChanged = Signal()  # the editor now shows another file (or the same one, saved)

    def __init__(self, *, editor: TaskEditor, store: QSettings, window: QWidget) -> None:
        """`window`: the parent of the dialogs."""
        super().__init__(window)
        self._editor, self._store, self._window = editor, store, window

    @property
    def folder(self) -> Path:
        """Where a file dialog starts: the task's folder, or the working directory for a new task."""
        return self._editor.path.parent if self._editor.path else Path.cwd()

    def open(self, path: Path) -> None:
        """Load `path` in the editor (a file it can't read is reported in the editor)."""
        self._editor.open_file(path)
        self._store.setValue(LAST_TASK, str(path.resolve()))
        self.pathChanged.emit()

    def ask_open(self) -> None:
        if not self.may_discard_edits():
            return
        path, _ = QFileDialog.getOpenFileName(self._window, "Open task", str(self._editor.path or Path.cwd()),
                                              _FILTER)
        if path:
            self.open(Path(path))

    def save(self, ask: bool = False) -> None:
        """Save to the editor's file; `ask` (or a new task): ask where first."""
        path = self._editor.path
        if ask or path is None:
            chosen, _ = QFileDialog.getSaveFileName(self._window, "Save task", str(path or Path.cwd()), _FILTER)
            if not chosen:
                return
            path = Path(chosen)
        try:
            saved = self._editor.save_file(path)
        except (OSError, ValueError) as exc:
            QMessageBox.warning(self._window, "Save task", f"Could not save: {exc}")
            return
        self._store.setValue(LAST_TASK, str(saved.resolve()))
        self.pathChanged.emit()

    def may_discard_edits(self) -> bool:
        """True when there are no unsaved edits to the task, or the person saved or dropped them."""
        if not self._editor.modified:
            return True
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(self._window, "Unsaved task", "Save the changes to the task?",
                                      buttons.Save | buttons.Discard | buttons.Cancel)
        if answer == buttons.Save:
            self.save()
            return not self._editor.modified
        return answer == buttons.Discard
