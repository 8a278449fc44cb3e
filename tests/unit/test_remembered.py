"""Running a task by name from memory: its best-known steps and the parameters it last ran with."""
from __future__ import annotations

import pytest
from test_memory import results

from desktop_agent.core.errors import AgentError, TaskSyntaxError
from desktop_agent.core.results import RunStatus
from desktop_agent.memory.remembered import recall_task, remembered_plan
from desktop_agent.memory.skills import consolidate

ORDER = ['type "{customer}" into the field right of "Customer name"', 'click "Submit order"']


def record(memory, folder, params, status=RunStatus.SUCCEEDED):
    filled = [text.replace("{customer}", params["customer"]) for text in ORDER]
    memory.record_run("Fill the order", ORDER, results(filled), status=status, trace_folder=folder,
                      duration_ms=2000, params=params)


def test_the_best_match_comes_with_its_last_successful_parameters(memory, tmp_path):
    record(memory, tmp_path / "r1", {"customer": "Ada"})
    record(memory, tmp_path / "r2", {"customer": "Grace"})
    record(memory, tmp_path / "r3", {"customer": "Broken"}, status=RunStatus.FAILED)
    found = recall_task(memory, "order")
    assert found.steps == tuple(ORDER) and found.params == {"customer": "Grace"} and found.source == "last run"
    assert "remembered task" in found.describe() and "param customer = Grace" in found.describe()
    plan = remembered_plan(found, {})
    assert plan.name == "Fill the order" and plan.steps[0].action.text == "Grace"
    assert remembered_plan(found, {"customer": "Linus"}).steps[0].action.text == "Linus"


def test_a_consolidated_skill_gives_the_steps(memory, tmp_path):
    record(memory, tmp_path / "r1", {"customer": "Ada"})
    consolidate(memory)
    assert recall_task(memory, "Fill order").source == "skill"


def test_a_secret_parameter_is_not_offered_and_must_be_given(memory, tmp_path):
    steps = ['type "{password}" into the field right of "Password"']
    typed = [steps[0].replace("{password}", "x")]
    memory.record_run("Log in", steps, results(typed, label="Password"), status=RunStatus.SUCCEEDED,
                      trace_folder=tmp_path / "r1", duration_ms=10, params={"password": "hunter2"})
    found = recall_task(memory, "log in")
    assert found.params == {}
    with pytest.raises(TaskSyntaxError, match=r"unknown parameter \{password\}"):
        remembered_plan(found, {})


def test_nothing_remembered_says_so(memory):
    with pytest.raises(AgentError, match='nothing remembered matches "payroll"'):
        recall_task(memory, "payroll")
