"""The runner loop with a scripted desktop: what it does, what it refuses, and that it never loops."""
from __future__ import annotations

import io
import json
from dataclasses import replace

import numpy as np
import pytest
from fakes import FakeDesktop, draw_mask

from desktop_agent.cli import reporting
from desktop_agent.core.actions import KeyChord, KeyText, MouseClick
from desktop_agent.core.errors import CaptureError
from desktop_agent.core.events import RunFinished, StepFinished
from desktop_agent.core.results import RunStatus, StepStatus
from desktop_agent.core.values import Element, Frame, Point, Rect, Role, Screen, Window
from desktop_agent.language.steps import plan_from_steps
from desktop_agent.run.runner import Runner, RunOptions
from desktop_agent.run.trace import Trace
from desktop_agent.safety.approvals import Approval, Correction
from desktop_agent.safety.audit import AuditLog
from desktop_agent.safety.guard import Guard
from desktop_agent.safety.policy import load_policy, parse_policy
from desktop_agent.safety.stop import StopToken

WINDOW = Window(id=1, title="Orders", wm_class="Orders", box=Rect(left=100, top=100, width=400, height=300), pid=1)
OK = Element(role=Role.BUTTON, box=Rect(left=200, top=300, width=80, height=30), text="OK", window_id=1)
DELETE = Element(role=Role.BUTTON, box=Rect(left=300, top=300, width=80, height=30), text="Delete", window_id=1)
NAME_LABEL = Element(role=Role.TEXT, box=Rect(left=120, top=150, width=50, height=16), text="Name", window_id=1)
NAME_FIELD = Element(role=Role.FIELD, box=Rect(left=200, top=145, width=200, height=26), label="Name",
                     window_id=1)


def screen(*elements, shade=200):
    image = np.full((600, 800, 3), 40, np.uint8)
    image[100:400, 100:500] = shade  # the window; a different shade = a visible change
    return Screen(frame=Frame(image=image, region=Rect(left=0, top=0, width=800, height=600)),
                  elements=tuple(elements), windows=(WINDOW,))


def masked(shown: Screen, count: int) -> Screen:
    """`shown` with NAME_FIELD's box holding `count` mask bullets."""
    draw_mask(shown.frame.image, NAME_FIELD.box, count)
    return shown


def run(desktop, steps, *, tmp_path, policy=None, approver=None, stop=None, dry_run=False,
             approve_every_step=False, start=0, unsure=False, plan=None):
    stop = stop or StopToken()
    guard = Guard(policy=policy or load_policy(None), actuator=desktop.actuator,
                  audit=AuditLog(tmp_path / "audit.jsonl"), stop=stop, approver=approver,
                  approve_every_step=approve_every_step, own_pids=frozenset({999}))
    runner = Runner(senses=desktop, guard=guard, stop=stop, trace=Trace(tmp_path / "trace"),
                    options=RunOptions(find_timeout_s=0.2, settle_timeout_s=0.5, dry_run=dry_run))
    events = list(runner.run(plan or plan_from_steps(steps), start=start, unsure=unsure))
    finished = events[-1]
    assert isinstance(finished, RunFinished)
    return finished


def test_click_acts_at_the_grounded_point_and_verifies(tmp_path):
    desktop = FakeDesktop([screen(OK), screen(OK, shade=180)])
    finished = run(desktop, ['click "OK"'], tmp_path=tmp_path)
    assert finished.status is RunStatus.SUCCEEDED
    assert desktop.actuator.operations == [MouseClick(point=Point(x=240, y=315))]
    assert finished.results[0].verified
    assert (finished.trace / "report.html").is_file()


def test_click_that_changes_nothing_is_retried_once_then_fails(tmp_path):
    desktop = FakeDesktop([screen(OK)], advance=False)
    finished = run(desktop, ['click "OK"', 'click "OK"'], tmp_path=tmp_path)
    assert finished.status is RunStatus.FAILED
    assert len(desktop.actuator.operations) == 2  # the first attempt and one retry, never more
    result = finished.results[0]
    assert result.attempts == 2 and "nothing on screen changed" in result.error
    assert len(finished.results) == 1  # the run stopped at the failing step


def test_typed_text_must_be_visible_in_the_field(tmp_path):
    typed = replace(NAME_FIELD, text="Ada")
    desktop = FakeDesktop([screen(NAME_LABEL, NAME_FIELD), screen(NAME_LABEL, typed, shade=190)])
    finished = run(desktop, ['type "Ada" into the field right of "Name"'], tmp_path=tmp_path)
    assert finished.status is RunStatus.SUCCEEDED
    assert desktop.actuator.operations == [MouseClick(point=NAME_FIELD.box.center), KeyText(text="Ada")]


def test_only_a_check_that_reads_the_screen_gets_its_after_look_read(tmp_path):
    typed = replace(NAME_FIELD, text="Ada")
    desktop = FakeDesktop([screen(NAME_LABEL, NAME_FIELD, OK), screen(NAME_LABEL, NAME_FIELD, OK),  # field clicked
                           screen(NAME_LABEL, typed, OK, shade=170), screen(NAME_LABEL, typed, OK, shade=140)])
    finished = run(desktop, ['type "Ada" into the field right of "Name"', 'click "OK"'], tmp_path=tmp_path)
    assert finished.status is RunStatus.SUCCEEDED
    # typing: look, read after (the text must be seen); click: look, a glance after ("did it change")
    assert desktop.reads == [True, True, True, False]


def test_typed_text_not_seen_fails_verification(tmp_path):
    desktop = FakeDesktop([screen(NAME_LABEL, NAME_FIELD)], advance=False)
    finished = run(desktop, ['type "Ada" into the "Name" field'], tmp_path=tmp_path)
    assert finished.status is RunStatus.FAILED
    assert 'typed "Ada"' in finished.results[0].error
    assert finished.results[0].attempts == 2
    # Each failed attempt is rolled back (the field was empty: it is cleared again); the retry selects
    # whatever the field holds, so the text replaces it.
    clear = [MouseClick(point=NAME_FIELD.box.center, count=3), KeyChord(keys=("delete",))]
    assert desktop.actuator.operations == [MouseClick(point=NAME_FIELD.box.center), KeyText(text="Ada"), *clear,
                                           MouseClick(point=NAME_FIELD.box.center, count=3),
                                           KeyText(text="Ada"), *clear]
    assert "rolled back: clear the field again (it was empty); the window matches its checkpoint" in \
        finished.results[0].error


def test_untargeted_typing_is_never_repeated(tmp_path):
    desktop = FakeDesktop([screen(NAME_LABEL, NAME_FIELD)], advance=False)
    finished = run(desktop, ['type "Ada"'], tmp_path=tmp_path)
    assert finished.status is RunStatus.FAILED
    assert desktop.actuator.operations == [KeyText(text="Ada")]


def test_missing_target_acts_on_nothing_and_lists_candidates(tmp_path):
    desktop = FakeDesktop([screen(OK, DELETE)])
    finished = run(desktop, ['click "Cancel"'], tmp_path=tmp_path)
    assert finished.status is RunStatus.FAILED
    assert desktop.actuator.operations == []
    assert 'no element matches "Cancel"' in finished.results[0].error


def test_ambiguous_target_acts_on_nothing(tmp_path):
    second_ok = Element(role=Role.BUTTON, box=Rect(left=400, top=300, width=80, height=30), text="OK",
                        window_id=1)
    desktop = FakeDesktop([screen(OK, second_ok)])
    finished = run(desktop, ['click "OK"'], tmp_path=tmp_path)
    assert finished.status is RunStatus.FAILED and desktop.actuator.operations == []
    assert "matches 2 elements" in finished.results[0].error


def test_confirm_with_nobody_to_ask_stops(tmp_path):
    desktop = FakeDesktop([screen(OK, DELETE), screen(OK, DELETE, shade=150)])
    finished = run(desktop, ['click "Delete"', 'click "OK"'], tmp_path=tmp_path)
    assert finished.status is RunStatus.STOPPED
    assert desktop.actuator.operations == []
    assert [r.status for r in finished.results] == [StepStatus.STOPPED]


def test_approver_skip_skips_and_the_run_goes_on(tmp_path):
    desktop = FakeDesktop([screen(OK, DELETE), screen(OK, DELETE, shade=150)])
    finished = run(desktop, ['click "Delete"', 'click "OK"'], tmp_path=tmp_path,
                   approver=lambda proposal: Approval.SKIP)
    assert [r.status for r in finished.results] == [StepStatus.SKIPPED, StepStatus.SUCCEEDED]
    assert desktop.actuator.operations == [MouseClick(point=OK.box.center)]


def test_denied_action_stops_the_run_before_acting(tmp_path):
    policy = parse_policy("version: 1\ndefault: allow\nrules:\n"
                          "  - {decision: deny, actions: [click], target_text: 'OK', reason: not here}\n",
                          source="test")
    desktop = FakeDesktop([screen(OK, DELETE)])
    finished = run(desktop, ['click "OK"', 'click "Delete"'], tmp_path=tmp_path, policy=policy)
    assert finished.status is RunStatus.DENIED
    assert desktop.actuator.operations == [] and len(finished.results) == 1


def test_untargeted_typing_is_judged_against_the_focused_window(tmp_path):
    terminal = Window(id=2, title="bash", wm_class="XTerm", box=Rect(left=0, top=0, width=800, height=600),
                      pid=2)
    desktop = FakeDesktop([replace(screen(), windows=(terminal,))])
    finished = run(desktop, ['type "rm -rf ~/important"'], tmp_path=tmp_path)
    assert finished.status is RunStatus.DENIED
    assert "rm -rf" in finished.results[0].verdict.reason
    assert desktop.actuator.operations == []


@pytest.mark.parametrize("message", ["the screen capture is blank (one colour)"])
def test_blank_capture_stops_without_acting(tmp_path, message):
    desktop = FakeDesktop([screen(OK)], error=CaptureError(message))
    finished = run(desktop, ['click "OK"', 'press enter'], tmp_path=tmp_path)
    assert finished.status is RunStatus.FAILED
    assert message in finished.results[0].error
    assert desktop.actuator.operations == [] and len(finished.results) == 1


def test_dry_run_grounds_and_annotates_but_acts_on_nothing(tmp_path):
    desktop = FakeDesktop([screen(OK, DELETE)])
    finished = run(desktop, ['click "OK"', 'click "Delete"'], tmp_path=tmp_path, dry_run=True)
    assert finished.status is RunStatus.SUCCEEDED
    assert desktop.actuator.operations == []
    assert [r.verdict.decision.value for r in finished.results] == ["allow", "confirm"]
    assert all(r.screenshot and r.screenshot.is_file() for r in finished.results)


def test_a_stop_request_ends_the_run_before_the_next_step(tmp_path):
    stop = StopToken()
    stop.request("test")
    desktop = FakeDesktop([screen(OK)])
    finished = run(desktop, ['click "OK"'], tmp_path=tmp_path, stop=stop)
    assert finished.status is RunStatus.STOPPED and desktop.actuator.operations == []


def test_secret_text_is_never_written_to_the_trace(tmp_path):
    label = Element(role=Role.TEXT, box=Rect(left=120, top=150, width=60, height=16), text="Password",
                    window_id=1)
    field = Element(role=Role.FIELD, box=NAME_FIELD.box, label="Password", window_id=1)
    desktop = FakeDesktop([screen(label, field), masked(screen(label, replace(field, text="•••••••")), 7)])
    finished = run(desktop, ['type "hunter2" into the "Password" field'], tmp_path=tmp_path,
                   approver=lambda proposal: Approval.APPROVE)
    assert finished.status is RunStatus.SUCCEEDED
    assert KeyText(text="hunter2") in desktop.actuator.operations
    written = [p for p in tmp_path.rglob("*") if p.suffix in (".jsonl", ".html")]
    assert len(written) >= 3  # events, audit, report
    for path in written:
        assert "hunter2" not in path.read_text(encoding="utf-8"), path.name


def test_step_stopped_for_confirmation_still_reports_its_target(tmp_path):
    desktop = FakeDesktop([screen(OK, DELETE)])
    finished = run(desktop, ['click "Delete"'], tmp_path=tmp_path)
    result = finished.results[0]
    assert result.status is StepStatus.STOPPED and result.target.box == DELETE.box


def test_dry_run_skips_a_wait_that_earlier_actions_would_satisfy(tmp_path):
    desktop = FakeDesktop([screen(OK)])
    finished = run(desktop, ['click "OK"', 'wait for "Saved" to appear up to 5 s'], tmp_path=tmp_path,
                   dry_run=True)
    assert finished.status is RunStatus.SUCCEEDED
    assert [r.status for r in finished.results] == [StepStatus.SUCCEEDED, StepStatus.SKIPPED]


def test_a_correction_by_point_acts_on_the_element_the_person_picked(tmp_path):
    answers = iter([Correction(point=DELETE.box.center), Approval.APPROVE])
    desktop = FakeDesktop([screen(OK, DELETE), screen(OK, DELETE, shade=150)])
    finished = run(desktop, ['click "OK"'], tmp_path=tmp_path, approver=lambda proposal: next(answers),
                   approve_every_step=True)
    assert finished.status is RunStatus.SUCCEEDED
    assert desktop.actuator.operations == [MouseClick(point=DELETE.box.center)]
    events = [json.loads(line) for line in (finished.trace / "events.jsonl").read_text().splitlines()]
    (correction,) = [e for e in events if e["kind"] == "correction"]
    assert correction["proposed"]["box"]["left"] == OK.box.left  # the proposal is kept...
    assert correction["correction"]["point"] == {"type": "Point", "x": 340, "y": 315}  # ...with the fix


def test_a_correction_by_rewritten_step_runs_the_new_step(tmp_path):
    answers = iter([Correction(step_text='click "Delete"'), Approval.APPROVE])
    desktop = FakeDesktop([screen(OK, DELETE), screen(OK, DELETE, shade=150)])
    finished = run(desktop, ['click "OK"'], tmp_path=tmp_path, approver=lambda proposal: next(answers),
                   approve_every_step=True)
    assert finished.status is RunStatus.SUCCEEDED
    assert finished.results[0].step.text == 'click "Delete"'
    assert desktop.actuator.operations == [MouseClick(point=DELETE.box.center)]


def test_an_unparsable_rewrite_fails_the_step_without_acting(tmp_path):
    desktop = FakeDesktop([screen(OK, DELETE)])
    finished = run(desktop, ['click "OK"'], tmp_path=tmp_path, approve_every_step=True,
                   approver=lambda proposal: Correction(step_text='clik "Delete"'))
    assert finished.status is RunStatus.FAILED and desktop.actuator.operations == []
    assert "correction not usable" in finished.results[0].error


def test_wait_for_a_target_to_vanish(tmp_path):
    saving = Element(role=Role.TEXT, box=Rect(left=120, top=200, width=60, height=16), text="Saving",
                     window_id=1)
    desktop = FakeDesktop([screen(OK, saving), screen(OK, saving), screen(OK)], advance_on_look=True)
    finished = run(desktop, ['wait for "Saving" to vanish up to 5 s'], tmp_path=tmp_path)
    assert finished.status is RunStatus.SUCCEEDED and desktop.index == 2


def test_wait_that_times_out_fails_with_the_reason(tmp_path):
    desktop = FakeDesktop([screen(OK)])
    finished = run(desktop, ['wait for "Saved" to appear up to 0.3 s'], tmp_path=tmp_path)
    assert finished.status is RunStatus.FAILED
    assert '"Saved" did not appear within 0.3 s' in finished.results[0].error


def test_an_approver_is_shown_a_secret_step_masked(tmp_path):
    label = Element(role=Role.TEXT, box=Rect(left=120, top=150, width=60, height=16), text="Password",
                    window_id=1)
    field = Element(role=Role.FIELD, box=NAME_FIELD.box, label="Password", window_id=1)
    desktop = FakeDesktop([screen(label, field), masked(screen(label, replace(field, text="•••")), 7)])
    shown: list[str] = []

    def approver(proposal):
        shown.append(proposal.shown_step_text)
        return Approval.APPROVE

    run(desktop, ['type "hunter2" into the "Password" field'], tmp_path=tmp_path, approver=approver)
    assert shown == ['type "•••" into the "Password" field']


def test_a_finished_run_is_remembered_and_a_dry_run_is_not(tmp_path):
    from desktop_agent.memory.store import MemoryStore

    with MemoryStore.open(tmp_path / "memory.sqlite3") as memory:
        for dry_run in (False, True):
            desktop = FakeDesktop([screen(OK), screen(OK, shade=150)])
            stop = StopToken()
            guard = Guard(policy=load_policy(None), actuator=desktop.actuator,
                          audit=AuditLog(tmp_path / f"audit-{dry_run}.jsonl"), stop=stop,
                          own_pids=frozenset({999}))
            runner = Runner(senses=desktop, guard=guard, stop=stop,
                            trace=Trace(tmp_path / f"trace-{dry_run}"), memory=memory,
                            options=RunOptions(find_timeout_s=0.2, settle_timeout_s=0.5, dry_run=dry_run))
            list(runner.run(plan_from_steps(['click "OK"'])))
        [task] = memory.tasks()
        assert task.steps == ('click "OK"',)
        assert [r.id for r in memory.task(task.id).runs] == ["trace-False"]


def test_a_window_that_comes_up_between_looking_and_acting_stops_the_action(tmp_path):
    desktop = FakeDesktop([screen(OK)])
    dialog = Window(id=9, title="Unexpected", wm_class="Orders", box=Rect(left=150, top=150, width=200, height=100))
    desktop.list_windows = lambda: (*desktop.screen.windows, dialog)  # the look never saw it
    finished = run(desktop, ['click "OK"'], tmp_path=tmp_path)
    assert finished.status is RunStatus.FAILED and desktop.actuator.operations == []
    assert 'window "Unexpected" came up after the step looked' in finished.results[0].error


def test_a_field_that_shows_only_the_tail_of_the_text_is_unverified_not_passed(tmp_path):
    long_text = "Augusta Ada King, Countess of Lovelace"
    narrow = replace(NAME_FIELD, text="Countess of Lovelace")  # a narrow field scrolled to its end
    desktop = FakeDesktop([screen(NAME_LABEL, NAME_FIELD, OK), screen(NAME_LABEL, NAME_FIELD, OK),
                           screen(NAME_LABEL, narrow, OK, shade=190), screen(NAME_LABEL, narrow, OK, shade=170)])
    finished = run(desktop, [f'type "{long_text}" into the field right of "Name"', 'click "OK"'],
                   tmp_path=tmp_path)
    typed = finished.results[0]
    assert typed.status is StepStatus.UNVERIFIED and not typed.verified
    assert typed.error.startswith('unverified: only "Countess of Lovelace"')
    assert len(finished.results) == 2  # the run went on: nothing contradicts the text
    assert finished.status is RunStatus.UNVERIFIED


def test_a_field_missing_the_end_of_the_text_fails_its_check(tmp_path):
    lost = replace(NAME_FIELD, text="Zoë O'Brien-Smith #4")  # the last key never arrived
    desktop = FakeDesktop([screen(NAME_LABEL, NAME_FIELD), screen(NAME_LABEL, lost, shade=190)])
    finished = run(desktop, ['type "Zoë O\'Brien-Smith #42" into the field right of "Name"'], tmp_path=tmp_path)
    assert finished.results[0].status is StepStatus.FAILED
    assert "verification failed" in finished.results[0].error
    assert finished.status is RunStatus.FAILED


def test_a_confirm_step_stopped_for_want_of_a_person_keeps_its_verdict(tmp_path):
    desktop = FakeDesktop([screen(DELETE), screen(DELETE, shade=180)])
    finished = run(desktop, ['click "Delete"'], tmp_path=tmp_path)  # the default policy asks first
    result = finished.results[0]
    assert result.status is StepStatus.STOPPED and desktop.actuator.operations == []
    assert result.verdict is not None and result.verdict.decision.value == "confirm"
    assert "irreversible" in result.verdict.reason


def test_why_a_step_was_tried_again_is_in_its_result_the_log_the_json_and_the_report(tmp_path):
    desktop = FakeDesktop([screen(OK), screen(OK), screen(OK, shade=180)])  # the retry's click shows
    finished = run(desktop, ['click "OK"'], tmp_path=tmp_path)
    result = finished.results[0]
    assert result.status is StepStatus.SUCCEEDED and result.attempts == 2
    assert "nothing on screen changed" in result.retried_because
    log = io.StringIO()
    reporting.print_event(StepFinished(index=0, result=result), log)
    assert f"retried because: {result.retried_because}" in log.getvalue()
    assert reporting.run_json(finished)["steps"][0]["retried_because"] == result.retried_because
    assert "Retried because" in (finished.trace / "report.html").read_text()


@pytest.mark.parametrize("step", ["click at 250,250", 'click the "Name" field'])
def test_a_click_for_the_focus_that_changes_nothing_is_unverified_not_failed(tmp_path, step):
    desktop = FakeDesktop([screen(NAME_LABEL, NAME_FIELD, OK)], advance=False)  # its window has the focus
    finished = run(desktop, [step, "click at 250,250"], tmp_path=tmp_path)
    assert [r.status for r in finished.results] == [StepStatus.UNVERIFIED, StepStatus.UNVERIFIED]
    assert finished.status is RunStatus.UNVERIFIED and len(desktop.actuator.operations) == 2  # no retry
    assert "no visible change, but its window has the keyboard focus" in finished.results[0].error


def test_a_button_click_that_changes_nothing_still_fails_with_the_focus(tmp_path):
    desktop = FakeDesktop([screen(NAME_LABEL, NAME_FIELD, OK)], advance=False)
    finished = run(desktop, ['click "OK"'], tmp_path=tmp_path)
    assert finished.status is RunStatus.FAILED and "nothing on screen changed" in finished.results[0].error


def test_a_wait_that_gives_up_accounts_for_the_time_it_waited(tmp_path):
    desktop = FakeDesktop([screen(OK)], advance=False)
    finished = run(desktop, ['wait for "Never shown" to appear up to 1 s'], tmp_path=tmp_path)
    result = finished.results[0]
    assert result.status is StepStatus.FAILED and "did not appear within 1 s" in result.error
    assert result.timings.wait_ms > 0 and result.timings.total_ms >= 900  # not the 1-2 % its looks took
    log = io.StringIO()
    reporting.print_event(StepFinished(index=0, result=result), log)
    assert ", wait " in log.getvalue()
