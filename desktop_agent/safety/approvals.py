"""What a person is asked before a step acts, and what they can answer: approve, skip or quit, or a
correction (the right place on the screenshot, or the step rewritten). `Guard.authorize` asks an
`Approver` (the terminal, the GUI, a test) with a `Proposal`.
"""
from __future__ import annotations

import enum
from collections.abc import Callable
from pathlib import Path

from desktop_agent.core.actions import TypeText
from desktop_agent.core.values import Point, Verdict, frozen
from desktop_agent.safety.policy import ActionRequest
from desktop_agent.safety.vault import MASK


class Approval(enum.Enum):
    APPROVE = "approve"
    SKIP = "skip"
    QUIT = "quit"


@frozen
class Proposal:
    request: ActionRequest
    verdict: Verdict
    screenshot: Path | None = None
    reason_for_asking: str
    secret: bool = False  # the step types into a secret field: show its text masked

    @property
    def shown_step_text(self) -> str:
        """The step as a person may see it: a secret's text replaced by •••."""
        text = self.request.step_text
        if self.secret and isinstance(self.request.action, TypeText):
            text = text.replace(self.request.action.text, MASK)
        return text


@frozen
class Correction:
    """A person's "not that one": the place they clicked on the screenshot, or the step rewritten."""

    point: Point | None = None
    step_text: str | None = None

    def __post_init__(self) -> None:
        if (self.point is None) == (self.step_text is None):
            raise ValueError("a correction is either a point or a rewritten step")


Approver = Callable[[Proposal], Approval | Correction]
