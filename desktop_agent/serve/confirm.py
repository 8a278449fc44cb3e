"""A policy's `confirm` in an MCP session: asked of the person through the client (MCP elicitation);
when the client can't ask, through the desktop app serving the session (`fallback`: its approval
panel); else refused with the reason — never silently allowed.

`Confirmations` is the session's approver (the guard calls it, on the engine's thread). For the length
of one tool call the server gives it a way to ask (`asking`); the person's answer comes back as
approve, or as skip ("not now": the step ends `skipped`, nothing reached the application, and the
session goes on). Why it was not approved is kept for the step's result (`take_refusal`). The app's
panel may also answer with a correction (the runner re-targets the step) or quit (the step stops). A
question the app is asking is taken back with `withdraw` (its call's client went away).

Guaranteed: only an explicit "approve: true" accepted by the person, or Approve in the app, approves;
a decline, a cancel, a malformed answer, a failed question, a Skip, or no way to ask all refuse. Not
guaranteed: that the client shows the question to a person rather than answering it itself (the
protocol can't tell).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

from desktop_agent.core.errors import AgentError
from desktop_agent.safety.approvals import Approval, Correction, Proposal

Ask = Callable[[str, Mapping[str, Any]], tuple[str, Mapping[str, Any] | None]]
"""(message, requested schema) -> (the client's action: accept | decline | cancel, its content).
Raises AgentError when the question could not be asked or answered."""

SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {"approve": {"type": "boolean", "title": "Approve",
                               "description": "true: do it; false: don't (nothing is done)"}},
    "required": ["approve"],
}


class AppApprover(Protocol):
    """Who asks the person when the client can't: the desktop app's approval panel."""

    def __call__(self, proposal: Proposal) -> Approval | Correction: ...

    def withdraw(self) -> None:
        """Take back the question being asked now, if any: it returns SKIP, unanswered."""


def question(proposal: Proposal) -> str:
    """What the person is asked: the step (secrets masked), where, and why the policy asks."""
    request = proposal.request
    lines = [f"An agent connected over MCP wants to: {proposal.shown_step_text}"]
    if request.target is not None:
        target = request.target
        lines.append(f"Target: {target.strategy} at ({target.point.x},{target.point.y}) — {target.why}")
    if request.window is not None:
        lines.append(f'Window: "{request.window.title}" ({request.window.wm_class})')
    if request.command is not None:
        lines.append(f"Command line it would run: {request.command.shown}")
    lines.append(f"Policy: {proposal.verdict.decision.value} — {proposal.verdict.reason}")
    if proposal.screenshot is not None:
        lines.append(f"Screenshot: {proposal.screenshot}")
    lines.append("Approve?")
    return "\n".join(lines)


class Confirmations:
    def __init__(self, *, fallback: AppApprover | None = None) -> None:
        self._fallback = fallback
        self._ask: Ask | None = None
        self._refusal: str | None = None

    @contextmanager
    def asking(self, ask: Ask | None) -> Iterator[None]:
        """While one tool call runs: how to ask its client (None: the client has no elicitation)."""
        self._ask, self._refusal = ask, None
        try:
            yield
        finally:
            self._ask = None

    def withdraw(self) -> None:
        """Take back a question the desktop app is asking (any thread); the client's own question is
        withdrawn by whoever carries it (questions.py)."""
        if self._fallback is not None:
            self._fallback.withdraw()

    def take_refusal(self) -> str | None:
        """Why the last confirm was refused (None when none was), and forget it."""
        refusal, self._refusal = self._refusal, None
        return refusal

    def __call__(self, proposal: Proposal) -> Approval | Correction:
        reason = proposal.verdict.reason
        if self._ask is None and self._fallback is not None:  # the desktop app asks
            in_app = self._fallback(proposal)
            if in_app is not Approval.SKIP:
                return in_app
            return self._refuse(f"needs confirmation ({reason}) and the person skipped it in the desktop app: "
                                "nothing was done")
        if self._ask is None:
            return self._refuse(f"needs confirmation ({reason}) and this MCP client cannot ask the person "
                                "(it does not support elicitation): refused, nothing was done")
        try:
            action, content = self._ask(question(proposal), SCHEMA)
        except AgentError as exc:
            return self._refuse(f"needs confirmation ({reason}) and asking the person failed ({exc}): "
                                "refused, nothing was done")
        if action == "accept" and content is not None and content.get("approve") is True:
            return Approval.APPROVE
        answer = {"accept": "answered no", "decline": "declined", "cancel": "cancelled"}.get(action, action)
        return self._refuse(f"needs confirmation ({reason}) and the person {answer}: nothing was done")

    def _refuse(self, why: str) -> Approval:
        self._refusal = why
        return Approval.SKIP
