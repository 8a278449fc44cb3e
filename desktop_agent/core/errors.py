"""The engine's exceptions: data only, no I/O.

`AgentError` subclasses are what the world or the user causes (bad task file, blank screen, target not
found, stop pressed). The runner turns them into step results; anything else is a bug and propagates.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desktop_agent.core.values import Verdict


class AgentError(Exception):
    """Base of every expected failure. `details` holds extra facts for reports."""

    def __init__(self, message: str, *, details: Mapping[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = dict(details or {})

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceLocation:
    """1-based line and column in a task or policy file (or in a --step argument)."""

    source: str
    line: int
    column: int
    text: str = ""


class TaskSyntaxError(AgentError):
    """A step line or task file that can't be parsed. Nothing has been executed when it is raised."""

    def __init__(self, message: str, *, location: SourceLocation, suggestion: str = "") -> None:
        super().__init__(message, details={"line": location.line, "column": location.column})
        self.location = location
        self.suggestion = suggestion

    def __str__(self) -> str:
        loc = self.location
        lines = [f"{loc.source}:{loc.line}:{loc.column}: {self.message}"]
        if loc.text:
            lines.append(f"    {loc.text}")
            lines.append("    " + " " * max(0, loc.column - 1) + "^")
        if self.suggestion:
            lines.append(f"  hint: {self.suggestion}")
        return "\n".join(lines)


class PolicyError(AgentError):
    """A malformed policy file; raised before anything runs."""

    def __init__(self, message: str, *, source: str, where: str = "") -> None:
        super().__init__(message, details={"source": source, "where": where})
        self.source = source
        self.where = where

    def __str__(self) -> str:
        where = f" (at {self.where})" if self.where else ""
        return f"{self.source}{where}: {self.message}"


class CaptureError(AgentError):
    """The screen could not be seen (failed, black or blank capture). The agent never acts after this."""


class GroundingError(AgentError):
    """A target did not resolve to exactly one element. `candidates` are the best few, described."""

    def __init__(self, message: str, *, candidates: Sequence[str] = ()) -> None:
        super().__init__(message, details={"candidates": list(candidates)})
        self.candidates = tuple(candidates)

    def __str__(self) -> str:
        if not self.candidates:
            return self.message
        return f"{self.message}; best candidates: " + "; ".join(self.candidates)


class ActionError(AgentError):
    """The OS refused or failed a side effect (program not found, input backend missing)."""


class InputTaken(ActionError):
    """Another window has (or would get) the input the step was allowed to give: a dialog or another
    application came up, took the keyboard focus, or lies on top. Not retried: the screen is no longer
    the one the step was planned on."""


class StopRequested(AgentError):
    """The person pulled the brake: fail-safe corner, stop hotkey, Stop button or quit at approval —
    or a step needed a person and nobody was there. `verdict`: the policy's verdict on the step that
    stopped, when there was one."""

    def __init__(self, message: str, *, verdict: Verdict | None = None,
                 details: dict[str, object] | None = None) -> None:
        super().__init__(message, details=details)
        self.verdict = verdict
