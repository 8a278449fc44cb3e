"""One try at a step, in one record carried through its phases (look, ground, hold still, authorize,
act, settle, verify, roll back): what it saw, what it found, what it was allowed, the time each phase
took — and, when it ends early by an exception, the one place that turns the exception into the step's
result (`ended`)."""
from __future__ import annotations

import enum
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from desktop_agent.core.actions import Step, target_specs
from desktop_agent.core.errors import ActionError, CaptureError, InputTaken, StopRequested
from desktop_agent.core.results import StepResult, StepStatus, Timings
from desktop_agent.core.values import Target, TargetSpec, Verdict, frozen
from desktop_agent.perception.senses import Look
from desktop_agent.run.interactions import Grounded

TimedPhase = Literal["ground", "act", "settle", "verify", "wait"]


class Phase(enum.Enum):
    FIND = "find"            # looking, grounding, holding still
    AUTHORIZE = "authorize"  # the guard: policy, a person's answer
    ACT = "act"              # operations, settling, the check
    CHECK = "check"          # after the check: rolling back, learning


class StepFailed(Exception):
    """Ends one attempt of a step with a status and message (`retry`: it may be tried once more)."""

    def __init__(self, status: StepStatus, message: str, target: Target | None = None, *,
                 retry: bool = True) -> None:
        super().__init__(message)
        self.status, self.message, self.target, self.retry = status, message, target, retry


@frozen
class Redo:
    """The person corrected the step: run `step` in its place, from a first attempt."""

    step: Step


@dataclass(slots=True, kw_only=True)
class Attempt:
    index: int
    step: Step
    number: int = 1      # 2: the one retry after a failed check
    unsure: bool = False  # resuming: this step's last action may already have happened
    phase: Phase = Phase.FIND
    looks: list[Look] = field(default_factory=list)
    look: Look | None = None  # the one the targets were found on
    grounded: Grounded = field(default_factory=lambda: Grounded(targets=()))
    screenshot: Path | None = None
    verdict: Verdict | None = None
    phase_ms: dict[str, float] = field(default_factory=dict)

    @property
    def target(self) -> Target | None:
        return self.grounded.main

    @property
    def spec(self) -> TargetSpec | None:
        """What the step names as its (main) target; None for a step without one."""
        return next(iter(target_specs(self.step.action)), None)

    def again(self) -> Attempt:
        """The retry: the same step, grounded again from a new look."""
        return Attempt(index=self.index, step=self.step, number=self.number + 1)

    @contextmanager
    def timed(self, phase: TimedPhase) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.phase_ms[phase] = self.phase_ms.get(phase, 0.0) + (time.perf_counter() - started) * 1000

    def timings(self) -> Timings:
        return Timings(capture_ms=sum(look.capture_ms for look in self.looks),
                       perceive_ms=sum(look.perceive_ms for look in self.looks),
                       ground_ms=self.phase_ms.get("ground", 0.0), act_ms=self.phase_ms.get("act", 0.0),
                       settle_ms=self.phase_ms.get("settle", 0.0), verify_ms=self.phase_ms.get("verify", 0.0),
                       wait_ms=self.phase_ms.get("wait", 0.0))

    def result(self, status: StepStatus, *, verdict: Verdict | None = None, verified: bool = False,
               error: str | None = None, screenshot: Path | None = None) -> StepResult:
        """The step's result with what this attempt found: its target and (unless given) screenshot."""
        return StepResult(step=self.step, status=status, target=self.target, verdict=verdict,
                          verified=verified, error=error, screenshot=screenshot or self.screenshot)


def ended(attempt: Attempt,
          exc: StepFailed | StopRequested | CaptureError | ActionError) -> tuple[StepResult, bool]:
    """An attempt cut short by `exc`, as the step's result and whether the step may be tried again."""
    step = attempt.step
    match exc:
        case StepFailed():
            return StepResult(step=step, status=exc.status, target=exc.target, error=exc.message), exc.retry
        case StopRequested() if attempt.phase is Phase.AUTHORIZE:  # the question it stopped at is kept
            return attempt.result(StepStatus.STOPPED, verdict=exc.verdict, error=str(exc)), False
        case StopRequested():
            return StepResult(step=step, status=StepStatus.STOPPED, error=str(exc)), False
        case ActionError() if attempt.phase is Phase.ACT:
            # Cut off part-way (and rolled back): a retry grounds again, unless another window took the input.
            return (StepResult(step=step, status=StepStatus.FAILED, target=attempt.target, error=str(exc)),
                    not isinstance(exc.__cause__ or exc, InputTaken))
        case _:
            return StepResult(step=step, status=StepStatus.FAILED, error=str(exc)), False
