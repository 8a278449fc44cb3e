"""One run at a time, between the engine's worker thread and the widgets that show it: the live view
gets each step's screen and target, the approval panel each question, the timeline each step's status.
A run is a task's (`start`) or a serving session's (`serve`: agents over MCP; its steps join the
timeline as they come).

Every run gets an approver: steps the policy marks `confirm` stop at the approval panel in every mode
(a served step when its client can't ask the person itself); "Approve each step" also asks before all
the others; a dry run asks nothing. Guaranteed: `close()` returns only once the run's thread has
finished (the stop token pulled, a pending approval answered QUIT, serving ended). Not done here:
raising the window to ask — it would cover the application the agent is about to act on.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QRectF, Qt, Signal, Slot

from desktop_agent.compose import AgentConfig, RunGiven, start_run
from desktop_agent.core.actions import Plan
from desktop_agent.core.events import RunFinished, RunStarted, StepFinished, StepGrounded, StepStarted
from desktop_agent.core.results import StepResult
from desktop_agent.core.values import Screen, Target
from desktop_agent.run.runner import Runner, RunOptions
from desktop_agent.safety.approvals import Approval, Correction, Proposal
from desktop_agent.safety.policy import Policy
from desktop_agent.safety.stop import StopHotkey
from desktop_agent.screen import coords
from desktop_agent.serve.opening import Serving
from ui.approval_panel import ApprovalPanel
from ui.live_view import LiveView
from ui.settings import Mode
from ui.timeline import StepView, Timeline
from ui.worker import EngineWorker, GuiApprover, RunWorker

if TYPE_CHECKING:
    from desktop_agent.serve.http import Endpoint

RunnerFactory = Callable[[AgentConfig], Runner]
# The brakes for one run, given its runner and the stop hotkey from the settings.
BrakesFactory = Callable[[Runner, str], AbstractContextManager[StopHotkey | None]]
_FOCUS_MARGIN = 24  # points of screen shown around the window the agent acts on


class RunControl(QObject):
    stateChanged = Signal(str, str)     # kind (idle, running, asking, paused, stopping, a RunStatus value
                                        # or "crashed") and a sentence for the status bar
    runningChanged = Signal(bool)
    approvalRequested = Signal(object)  # the Proposal the approval panel now shows
    runFinished = Signal(object)        # the RunFinished event (None after a crash), once the thread ended
    screenShown = Signal(str)           # what the live view now shows, in a few words
    brakesProblem = Signal(str)         # the global stop hotkey could not be installed
    crashed = Signal(str)               # the run ended with an error instead of RunFinished
    endpointReady = Signal(object)      # serving: the serve.http.Endpoint agents connect to (once)

    def __init__(self, *, factory: RunnerFactory, brakes: BrakesFactory, live_view: LiveView,
                 approval: ApprovalPanel, timeline: Timeline, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._factory, self._brakes = factory, brakes
        self._live, self._approval, self._timeline = live_view, approval, timeline
        self._worker: EngineWorker | None = None
        self._serving = False
        self._total = 0
        self._done = 0  # steps finished in this run
        self._before: dict[int, Path | None] = {}
        self._finished: RunFinished | None = None
        approval.decided.connect(self._on_decided)
        approval.pickRequested.connect(self._on_pick_requested)
        live_view.pointPicked.connect(self._on_point_picked)

    @property
    def running(self) -> bool:
        return self._worker is not None

    @property
    def serving(self) -> bool:
        return self._serving

    def start(self, plan: Plan, *, mode: Mode, policy: Policy, trace_root: Path, base_dir: Path,
              hotkey: str, given: RunGiven) -> None:
        """Build the runner for `mode` and start it (`given`: how the task was given, kept so that the
        run can be resumed). The factory's errors (AgentError, OSError) propagate, with nothing started."""
        if self._worker is not None:
            raise RuntimeError("a run is already going")
        approver = GuiApprover()
        config = AgentConfig(policy=policy, trace_root=trace_root, run_name=plan.name, approver=approver,
                             approve_every_step=mode.approve_every_step, assets=plan.assets,
                             options=RunOptions(dry_run=mode.dry_run, base_dir=base_dir))
        started = start_run(plan, config, hotkey=hotkey, given=given, build=self._factory)
        runner, plan = started.runner, started.plan
        worker = RunWorker(runner, plan, approver=approver,
                           brakes=functools.partial(self._brakes, runner, hotkey))
        worker.heldChanged.connect(self._on_held)
        self._total = len(plan.steps)
        self._attach(worker, [step.text for step in plan.steps], f"Starting · {mode.label}")

    def serve(self, *, policy: Policy, trace_root: Path, base_dir: Path, hotkey: str, port: int = 0) -> None:
        """Serve agents over MCP (streamable HTTP on 127.0.0.1) until `stop`: one run, its steps those
        the agents send; `endpointReady` gives the URL and token once clients can connect."""
        if self._worker is not None:
            raise RuntimeError("a run is already going")
        from ui.serve_worker import ServeWorker  # the MCP SDK and the HTTP server load only to serve

        worker = ServeWorker(Serving(policy=policy, trace_root=trace_root, base_dir=base_dir),
                             build=self._factory, brakes=lambda runner: self._brakes(runner, hotkey), port=port)
        worker.ready.connect(self._on_ready)
        self._serving, self._total = True, 0
        self._attach(worker, [], "Starting to serve agents")

    def _attach(self, worker: EngineWorker, steps: list[str], starting: str) -> None:
        worker.event.connect(self._on_event)
        worker.approvalNeeded.connect(self._on_approval)
        worker.approvalWithdrawn.connect(self._on_approval_withdrawn)
        worker.brakesProblem.connect(self.brakesProblem)
        worker.crashed.connect(self._on_crash)
        worker.thread.finished.connect(self._on_thread_finished)
        self._worker, self._finished, self._before, self._done = worker, None, {}, 0
        self._timeline.reset(steps)
        self.runningChanged.emit(True)
        self.stateChanged.emit("running", starting)
        worker.start()

    def stop(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._approval.clear()
            self._live.set_pick_mode(False)
            self.stateChanged.emit("stopping", "Stopping…")

    def pause(self, paused: bool) -> None:
        if not isinstance(self._worker, RunWorker):  # serving takes each agent's step as it comes
            return
        if paused:
            self._worker.pause()
            self.stateChanged.emit("paused", "Pausing after this step…")
        else:
            self._worker.resume()
            self.stateChanged.emit("running", "Running")

    def close(self) -> None:
        """Stop the run, if any, and wait for its thread (bounded: every wait in the engine checks the
        stop token or times out)."""
        worker = self._worker
        if worker is not None:
            self.stop()
            worker.wait()

    # ------------------------------------------------------------ the worker's signals
    @Slot(object)
    def _on_event(self, event: object) -> None:
        match event:
            case RunStarted(trace=trace):
                if not self._serving:
                    self.stateChanged.emit("running", f"Running · trace in {trace}")
            case StepStarted(index=index, step=step):
                if self._timeline.details(index) is None:  # an agent's next step
                    self._timeline.append(step.text)
                self._timeline.update_step(StepView(index=index, text=step.text, status="running"))
                if self._serving:
                    self.stateChanged.emit("running", f"Agent step {index + 1}")
                elif isinstance(self._worker, RunWorker) and not self._worker.paused:
                    self.stateChanged.emit("running", f"Step {index + 1} of {self._total}")
            case StepGrounded(index=index, step=step, target=target, screenshot=shot, screen=screen):
                if screen is not None:
                    self._live.show_screen(screen)
                    self._focus(screen, target)
                    self.screenShown.emit(f"step {index + 1}")
                self._live.set_target(target)
                self._before[index] = shot
                self._timeline.update_step(StepView(index=index, text=step.text, status="running",
                                                    thumbnail=shot, before=shot,
                                                    why=target.why if target else ""))
            case StepFinished(index=index, result=result):
                self._timeline.update_step(finished_view(index, result, self._before.get(index)))
                self._done = index + 1
            case RunFinished(status=status, report=report) as finished:
                self._finished = finished
                self._timeline.set_report(report)
                self.stateChanged.emit(status.value, f"Run {status.value}")

    @Slot(object)
    def _on_approval(self, proposal: Proposal) -> None:
        self._approval.ask(proposal)
        self._live.set_target(proposal.request.target)
        self.stateChanged.emit("asking", "Waiting for your approval")
        self.approvalRequested.emit(proposal)

    @Slot()
    def _on_approval_withdrawn(self) -> None:
        self._approval.clear()
        self._live.set_pick_mode(False)
        self.stateChanged.emit("running", "The agent went away: its question was withdrawn")

    @Slot(object)
    def _on_ready(self, endpoint: Endpoint) -> None:
        self.stateChanged.emit("running", f"Serving agents at {endpoint.url}")
        self.endpointReady.emit(endpoint)

    @Slot(bool)
    def _on_held(self, held: bool) -> None:
        if held:
            self.stateChanged.emit("paused", f"Paused before step {self._done + 1}")

    @Slot(str)
    def _on_crash(self, message: str) -> None:
        self.stateChanged.emit("crashed", "The run ended with an error")
        self.crashed.emit(message)

    @Slot()
    def _on_thread_finished(self) -> None:
        self._worker, self._serving = None, False
        self._approval.clear()
        self._live.set_pick_mode(False)
        self.runningChanged.emit(False)
        self.runFinished.emit(self._finished)

    def _focus(self, screen: Screen, target: Target | None) -> None:
        """Fit the view to the window the target is in (all of the screen without a target): what the
        agent acts on, as large as the view allows."""
        window = screen.window_at(target.point) if target is not None else None
        if window is None:
            self._live.fit()
            return
        box = coords.screen_to_image(screen.frame, window.box.inflate(_FOCUS_MARGIN))
        self._live.zoom_in()  # a zoom, as when the person zooms, ends the view's fitting on resize
        self._live.fitInView(QRectF(box.left, box.top, box.width, box.height),
                             Qt.AspectRatioMode.KeepAspectRatio)

    # ------------------------------------------------------------ the person's answers
    @Slot(object)
    def _on_decided(self, decision: Approval | Correction) -> None:
        self._live.set_pick_mode(False)
        if decision is Approval.QUIT:
            self.stop()  # the approver then answers QUIT
        elif self._worker is not None and self._worker.answer(decision):
            self.stateChanged.emit("running", "Running")

    @Slot()
    def _on_pick_requested(self) -> None:
        self._live.set_pick_mode(True)

    @Slot(int, int)
    def _on_point_picked(self, x: int, y: int) -> None:
        if self._approval.asking:
            self._approval.picked(x, y)


def finished_view(index: int, result: StepResult, before: Path | None) -> StepView:
    """A finished step for the timeline; `before` is the screenshot taken when it was proposed."""
    after = result.screenshot if result.screenshot != before else None
    return StepView(index=index, text=result.step.text, status=result.status.value,
                    total_ms=result.timings.total_ms, thumbnail=result.screenshot or before,
                    before=before, after=after, why=result.target.why if result.target else "",
                    error=result.error, retried_because=result.retried_because)
