"""What became of a step and of a run: statuses, timings, and one step's result."""
from __future__ import annotations

import enum
from pathlib import Path

from desktop_agent.core.actions import Step
from desktop_agent.core.values import Target, Verdict, frozen


class StepStatus(enum.Enum):
    SUCCEEDED = "succeeded"    # acted, and the effect was seen
    UNVERIFIED = "unverified"  # acted, and nothing contradicts the effect, but it could not be read exactly
    FAILED = "failed"
    SKIPPED = "skipped"
    DENIED = "denied"
    STOPPED = "stopped"


class RunStatus(enum.Enum):
    SUCCEEDED = "succeeded"
    UNVERIFIED = "unverified"  # every step acted, and the effect of one or more could not be read exactly
    FAILED = "failed"
    STOPPED = "stopped"
    DENIED = "denied"


# An operation's outcome, as the guard gives it to the run ledger: done; failed (none of it was sent), or
# of unknown effect (cut off once part of it was sent), each followed by why.
OPERATION_DONE, OPERATION_FAILED, OPERATION_UNKNOWN = "done", "failed: ", "unknown: "


@frozen
class Timings:
    capture_ms: float = 0.0
    perceive_ms: float = 0.0
    ground_ms: float = 0.0
    act_ms: float = 0.0
    settle_ms: float = 0.0
    verify_ms: float = 0.0
    wait_ms: float = 0.0  # between polls: for a target to appear, hold still, or vanish

    @property
    def total_ms(self) -> float:
        return (self.capture_ms + self.perceive_ms + self.ground_ms
                + self.act_ms + self.settle_ms + self.verify_ms + self.wait_ms)


@frozen
class StepResult:
    step: Step
    status: StepStatus
    target: Target | None = None
    verdict: Verdict | None = None
    verified: bool = False
    error: str | None = None
    attempts: int = 1
    retried_because: str | None = None  # why the first attempt failed, when there was a second
    timings: Timings = Timings()
    screenshot: Path | None = None
