import os
import stat
from pathlib import Path

import pytest

from desktop_agent.language.steps import load_task
from desktop_agent.language.task_file import dump_task, read_task, save_task

STEPS = [
    'type "Ada Lovelace" into the field right of "Customer name"',
    "# a comment step survives as text",
    'type "{email}" into the "Email" field',
    "click OK: now",          # ": " would make a plain YAML scalar a mapping
    "press 1",
    "true",                   # would load as a boolean unquoted
    "- looks like a list",
    "select 'it''s' in the \"Shipping\" combo",
    'type "tab\\there" into "Ünïcödé 名前"',
    "wait for \"Order submitted\" to appear up to 5 s",
]
PARAMS = {"email": "ada@example.org", "port": "8080", "empty": "", "multi": "two\nlines", "sp": "  x  "}


def test_round_trip_reads_back_identically(tmp_path):
    path = tmp_path / "task.yaml"
    save_task(path, name="Fill: the order", steps=STEPS, params=PARAMS,
              policy=tmp_path / "policies" / "p.yaml", workspace=[tmp_path / "orders", Path("/etc/x")])
    task = read_task(path)
    assert task.name == "Fill: the order"
    assert [line.text for line in task.steps] == [s for s in STEPS if not s.startswith("#")]
    assert task.params == PARAMS
    assert task.policy == tmp_path / "policies" / "p.yaml"
    assert task.workspace == (tmp_path / "orders", Path("/etc/x"))
    text = path.read_text(encoding="utf-8")
    assert "policy: policies/p.yaml" in text and "  - orders" in text  # relative to the file's folder
    assert "# a comment step survives as text" in text


def test_saved_plan_equals_the_plan_of_the_same_steps(tmp_path):
    path = tmp_path / "t.yaml"
    steps = ['type "{email}" into the "Email" field', "", 'click "Submit order"']
    save_task(path, name="Order", steps=steps, params={"email": "ada@example.org"})
    plan = load_task(path)
    assert [s.text for s in plan.steps] == ['type "{email}" into the "Email" field', 'click "Submit order"']
    assert plan.steps[0].action.text == "ada@example.org"
    assert plan.policy is None and plan.workspace == ()


def test_dump_is_readable_yaml():
    text = dump_task(name="Save a note", steps=['click "OK"', "press ctrl+s"], params={"who": "Ada"})
    assert text == 'name: Save a note\nsteps:\n  - click "OK"\n  - press ctrl+s\nparams:\n  who: Ada\n'


def test_workspace_equal_to_the_folder_is_written_absolute(tmp_path):
    path = tmp_path / "t.yaml"
    save_task(path, name="n", steps=['click "OK"'], workspace=[tmp_path])
    assert read_task(path).workspace == (tmp_path,)


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "  ", "steps": ['click "OK"']}, "name"),
    ({"name": "n", "steps": ["", "# only a comment"]}, "step"),
    ({"name": "n", "steps": ['click "OK"'], "params": {"bad name": "x"}}, "parameter"),
])
def test_dump_refuses_what_the_loader_would_refuse(kwargs, message):
    with pytest.raises(ValueError, match=message):
        dump_task(**kwargs)


def test_save_replaces_atomically_and_keeps_permissions(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("old", encoding="utf-8")
    os.chmod(path, 0o640)
    save_task(path, name="n", steps=['click "OK"'])
    assert read_task(path).name == "n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["t.yaml"]  # no temporary file left


def test_failed_save_leaves_the_old_file(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("old", encoding="utf-8")
    with pytest.raises(ValueError):
        save_task(path, name="", steps=['click "OK"'])
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.yaml"]


def test_interrupted_save_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "t.yaml"
    path.write_text("old", encoding="utf-8")

    def fail(*_args):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        save_task(path, name="n", steps=['click "OK"'])
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.yaml"]
