"""The engine off the GUI thread: a `RunWorker`, moved to its own QThread, iterates `Runner.run(plan)` and
re-emits every event as a Qt signal (delivered queued to receivers in the GUI thread); a `GuiApprover`
is the runner's Approver — the guard calls it in the worker thread and it waits for the GUI's answer.

Guaranteed: the GUI thread never waits for the engine except in `RunWorker.wait`; `stop()` ends a run at
the runner's next look at its stop token (between steps, before every side effect) and answers a pending
approval with QUIT; pausing holds the run between steps only, never between a proposal and its action.
Not guaranteed: how soon a step already in progress notices a stop — a model load or a settle wait runs
to its (bounded) end first.
"""
from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from contextlib import AbstractContextManager

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from desktop_agent.core.actions import Plan
from desktop_agent.core.errors import AgentError
from desktop_agent.core.events import RunStarted, StepFinished
from desktop_agent.run.runner import Runner
from desktop_agent.safety.approvals import Approval, Correction, Proposal
from desktop_agent.safety.stop import StopHotkey

# For the length of a run: whatever stops it from outside (the global hotkey, the corner fail-safe).
# Entered and left in the worker thread; yields the hotkey listener, or None when there is none.
Brakes = Callable[[], AbstractContextManager[StopHotkey | None]]

_HOLD_POLL_S = 0.1  # a paused run also notices a stop pulled by the hotkey or the fail-safe


class GuiApprover(QObject):
    """The runner's Approver, answered from the GUI. Called in the worker thread: emits `asked` and
    blocks until `answer` (from any thread) or `cancel`, which makes this and every later question QUIT.
    An answer given while nothing is being asked is ignored (a late double-click can't approve the next
    step)."""

    asked = Signal(object)  # a guard.Proposal

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Condition()
        self._asking = False
        self._answer: Approval | Correction | None = None
        self._cancelled = False

    def __call__(self, proposal: Proposal) -> Approval | Correction:
        with self._lock:
            if self._cancelled:
                return Approval.QUIT
            self._asking, self._answer = True, None
        self.asked.emit(proposal)
        with self._lock:
            while self._answer is None and not self._cancelled:
                self._lock.wait()
            self._asking = False
            return Approval.QUIT if self._cancelled else self._answer

    def answer(self, decision: Approval | Correction) -> bool:
        """Give the answer to the question being asked; False when none is."""
        if not isinstance(decision, (Approval, Correction)):
            raise TypeError(f"an answer is an Approval or a Correction, not {decision!r}")
        with self._lock:
            if not self._asking or self._answer is not None:
                return False
            self._answer = decision
            self._lock.notify_all()
            return True

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            self._lock.notify_all()


class RunWorker(QObject):
    """Runs one plan once, in a QThread of its own (`start`). Control methods are called from the GUI
    thread and are thread-safe; signals are emitted in the worker thread."""

    event = Signal(object)           # every runner event, in order: RunStarted ... RunFinished
    approvalNeeded = Signal(object)  # a Proposal; answer it with `answer`
    heldChanged = Signal(bool)       # True while a pause holds the run between steps
    brakesProblem = Signal(str)      # the global stop hotkey could not be installed (the run goes on)
    crashed = Signal(str)            # the run ended with an error instead of RunFinished
    done = Signal()                  # the last signal of a run, whatever happened

    def __init__(self, runner: Runner, plan: Plan, *, approver: GuiApprover, brakes: Brakes) -> None:
        """`approver` must be the one the runner's guard was built with (AgentConfig.approver)."""
        super().__init__()
        self._runner = runner
        self._plan = plan
        self._approver = approver
        self._brakes = brakes
        self._hold = threading.Condition()
        self._paused = False
        approver.asked.connect(self.approvalNeeded)
        self.thread = QThread()
        self.thread.setObjectName(f"run {plan.name}")
        self.moveToThread(self.thread)
        self.thread.started.connect(self._work)
        # Direct: the GUI thread may be blocked in wait() and could not deliver a queued quit.
        self.done.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)

    def start(self) -> None:
        self.thread.start()

    @property
    def running(self) -> bool:
        return self.thread.isRunning()

    @property
    def paused(self) -> bool:
        with self._hold:
            return self._paused

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until the thread has finished (or `timeout_ms` passed); True when it has."""
        return self.thread.wait(timeout_ms) if timeout_ms >= 0 else self.thread.wait()

    # ------------------------------------------------------------ control (any thread)
    def answer(self, decision: Approval | Correction) -> bool:
        return self._approver.answer(decision)

    def pause(self) -> None:
        with self._hold:
            self._paused = True

    def resume(self) -> None:
        with self._hold:
            self._paused = False
            self._hold.notify_all()

    def stop(self, reason: str = "stopped from the app") -> None:
        self._runner.stop.request(reason)
        self._approver.cancel()
        self.resume()

    # ------------------------------------------------------------ the worker thread
    @Slot()
    def _work(self) -> None:
        try:
            with self._brakes() as hotkey:
                if hotkey is not None and not hotkey.listening:
                    self.brakesProblem.emit(hotkey.problem)
                for event in self._runner.run(self._plan):
                    self.event.emit(event)
                    if isinstance(event, (RunStarted, StepFinished)):
                        self._hold_while_paused()
        except AgentError as exc:  # the world: e.g. no screen to watch for the fail-safe
            self.crashed.emit(str(exc))
        except Exception:  # noqa: BLE001 - the engine's own bug: shown to the person, not lost
            self.crashed.emit(traceback.format_exc())
        finally:
            self.done.emit()

    def _hold_while_paused(self) -> None:
        stop = self._runner.stop
        with self._hold:
            if not self._paused or stop.requested:
                return
        self.heldChanged.emit(True)
        with self._hold:
            while self._paused and not stop.requested:
                self._hold.wait(_HOLD_POLL_S)
        self.heldChanged.emit(False)
