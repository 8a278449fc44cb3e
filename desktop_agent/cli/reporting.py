"""What the terminal shows: the step log, the `--json` object, and the approve-each-step prompt."""
from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import TextIO

from desktop_agent.core.actions import action_name
from desktop_agent.core.events import Event, RunFinished, RunStarted, StepFinished, StepGrounded, StepStarted
from desktop_agent.core.results import StepResult, StepStatus
from desktop_agent.core.values import Rect, Target
from desktop_agent.safety.approvals import Approval, Approver, Proposal

_MARK = {StepStatus.SUCCEEDED: "ok", StepStatus.UNVERIFIED: "UNVERIFIED", StepStatus.FAILED: "FAILED", StepStatus.SKIPPED: "skipped",
         StepStatus.DENIED: "DENIED", StepStatus.STOPPED: "STOPPED"}


@contextlib.contextmanager
def stdout_kept_for(document: bool) -> Iterator[TextIO]:
    """Yields where a command's output goes. With `document` (`--json`), stdout is kept for that one
    document: whatever else writes to stdout meanwhile — a library's print (python-xlib warns there
    when the Xauthority file has no entry), a C library writing to file descriptor 1 — goes to stderr.
    Guaranteed for Python-level writes always, and for descriptor-level ones when stdout is a real
    file descriptor."""
    if not document:
        yield sys.stdout
        return
    real = sys.stdout
    real.flush()
    try:
        fd = real.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (captured): Python-level only
        fd = None
    kept = None
    if fd is not None:
        sys.stderr.flush()
        kept = os.fdopen(os.dup(fd), "w", encoding=real.encoding, errors=real.errors)
        os.dup2(2, fd)
    sys.stdout = sys.stderr
    try:
        yield kept or real
    finally:
        sys.stdout = real
        if kept is not None:
            assert fd is not None  # kept only when stdout has a file descriptor
            try:
                kept.flush()  # a reader that went away (`| head`) raises BrokenPipeError here
            finally:
                os.dup2(kept.fileno(), fd)
                with contextlib.suppress(BrokenPipeError):
                    kept.close()


def box_text(box: Rect) -> str:
    return f"({box.left},{box.top} {box.width}x{box.height})"


def print_event(event: Event, out: TextIO) -> None:
    match event:
        case RunStarted(name=name, total=total, trace=trace):
            print(f"run {name!r}: {total} step(s); trace {trace}", file=out)
        case StepStarted(index=index, step=step):
            print(f"[{index + 1}] {step.text}", file=out)
        case StepGrounded(target=target) if target is not None:
            print(f"    target {target.strategy} at ({target.point.x},{target.point.y}) — {target.why}",
                  file=out)
        case StepFinished(result=result):
            print(f"    {_result_line(result)}", file=out)
        case RunFinished(status=status, report=report):
            print(f"run {status.value}; report {report}", file=out)
    out.flush()


def _result_line(result: StepResult) -> str:
    t = result.timings
    parts = [_MARK[result.status]]
    if result.verdict is not None:
        parts.append(f"verdict {result.verdict.decision.value}")
    if result.attempts > 1:
        parts.append(f"{result.attempts} attempts")
    parts.append(f"{t.total_ms:.0f} ms (capture {t.capture_ms:.0f}, perceive {t.perceive_ms:.0f}, "
                 f"ground {t.ground_ms:.0f}, act {t.act_ms:.0f}, settle {t.settle_ms:.0f}"
                 + (f", wait {t.wait_ms:.0f})" if t.wait_ms >= 0.5 else ")"))
    line = ", ".join(parts)
    if result.retried_because:
        line += f"\n    retried because: {result.retried_because}"
    return f"{line}\n    error: {result.error}" if result.error else line


def target_json(target: Target | None) -> dict | None:
    if target is None:
        return None
    box = target.box
    return {"box": [box.left, box.top, box.width, box.height],
            "point": [target.point.x, target.point.y],
            "strategy": target.strategy, "why": target.why, "score": round(target.score, 3),
            "found_by": None if target.element is None else target.element.source.removesuffix("+word")}


def run_json(finished: RunFinished) -> dict:
    return {"status": finished.status.value,
            "steps": [step_json(r) for r in finished.results],
            "trace": str(finished.trace), "report": str(finished.report)}


def step_json(result: StepResult) -> dict:
    """One step of the `--json` object (also what an MCP `act` returns)."""
    target = target_json(result.target)
    t = result.timings
    return {"text": result.step.text, "line": result.step.line, "action": action_name(result.step.action),
            "status": result.status.value,
            "target": None if target is None else {"box": target["box"], "point": target["point"]},
            "strategy": target["strategy"] if target else None,
            "found_by": target["found_by"] if target else None,
            "verdict": None if result.verdict is None else {"decision": result.verdict.decision.value,
                                                            "reason": result.verdict.reason},
            "verified": result.verified, "error": result.error, "attempts": result.attempts,
            "retried_because": result.retried_because,
            "timings_ms": {"capture": round(t.capture_ms, 1), "perceive": round(t.perceive_ms, 1),
                           "ground": round(t.ground_ms, 1), "act": round(t.act_ms, 1),
                           "settle": round(t.settle_ms, 1), "verify": round(t.verify_ms, 1),
                           "wait": round(t.wait_ms, 1), "total": round(t.total_ms, 1)}}


def terminal_approver(stdin: TextIO, out: TextIO) -> Approver:
    """Asks on the terminal: [a]pprove / [s]kip / [q]uit. End of input means quit."""

    def ask(proposal: Proposal) -> Approval:
        request, verdict = proposal.request, proposal.verdict
        print(f"\n  step: {proposal.shown_step_text}", file=out)
        if request.target is not None:
            target = request.target
            print(f"  target: {target.strategy} at ({target.point.x},{target.point.y}) "
                  f"box {box_text(target.box)} — {target.why}", file=out)
        if request.command is not None:
            print(f"  command: {request.command.shown}", file=out)
            if not request.command.typed_all:
                seen = request.command.on_screen
                print(f"  on screen: {seen if seen is not None else '(could not be read)'}"
                      "  — the agent did not type all of this line", file=out)
        print(f"  policy: {verdict.decision.value} — {verdict.reason}", file=out)
        if proposal.screenshot is not None:
            print(f"  screenshot: {proposal.screenshot}", file=out)
        while True:
            print("  [a]pprove, [s]kip, [q]uit? ", end="", file=out, flush=True)
            answer = stdin.readline()
            if not answer:
                return Approval.QUIT
            match answer.strip().lower():
                case "a" | "approve" | "y" | "yes":
                    return Approval.APPROVE
                case "s" | "skip":
                    return Approval.SKIP
                case "q" | "quit" | "n" | "no":
                    return Approval.QUIT

    return ask
