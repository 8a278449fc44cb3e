"""The agent launches a program itself (policy-gated), drives it through its menu, and the program's
own output — captured in the run's launched.log — shows what happened."""
from __future__ import annotations

import json
import sys

ALLOW_ALL = "version: 1\ndefault: allow\n"


def test_launch_fill_submit_and_quit_through_the_menu(desktop, tmp_path):
    policy = tmp_path / "allow.yaml"
    policy.write_text(ALLOW_ALL)
    app = f"{sys.executable} -m desktop_agent.demo.sample_app --geometry +500+240"
    run = desktop.agent_process(
        "run", "--json", "--policy", str(policy), "--find-timeout", "10",
        "--step", f'launch "{app}"',
        "--step", 'type "Ada" into the field right of "Customer name"',
        "--step", 'click "Submit order"',
        "--step", 'click "File"',
        "--step", 'click "Quit"',
        "--step", 'wait for "Submit order" to vanish up to 5 s')
    assert run.code == 0, run.stderr
    (trace,) = [p for p in desktop.trace_dir.iterdir() if p.is_dir()]  # next to ledger.sqlite3
    events = [json.loads(line) for line in (trace / "launched.log").read_text().splitlines()]
    assert [e["event"] for e in events] == ["submit"]
    assert events[0]["customer"] == "Ada"
    assert run.json["steps"][3]["strategy"].startswith("text")  # "File" found inside the menu bar line


def test_launch_needs_confirmation_under_the_default_policy(desktop):
    run = desktop.agent_process("run", "--json", "--step", 'launch "xcalc"')
    assert run.code == 1 and run.json["status"] == "stopped"
    assert "launch" in run.json["steps"][0]["error"]
