"""One call off the GUI thread: a `Job` runs `work(say)` once in a QThread of its own and reports back
with signals (delivered queued to receivers in the GUI thread) — for what takes seconds and must not
freeze the window, like naming a recording's steps with OCR or consolidating the memory.

Guaranteed: exactly one of `succeeded` / `failed` is emitted, then `done`, after which the thread ends;
`wait()` returns once it has. The errors in `expected` (the world's: a missing display, an unreadable
file) arrive as their message; any other exception is a bug and arrives as its traceback, shown rather
than lost. Not guaranteed: that the work can be interrupted — it must watch its own stop flag, if any.
"""
from __future__ import annotations

import traceback
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from desktop_agent.core.errors import AgentError

Say = Callable[[str], None]  # the work tells the GUI how far it got


class Job(QObject):
    progress = Signal(str)     # what the work said, in order
    succeeded = Signal(object)  # what the work returned
    failed = Signal(str)       # the message of an expected error, or a bug's traceback
    done = Signal()            # the last signal, whatever happened

    def __init__(self, work: Callable[[Say], object], *, name: str,
                 expected: tuple[type[Exception], ...] = (AgentError, OSError)) -> None:
        super().__init__()
        self._work, self._expected = work, expected
        self.thread = QThread()
        self.thread.setObjectName(name)
        self.moveToThread(self.thread)
        self.thread.started.connect(self._run)
        # Direct: the GUI thread may be blocked in wait() and could not deliver a queued quit.
        self.done.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)

    def start(self) -> None:
        self.thread.start()

    def wait(self) -> None:
        """Block until the thread has ended (at once if it never started)."""
        self.thread.wait()

    @Slot()
    def _run(self) -> None:
        try:
            result = self._work(self.progress.emit)
        except self._expected as exc:
            self.failed.emit(str(exc))
        except Exception:  # noqa: BLE001 - a bug: shown to the person, not lost
            self.failed.emit(traceback.format_exc())
        else:
            self.succeeded.emit(result)
        finally:
            self.done.emit()
