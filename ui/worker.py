"""The engine off the GUI thread: an `EngineWorker` runs in its own QThread and re-emits every event as
a Qt signal (delivered queued to receivers in the GUI thread) — a `RunWorker` iterates
`Runner.run(plan)`, a `ServeWorker` (serve_worker.py) serves agents over MCP; a `GuiApprover` is the
runner's Approver — the guard calls it in an engine thread and it waits for the GUI's answer.

Guaranteed: the GUI thread never waits for the engine except in `RunWorker.wait`; `stop()` ends a run at
the runner's next look at its stop token (between steps, before every side effect) and answers a pending
approval with QUIT; pausing holds the run between steps only, never between a proposal and its action.
Not guaranteed: how soon a step already in progress notices a stop — a model load or a settle wait runs
to its (bounded) end first.
"""
from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

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
    blocks until `answer` (from any thread) or `cancel`, which makes this and every later question QUIT,
    or `withdraw`, which answers only this one SKIP (and emits `withdrawn`). An answer given while nothing
    is being asked is ignored (a late double-click can't approve the next step)."""

    asked = Signal(object)  # a guard.Proposal
    withdrawn = Signal()    # the question being asked was taken back unanswered

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

    def withdraw(self) -> None:
        with self._lock:
            if not self._asking or self._answer is not None:
                return
            self._answer = Approval.SKIP
            self._lock.notify_all()
        self.withdrawn.emit()


class EngineWorker(QObject):
    """The engine in a QThread of its own (`start`), its events and questions as signals; the one place
    an engine error becomes a message for the person. Control methods are called from the GUI thread
    and are thread-safe; signals are emitted in the engine's threads."""

    event = Signal(object)           # every runner event, in order: RunStarted ... RunFinished
    approvalNeeded = Signal(object)  # a Proposal; answer it with `answer`
    approvalWithdrawn = Signal()     # the question asked last was taken back (its agent went away)
    brakesProblem = Signal(str)      # the global stop hotkey could not be installed (the run goes on)
    crashed = Signal(str)            # the run ended with an error instead of RunFinished
    done = Signal()                  # the last signal of a run, whatever happened

    def __init__(self, *, name: str, approver: GuiApprover) -> None:
        """`approver` must be the one the runner's guard was built with (AgentConfig.approver)."""
        super().__init__()
        self._approver = approver
        # Direct: relayed in whichever engine thread asks (a serving session's is not this QThread, whose
        # event loop is busy serving), then delivered queued to the GUI.
        approver.asked.connect(self.approvalNeeded, Qt.ConnectionType.DirectConnection)
        approver.withdrawn.connect(self.approvalWithdrawn, Qt.ConnectionType.DirectConnection)
        self.thread = QThread()
        self.thread.setObjectName(name)
        self.moveToThread(self.thread)
        self.thread.started.connect(self._work)
        # Direct: the GUI thread may be blocked in wait() and could not deliver a queued quit.
        self.done.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)

    def start(self) -> None:
        self.thread.start()

    @property
    def running(self) -> bool:
        return self.thread.isRunning()

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until the thread has finished (or `timeout_ms` passed); True when it has."""
        return self.thread.wait(timeout_ms) if timeout_ms >= 0 else self.thread.wait()

    def answer(self, decision: Approval | Correction) -> bool:
        return self._approver.answer(decision)

    def stop(self, reason: str = "stopped from the app") -> None:
        raise NotImplementedError

    def _engine(self) -> None:
        """What runs in the thread (the engine's errors are turned into `crashed` around it)."""
        raise NotImplementedError

    @contextmanager
    def _braking(self, brakes: AbstractContextManager[StopHotkey | None]) -> Iterator[None]:
        """Hold `brakes`, saying so when the stop hotkey could not be installed."""
        with brakes as hotkey:
            if hotkey is not None and not hotkey.listening:
                self.brakesProblem.emit(hotkey.problem)
            yield

    @Slot()
    def _work(self) -> None:
        try:
            self._engine()
        except AgentError as exc:  # the world: e.g. no screen to watch for the fail-safe, a port taken
            self.crashed.emit(str(exc))
        except Exception:  # noqa: BLE001 - the engine's own bug: shown to the person, not lost
            self.crashed.emit(traceback.format_exc())
        finally:
            self.done.emit()


class RunWorker(EngineWorker):
    """Runs one plan once; a pause holds it between steps."""

    heldChanged = Signal(bool)       # True while a pause holds the run between steps

    def __init__(self, runner: Runner, plan: Plan, *, approver: GuiApprover, brakes: Brakes) -> None:
        super().__init__(name=f"run {plan.name}", approver=approver)
        self._runner = runner
        self._plan = plan
        self._brakes = brakes
        self._hold = threading.Condition()
        self._paused = False

    @property
    def paused(self) -> bool:
        with self._hold:
            return self._paused

    # ------------------------------------------------------------ control (any thread)
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
    def _engine(self) -> None:
        with self._braking(self._brakes()):
            for event in self._runner.run(self._plan):
                self.event.emit(event)
                if isinstance(event, (RunStarted, StepFinished)):
                    self._hold_while_paused()

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
