"""The agent loop: for each step, look -> ground -> guard -> act -> settle -> verify.

`Runner.run(plan)` is a generator of typed events; the caller (CLI, GUI worker) iterates it and may stop
it at any time through the shared `StopToken`, which is checked between steps and before every side
effect. World-caused failures become step results; programming errors propagate.

Guarantees: no side effect happens before the whole plan has been parsed (the caller passes a parsed
Plan); no action is taken on a screen that was not captured and perceived for that step; every side
effect goes through `Guard.perform`; a step whose check fails is rolled back to its checkpoint (its
inverse action and its workspace files, see rollback.py) and retried once after grounding again, never
in a loop; with `plan.workspace`, a checkpoint of those paths is taken before every acting step
(`<trace>/workspace/`, also restored by `desktop-agent rollback`). Not guaranteed: undoing what has no
inverse (inverse.py says which).
"""
from __future__ import annotations

import functools
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from desktop_agent.core.actions import (
    Click,
    Expect,
    Launch,
    MouseClick,
    Plan,
    Select,
    Step,
    TypeText,
    WaitFor,
    action_name,
    target_specs,
)
from desktop_agent.core.errors import ActionError, AgentError, CaptureError, StopRequested, TaskSyntaxError
from desktop_agent.core.events import Event, RunFinished, RunStarted, StepFinished, StepGrounded, StepStarted
from desktop_agent.core.results import RunStatus, StepResult, StepStatus
from desktop_agent.core.values import Frame, Target, TargetSpec, Window
from desktop_agent.grounding.fallbacks import Grounder, plain_grounder
from desktop_agent.grounding.make_locator import locate
from desktop_agent.grounding.resolve import TemplateMatcher, find_all
from desktop_agent.language.steps import parse_step
from desktop_agent.memory.recall import Recall
from desktop_agent.memory.store import MemoryStore
from desktop_agent.perception.senses import Look, Senses
from desktop_agent.run import interactions
from desktop_agent.run.attempt import Attempt, Phase, Redo, StepFailed, ended
from desktop_agent.run.finding import Finder
from desktop_agent.run.rollback import Recovery
from desktop_agent.run.trace import Trace
from desktop_agent.run.verify import Outcome, settle, visibly_changed
from desktop_agent.safety.approvals import Approval, Correction
from desktop_agent.safety.guard import Authorization, Guard, Permit
from desktop_agent.safety.policy import ActionRequest, describe
from desktop_agent.safety.stop import StopToken
from desktop_agent.screen import coords


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOptions:
    dry_run: bool = False
    find_timeout_s: float = 3.0   # how long a target may take to appear before grounding fails
    settle_timeout_s: float = 3.0
    base_dir: Path = Path(".")
    undo_depth: int = 0  # verified steps whose screens are kept so that `Runner.undo` can take them back


_SHOT_MARGIN = 24  # points of context around the target's window in step screenshots
_RUN_STATUS = {StepStatus.FAILED: RunStatus.FAILED, StepStatus.DENIED: RunStatus.DENIED,
               StepStatus.STOPPED: RunStatus.STOPPED}
ENDS_A_TASK = frozenset(_RUN_STATUS)  # a step that ends this way ends the task's run there


def run_status(results: Sequence[StepResult], *, stopped: bool = False) -> RunStatus:
    """A run's status from its steps' results: the first that failed, was denied or stopped decides;
    else stopped when the brake was pulled between steps; else unverified when one was; else succeeded."""
    for result in results:
        if result.status in _RUN_STATUS:
            return _RUN_STATUS[result.status]
    if stopped:
        return RunStatus.STOPPED
    if any(result.status is StepStatus.UNVERIFIED for result in results):
        return RunStatus.UNVERIFIED
    return RunStatus.SUCCEEDED


def _step_status(outcome: Outcome) -> StepStatus:
    if not outcome.ok:
        return StepStatus.FAILED
    return StepStatus.SUCCEEDED if outcome.exact else StepStatus.UNVERIFIED


def _check_error(outcome: Outcome, rolled_back: str) -> str | None:
    if not outcome.ok:
        return f"verification failed: {outcome.detail}{rolled_back}"
    return None if outcome.exact else f"unverified: {outcome.detail}"


def _ask_because(attempt: Attempt) -> str | None:
    """Why a person must answer for a resumed step that may have acted already (none when its state is
    on the screen to check)."""
    if attempt.unsure and not interactions.state_on_screen(attempt.step.action):
        return ("the run was interrupted while this step was acting, so it may already have happened: "
                "approve only if doing it again is right")
    return None


def _new_windows(seen: Sequence[Window], now: Sequence[Window]) -> list[Window]:
    """Windows that came up since `seen`, popups (menus, tooltips) aside."""
    known = {window.id for window in seen}
    return [window for window in now if window.id not in known and not window.popup]


class Runner:
    def __init__(self, *, senses: Senses, guard: Guard, stop: StopToken, trace: Trace,
                 options: RunOptions = RunOptions(),
                 match_template: TemplateMatcher | None = None,
                 grounder: Grounder | None = None,
                 memory: MemoryStore | None = None, recall: Recall | None = None) -> None:
        """`grounder`: how targets are found (default: by their words, see grounding/fallbacks.py); `memory`: where
        a finished run is remembered; `recall`: what each step teaches the memory (verified places,
        corrections, rejections, approvals — see memory/recall.py). Neither is used in dry runs, and a memory
        problem is traced and never changes the run's outcome."""
        self.memory = memory
        self.recall = recall
        self.senses = senses
        self.guard = guard
        self.stop = stop
        self.trace = trace
        self.options = options
        self.finder = Finder(senses=senses, grounder=grounder or plain_grounder(match_template, options.base_dir),
                             stop=stop, find_timeout_s=options.find_timeout_s, dry_run=options.dry_run,
                             waiting=lambda attempt, problem: trace.event("waiting", index=attempt.index,
                                                                          problem=problem))
        self.recovery = Recovery(senses=senses, guard=guard, trace=trace,
                                 settle_timeout_s=options.settle_timeout_s)
        self._acted: dict[int, tuple[Attempt, bool]] = {}  # verified steps, for `undo`: newest last

    def run(self, plan: Plan, *, start: int = 0, unsure: bool = False) -> Iterator[Event]:
        """Run `plan`, or resume an interrupted run of it: `start` is the first step to run (the ones
        before it finished earlier); `unsure`: that step's last action may or may not have happened.
        Then a state the screen shows (typed text, a tick, an option) is checked before anything acts,
        and any other action needs a person's approval — it is never repeated blindly."""
        yield self.begin(plan, start=start, unsure=unsure)
        started = time.monotonic()
        results: list[StepResult] = []
        stopped = False
        for index, step in enumerate(plan.steps[start:], start):
            if self.stop.requested:
                stopped = True
                break
            result = yield from self.step(plan, index, step, unsure=unsure and index == start)
            results.append(result)
            if result.status in _RUN_STATUS:
                break
        yield self.end(plan, results, time.monotonic() - started, stopped=stopped)

    def begin(self, plan: Plan, *, start: int = 0, unsure: bool = False) -> RunStarted:
        """Start the run of `plan` (traced, its known secrets masked first). `run` calls it; so does
        a run whose steps come one at a time (`open_run.OpenRun`), with the steps known so far."""
        for step in plan.steps:  # known secrets are masked before the first line is written
            self._mask_if_secret(ActionRequest(action=step.action, target=None, window=None,
                                               step_text=step.text))
        for name, value in plan.params.items():
            if self.guard.secret_fields.search(name):
                self.trace.mask(value)
        self.trace.event("run_started", name=plan.name, steps=[s.text for s in plan.steps],
                         params=plan.params, dry_run=self.options.dry_run, start=start, unsure=unsure)
        return RunStarted(name=plan.name, total=len(plan.steps), trace=self.trace.folder)

    def step(self, plan: Plan, index: int, step: Step, *,
             unsure: bool = False) -> Generator[Event, None, StepResult]:
        """One step of the run as step `index` of `plan` (whose workspace is checkpointed before it):
        its events, then its result (the generator's return value)."""
        self._mask_if_secret(ActionRequest(action=step.action, target=None, window=None, step_text=step.text))
        yield StepStarted(index=index, step=step)
        if not self.options.dry_run:
            self.recovery.checkpoint(plan, index, step)
        result = yield from self._run_step(index, step, unsure=unsure)
        self.trace.event("step_finished", index=index, result=result)
        yield StepFinished(index=index, result=result)
        return result

    def end(self, plan: Plan, results: Sequence[StepResult], elapsed_s: float, *,
            stopped: bool = False) -> RunFinished:
        """Finish the run (`stopped`: the brake ended it between steps): its status from its steps'
        results, remembered, reported, and the ledger told."""
        status = run_status(results, stopped=stopped)
        self._remember(plan, status, list(results), elapsed_s)
        report = self.trace.write_report(title=plan.name, status=status, results=results)
        self.trace.event("run_finished", status=status, report=report)
        self.guard.finish_run(status.value)
        return RunFinished(status=status, results=tuple(results), trace=self.trace.folder, report=report)

    def undo(self, index: int) -> str:
        """Undo step `index`, which acted and whose check held: its inverse on the screen (see
        rollback.py: authorized by the guard like any action) and its workspace files put back; one
        sentence says what was and wasn't restored. Only the last `options.undo_depth` such steps are kept
        for this (their screens); KeyError for any other."""
        attempt, secret = self._acted.pop(index)
        after = self.finder.look(attempt, allow_blank=True)
        return self.recovery.roll_back(attempt, after, secret=secret)

    @property
    def undoable(self) -> tuple[int, ...]:
        """The steps `undo` can take back, oldest first."""
        return tuple(self._acted)

    # ------------------------------------------------------------ one step
    def _run_step(self, index: int, step: Step, *,
                  unsure: bool = False) -> Generator[Event, None, StepResult]:
        """The step's attempts — a corrected step starts again from a first one; a failed check is
        tried once more after grounding again — then its result (the generator's return value)."""
        attempt = Attempt(index=index, step=step, unsure=unsure)
        retried_because: str | None = None
        while True:
            retry = True
            try:
                ended_as = yield from self._attempt(attempt)
            except (StepFailed, StopRequested, CaptureError, ActionError) as exc:
                ended_as, retry = ended(attempt, exc)
            if isinstance(ended_as, Redo):
                attempt, retried_because = Attempt(index=index, step=ended_as.step, unsure=unsure), None
                continue
            result = replace(ended_as, attempts=attempt.number, timings=attempt.timings(),
                             retried_because=retried_because)
            if (result.status is not StepStatus.FAILED or attempt.number == 2 or not result.target
                    or not retry or not interactions.retry_safe(attempt.step.action)):
                return result
            self.trace.event("retry", index=index, reason=result.error)  # the check failed after acting
            retried_because, attempt = result.error, attempt.again()

    def _attempt(self, attempt: Attempt) -> Generator[Event, None, StepResult | Redo]:
        """One try, phase by phase: find, propose, authorize, act (settle, verify), check."""
        index, step, action = attempt.index, attempt.step, attempt.step.action
        if isinstance(action, (WaitFor, Expect)):
            return self.finder.observe(attempt, action)
        self.guard.start_step(index)
        if target_specs(action):
            attempt.look, attempt.grounded = self.finder.find(attempt)
            self.recovery.grounded_on(index, attempt.look)
        attempt.screenshot = self._shoot(index, step, attempt.look, attempt.target, "proposed")
        yield StepGrounded(index=index, step=step, target=attempt.target, screenshot=attempt.screenshot,
                           screen=attempt.look.screen if attempt.look else None)
        request = self._request(attempt)
        if self.options.dry_run:
            return attempt.result(StepStatus.SUCCEEDED, verdict=self.guard.preview(request))
        if (done := self._already_done(attempt, request)) is not None:
            return done
        attempt.phase = Phase.AUTHORIZE
        authorization = self.guard.authorize(request, screenshot=attempt.screenshot,
                                             ask_because=_ask_because(attempt))
        attempt.verdict = authorization.verdict
        decided = self._decided(attempt, request, authorization)
        if not isinstance(decided, Permit):
            return decided
        attempt.phase = Phase.ACT
        outcome, after = self._act(attempt, decided, request.window)
        attempt.phase = Phase.CHECK
        return self._checked(attempt, outcome, after, decided)

    def _keep_for_undo(self, attempt: Attempt, secret: bool) -> None:
        self._acted.pop(attempt.index, None)
        self._acted[attempt.index] = (replace(attempt, looks=[]), secret)  # the look it acted on is kept
        while len(self._acted) > self.options.undo_depth:
            del self._acted[next(iter(self._acted))]

    def _request(self, attempt: Attempt) -> ActionRequest:
        """What the guard is asked about: the action, its target, and the window it goes to."""
        target, look = attempt.target, attempt.look
        # Keys without a target go to whichever window has the focus: the policy must judge that one.
        window = (look.screen.window_at(target.point) if look and target else self.senses.focused_window())
        request = ActionRequest(action=attempt.step.action, target=target, window=window,
                                step_text=attempt.step.text)
        self._mask_if_secret(request)  # the grounded field may turn out to be a password field
        return request

    def _already_done(self, attempt: Attempt, request: ActionRequest) -> StepResult | None:
        """Resuming a step that may have acted already: done, when the screen shows its state."""
        action = attempt.step.action
        if not (attempt.unsure and interactions.state_on_screen(action) and attempt.look is not None):
            return None
        outcome = interactions.check_outcome(action, attempt.grounded, attempt.look.screen, changed=False,
                                             secret=self.guard.is_secret(request), whole=True)
        if not outcome.ok:
            return None
        self.trace.event("already_done", index=attempt.index, detail=outcome.detail)
        return attempt.result(StepStatus.SUCCEEDED, verified=True)

    def _decided(self, attempt: Attempt, request: ActionRequest,
                 authorization: Authorization) -> Permit | StepResult | Redo:
        """What the guard's answer means for the step — act with its permit, run the person's
        correction instead, or end skipped or denied — and what the memory learns from it."""
        index, look, target, spec = attempt.index, attempt.look, attempt.target, attempt.spec
        correction, verdict = authorization.correction, authorization.verdict
        if correction is not None:  # the proposal was the wrong target: that, and what is right, is learnt
            fixed = self._corrected(index, attempt.step, target, correction)
            point = correction.point
            if spec is not None and look is not None and point is not None:
                self._learn(lambda recall: recall.learn_correction(index, spec, point, look.screen, target))
            elif (spec is not None and look is not None and target is not None
                  and spec not in target_specs(fixed.action)):  # the rewrite names another target
                self._learn(lambda recall: recall.learn_rejection(index, spec, target, look.screen))
            return Redo(step=fixed)
        if authorization.approval is Approval.APPROVE:
            self._learn(lambda recall: recall.learn_approval(index, describe(request)))
        if authorization.permit is not None:
            return authorization.permit
        if authorization.approval is None:
            return attempt.result(StepStatus.DENIED, verdict=verdict, error=verdict.reason)
        return attempt.result(StepStatus.SKIPPED, verdict=verdict)  # "not now": nothing to learn

    def _checked(self, attempt: Attempt, outcome: Outcome, after: Look, permit: Permit) -> StepResult:
        """The step's result from its check: rolled back when it failed; when it held, the place found
        is kept as a locator and taught to the memory."""
        index, look, target, spec = attempt.index, attempt.look, attempt.target, attempt.spec
        rolled_back = "" if outcome.ok or look is None else "; " + self.recovery.roll_back(
            attempt, after, secret=permit.secret)
        shot = self._shoot(index, attempt.step, after, target, "after")
        if outcome.ok and self.options.undo_depth:
            self._keep_for_undo(attempt, permit.secret)
        if outcome.ok and target is not None and look is not None and spec is not None and spec.point is None:
            locator, crop = locate(target.point, look.screen, target=spec.describe(), step=index + 1,
                                   element=target.element, crop_name=f"step{index + 1:03d}.png")
            self.trace.keep_locator(locator, crop)
            self._learn(lambda recall: recall.learn_success(locator, crop))
        return attempt.result(_step_status(outcome), verdict=attempt.verdict,
                              verified=outcome.ok and outcome.exact, error=_check_error(outcome, rolled_back),
                              screenshot=shot)

    def _act(self, attempt: Attempt, permit: Permit, window: Window | None) -> tuple[Outcome, Look]:
        """Perform the step's operations, wait for the screen to settle, check the expectation."""
        action, look = attempt.step.action, attempt.look
        # Starting a program needs no sight of the screen (it may well be empty); anything else does.
        before = look.screen.frame if look else self.senses.grab(allow_blank=isinstance(action, Launch))
        windows = self.senses.list_windows()  # now, not when grounded: a dialog may have come up since
        if look is not None and (new := _new_windows(look.screen.windows, windows)):
            raise ActionError(f'window "{new[0].title}" came up after the step looked at the screen: not '
                              "acting on a screen it has not seen")
        with attempt.timed("act"):
            try:
                for operation in interactions.operations(action, attempt.grounded, retry=attempt.number > 1):
                    self.guard.perform(permit, operation, windows=windows)
            except ActionError as exc:  # refused or failed part-way: put back what was done so far
                after = self.finder.look(attempt, allow_blank=True) if look is not None else None
                undone = self.recovery.roll_back(attempt, after, secret=permit.secret)
                raise ActionError(f"{exc}; {undone}") from exc
        if isinstance(action, Select):
            self._pick_option(attempt, action, permit, before)
        region = window.box if window is not None else None
        with attempt.timed("settle"):
            # After acting, a blank capture is something seen (the window closed), not a reason to refuse.
            settled = settle(functools.partial(self.senses.grab, allow_blank=True), before, region,
                             timeout_s=self.options.settle_timeout_s)
        # A check that needs only "did it change" (a click, a key) reads nothing: the next step's look
        # reads what changed, and after the last step nothing needs to.
        after = self.finder.look(attempt, allow_blank=True, read=interactions.outcome_reads_screen(action))
        with attempt.timed("verify"):
            changed = settled.changed or visibly_changed(before, after.screen.frame)
            focus = None if changed or not isinstance(action, Click) else self.senses.focused_window()
            outcome = interactions.check_outcome(
                action, attempt.grounded, after.screen, changed=changed, secret=permit.secret,
                focused=focus is not None and window is not None and window.id in (focus.id, focus.owner))
        return outcome, after

    def _pick_option(self, attempt: Attempt, action: Select, permit: Permit, before: Frame) -> None:
        """Second half of `select`: the list is open now; find the option and click it."""
        settle(self.senses.grab, before, timeout_s=self.options.settle_timeout_s)
        combo = attempt.target
        assert combo is not None, "a select acts only once its combo was found"
        spec = interactions.option_spec(action)
        deadline = time.monotonic() + self.options.find_timeout_s
        while True:
            look = self.finder.look(attempt)
            options = [c for c in find_all(spec, look.screen)
                       if c.element.box.iou(combo.box) < 0.5 and c.element.box.top >= combo.box.top - 400]
            if options or time.monotonic() > deadline:
                break
            with attempt.timed("wait"):
                time.sleep(0.05)
        if not options:
            raise StepFailed(StepStatus.FAILED, f'option "{action.option}" did not appear in the '
                              f"opened list", combo)
        with attempt.timed("act"):
            self.guard.perform(permit, MouseClick(point=options[0].element.box.center),
                               windows=look.screen.windows)

    def _corrected(self, index: int, step: Step, proposed: Target | None,
                   correction: Correction) -> Step:
        """The step as the person corrected it; both the proposal and the correction are traced."""
        try:
            if correction.step_text is not None:
                fixed = parse_step(correction.step_text, line=step.line, source="correction")
            else:
                point = correction.point
                if point is None:
                    raise ValueError("it gives neither a point nor a step")
                fixed = replace(step, text=f"{step.text}  [corrected to at {point.x},{point.y}]",
                                action=interactions.retarget(step.action, TargetSpec(point=point)))
        except (TaskSyntaxError, ValueError) as exc:
            raise StepFailed(StepStatus.FAILED, f"correction not usable: {exc}", proposed) from exc
        self.trace.event("correction", index=index, step=step.text, proposed=proposed,
                         correction=correction, corrected_step=fixed.text)
        return fixed

    def _learn(self, lesson: Callable[[Recall], None]) -> None:
        """Tell the memory what this step taught it; a memory problem is traced, never fails the run."""
        if self.recall is None or self.options.dry_run:
            return
        try:
            lesson(self.recall)
        except AgentError as exc:
            self.trace.event("memory_failed", error=str(exc))

    def _remember(self, plan: Plan, status: RunStatus, results: list[StepResult],
                  elapsed_s: float) -> None:
        if self.memory is None or self.options.dry_run:
            return
        try:
            self.memory.record_run(plan.name, [step.text for step in plan.steps], results,
                                   status=status, trace_folder=self.trace.folder,
                                   duration_ms=elapsed_s * 1000, params=plan.params,
                                   shots={i: r.screenshot for i, r in enumerate(results) if r.screenshot},
                                   secret_fields=self.guard.secret_fields)
        except AgentError as exc:
            self.trace.event("memory_failed", error=str(exc))

    def _mask_if_secret(self, request: ActionRequest) -> None:
        if isinstance(request.action, TypeText) and self.guard.is_secret(request):
            self.trace.mask(request.action.text)

    def _shoot(self, index: int, step: Step, look: Look | None, target: Target | None,
               phase: str) -> Path | None:
        """An annotated screenshot of the window the target is in (the whole screen when there is
        no target or no window), so that the target is readable in the report and the GUI."""
        if look is None:
            return None
        frame = look.screen.frame
        window = look.screen.window_at(target.point) if target is not None else None
        if window is not None and target is not None:
            frame = coords.crop(frame, window.box.inflate(_SHOT_MARGIN).union(target.box))
        label = f"{index + 1}. {step.text}  [{action_name(step.action)}, {phase}]"
        return self.trace.save_annotated(frame, label=label, target=target,
                                         name=f"step{index + 1:03d}-{phase}")
