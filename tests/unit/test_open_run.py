"""A run whose steps come one at a time (an MCP session's): each step through the runner's own path, a
failed step not ending the run, the guard's limits across all of them, and undo of verified steps."""
from __future__ import annotations

from dataclasses import replace

import pytest
from fakes import FakeDesktop
from test_runner import NAME_FIELD, NAME_LABEL, OK, screen

from desktop_agent.core.actions import KeyChord, MouseClick
from desktop_agent.core.errors import AgentError
from desktop_agent.core.results import RunStatus, StepStatus
from desktop_agent.language.steps import parse_step
from desktop_agent.run.open_run import OpenRun, RunFinishedError
from desktop_agent.run.runner import Runner, RunOptions
from desktop_agent.run.trace import Trace
from desktop_agent.safety.audit import AuditLog, verify_audit
from desktop_agent.safety.guard import Guard
from desktop_agent.safety.policy import load_policy, parse_policy
from desktop_agent.safety.stop import StopToken


def open_run(desktop, tmp_path, *, policy=None) -> OpenRun:
    stop = StopToken()
    guard = Guard(policy=policy or load_policy(None), actuator=desktop.actuator,
                  audit=AuditLog(tmp_path / "audit.jsonl"), stop=stop, own_pids=frozenset({999}))
    runner = Runner(senses=desktop, guard=guard, stop=stop, trace=Trace(tmp_path / "trace"),
                    options=RunOptions(find_timeout_s=0.2, settle_timeout_s=0.5, undo_depth=2))
    return OpenRun(runner, name="session")


def step(run: OpenRun, text: str):
    stepping = run.step(parse_step(text, line=run.next_index + 1))
    while True:
        try:
            next(stepping)
        except StopIteration as done:
            return done.value


def test_a_failed_step_ends_the_call_not_the_run_and_decides_its_status(tmp_path):
    desktop = FakeDesktop([screen(OK), screen(OK, shade=180)])
    run = open_run(desktop, tmp_path)
    assert step(run, 'click "Cancel"').status is StepStatus.FAILED
    assert step(run, 'click "OK"').status is StepStatus.SUCCEEDED
    assert desktop.actuator.operations == [MouseClick(point=OK.box.center)]
    finished = run.finish()
    assert finished.status is RunStatus.FAILED and len(finished.results) == 2
    assert run.finish() is finished  # once
    with pytest.raises(RunFinishedError):
        step(run, 'click "OK"')
    assert verify_audit(tmp_path / "audit.jsonl").ok


def test_the_step_limit_counts_across_the_whole_run(tmp_path):
    policy = parse_policy("version: 1\ndefault: allow\nlimits: {max_steps: 1}\n", source="test")
    desktop = FakeDesktop([screen(OK), screen(OK, shade=180), screen(OK, shade=160)])
    run = open_run(desktop, tmp_path, policy=policy)
    assert step(run, 'click "OK"').status is StepStatus.SUCCEEDED
    second = step(run, 'click "OK"')
    assert second.status is StepStatus.DENIED and "step limit" in second.error
    assert len(desktop.actuator.operations) == 1


def test_undo_takes_back_the_last_verified_step_through_the_guard(tmp_path):
    typed = replace(NAME_FIELD, text="Ada")
    desktop = FakeDesktop([screen(NAME_LABEL, NAME_FIELD), screen(NAME_LABEL, typed, shade=190)])
    run = open_run(desktop, tmp_path)
    assert step(run, 'type "Ada" into the field right of "Name"').status is StepStatus.SUCCEEDED
    ((number, restored),) = run.undo()
    assert number == 1 and "clear the field again (it was empty)" in restored
    assert desktop.actuator.operations[2:] == [MouseClick(point=NAME_FIELD.box.center, count=3),
                                               KeyChord(keys=("delete",))]
    with pytest.raises(AgentError, match="nothing to roll back"):
        run.undo()
    with pytest.raises(AgentError, match="no step 5 in this run"):
        run.undo(to_step=5)


def test_only_the_last_undo_depth_verified_steps_are_kept_for_undoing(tmp_path):
    desktop = FakeDesktop([screen(OK), screen(OK, shade=180), screen(OK, shade=160), screen(OK, shade=140)])
    run = open_run(desktop, tmp_path)  # undo_depth=2
    for _ in range(3):
        assert step(run, 'click "OK"').status is StepStatus.SUCCEEDED
    assert run.runner.undoable == (1, 2)  # indexes: steps 2 and 3; step 1's screen was let go
    assert [number for number, _ in run.undo(to_step=1)] == [3, 2]
    with pytest.raises(AgentError, match="no verified step from step 1 on is kept.*the last 2 verified"):
        run.undo(to_step=1)
