"""A finished run saved as a task: its steps as written, its parameters, its kept locators — no secret."""
from __future__ import annotations

import json

import pytest
from fakes import FakeDesktop
from test_runner import NAME_FIELD, NAME_LABEL, OK, run, screen

from desktop_agent.core.errors import AgentError
from desktop_agent.grounding.locators import load_locators
from desktop_agent.language.steps import load_task, plan_from_steps
from desktop_agent.run.to_task import save_run_as_task

STEPS = ['type "{who}" into the field right of "Name"', 'click "OK"']


def finished_run(tmp_path):
    from dataclasses import replace

    typed = replace(NAME_FIELD, text="Ada")
    desktop = FakeDesktop([screen(OK, NAME_LABEL, NAME_FIELD), screen(OK, NAME_LABEL, typed, shade=180),
                           screen(OK, NAME_LABEL, typed, shade=150), screen(OK, NAME_LABEL, typed, shade=110)])
    return run(desktop, [], tmp_path=tmp_path, plan=plan_from_steps(STEPS, params={"who": "Ada"}))


def test_a_run_becomes_a_task_with_its_locators(tmp_path):
    finished = finished_run(tmp_path)
    plan = load_task(save_run_as_task(finished.trace, tmp_path / "again.yaml"))
    assert [s.text for s in plan.steps] == STEPS and plan.params == {"who": "Ada"}
    locators = load_locators(plan.assets)
    assert [loc.step for loc in locators] == [1, 2]
    assert locators[1].target == '"OK"' and (plan.assets / locators[1].crop).is_file()


def test_an_existing_task_is_kept_unless_asked(tmp_path):
    finished = finished_run(tmp_path)
    task = tmp_path / "again.yaml"
    task.write_text("keep me")
    with pytest.raises(AgentError, match="--overwrite"):
        save_run_as_task(finished.trace, task)
    assert task.read_text() == "keep me"
    save_run_as_task(finished.trace, task, overwrite=True)
    assert load_task(task).name == "ad-hoc"


def test_a_masked_secret_becomes_a_placeholder(tmp_path):
    folder = tmp_path / "trace"
    folder.mkdir()
    (folder / "events.jsonl").write_text(json.dumps({"kind": "run_started", "name": "Log in", "params": {},
                                                     "steps": ['type "•••" into "Password"']}) + "\n")
    plan = load_task(save_run_as_task(folder, tmp_path / "login.yaml"))
    assert plan.steps[0].text == 'type "{secret:step1}" into "Password"' and plan.assets is None


def test_a_folder_that_is_no_run_is_refused(tmp_path):
    with pytest.raises(AgentError, match="events"):
        save_run_as_task(tmp_path, tmp_path / "x.yaml")
