from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from fakes import RecordingActuator

from desktop_agent.core.actions import (
    Click,
    KeyChord,
    KeyText,
    Launch,
    MouseClick,
    MouseDrag,
    MouseScroll,
    Press,
    StartProcess,
    TypeText,
)
from desktop_agent.core.errors import ActionError, StopRequested
from desktop_agent.core.values import Decision, Element, Point, Rect, Role, Target, TargetSpec, Window
from desktop_agent.safety.approvals import Approval, Proposal
from desktop_agent.safety.audit import AuditLog, verify_audit
from desktop_agent.safety.focus import FocusSense
from desktop_agent.safety.guard import Guard, Permit, PermitError
from desktop_agent.safety.policy import ActionRequest, load_policy, parse_policy
from desktop_agent.safety.stop import StopToken

SCREEN = Rect(left=0, top=0, width=1920, height=1080)
GEDIT = Window(id=2, title="notes.txt - gedit", wm_class="gedit.Gedit", pid=4242,
               box=Rect(left=0, top=0, width=1000, height=800))
XTERM = Window(id=3, title="user@host: ~", wm_class="xterm.XTerm", pid=4343,
               box=Rect(left=0, top=0, width=800, height=600))
AGENT = Window(id=9, title="Desktop Agent", wm_class="desktop-agent", pid=os.getpid(),
               box=Rect(left=1200, top=0, width=400, height=300))
BUTTON = Rect(left=100, top=100, width=80, height=24)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Scripted:
    """An approver that answers from a list and remembers what it was asked."""

    def __init__(self, *answers: Approval) -> None:
        self.answers = list(answers)
        self.asked: list[Proposal] = []

    def __call__(self, proposal: Proposal) -> Approval:
        self.asked.append(proposal)
        return self.answers.pop(0)


@pytest.fixture
def actuator() -> RecordingActuator:
    return RecordingActuator(SCREEN)


@pytest.fixture
def token() -> StopToken:
    return StopToken()


@pytest.fixture
def audit_path(tmp_path: Path) -> Path:
    return tmp_path / "audit.jsonl"


@pytest.fixture
def make(actuator, token, audit_path):
    def make_guard(policy_text: str | None = None, **options) -> Guard:
        policy = load_policy(None) if policy_text is None else parse_policy(policy_text, source="test")
        return Guard(policy=policy, actuator=actuator, audit=AuditLog(audit_path), stop=token, **options)
    return make_guard


def target(text: str, role: Role = Role.BUTTON, label: str = "") -> Target:
    element = Element(role=role, box=BUTTON, text=text, label=label)
    return Target(box=BUTTON, point=BUTTON.center, strategy="test", why="test", element=element)


def click(text: str = "OK", window: Window | None = GEDIT) -> ActionRequest:
    return ActionRequest(action=Click(target=TargetSpec(text=text)), target=target(text), window=window,
                         step_text=f'click "{text}"')


def password(secret: str = "hunter2") -> ActionRequest:
    return ActionRequest(action=TypeText(text=secret, target=TargetSpec(text="Password")),
                         target=target("", Role.FIELD, label="Password"), window=GEDIT,
                         step_text=f'type "{secret}" into "Password"')


def entries(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def kinds(path: Path) -> list[str]:
    return [entry["kind"] for entry in entries(path)]


# ---------------------------------------------------------------- allow / deny / confirm
def test_allowed_action_is_performed(make, actuator):
    guard = make()
    auth = guard.authorize(click())
    assert auth.verdict.decision is Decision.ALLOW and auth.approval is None
    guard.perform(auth.permit, MouseClick(point=BUTTON.center))
    assert actuator.operations == [MouseClick(point=BUTTON.center)]


def test_denied_action_never_reaches_the_actuator(make, actuator):
    guard = make()
    auth = guard.authorize(ActionRequest(action=TypeText(text="sudo reboot"), target=None, window=XTERM))
    assert auth.verdict.decision is Decision.DENY
    assert auth.permit is None
    with pytest.raises(PermitError):
        guard.perform(Permit(serial=1, request=click()), KeyText(text="sudo reboot"))
    assert actuator.operations == []


def test_confirm_without_approver_stops_the_run(make, actuator, token, audit_path):
    guard = make()
    with pytest.raises(StopRequested, match="nobody is there to approve it"):
        guard.authorize(click("Delete"))
    assert token.requested
    assert actuator.operations == []
    assert kinds(audit_path)[-1] == "stop"


def test_approver_is_shown_the_proposal_and_approve_permits(make, actuator, tmp_path):
    approver = Scripted(Approval.APPROVE)
    guard = make(approver=approver)
    shot = tmp_path / "step.png"
    auth = guard.authorize(click("Delete"), screenshot=shot)
    (proposal,) = approver.asked
    assert proposal.screenshot == shot
    assert proposal.verdict.decision is Decision.CONFIRM
    assert "Delete" in proposal.reason_for_asking
    assert auth.approval is Approval.APPROVE
    guard.perform(auth.permit, MouseClick(point=BUTTON.center))
    assert len(actuator.operations) == 1


def test_skip_gives_no_permit(make, actuator, token):
    guard = make(approver=Scripted(Approval.SKIP))
    auth = guard.authorize(click("Delete"))
    assert (auth.approval, auth.permit) == (Approval.SKIP, None)
    assert not token.requested


def test_quit_at_approval_stops_the_run(make, actuator, token):
    guard = make(approver=Scripted(Approval.QUIT))
    with pytest.raises(StopRequested, match="quit"):
        guard.authorize(click("Delete"))
    assert token.requested


def test_stop_pulled_while_the_question_is_open_wins(make, token):
    def approve_then_stop(proposal: Proposal) -> Approval:
        token.request("Stop button")
        return Approval.APPROVE

    guard = make(approver=approve_then_stop)
    with pytest.raises(StopRequested, match="Stop button"):
        guard.authorize(click("Delete"))


def test_approver_must_answer_with_an_approval(make):
    guard = make(approver=lambda proposal: True)
    with pytest.raises(TypeError):
        guard.authorize(click("Delete"))


def test_approve_every_step_asks_even_for_allowed_actions(make):
    approver = Scripted(Approval.APPROVE)
    guard = make(approver=approver, approve_every_step=True)
    assert guard.authorize(click("OK")).permit is not None
    assert approver.asked[0].reason_for_asking == "every step needs approval"
    guard.authorize(ActionRequest(action=TypeText(text="sudo su"), target=None, window=XTERM))
    assert len(approver.asked) == 1  # denied requests are never put to the person


def test_approve_every_step_needs_an_approver(make):
    with pytest.raises(ValueError):
        make(approve_every_step=True)


# ---------------------------------------------------------------- own windows
@pytest.mark.parametrize("window", [AGENT, Window(id=7, title="desktop-agent — run 3", wm_class="python3",
                                                  box=BUTTON)])
def test_acting_on_the_agents_own_window_is_denied(make, window):
    auth = make().authorize(click("OK", window=window))
    assert (auth.verdict.decision, auth.verdict.rule) == (Decision.DENY, "guard.own_window")


def test_operation_landing_on_own_window_is_refused(make, actuator):
    guard = make()
    permit = guard.authorize(click()).permit
    with pytest.raises(ActionError, match="own window"):
        guard.perform(permit, MouseDrag(start=BUTTON.center, end=Point(x=1300, y=100)),
                      windows=(GEDIT, AGENT))
    assert actuator.operations == []


def test_keys_are_refused_when_the_focus_moved_to_our_own_window(make, actuator):
    focus = [GEDIT]
    guard = make(focus=FocusSense(keyboard_focus=lambda: focus[0]))
    request = ActionRequest(action=TypeText(text="hello"), target=None, window=GEDIT,
                            step_text='type "hello"')
    permit = guard.authorize(request).permit
    guard.perform(permit, KeyText(text="hello"))
    focus[0] = AGENT  # e.g. the person clicked Approve in the agent's window
    with pytest.raises(ActionError, match="keyboard focus"):
        guard.perform(permit, KeyText(text="hello"))
    assert actuator.operations == [KeyText(text="hello")]


@pytest.mark.parametrize("by_id", [False, True])  # with `keyboard_focus_id`, only a moved focus is described
def test_typing_stops_when_the_focus_moves_to_another_window_part_way(make, actuator, by_id):
    focus, described = [GEDIT], []

    def keyboard_focus():
        described.append(focus[0])
        return focus[0]
    guard = make(focus=FocusSense(keyboard_focus=keyboard_focus,
                                  keyboard_focus_id=(lambda: focus[0].id) if by_id else None))
    typed: list[str] = []

    def type_in_runs(operation):  # what DesktopActuator does: a check between runs of the text
        for run in ("hello ", "world"):
            guard.before_input()
            typed.append(run)
            focus[0] = XTERM  # another window grabs the focus after the first run

    actuator.execute = type_in_runs
    request = ActionRequest(action=TypeText(text="hello world"), target=None, window=GEDIT,
                            step_text='type "hello world"')
    with pytest.raises(ActionError, match='focus moved from "notes.txt - gedit" to "user@host: ~"'):
        guard.perform(guard.authorize(request).permit, KeyText(text="hello world"))
    assert typed == ["hello "]
    assert described[1:] == ([XTERM] if by_id else [GEDIT, XTERM])  # [0]: where the typing began
    guard.before_input()  # no typing going on: nothing to compare


def test_keys_are_refused_when_another_window_took_the_focus(make, actuator):
    focus = [XTERM]  # a window came up and took the focus after the step was authorized for gedit
    guard = make("version: 1\ndefault: allow\nwindows:\n  allow: [{title: 'gedit'}]\n",
                 focus=FocusSense(keyboard_focus=lambda: focus[0]))
    request = ActionRequest(action=TypeText(text="hello"), target=None, window=GEDIT, step_text='type "hello"')
    with pytest.raises(ActionError, match='window "user@host: ~" has the keyboard focus, not "notes.txt - gedit"'):
        guard.perform(guard.authorize(request).permit, KeyText(text="hello"))
    assert actuator.operations == []


def test_the_focus_held_by_our_own_window_is_handed_to_the_window_the_keys_are_for(make, actuator, audit_path):
    focus, given = [AGENT], []  # no window manager: the click into gedit left the focus on the app

    def give_focus(window):
        given.append(window)
        focus[0] = window
    guard = make(focus=FocusSense(keyboard_focus=lambda: focus[0], give_focus=give_focus))
    request = ActionRequest(action=TypeText(text="hello"), target=None, window=GEDIT, step_text='type "hello"')
    guard.perform(guard.authorize(request).permit, KeyText(text="hello"))
    assert given == [GEDIT] and actuator.operations == [KeyText(text="hello")]
    assert "focus-given" in audit_path.read_text()


def test_the_focus_is_never_taken_from_another_application(make, actuator):
    given = []
    guard = make("version: 1\ndefault: allow\nwindows:\n  allow: [{title: 'gedit'}]\n",
                 focus=FocusSense(keyboard_focus=lambda: XTERM, give_focus=given.append))
    request = ActionRequest(action=TypeText(text="hello"), target=None, window=GEDIT, step_text='type "hello"')
    with pytest.raises(ActionError, match="has the keyboard focus"):
        guard.perform(guard.authorize(request).permit, KeyText(text="hello"))
    assert given == [] and actuator.operations == []


def test_keys_wait_for_the_focus_a_click_is_still_moving_to_the_window(make, actuator):
    answers = iter([XTERM, XTERM, GEDIT])  # the window manager hands gedit the focus a moment late
    guard = make("version: 1\ndefault: allow\nwindows:\n  allow: [{title: 'gedit'}]\n",
                 focus=FocusSense(keyboard_focus=lambda: next(answers, GEDIT)))
    request = ActionRequest(action=TypeText(text="hello"), target=None, window=GEDIT, step_text='type "hello"')
    guard.perform(guard.authorize(request).permit, KeyText(text="hello"))
    assert actuator.operations == [KeyText(text="hello")]
    assert next(answers, None) is None  # it asked until the focus was there


def test_a_click_lands_only_where_the_step_was_allowed(make, actuator):
    guard = make("version: 1\ndefault: allow\nwindows:\n  allow: [{title: 'gedit'}]\n")
    request = ActionRequest(action=Click(target=TargetSpec(text="OK")), target=target("OK"), window=GEDIT,
                            step_text='click "OK"')
    permit = guard.authorize(request).permit
    with pytest.raises(ActionError, match='window "user@host: ~" on top at 140,112'):
        guard.perform(permit, MouseClick(point=BUTTON.center), windows=(GEDIT, XTERM))
    assert actuator.operations == []
    menu = Window(id=7, title="popdown", wm_class="Popdown", box=BUTTON.inflate(10), owner=GEDIT.id, popup=True)
    guard.perform(permit, MouseClick(point=BUTTON.center), windows=(GEDIT, menu))  # the list it opened
    assert actuator.operations == [MouseClick(point=BUTTON.center)]
    actuator.operations.clear()
    lenient = make()  # a policy that allows clicking in the other window lets the click through
    permit = lenient.authorize(request).permit
    lenient.perform(permit, MouseClick(point=BUTTON.center), windows=(GEDIT, XTERM))
    assert actuator.operations == [MouseClick(point=BUTTON.center)]


def test_own_window_covered_by_another_window_does_not_block(make, actuator):
    guard = make()
    on_top = Window(id=5, title="other", wm_class="other",
                    box=Rect(left=1100, top=0, width=800, height=600))
    permit = guard.authorize(click(window=on_top)).permit
    guard.perform(permit, MouseClick(point=Point(x=1300, y=100)), windows=(AGENT, on_top))
    assert actuator.operations == [MouseClick(point=Point(x=1300, y=100))]


def test_scroll_without_point_is_checked_under_the_pointer(make, actuator):
    guard = make()
    permit = guard.authorize(click()).permit
    actuator.pointer_at = Point(x=1300, y=100)
    with pytest.raises(ActionError):
        guard.perform(permit, MouseScroll(point=None, clicks=-3), windows=(GEDIT, AGENT))


# ---------------------------------------------------------------- brakes
@pytest.mark.parametrize("corner", [Point(x=0, y=0), Point(x=1919, y=0), Point(x=2, y=1077),
                                    Point(x=1917, y=1079)])
def test_pointer_in_a_corner_trips_the_fail_safe(make, actuator, token, corner):
    guard = make()
    permit = guard.authorize(click()).permit
    actuator.pointer_at = corner
    with pytest.raises(StopRequested, match="fail-safe"):
        guard.perform(permit, MouseClick(point=BUTTON.center))
    assert token.requested
    assert actuator.operations == []


def test_pointer_near_but_outside_corner_is_fine(make, actuator):
    guard = make()
    permit = guard.authorize(click()).permit
    actuator.pointer_at = Point(x=3, y=0)
    guard.perform(permit, MouseClick(point=BUTTON.center))
    assert len(actuator.operations) == 1


def test_stop_token_stops_authorize_and_perform(make, actuator, token):
    guard = make()
    permit = guard.authorize(click()).permit
    token.request("hotkey")
    with pytest.raises(StopRequested, match="hotkey"):
        guard.perform(permit, MouseClick(point=BUTTON.center))
    with pytest.raises(StopRequested):
        guard.authorize(click())
    assert actuator.operations == []


# ---------------------------------------------------------------- limits
def test_rate_limit_uses_a_sliding_minute(make):
    clock = Clock()
    guard = make("limits: {max_actions_per_minute: 3}\n", clock=clock)
    for _ in range(3):
        assert guard.authorize(click()).permit is not None
        clock.now += 10
    verdict = guard.authorize(click()).verdict
    assert (verdict.decision, verdict.rule) == (Decision.DENY, "limits.max_actions_per_minute")
    clock.now += 31  # the first action is now more than 60 s old
    assert guard.authorize(click()).permit is not None


def test_max_steps(make):
    guard = make("limits: {max_steps: 2}\n")
    for _ in range(2):
        guard.start_step()
        assert guard.authorize(click()).permit is not None
    guard.start_step()
    verdict = guard.authorize(click()).verdict
    assert (verdict.decision, verdict.rule) == (Decision.DENY, "limits.max_steps")


# ---------------------------------------------------------------- permits
def test_forged_and_superseded_permits_are_rejected(make, actuator):
    guard = make()
    real = guard.authorize(click()).permit
    forged = Permit(serial=real.serial, request=real.request)
    with pytest.raises(PermitError):
        guard.perform(forged, MouseClick(point=BUTTON.center))
    guard.authorize(click("Cancel"))
    with pytest.raises(PermitError):
        guard.perform(real, MouseClick(point=BUTTON.center))
    assert actuator.operations == []


def test_permit_covers_several_operations_of_one_step(make, actuator):
    guard = make()
    request = ActionRequest(action=TypeText(text="hello", target=TargetSpec(text="Name")),
                            target=target("", Role.FIELD, label="Name"), window=GEDIT)
    permit = guard.authorize(request).permit
    for operation in (MouseClick(point=BUTTON.center), KeyChord(keys=("ctrl", "a")), KeyText(text="hello")):
        guard.perform(permit, operation)
    assert len(actuator.operations) == 3


@pytest.mark.parametrize(("request_", "operation"), [
    (click(), StartProcess(argv=("xterm",))),
    (click(), KeyText(text="x")),
    (ActionRequest(action=TypeText(text="hello"), target=None, window=GEDIT), KeyText(text="rm -rf /")),
    (ActionRequest(action=TypeText(text="hello"), target=None, window=GEDIT),
     KeyChord(keys=("ctrl", "alt", "delete"))),
    (ActionRequest(action=Press(keys=("ctrl", "s")), target=None, window=GEDIT), KeyChord(keys=("alt", "f4"))),
])
def test_permit_does_not_cover_other_operations(make, actuator, request_, operation):
    guard = make()
    permit = guard.authorize(request_).permit
    with pytest.raises(PermitError):
        guard.perform(permit, operation)
    assert actuator.operations == []


def test_start_process_only_through_an_authorized_launch(make, actuator):
    guard = make(approver=Scripted(Approval.APPROVE))
    permit = guard.authorize(ActionRequest(action=Launch(argv=("gedit",)), target=None, window=None)).permit
    with pytest.raises(PermitError):
        guard.perform(permit, StartProcess(argv=("xterm",)))
    guard.perform(permit, StartProcess(argv=("gedit",)))
    assert actuator.operations == [StartProcess(argv=("gedit",))]


# ---------------------------------------------------------------- audit
def test_audit_log_has_every_proposal_and_operation(make, audit_path):
    guard = make(approver=Scripted(Approval.APPROVE, Approval.SKIP))
    guard.start_step()
    guard.perform(guard.authorize(click("OK")).permit, MouseClick(point=BUTTON.center))
    guard.perform(guard.authorize(click("Delete")).permit, MouseClick(point=BUTTON.center))
    guard.authorize(click("Send"))
    guard.authorize(ActionRequest(action=TypeText(text="sudo ls"), target=None, window=XTERM))
    assert kinds(audit_path) == ["step", "authorization", "operation", "proposal", "authorization",
                                 "operation", "proposal", "authorization", "authorization"]
    logged = entries(audit_path)
    assert [e["fields"]["approval"] for e in logged if e["kind"] == "authorization"] == \
        [None, "approve", "skip", None]
    assert logged[-1]["fields"]["verdict"]["decision"] == "deny"
    assert logged[2]["fields"]["operation"] == {
        "type": "MouseClick", "point": {"type": "Point", "x": 140, "y": 112}, "button": "left", "count": 1}
    assert verify_audit(audit_path).ok


def test_password_is_redacted_in_the_audit_file(make, actuator, audit_path):
    guard = make(approver=Scripted(Approval.APPROVE))
    permit = guard.authorize(password("hunter2")).permit
    guard.perform(permit, MouseClick(point=BUTTON.center))
    guard.perform(permit, KeyText(text="hunt"))
    guard.perform(permit, KeyText(text="er2"))
    raw = audit_path.read_text(encoding="utf-8")
    assert "hunt" not in raw and "er2" not in raw
    assert raw.count("•••") >= 4  # proposal, authorization (action and step text), both keystrokes
    assert actuator.operations[-1] == KeyText(text="er2")  # the real text still reaches the actuator


def test_secret_stays_redacted_in_later_entries(make, audit_path):
    guard = make(approver=Scripted(Approval.APPROVE))
    guard.authorize(password("hunter2"))
    guard.authorize(ActionRequest(action=TypeText(text="my hunter2 again"), target=None, window=GEDIT))
    assert "hunter2" not in audit_path.read_text(encoding="utf-8")


def test_preview_gives_the_verdict_without_asking_or_permitting(make, audit_path):
    approver = Scripted()
    guard = make("limits: {max_actions_per_minute: 1}\n", approver=approver)
    assert guard.preview(click("OK")).decision is Decision.ALLOW
    assert guard.preview(click("OK")).decision is Decision.ALLOW  # previews don't count toward the rate
    assert guard.preview(password("hunter2")).decision is Decision.ALLOW
    assert approver.asked == []
    assert kinds(audit_path) == ["preview", "preview", "preview"]
    assert "hunter2" not in audit_path.read_text(encoding="utf-8")
