"""What a run tells its caller as it goes: typed events yielded by `Runner.run`, in this order —
RunStarted, then per step StepStarted, StepGrounded (targeted steps, before any approval), StepFinished,
and RunFinished last."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from desktop_agent.core.actions import Step
from desktop_agent.core.results import RunStatus, StepResult
from desktop_agent.core.values import Screen, Target


@dataclass(frozen=True, slots=True, kw_only=True)
class RunStarted:
    name: str
    total: int
    trace: Path


@dataclass(frozen=True, slots=True, kw_only=True)
class StepStarted:
    index: int
    step: Step


@dataclass(frozen=True, slots=True, kw_only=True)
class StepGrounded:
    """The step's target, found on `screen` (None for steps that need no target); the proposal an
    approver is about to be asked about."""

    index: int
    step: Step
    target: Target | None
    screenshot: Path | None
    screen: Screen | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StepFinished:
    index: int
    result: StepResult


@dataclass(frozen=True, slots=True, kw_only=True)
class RunFinished:
    status: RunStatus
    results: tuple[StepResult, ...]
    trace: Path
    report: Path


Event = RunStarted | StepStarted | StepGrounded | StepFinished | RunFinished
