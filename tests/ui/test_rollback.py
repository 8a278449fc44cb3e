"""Run > Roll back files… after a run: asks which step, shows what it would do, restores on Yes."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QInputDialog, QMessageBox, QWidget

from desktop_agent.core.events import RunFinished
from desktop_agent.core.results import RunStatus
from desktop_agent.durability.snapshots import WorkspaceStore
from ui.rollback import WorkspaceRollback


def finished_run(tmp_path: Path) -> tuple[RunFinished, Path]:
    notes = tmp_path / "ws" / "notes.txt"
    notes.parent.mkdir()
    notes.write_text("before the run")
    trace = tmp_path / "trace"
    WorkspaceStore(trace / "workspace").snapshot([notes.parent], label="step001")
    notes.write_text("what the run wrote")
    return RunFinished(status=RunStatus.FAILED, results=(), trace=trace, report=trace / "report.html"), notes


def test_the_files_are_put_back_after_the_person_confirms(qtbot, tmp_path, monkeypatch):
    window = QWidget()
    qtbot.addWidget(window)
    rollback = WorkspaceRollback(window)
    assert not rollback.action.isEnabled()
    finished, notes = finished_run(tmp_path)
    rollback.set_run(finished)
    assert rollback.action.isEnabled()
    shown: list[str] = []
    monkeypatch.setattr(QInputDialog, "getInt", lambda *args: (1, True))
    monkeypatch.setattr(QMessageBox, "question",
                        lambda parent, title, text: shown.append(text) or QMessageBox.StandardButton.No)
    rollback.action.trigger()
    assert "would restore 1 paths" in shown[0] and notes.read_text() == "what the run wrote"
    monkeypatch.setattr(QMessageBox, "question", lambda *args: QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: shown.append(text))
    rollback.action.trigger()
    assert notes.read_text() == "before the run" and "restored 1 paths" in shown[-1]


def test_a_run_without_checkpoints_leaves_it_disabled(qtbot, tmp_path):
    window = QWidget()
    qtbot.addWidget(window)
    rollback = WorkspaceRollback(window)
    rollback.set_run(RunFinished(status=RunStatus.SUCCEEDED, results=(), trace=tmp_path, report=tmp_path / "r"))
    assert not rollback.action.isEnabled()
