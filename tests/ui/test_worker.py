"""The run worker on the real engine loop over a scripted desktop: events reach the GUI thread in order,
approvals block the runner until answered, pause holds between steps, stop ends the run cleanly."""
from __future__ import annotations

import threading
from contextlib import contextmanager, nullcontext

import pytest
from fake_engine import DELETE, OK, FakeRuns, config
from PySide6.QtCore import QObject, Slot

from desktop_agent.core.actions import MouseClick
from desktop_agent.core.events import RunFinished, RunStarted, StepFinished, StepGrounded, StepStarted
from desktop_agent.core.results import RunStatus, StepStatus
from desktop_agent.language.steps import plan_from_steps
from desktop_agent.safety.approvals import Approval, Correction
from desktop_agent.safety.stop import StopHotkey, StopToken
from tests.unit.fakes import FakeDesktop
from ui.worker import GuiApprover, RunWorker

TIMEOUT_MS = 5000


class Recorder(QObject):
    """Receives events and proposals in the GUI thread, as the main window does (the other signals are
    recorded as they are emitted)."""

    def __init__(self, worker: RunWorker) -> None:
        super().__init__()
        self.events, self.proposals, self.threads = [], [], set()
        self.answered = 0
        self.held, self.problems, self.crashes = [], [], []
        self.thread_finished = False
        worker.event.connect(self.on_event)
        worker.approvalNeeded.connect(self.on_proposal)
        worker.heldChanged.connect(self.held.append)
        worker.brakesProblem.connect(self.problems.append)
        worker.crashed.connect(self.crashes.append)
        worker.thread.finished.connect(self.on_thread_finished)

    @Slot(object)
    def on_event(self, event) -> None:
        self.events.append(event)
        self.threads.add(threading.get_ident())

    @Slot(object)
    def on_proposal(self, proposal) -> None:
        self.proposals.append(proposal)

    @Slot()
    def on_thread_finished(self) -> None:
        self.thread_finished = True

    @property
    def finished(self) -> RunFinished:
        assert isinstance(self.events[-1], RunFinished)
        return self.events[-1]


@pytest.fixture
def make(tmp_path):
    """make(steps, ...) -> (worker, recorder, runs), not started; every worker is stopped and waited for
    at the end of the test, whatever happened."""
    workers = []

    def make(steps, *, runs=None, approve_every_step=False, brakes=nullcontext):
        runs = runs or FakeRuns()
        approver = GuiApprover()
        runner = runs(config(tmp_path, approver=approver, approve_every_step=approve_every_step))
        worker = RunWorker(runner, plan_from_steps(steps), approver=approver, brakes=brakes)
        workers.append(worker)
        return worker, Recorder(worker), runs

    yield make
    for worker in workers:
        worker.stop()
        assert worker.wait(TIMEOUT_MS)


@pytest.fixture
def start(make):
    def start(steps, **options):
        worker, recorder, runs = make(steps, **options)
        worker.start()
        return worker, recorder, runs

    return start


def finish(qtbot, recorder: Recorder) -> None:
    """Wait until the worker's thread has finished and everything it emitted was delivered."""
    qtbot.waitUntil(lambda: recorder.thread_finished, timeout=TIMEOUT_MS)


def answer_next(qtbot, worker: RunWorker, recorder: Recorder, decision) -> None:
    """Wait for the next question and answer it."""
    qtbot.waitUntil(lambda: len(recorder.proposals) > recorder.answered, timeout=TIMEOUT_MS)
    recorder.answered += 1
    assert worker.answer(decision)


def test_events_reach_the_gui_thread_in_order(qtbot, start):
    _, recorder, runs = start(['click "OK"', 'click "OK"'])
    finish(qtbot, recorder)
    kinds = [type(e) for e in recorder.events]
    assert kinds == [RunStarted, *([StepStarted, StepGrounded, StepFinished] * 2), RunFinished]
    assert recorder.finished.status is RunStatus.SUCCEEDED
    assert recorder.threads == {threading.get_ident()}
    assert runs.operations == [MouseClick(point=OK.box.center)] * 2


def test_each_step_waits_for_approval(qtbot, start):
    worker, recorder, runs = start(['click "OK"', 'click "OK"'], approve_every_step=True)
    answer_next(qtbot, worker, recorder, Approval.APPROVE)
    qtbot.wait(150)
    assert runs.operations == [MouseClick(point=OK.box.center)]  # the second step is still asking
    answer_next(qtbot, worker, recorder, Approval.APPROVE)
    finish(qtbot, recorder)
    assert recorder.finished.status is RunStatus.SUCCEEDED
    assert [p.request.step_text for p in recorder.proposals] == ['click "OK"'] * 2
    assert recorder.proposals[0].reason_for_asking == "every step needs approval"


def test_skip_leaves_the_step_out_and_goes_on(qtbot, start):
    worker, recorder, runs = start(['click "Delete"', 'click "OK"'], approve_every_step=True)
    answer_next(qtbot, worker, recorder, Approval.SKIP)
    answer_next(qtbot, worker, recorder, Approval.APPROVE)
    finish(qtbot, recorder)
    assert [r.status for r in recorder.finished.results] == [StepStatus.SKIPPED, StepStatus.SUCCEEDED]
    assert runs.operations == [MouseClick(point=OK.box.center)]


def test_a_point_picked_instead_retargets_the_step(qtbot, start):
    worker, recorder, runs = start(['click "OK"'], approve_every_step=True)
    answer_next(qtbot, worker, recorder, Correction(point=DELETE.box.center))
    answer_next(qtbot, worker, recorder, Approval.APPROVE)  # the corrected step is proposed again
    finish(qtbot, recorder)
    (result,) = recorder.finished.results
    assert result.status is StepStatus.SUCCEEDED and result.target.box == DELETE.box
    assert runs.operations == [MouseClick(point=DELETE.box.center)]
    assert recorder.proposals[1].request.target.box == DELETE.box


def test_stop_during_an_approval_ends_the_run_stopped(qtbot, start):
    worker, recorder, runs = start(['click "OK"', 'click "OK"'], approve_every_step=True)
    qtbot.waitUntil(lambda: len(recorder.proposals) == 1, timeout=TIMEOUT_MS)
    worker.stop()
    finish(qtbot, recorder)
    assert recorder.finished.status is RunStatus.STOPPED
    assert [r.status for r in recorder.finished.results] == [StepStatus.STOPPED]
    assert runs.operations == []
    assert not worker.answer(Approval.APPROVE)  # nothing is asked any more


def test_an_answer_when_nothing_is_asked_is_ignored():
    approver = GuiApprover()
    assert not approver.answer(Approval.APPROVE)
    with pytest.raises(TypeError):
        approver.answer("yes")


def test_pause_holds_between_steps_and_resume_continues(qtbot, start):
    worker, recorder, runs = start(['click "OK"', 'click "OK"'], approve_every_step=True)
    qtbot.waitUntil(lambda: len(recorder.proposals) == 1, timeout=TIMEOUT_MS)
    worker.pause()
    answer_next(qtbot, worker, recorder, Approval.APPROVE)
    qtbot.waitUntil(lambda: recorder.held == [True], timeout=TIMEOUT_MS)
    qtbot.wait(300)
    assert [type(e) for e in recorder.events][-1] is StepFinished  # held after the first step
    assert len(runs.operations) == 1 and len(recorder.proposals) == 1
    worker.resume()
    answer_next(qtbot, worker, recorder, Approval.APPROVE)
    finish(qtbot, recorder)
    assert recorder.finished.status is RunStatus.SUCCEEDED and len(runs.operations) == 2
    assert recorder.held == [True, False]


def test_stop_while_paused_ends_the_run_stopped(qtbot, make):
    worker, recorder, runs = make(['click "OK"'])
    worker.pause()  # before the first step
    worker.start()
    qtbot.waitUntil(lambda: recorder.held == [True], timeout=TIMEOUT_MS)
    worker.stop()
    finish(qtbot, recorder)
    assert [type(e) for e in recorder.events] == [RunStarted, RunFinished]
    assert recorder.finished.status is RunStatus.STOPPED and runs.operations == []


def test_the_brakes_are_held_in_the_worker_thread_for_the_whole_run(qtbot, make):
    seen = []

    @contextmanager
    def brakes():
        hotkey = StopHotkey(StopToken())  # never started: not listening
        hotkey.problem = "the keyboard listener could not start"
        seen.append(("on", threading.get_ident()))
        yield hotkey
        seen.append(("off", threading.get_ident()))

    worker, recorder, _ = make(['click "OK"'], brakes=brakes)
    worker.start()
    finish(qtbot, recorder)
    assert recorder.problems == ["the keyboard listener could not start"]
    assert [on for on, _ in seen] == ["on", "off"]
    assert len({ident for _, ident in seen}) == 1 and seen[0][1] != threading.get_ident()


def test_an_engine_bug_is_reported_and_the_thread_ends(qtbot, make):
    worker, recorder, _ = make(['click "OK"'], runs=FakeRuns(FakeDesktop([], error=RuntimeError("boom"))))
    worker.start()
    finish(qtbot, recorder)
    (crash,) = recorder.crashes
    assert "RuntimeError: boom" in crash and not any(isinstance(e, RunFinished) for e in recorder.events)
