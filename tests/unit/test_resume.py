"""Where an interrupted run is resumed, what a run keeps to be resumable, and what is refused."""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from desktop_agent.cli import main as cli
from desktop_agent.core.actions import TypeText
from desktop_agent.core.errors import AgentError
from desktop_agent.core.results import StepResult, StepStatus
from desktop_agent.durability.ledger import Ledger, RunSource, default_path
from desktop_agent.durability.owner import Owner
from desktop_agent.durability.resume import plan_resume, run_source
from desktop_agent.language.steps import load_task, plan_from_steps
from desktop_agent.run.trace import Trace
from desktop_agent.safety.policy import load_policy

GONE = Owner(pid=os.getpid(), started="-1")  # this pid, another process: the owner crashed
TASK = """\
name: Order
steps:
  - type "{customer}" into the "Name" field
  - type "{email}" into the "Email" field
  - type "{password}" into the "Password" field
  - check "Gift wrap"
  - click "Submit order"
params:
  email: ada@example.org
"""
PARAMS = {"customer": "Ada", "password": "hunter2"}
CLICK = {"type": "MouseClick", "point": {"type": "Point", "x": 1, "y": 2}, "button": "left", "count": 1}


@pytest.fixture
def ledger(tmp_path: Path):
    with Ledger.open(default_path(tmp_path / "traces")) as opened:
        yield opened


@pytest.fixture
def task(tmp_path: Path) -> Path:
    path = tmp_path / "order.yaml"
    path.write_text(TASK)
    return path


def start(ledger: Ledger, tmp_path: Path, task: Path, *, run_id: str = "run-1", owner: Owner = GONE,
          resumes: str | None = None, first: int = 0) -> tuple[Trace, RunSource]:
    """A run of `task` started as `desktop-agent run` would, its trace at `first`."""
    plan = load_task(task, params=PARAMS)
    source = run_source(plan, task=task, steps=(), params=PARAMS, policy=load_policy(None))
    trace = Trace(tmp_path / "traces" / run_id)
    ledger.start_run(run_id, plan.name, trace.folder, source=source, owner=owner, resumes=resumes)
    trace.event("run_started", name=plan.name, steps=[s.text for s in plan.steps], start=first, unsure=False)
    return trace, source


def finish_steps(ledger: Ledger, trace: Trace, indexes: Sequence[int], run_id: str = "run-1") -> None:
    plan = plan_from_steps(['click "OK"'])
    for index in indexes:
        ledger.outcome(run_id, ledger.intent(run_id, index, f"step {index}", CLICK), "done")
        trace.event("step_finished", index=index,
                    result=StepResult(step=plan.steps[0], status=StepStatus.SUCCEEDED, verified=True))


def test_an_unknown_outcome_in_step_3_resumes_step_3_unsure(ledger, tmp_path, task):
    trace, _ = start(ledger, tmp_path, task)
    finish_steps(ledger, trace, [0, 1])
    ledger.outcome("run-1", ledger.intent("run-1", 2, 'type "•••" into "Password"', CLICK), "done")
    ledger.intent("run-1", 2, 'type "•••" into "Password"', {"type": "KeyText", "text": "•••"})
    point = plan_resume(ledger, "run-1", params={"password": "hunter2"})
    assert (point.run, point.start, point.unsure) == ("run-1", 2, True)
    assert "step 3" in point.why and "KeyText" in point.why and "hunter2" not in point.why
    assert point.plan.steps[2].action == TypeText(text="hunter2", target=point.plan.steps[2].action.target)
    assert point.plan.steps[0].action.text == "Ada"  # kept params are given back


def test_a_clean_crash_between_steps_resumes_the_next_step_not_unsure(ledger, tmp_path, task):
    trace, _ = start(ledger, tmp_path, task)
    finish_steps(ledger, trace, [0, 1])
    point = plan_resume(ledger, "run-1", params={"password": "pw"})
    assert (point.start, point.unsure) == (2, False)
    assert "before step 3" in point.why and "steps 1-2 had finished" in point.why


def test_a_step_that_acted_but_was_not_checked_is_unsure(ledger, tmp_path, task):
    trace, _ = start(ledger, tmp_path, task)
    finish_steps(ledger, trace, [0])
    ledger.outcome("run-1", ledger.intent("run-1", 1, "step 1", CLICK), "done")  # killed while settling
    point = plan_resume(ledger, "run-1", params={"password": "pw"})
    assert (point.start, point.unsure) == (1, True)


def test_an_interrupted_resumed_run_counts_the_steps_its_first_run_finished(ledger, tmp_path, task):
    trace, _ = start(ledger, tmp_path, task)
    finish_steps(ledger, trace, [0, 1])
    assert plan_resume(ledger, "run-1", params={"password": "pw"}).start == 2
    again, _ = start(ledger, tmp_path, task, run_id="run-2", resumes="run-1", first=2)
    finish_steps(ledger, again, [2], run_id="run-2")
    point = plan_resume(ledger, "run-2", params={"password": "pw"})
    assert (point.run, point.start, point.unsure) == ("run-2", 3, False)
    with pytest.raises(AgentError, match="already resumed by run run-2"):
        plan_resume(ledger, "run-1", params={"password": "pw"})


def test_a_running_run_is_refused(ledger, tmp_path, task):
    start(ledger, tmp_path, task, owner=Owner.current())
    with pytest.raises(AgentError, match=f"still running \\(process {os.getpid()}\\)"):
        plan_resume(ledger, "run-1", params={"password": "pw"})


def test_a_finished_run_is_refused(ledger, tmp_path, task):
    trace, _ = start(ledger, tmp_path, task)
    finish_steps(ledger, trace, range(5))
    ledger.finish_run("run-1", "succeeded")
    with pytest.raises(AgentError, match="finished \\(succeeded\\): there is nothing to resume"):
        plan_resume(ledger, "run-1", params={"password": "pw"})


def test_an_unknown_run_is_refused(ledger):
    with pytest.raises(AgentError, match="no run 'nope' in the run ledger"):
        plan_resume(ledger, "nope", params={})


def test_a_changed_task_file_is_refused(ledger, tmp_path, task):
    trace, source = start(ledger, tmp_path, task)
    assert source.task == task.absolute() and len(source.task_sha256) == 64
    finish_steps(ledger, trace, [0])
    task.write_text(TASK.replace("Gift wrap", "Newsletter"))
    with pytest.raises(AgentError, match=f"task file {task} changed since run run-1 started"):
        plan_resume(ledger, "run-1", params={"password": "pw"})


def test_a_secret_param_is_not_kept_and_must_be_given_again(ledger, tmp_path, task):
    trace, source = start(ledger, tmp_path, task)
    assert source.params == {"customer": "Ada"} and source.withheld == ("password",)
    assert b"hunter2" not in ledger.path.read_bytes() + Path(f"{ledger.path}-wal").read_bytes()
    finish_steps(ledger, trace, [0])
    with pytest.raises(AgentError, match="started with --param password, which look secret") as caught:
        plan_resume(ledger, "run-1", params={})
    assert "--param password=VALUE" in str(caught.value)
    with pytest.raises(AgentError, match="--param customer differs"):
        plan_resume(ledger, "run-1", params={"password": "pw", "customer": "Grace"})


def test_a_param_typed_into_a_secret_field_is_withheld_whatever_its_name():
    plan = plan_from_steps(['type "{pin2}" into the "Password" field', 'type "{name}" into "Name"'],
                           params={"pin2": "1234", "name": "Ada"})
    source = run_source(plan, task=None, steps=['type "{pin2}" into the "Password" field',
                                                'type "{name}" into "Name"'],
                        params={"pin2": "1234", "name": "Ada"}, policy=load_policy(None))
    assert (source.params, source.withheld) == ({"name": "Ada"}, ("pin2",))
    assert source.steps == ('type "{pin2}" into the "Password" field', 'type "{name}" into "Name"')


def test_steps_with_a_secret_written_into_them_are_not_kept():
    steps = ['type "hunter2" into the "Password" field']
    assert run_source(plan_from_steps(steps), task=None, steps=steps, params={},
                      policy=load_policy(None)) is None


def test_steps_typing_a_keyring_secret_are_kept_with_their_placeholder():
    steps = ['type "{secret:pw}" into the "Password" field']
    source = run_source(plan_from_steps(steps), task=None, steps=steps, params={}, policy=load_policy(None))
    assert source is not None and source.steps == tuple(steps)


def test_ad_hoc_steps_are_rebuilt_from_the_ledger(ledger, tmp_path):
    steps = ['click "OK"', 'type "{who}" into "Name"', 'click "Save"']
    plan = plan_from_steps(steps, params={"who": "Ada"})
    trace = Trace(tmp_path / "traces" / "adhoc")
    ledger.start_run("adhoc", plan.name, trace.folder, owner=GONE, source=run_source(
        plan, task=None, steps=steps, params={"who": "Ada"}, policy=load_policy(None)))
    trace.event("run_started", name=plan.name, steps=steps, start=0, unsure=False)
    finish_steps(ledger, trace, [0], run_id="adhoc")
    point = plan_resume(ledger, "adhoc", params={})
    assert point.plan == plan and (point.start, point.unsure) == (1, False)


def test_resume_command_without_a_ledger_creates_nothing(tmp_path, capsys):
    assert cli.main(["resume", "run-1", "--trace-dir", str(tmp_path)]) == cli.EXIT_BAD_INPUT
    assert "no run ledger" in capsys.readouterr().err and not default_path(tmp_path).exists()


def test_resume_command_refuses_before_acting(ledger, tmp_path, task, capsys):
    start(ledger, tmp_path, task, owner=Owner.current())
    code = cli.main(["resume", "run-1", "--trace-dir", str(tmp_path / "traces"), "--param", "password=x"])
    assert code == cli.EXIT_BAD_INPUT and "still running" in capsys.readouterr().err
