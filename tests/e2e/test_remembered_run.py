"""A task run once is run again by name from memory, with the parameters it ran with — on the real
sample form, checked through what the form submitted."""
from __future__ import annotations

import json

import pytest
from test_replay import FORM_ONLY_POLICY, submitted

pytestmark = pytest.mark.e2e

TASK = """\
name: Remembered order for {who}
steps:
  - type "{customer}" into the field right of "Customer name"
  - click "Submit order"
params:
  customer: Katherine Johnson
"""


def test_a_task_is_run_again_by_name_with_its_remembered_parameters(desktop, tmp_path):
    policy = tmp_path / "form-only.yaml"
    policy.write_text(FORM_ONLY_POLICY)
    task = tmp_path / "order.yaml"
    task.write_text(TASK.replace(" for {who}", " zebra-17"))
    first = desktop.sample_app()
    assert desktop.agent("run", str(task), "--policy", str(policy)).code == 0
    assert submitted(first)["customer"] == "Katherine Johnson"
    first.stop()

    again = desktop.sample_app(at=(900, 400))
    run = desktop.agent("run", "--remembered", "zebra-17", "--policy", str(policy), "--json")
    assert run.code == 0, run.stderr
    assert 'remembered task' in run.stderr and "param customer = Katherine Johnson" in run.stderr
    assert submitted(again)["customer"] == "Katherine Johnson"
    assert json.loads(run.stdout)["status"] == "succeeded"
