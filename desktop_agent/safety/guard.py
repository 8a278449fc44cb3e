"""The single chokepoint between the engine and every OS side effect.

`Guard.authorize` turns an ActionRequest into an Authorization: stop token, the agent's own windows,
policy (windows and rules), limits, then a person's approval when the verdict is CONFIRM (or every step,
when asked). Only a Permit from authorize lets `Guard.perform` hand an Operation to the actuator, after
checking the stop token, the fail-safe corners and that no point lands on the agent's own window.

Guaranteed: nothing reaches the actuator without a live permit; CONFIRM with nobody to approve stops the
run (never silent approval); every authorization, question, operation and stop is in the audit log, and
text typed into a secret field (policy `secret_fields`) is written as "•••" wherever it would appear.
Keys wait (briefly) for the keyboard focus to reach the authorized window and are refused anywhere else
(focus.py); the focus is checked again right before each key and button press (`before_input`), and each
key typed through XTEST is sent only into `input_into` (checked under a server grab, `xkeys.py`). An action that
submits a command window's line (Enter in a terminal, a typed newline, a paste) is judged with that line:
what the agent typed there since the window's last submission (kept from every operation performed),
checked against the line read on screen (`command_line.py`, `command_policy.py`). Not guaranteed: a
focus change in the moment between the check and a character typed through xdotool (off the keymap);
the fail-safe only sees the pointer between operations. Not thread-safe: one runner drives it.
"""
from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NoReturn, Protocol

from desktop_agent.core.actions import (
    Check,
    Clear,
    Click,
    Drag,
    KeyChord,
    KeyText,
    Launch,
    MouseClick,
    MouseDrag,
    MouseScroll,
    Operation,
    Press,
    Scroll,
    Select,
    StartProcess,
    TypeText,
)
from desktop_agent.core.errors import AgentError, InputTaken, StopRequested
from desktop_agent.core.jsonable import to_jsonable
from desktop_agent.core.results import OPERATION_DONE, OPERATION_FAILED, OPERATION_UNKNOWN
from desktop_agent.core.values import Decision, OwnWindows, Point, Rect, Verdict, Window, frozen, topmost_at
from desktop_agent.safety.approvals import Approval, Approver, Correction, Proposal
from desktop_agent.safety.audit import AuditLog
from desktop_agent.safety.command_line import PendingLines, submits
from desktop_agent.safety.focus import FocusChecks, FocusSense
from desktop_agent.safety.policy import ActionRequest, Policy, evaluate, is_secret_entry
from desktop_agent.safety.stop import StopToken, near_corner
from desktop_agent.safety.vault import MASK, mask, mask_data

_RATE_WINDOW_S = 60.0


class Actuator(Protocol):
    def execute(self, operation: Operation) -> None: ...

    def pointer(self) -> Point: ...

    def screen_bounds(self) -> Rect: ...  # the virtual screen, for the fail-safe corners

    def end_run(self) -> None: ...  # what the run bound for its input (keys) is given back


class Journal(Protocol):
    """Told of every operation the guard executes (ledger.RunJournal): `before` returns once the intent
    is durable and its token goes to `after` with "done", "failed: ..." (nothing of it was sent) or
    "unknown: ..." (cut off once part of it was sent). Both get redacted data."""

    def before(self, *, step_index: int | None, step_text: str, operation: object) -> int: ...

    def after(self, token: int, outcome: str) -> None: ...

    def finish(self, status: str) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Permit:
    """Proof that this guard authorized `request`. Only the very object authorize returned counts."""

    serial: int
    request: ActionRequest
    secret: bool = False


@frozen
class Authorization:
    verdict: Verdict
    approval: Approval | None
    permit: Permit | None  # None: do not act (denied, skipped or corrected)
    correction: Correction | None = None  # the person pointed at another target or rewrote the step


class PermitError(Exception):
    """A programming error: perform() got a permit this guard did not issue (or has superseded), or an
    operation the permitted action does not cover."""


class Guard:
    def __init__(self, *, policy: Policy, actuator: Actuator, audit: AuditLog, stop: StopToken,
                 approver: Approver | None = None, approve_every_step: bool = False,
                 own_pids: frozenset[int] | None = None,
                 focus: FocusSense = FocusSense(), read_line: Callable[[Window], str | None] | None = None,
                 clock: Callable[[], float] = time.monotonic, journal: Journal | None = None) -> None:
        """`own_pids` defaults to this process. `approve_every_step` needs an approver. `journal` (the
        run ledger) records an intent before and an outcome after every executed operation.
        `focus`: where input would land, as the platform says (focus.py); `read_line`: a window's current
        line as seen on screen now (command_line.screen_line), for telling whether the agent typed all
        of a command line it submits."""
        if approve_every_step and approver is None:
            raise ValueError("approve_every_step needs an approver")
        self._policy = policy
        self._actuator = actuator
        self._audit = audit
        self._stop = stop
        self._approver = approver
        self._approve_every_step = approve_every_step
        self._own = OwnWindows.of_this_process() if own_pids is None else OwnWindows(pids=own_pids)
        self._clock = clock
        self._focus = FocusChecks(focus, is_own=self._is_own, record=self._record)
        self._steps = 0
        self._permit_times: deque[float] = deque()
        self._serial = 0
        self._permit: Permit | None = None
        self._secrets: set[str] = set()
        self._journal = journal
        self._step_index: int | None = None
        self._typing_into: Window | None = None  # the focused window when the current typing began
        self._clicking: Permit | None = None     # the permit of the click being carried out
        self._click_landing: Window | None = None  # the window on top where it presses
        # Presses (or runs of keys) of the current operation let through so far: from the first, part of it
        # may have reached the application (unknown, not failed, if it is cut off).
        self._inputs_sent = 0
        self._read_line = read_line
        self._pending_lines = PendingLines()       # what was typed into each window since it last ran a line

    # ------------------------------------------------------------ authorize
    def start_step(self, index: int | None = None) -> None:
        """Count a step for `limits.max_steps`; authorize denies every action once the count passes it.
        `index` (the step's place in the plan) goes to the journal with the step's operations."""
        self._steps += 1
        self._step_index = index
        self._record("step", number=self._steps)

    def authorize(self, request: ActionRequest, *, screenshot: Path | None = None,
                  ask_because: str | None = None) -> Authorization:
        """Decide on `request`. The returned permit covers every operation of this one request (a click
        then the typing) until the next authorize call, which supersedes it. `ask_because`: a person must
        approve this one whatever the policy allows (with nobody to ask, the run stops)."""
        self._permit = None
        secret = self._note_secret(request)
        self._check_stop("authorize", request=request)
        request = self._with_command(request)
        verdict = self._verdict(request)
        answer = None
        if verdict.decision is not Decision.DENY:
            answer = self._approval(request, verdict, screenshot, ask_because)
        correction = answer if isinstance(answer, Correction) else None
        approval = answer if isinstance(answer, Approval) else None
        permit = None
        if verdict.decision is not Decision.DENY and correction is None \
                and approval in (None, Approval.APPROVE):
            permit = self._issue(request, secret)
        self._record("authorization", request=request, verdict=verdict, approval=approval,
                     correction=correction, permit=permit.serial if permit else None,
                     screenshot=screenshot)
        return Authorization(verdict=verdict, approval=approval, permit=permit, correction=correction)

    def preview(self, request: ActionRequest) -> Verdict:
        """The verdict authorize would start from (for dry runs): nobody is asked, no permit is issued,
        nothing counts toward the rate limit."""
        self._note_secret(request)
        self._check_stop("preview", request=request)
        request = self._with_command(request)
        verdict = self._verdict(request)
        self._record("preview", request=request, verdict=verdict)
        return verdict

    def _verdict(self, request: ActionRequest) -> Verdict:
        if request.window is not None and self._is_own(request.window):
            return Verdict(decision=Decision.DENY, rule="guard.own_window",
                           reason=f'refusing to act on the agent\'s own window "{request.window.title}"')
        verdict = evaluate(self._policy, request)
        verdict = replace(verdict, reason=mask(verdict.reason, self._secrets))  # it may show a command
        if verdict.decision is Decision.DENY:
            return verdict
        return self._limit_verdict() or verdict

    def _with_command(self, request: ActionRequest) -> ActionRequest:
        """`request` with the command line it submits, when its window runs the line submitted to it:
        what the agent typed there since the last submission, checked against the line on screen."""
        window = request.window
        if (window is None or submits(request.action) is None
                or self._policy.commands.place(window) is None):
            return replace(request, command=None)
        on_screen = self._read_line(window) if self._read_line is not None else None
        return replace(request, command=self._pending_lines.command_line(request.action, window.id,
                                                                          on_screen))

    def _limit_verdict(self) -> Verdict | None:
        limits = self._policy.limits
        if limits.max_steps is not None and self._steps > limits.max_steps:
            return Verdict(decision=Decision.DENY, rule="limits.max_steps",
                           reason=f"step limit reached: more than {limits.max_steps} steps")
        now = self._clock()
        while self._permit_times and self._permit_times[0] <= now - _RATE_WINDOW_S:
            self._permit_times.popleft()
        rate = limits.max_actions_per_minute
        if rate is not None and len(self._permit_times) >= rate:
            return Verdict(decision=Decision.DENY, rule="limits.max_actions_per_minute",
                           reason=f"rate limit reached: {rate} actions in the last minute")
        return None

    def _approval(self, request: ActionRequest, verdict: Verdict, screenshot: Path | None,
                  ask_because: str | None) -> Approval | Correction | None:
        if ask_because is not None:
            why = ask_because
        elif verdict.decision is Decision.CONFIRM:
            why = f"the policy asks for confirmation: {verdict.reason}"
        elif self._approve_every_step:
            why = "every step needs approval"
        else:
            return None
        if self._approver is None:
            self._halt(f"{ask_because or verdict.reason}: needs confirmation and nobody is there to "
                       "approve it", request=request, verdict=verdict)
        shown = request if request.command is None else replace(  # secrets in its command line masked
            request, command=request.command.masked(lambda text: mask(text, self._secrets)))
        proposal = Proposal(request=shown, verdict=verdict, screenshot=screenshot,
                            reason_for_asking=why, secret=self.is_secret(request))
        self._record("proposal", proposal=proposal)
        approval = self._approver(proposal)
        if not isinstance(approval, (Approval, Correction)):
            raise TypeError(f"an approver must return an Approval or a Correction, not {approval!r}")
        if approval is Approval.QUIT:
            self._halt("quit at approval", request=request, verdict=verdict)
        self._check_stop("approval", request=request)  # the brake may have been pulled meanwhile
        return approval

    def _issue(self, request: ActionRequest, secret: bool) -> Permit:
        self._serial += 1
        self._permit_times.append(self._clock())
        self._permit = Permit(serial=self._serial, request=request, secret=secret)
        return self._permit

    # ------------------------------------------------------------ perform
    def perform(self, permit: Permit, operation: Operation, *, windows: Sequence[Window] = ()) -> None:
        """Execute one operation under `permit`. `windows` are the current top-level windows, bottom to
        top; the topmost window containing a point of the operation must not be the agent's own."""
        if permit is not self._permit or self._permit is None:
            raise PermitError("this permit was not issued by this guard, or a later authorize superseded it")
        if not self._covers(permit, operation):
            raise PermitError(f"a {type(permit.request.action).__name__} permit does not cover "
                              f"{type(operation).__name__}")
        self._check_stop("perform", operation=self._redacted_operation(permit, operation))
        pointer = self._actuator.pointer()
        if near_corner(pointer, self._actuator.screen_bounds()):
            self._halt(f"fail-safe: pointer in a screen corner at {pointer.x},{pointer.y}")
        landing = None
        for point in _points(operation, pointer):
            landing = topmost_at(windows, point)
            self._refuse_own(permit, landing, f"at {point.x},{point.y}")
            self._refuse_elsewhere(permit, landing, f"on top at {point.x},{point.y}")
            self._refuse_input_holder(permit)
        if isinstance(operation, (KeyText, KeyChord)) and self._focus.knows_keyboard_focus:
            # Keys go wherever the focus is *now*: an approval click may have moved it to our window,
            # a dialog may have taken it.
            self._typing_into = self._focus.window_for_keys(permit.request.window)
            self._refuse_own(permit, self._typing_into, "(it has the keyboard focus)")
            self._refuse_elsewhere(permit, self._typing_into, "has the keyboard focus")
            self._focus.refuse_unfocused_field(permit.request.target, permit=permit.serial)
        shown = self._redacted_operation(permit, operation)
        self._record("operation", permit=permit.serial, operation=shown)
        token = None
        if self._journal is not None:  # the intent is durable before the side effect starts
            token = self._journal.before(step_index=self._step_index,
                                         step_text=mask(permit.request.step_text, self._secrets),
                                         operation=mask_data(to_jsonable(shown), self._secrets))
        self._clicking = permit if isinstance(operation, (MouseClick, MouseDrag)) else None
        self._click_landing = landing if self._clicking is not None else None
        into = self._typing_into or landing or permit.request.window
        self._inputs_sent = 0
        try:
            self._actuator.execute(operation)
        except Exception as exc:
            self._typing_into = self._clicking = self._click_landing = None
            if into is not None:  # part of it may have reached the line
                self._pending_lines.lost_track(into.id)
            if isinstance(exc, AgentError):
                self._record("operation-failed", permit=permit.serial, error=str(exc),
                             cut_off=self._inputs_sent > 0)
            if self._journal is not None and token is not None:
                # Cut off part-way, what reached the application is not known: the ledger says so.
                outcome = (f"{OPERATION_UNKNOWN}cut off part-way: {exc}" if self._inputs_sent
                           else f"{OPERATION_FAILED}{exc}")
                self._journal.after(token, mask(outcome, self._secrets))
            raise
        self._typing_into = self._clicking = self._click_landing = None
        if into is not None:
            self._pending_lines.performed(into.id, operation)
        if self._journal is not None and token is not None:
            self._journal.after(token, OPERATION_DONE)

    def before_input(self) -> None:
        """Called by the actuator right before each key or button press: stops the operation
        (StopRequested) when a stop was asked for, and refuses the press (ActionError) when another
        window has taken the input since the click was allowed (a modal dialog), or the keyboard focus
        has moved to another window since the typing began — it would reach a window nobody checked."""
        self._stop.raise_if_requested()
        if self._clicking is not None:
            self._refuse_input_holder(self._clicking)
        if self._typing_into is not None:
            self._focus.refuse_moved(self._typing_into)
        self._inputs_sent += 1

    def input_into(self) -> int | None:
        """The id of the window the typing going on was allowed into, or the click going on presses in
        (None when neither)."""
        window = self._typing_into or self._click_landing
        return window.id if window is not None else None

    def finish_run(self, status: str) -> None:
        """The run ended with `status` (a RunStatus value): the actuator gives back what it bound for
        the run's input, and the journal is told."""
        self._actuator.end_run()
        if self._journal is not None:
            self._journal.finish(status)

    def _refuse_own(self, permit: Permit, window: Window | None, where: str) -> None:
        if window is not None and self._is_own(window):
            message = f'refusing to act on the agent\'s own window "{window.title}" {where}'
            self._record("refused", permit=permit.serial, reason=message)
            raise InputTaken(message, details={"window": window.title})

    def _refuse_input_holder(self, permit: Permit) -> None:
        holder = self._focus.input_holder()
        if holder is not None and not self._is_own(holder):  # ours holds it while a person approves
            self._refuse_elsewhere(permit, holder, "holds the input focus")

    def _refuse_elsewhere(self, permit: Permit, window: Window | None, where: str) -> None:
        """An operation must land in the window its action was authorized for, in a popup of that window
        (a menu or list it opened), or in one the policy allows that action in outright: a window that
        came up in between (a dialog, another application) is not acted on."""
        authorized = permit.request.window
        if window is None or authorized is None or window.id == authorized.id:
            return
        if window.popup and window.owner == authorized.id:  # e.g. the list a combo opened
            return
        verdict = self._verdict(replace(permit.request, window=window, command=None))
        if verdict.decision is not Decision.ALLOW:
            message = (f'refusing: window "{window.title}" {where}, not "{authorized.title}" that the step '
                       f"was allowed in ({verdict.reason})")
            self._record("refused", permit=permit.serial, reason=message)
            raise InputTaken(message, details={"window": window.title})

    def _covers(self, permit: Permit, operation: Operation) -> bool:
        """Whether `operation` is part of doing the permitted action. A launch permit covers only its
        StartProcess, which nothing else covers; extra chords are checked as if they were presses."""
        action = permit.request.action
        match operation:
            case StartProcess(argv=argv):
                return isinstance(action, Launch) and action.argv == argv
            case KeyText(text=text):
                return ((isinstance(action, TypeText) and text in action.text)
                        or (isinstance(action, Select) and text in action.option))
            case KeyChord(keys=keys):
                if isinstance(action, Press):
                    return keys == action.keys
                if isinstance(action, Clear):
                    return keys == ("delete",)
                as_press = replace(permit.request, action=Press(keys=keys), command=None)
                return (isinstance(action, (TypeText, Select))
                        and evaluate(self._policy, as_press).decision is Decision.ALLOW)
            case MouseClick() | MouseScroll() | MouseDrag():
                return isinstance(action, (Click, TypeText, Clear, Check, Select, Scroll, Drag))
        return False

    # ------------------------------------------------------------ helpers
    @property
    def secret_fields(self) -> re.Pattern[str]:
        """The policy's pattern of field names whose typed text is secret."""
        return self._policy.secret_fields

    def is_secret(self, request: ActionRequest) -> bool:
        """True when the request types into a field the policy calls secret (masked on screen)."""
        return is_secret_entry(self._policy, request)

    def _note_secret(self, request: ActionRequest) -> bool:
        """Remember the text of a secret entry before anything about the request is logged."""
        if is_secret_entry(self._policy, request) and isinstance(request.action, TypeText):
            self._secrets.add(request.action.text)
            return True
        return False

    def _is_own(self, window: Window) -> bool:
        return self._own.owns(window)

    def _check_stop(self, where: str, **context: object) -> None:
        if self._stop.requested:
            self._record("stopped", at=where, reason=self._stop.reason, **context)
            self._stop.raise_if_requested()

    def _halt(self, reason: str, *, request: ActionRequest | None = None,
              verdict: Verdict | None = None) -> NoReturn:
        """Pull the brake for the whole run and raise."""
        self._stop.request(reason)
        self._permit = None
        context = {"request": request, "verdict": verdict}
        self._record("stop", reason=reason, **{name: value for name, value in context.items() if value})
        raise StopRequested(reason, verdict=verdict)

    def _redacted_operation(self, permit: Permit, operation: Operation) -> Operation:
        if permit.secret and isinstance(operation, KeyText):
            return KeyText(text=MASK)
        return operation

    def _record(self, kind: str, **fields: object) -> None:
        self._audit.record(kind, **{name: mask_data(to_jsonable(value), self._secrets)
                                    for name, value in fields.items()})


def _points(operation: Operation, pointer: Point) -> tuple[Point, ...]:
    """Screen points an operation touches; a scroll without a point happens under the pointer."""
    match operation:
        case MouseClick(point=point):
            return (point,)
        case MouseScroll(point=point):
            return (pointer if point is None else point,)
        case MouseDrag(start=start, end=end):
            return (start, end)
    return ()
