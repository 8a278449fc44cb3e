"""Consolidating the memory when the app is idle: `skills.consolidate` (merge each task's runs into its
skill, prune what is stale) on a worker thread, a few seconds after a run ended and nothing else started.

Guaranteed: never while a run or a recording goes (`set_busy`), at most one at a time, never on the GUI
thread; a memory file that does not exist is not created; `close()` returns once no consolidation is
running. "Idle" means no run and no recording: the person editing a task does not hold it back (it only
writes to the memory, which a read never waits for).
"""
from __future__ import annotations

import functools
import sqlite3
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from desktop_agent.core.errors import AgentError
from desktop_agent.memory.skills import Consolidation, consolidate
from desktop_agent.memory.store import MemoryStore
from ui.background import Job, Say

IDLE_MS = 5000


class IdleConsolidation(QObject):
    consolidated = Signal(object)  # the Consolidation; None when there was no memory yet
    failed = Signal(str)           # why the memory could not be consolidated

    def __init__(self, path: Path, *, idle_ms: int = IDLE_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._path = path
        self._timer = QTimer(self, singleShot=True, interval=idle_ms)
        self._timer.timeout.connect(self._start)
        self._busy = False
        self._pending = False  # asked for and not started yet
        self._job: Job | None = None

    @property
    def idle_ms(self) -> int:
        return self._timer.interval()

    @idle_ms.setter
    def idle_ms(self, ms: int) -> None:
        self._timer.setInterval(ms)

    @property
    def pending(self) -> bool:
        """A consolidation was asked for and has not started yet."""
        return self._pending

    @property
    def running(self) -> bool:
        return self._job is not None

    def schedule(self) -> None:
        """Consolidate once the app has been idle for `idle_ms` (counted again from now)."""
        self._pending = True
        if not self._busy:
            self._timer.start()

    def set_busy(self, busy: bool) -> None:
        """While busy (a run or a recording), nothing starts; the idle time counts from its end."""
        self._busy = busy
        if busy:
            self._timer.stop()
        elif self._pending:
            self._timer.start()

    def close(self) -> None:
        """Drop what was asked for and wait for a consolidation that is running."""
        self._timer.stop()
        self._pending = False
        if self._job is not None:
            self._job.wait()

    @Slot()
    def _start(self) -> None:
        if self._busy or self._job is not None:  # one is running: it re-arms the timer when it ends
            return
        self._pending = False
        job = Job(functools.partial(_consolidate, path=self._path), name="consolidate memory",
                  expected=(AgentError, OSError, sqlite3.Error))
        job.succeeded.connect(self.consolidated)
        job.failed.connect(self._on_failed)
        job.thread.finished.connect(self._on_finished)
        self._job = job
        job.start()

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.failed.emit(f"Can't consolidate the memory: {message}")

    @Slot()
    def _on_finished(self) -> None:
        if self._job is not None:
            self._job.wait()  # `finished` is emitted just before the thread's very end
        self._job = None
        if self._pending and not self._busy:
            self._timer.start()


def _consolidate(say: Say, *, path: Path) -> Consolidation | None:
    if not path.exists():
        return None
    with MemoryStore.open(path) as store:
        return consolidate(store)
