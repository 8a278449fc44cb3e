"""Resuming an interrupted run: the step whose outcome is unknown is never repeated blindly."""
from __future__ import annotations

from dataclasses import replace

from fakes import FakeDesktop
from test_runner import NAME_FIELD, NAME_LABEL, OK, run, screen

from desktop_agent.core.actions import KeyText, MouseClick
from desktop_agent.core.results import RunStatus, StepStatus
from desktop_agent.safety.approvals import Approval

STEPS = ['click "OK"', 'type "Ada" into the field right of "Name"', 'click "OK"']


def test_typing_already_seen_in_its_field_is_not_done_again(tmp_path):
    typed = replace(NAME_FIELD, text="Ada")
    desktop = FakeDesktop([screen(OK, NAME_LABEL, typed), screen(OK, NAME_LABEL, typed, shade=180)])
    finished = run(desktop, STEPS, tmp_path=tmp_path, start=1, unsure=True)
    assert finished.status is RunStatus.SUCCEEDED
    assert [r.step.text for r in finished.results] == STEPS[1:]  # step 1 finished before the crash
    assert finished.results[0].verified and finished.results[0].attempts == 1
    assert desktop.actuator.operations == [MouseClick(point=OK.box.center)]  # only the last step acted


def test_typing_not_seen_is_done_again_replacing_what_the_field_holds(tmp_path):
    half = replace(NAME_FIELD, text="A")
    typed = replace(NAME_FIELD, text="Ada")
    desktop = FakeDesktop([screen(NAME_LABEL, half), screen(NAME_LABEL, typed, shade=180)])
    finished = run(desktop, STEPS[1:2], tmp_path=tmp_path, unsure=True)
    assert finished.status is RunStatus.SUCCEEDED
    assert desktop.actuator.operations == [MouseClick(point=NAME_FIELD.box.center, count=3),
                                           KeyText(text="Ada")]


def test_an_unsure_click_with_nobody_to_ask_stops_without_acting(tmp_path):
    desktop = FakeDesktop([screen(OK)])
    finished = run(desktop, STEPS[:1], tmp_path=tmp_path, unsure=True)
    assert finished.status is RunStatus.STOPPED
    assert "interrupted while this step was acting" in finished.results[0].error
    assert desktop.actuator.operations == []


def test_an_unsure_click_acts_once_a_person_approves_it(tmp_path):
    asked = []
    desktop = FakeDesktop([screen(OK), screen(OK, shade=180)])

    def approver(proposal):
        asked.append(proposal.reason_for_asking)
        return Approval.APPROVE

    finished = run(desktop, STEPS[:1], tmp_path=tmp_path, unsure=True, approver=approver)
    assert finished.status is RunStatus.SUCCEEDED and len(asked) == 1
    assert desktop.actuator.operations == [MouseClick(point=OK.box.center)]


def test_a_skipped_unsure_click_is_reported_skipped(tmp_path):
    desktop = FakeDesktop([screen(OK)])
    finished = run(desktop, STEPS[:1], tmp_path=tmp_path, unsure=True,
                        approver=lambda proposal: Approval.SKIP)
    assert finished.results[0].status is StepStatus.SKIPPED and desktop.actuator.operations == []
