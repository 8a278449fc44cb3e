"""Grounding that learns: a correction is right the next time, a rejection is not proposed again, and a
place found before settles an ambiguity — with no change to the code or the task."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
from fakes import FakeDesktop

from desktop_agent.compose import grounding_order
from desktop_agent.core.actions import MouseClick
from desktop_agent.core.events import RunFinished
from desktop_agent.core.results import RunStatus, StepStatus
from desktop_agent.core.values import Element, Frame, Point, Rect, Role, Screen, Window
from desktop_agent.grounding.fallbacks import by_words, in_order
from desktop_agent.language.steps import plan_from_steps
from desktop_agent.memory.feedback import task_feedback
from desktop_agent.memory.recall import Recall
from desktop_agent.perception.templates import match_template
from desktop_agent.run.runner import Runner, RunOptions
from desktop_agent.run.trace import Trace
from desktop_agent.safety.approvals import Approval, Correction
from desktop_agent.safety.audit import AuditLog
from desktop_agent.safety.guard import Guard
from desktop_agent.safety.policy import load_policy
from desktop_agent.safety.stop import StopToken

HEADING = Element(role=Role.TEXT, box=Rect(left=150, top=120, width=70, height=18), text="Export", window_id=1)
BUTTON = Element(role=Role.BUTTON, box=Rect(left=300, top=300, width=110, height=30), text="Export data",
                 window_id=1)
OTHER_OK = Element(role=Role.BUTTON, box=Rect(left=600, top=200, width=60, height=30), text="OK", window_id=2)
OK = Element(role=Role.BUTTON, box=Rect(left=200, top=400, width=60, height=30), text="OK", window_id=1)


def window(left=100, top=100, id=1, title="Reports", wm_class="reports", width=400, height=360):
    return Window(id=id, title=title, wm_class=wm_class, box=Rect(left=left, top=top, width=width, height=height))


def screen(*elements, windows=(window(),), shade=200, shift=Point(x=0, y=0)):
    """Each element is drawn as its own noise pattern, so that its crop is found only where it is."""
    image = np.full((600, 800, 3), 40, np.uint8)
    for w in windows:
        image[w.box.top:w.box.bottom, w.box.left:w.box.right] = shade
    moved = []
    for element in elements:
        box = Rect(left=element.box.left + shift.x, top=element.box.top + shift.y, width=element.box.width,
                   height=element.box.height)
        seed = sum(map(ord, element.text))  # alike elements look alike, in any window
        image[box.top:box.bottom, box.left:box.right] = np.random.default_rng(seed).integers(
            0, 255, (box.height, box.width, 3), np.uint8)
        moved.append(Element(role=element.role, box=box, text=element.text, window_id=element.window_id))
    return Screen(frame=Frame(image=image, region=Rect(left=0, top=0, width=800, height=600)),
                  elements=tuple(moved), windows=tuple(windows))


def run(desktop, steps, memory, tmp_path, name, *, approver=None, approve_every_step=False, dry_run=False,
        task="Export report"):
    stop = StopToken()
    trace = Trace(tmp_path / name)
    guard = Guard(policy=load_policy(None), actuator=desktop.actuator, audit=AuditLog(tmp_path / f"{name}.jsonl"),
                  stop=stop, approver=approver, approve_every_step=approve_every_step, own_pids=frozenset({999}))
    recall = Recall(store=memory, run_id=name, match_template=match_template, task=task, learns=not dry_run)
    runner = Runner(senses=desktop, guard=guard, stop=stop, trace=trace,
                    options=RunOptions(dry_run=dry_run, find_timeout_s=0.2, settle_timeout_s=0.3),
                    grounder=in_order(grounding_order(words=by_words(match_template, tmp_path), recall=recall)), memory=memory,
                    recall=recall)
    finished = list(runner.run(plan_from_steps(steps)))[-1]
    assert isinstance(finished, RunFinished)
    return finished


def test_a_target_grounded_wrongly_once_is_right_the_next_time(memory, tmp_path):
    proposals = []

    def person(proposal):
        proposals.append(proposal.request.target.point)
        if len(proposals) == 1:  # the words found the heading; the person points at the button
            return Correction(point=BUTTON.box.center)
        return Approval.APPROVE

    first = FakeDesktop([screen(HEADING, BUTTON), screen(HEADING, BUTTON, shade=180)])
    result = run(first, ['click "Export"'], memory, tmp_path, "first", approver=person, approve_every_step=True)
    assert result.status is RunStatus.SUCCEEDED
    assert proposals[0] == HEADING.box.center  # wrong the first time

    # The window moved since: the remembered place is relative to it, and its look is checked there.
    moved = window(left=160, top=140)
    shift = Point(x=60, y=40)
    second = FakeDesktop([screen(HEADING, BUTTON, windows=(moved,), shift=shift),
                          screen(HEADING, BUTTON, windows=(moved,), shift=shift, shade=180)])
    again = run(second, ['click "Export"'], memory, tmp_path, "second")
    assert again.status is RunStatus.SUCCEEDED
    target = again.results[0].target
    assert target.strategy == "remembered-correction"
    assert second.actuator.operations == [MouseClick(point=Point(x=BUTTON.box.center.x + 60,
                                                                 y=BUTTON.box.center.y + 40))]


def test_a_skip_is_not_now_and_teaches_nothing(memory, tmp_path):
    first = FakeDesktop([screen(HEADING, BUTTON)])
    skipped = run(first, ['click "Export"'], memory, tmp_path, "first", approver=lambda p: Approval.SKIP,
                  approve_every_step=True)
    assert skipped.results[0].status is StepStatus.SKIPPED

    asked = []
    second = FakeDesktop([screen(HEADING, BUTTON), screen(HEADING, BUTTON, shade=180)])
    again = run(second, ['click "Export"'], memory, tmp_path, "second",
                approver=lambda p: asked.append(p) or Approval.APPROVE, approve_every_step=True)
    assert again.status is RunStatus.SUCCEEDED and len(asked) == 1
    assert second.actuator.operations == [MouseClick(point=HEADING.box.center)]


def test_a_proposal_a_person_rewrote_the_step_for_is_not_proposed_again_and_says_how_to_undo(memory, tmp_path):
    answers = iter([Correction(step_text='click "Export data"'), Approval.APPROVE])
    first = FakeDesktop([screen(HEADING, BUTTON), screen(HEADING, BUTTON, shade=180)])
    rewritten = run(first, ['click "Export"'], memory, tmp_path, "first", approver=lambda p: next(answers),
                    approve_every_step=True)
    assert rewritten.status is RunStatus.SUCCEEDED

    asked = []
    second = FakeDesktop([screen(HEADING, BUTTON)])
    again = run(second, ['click "Export"'], memory, tmp_path, "second",
                approver=lambda p: asked.append(p) or Approval.APPROVE, approve_every_step=True)
    assert again.status is RunStatus.FAILED and asked == [] and second.actuator.operations == []
    assert "rejected" in again.results[0].error
    assert "desktop-agent memory unlearn '\"Export\"' --only rejection" in again.results[0].error

    dry = run(FakeDesktop([screen(HEADING, BUTTON)]), ['click "Export"'], memory, tmp_path, "dry", dry_run=True)
    assert dry.status is RunStatus.FAILED and dry.results[0].error == again.results[0].error  # grounds alike


def test_a_rewrite_that_keeps_the_target_rejects_nothing(memory, tmp_path):
    answers = iter([Correction(step_text='double-click "Export"'), Approval.APPROVE])
    first = FakeDesktop([screen(HEADING, BUTTON), screen(HEADING, BUTTON, shade=180)])
    assert run(first, ['click "Export"'], memory, tmp_path, "first", approver=lambda p: next(answers),
               approve_every_step=True).status is RunStatus.SUCCEEDED
    second = FakeDesktop([screen(HEADING, BUTTON), screen(HEADING, BUTTON, shade=180)])
    again = run(second, ['click "Export"'], memory, tmp_path, "second", approver=lambda p: Approval.APPROVE,
                approve_every_step=True)
    assert again.status is RunStatus.SUCCEEDED and second.actuator.operations == [MouseClick(point=HEADING.box.center)]


def test_a_place_found_before_settles_an_ambiguity_later(memory, tmp_path):
    first = FakeDesktop([screen(OK), screen(OK, shade=180)])
    assert run(first, ['click "OK"'], memory, tmp_path, "first").status is RunStatus.SUCCEEDED

    dialog = window(left=560, top=150, id=2, title="Confirm", wm_class="confirm", width=200, height=150)
    both = (window(), dialog)
    second = FakeDesktop([screen(OK, OTHER_OK, windows=both), screen(OK, OTHER_OK, windows=both, shade=180)])
    again = run(second, ['click "OK"'], memory, tmp_path, "second")
    assert again.status is RunStatus.SUCCEEDED
    assert again.results[0].target.strategy == "remembered"
    assert "the words match 2 element(s) here; memory chose where step 1 of this task found it" in (
        again.results[0].target.why)
    assert second.actuator.operations == [MouseClick(point=OK.box.center)]


def test_a_place_another_task_found_does_not_settle_an_ambiguity(memory, tmp_path):
    first = FakeDesktop([screen(OK), screen(OK, shade=180)])
    assert run(first, ['click "OK"'], memory, tmp_path, "first", task="Other task").status is RunStatus.SUCCEEDED

    dialog = window(left=560, top=150, id=2, title="Confirm", wm_class="confirm", width=200, height=150)
    both = (window(), dialog)
    second = FakeDesktop([screen(OK, OTHER_OK, windows=both)])
    again = run(second, ['click "OK"'], memory, tmp_path, "second")
    assert again.status is RunStatus.FAILED and second.actuator.operations == []
    assert "matches" in again.results[0].error  # ambiguous, as without memory


def test_a_place_found_at_another_step_of_the_task_does_not_settle_it_either(memory, tmp_path):
    first = FakeDesktop([screen(OK), screen(OK, shade=180)])
    assert run(first, ['click "OK"'], memory, tmp_path, "first").status is RunStatus.SUCCEEDED
    dialog = window(left=560, top=150, id=2, title="Confirm", wm_class="confirm", width=200, height=150)
    both = (window(), dialog)
    second = FakeDesktop([screen(OK, OTHER_OK, windows=both)], advance=False)
    again = run(second, ['wait for "OK" to appear', 'click "OK"'], memory, tmp_path, "second")
    assert again.results[-1].status is StepStatus.FAILED and second.actuator.operations == []


def test_a_remembered_place_that_no_longer_looks_right_is_not_used(memory, tmp_path):
    first = FakeDesktop([screen(OK), screen(OK, shade=180)])
    run(first, ['click "OK"'], memory, tmp_path, "first")
    relabelled = Element(role=Role.BUTTON, box=OK.box, text="OK!", window_id=1)  # draws another pattern
    dialog = window(left=560, top=150, id=2, title="Confirm", wm_class="confirm", width=200, height=150)
    ambiguous = FakeDesktop([screen(relabelled, OTHER_OK, windows=(window(), dialog))])
    ambiguous.screens[0] = Screen(frame=ambiguous.screens[0].frame, windows=ambiguous.screens[0].windows,
                                  elements=(OK, OTHER_OK))  # the words still read "OK" twice
    failed = run(ambiguous, ['click "OK"'], memory, tmp_path, "second")
    assert failed.status is RunStatus.FAILED and ambiguous.actuator.operations == []


def test_approvals_corrections_and_rejections_are_remembered_as_feedback(memory, tmp_path):
    answers = iter([Correction(point=BUTTON.box.center), Approval.APPROVE])
    desktop = FakeDesktop([screen(HEADING, BUTTON), screen(HEADING, BUTTON, shade=180)])
    run(desktop, ['click "Export"'], memory, tmp_path, "first", approver=lambda p: next(answers),
        approve_every_step=True)
    task = memory.tasks()[0]
    kinds = [f.kind.value for f in task_feedback(memory, task.id)]
    assert kinds == ["corrected", "approved"]


def test_a_field_among_alike_fields_is_found_again_by_its_landmark(memory, tmp_path):
    """Empty fields look the same: the remembered look alone can't tell the Name field from the Email
    field below it, the landmark text it was remembered with can."""
    def form(window_id: int, dx: int, dy: int) -> tuple[Element, ...]:
        def at(element: Element) -> Element:
            box = element.box
            return replace(element, window_id=window_id,
                           box=Rect(left=box.left + dx, top=box.top + dy, width=box.width, height=box.height))
        return tuple(at(e) for e in (
            Element(role=Role.TEXT, box=Rect(left=120, top=150, width=50, height=16), text="Name"),
            Element(role=Role.FIELD, box=Rect(left=200, top=145, width=200, height=26), label="Name"),
            Element(role=Role.TEXT, box=Rect(left=120, top=190, width=50, height=16), text="Email"),
            Element(role=Role.FIELD, box=Rect(left=200, top=185, width=200, height=26), label="Email"),
            Element(role=Role.TEXT, box=Rect(left=120, top=110, width=90, height=16), text="New order")))

    one = screen(*form(1, 0, 0))
    typed = replace(one.elements[1], text="Ada")
    first = FakeDesktop([one, replace(screen(*form(1, 0, 0), shade=180),
                                      elements=(*one.elements[:1], typed, *one.elements[2:]))])
    step = ['type "Ada" into the field right of "Name"']
    assert run(first, step, memory, tmp_path, "first").status is RunStatus.SUCCEEDED

    other = window(left=300, top=200, id=2)  # a second form of the same application, on top
    both = screen(*form(1, 0, 0), *form(2, 200, 100), windows=(window(), other))
    second = FakeDesktop([both], advance=False)
    again = run(second, step, memory, tmp_path, "second")
    target = again.results[0].target
    assert target.strategy == "remembered"
    assert target.point == Point(x=500, y=258)  # the top form's Name field, not its Email field
