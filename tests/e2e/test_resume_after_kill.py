"""A run killed in the middle of typing, then `desktop-agent resume`d on the real sample form: the form's
own record of the submitted order shows every field once — nothing typed twice, nothing left out."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop_agent.durability.ledger import default_path

pytestmark = pytest.mark.e2e

TASK = Path(__file__).parents[2] / "desktop_agent" / "demo" / "order_task.yaml"
ALLOW_ALL = "version: 1\ndefault: allow\n"  # the default policy would ask before "Submit order"
KILL_AT_STEP = 1  # 0-based: type "{email}" into the "Email" field — killed once its typing has begun


def kill_while_typing(agent: subprocess.Popen, ledger: Path, step: int, timeout_s: float = 90) -> None:
    """SIGKILL `agent` as soon as the ledger (read only) shows the typing of `step` without an outcome."""
    deadline = time.monotonic() + timeout_s
    db = None
    try:
        while time.monotonic() < deadline:
            if agent.poll() is not None:
                pytest.fail(f"the agent exited ({agent.returncode}) before step {step + 1} acted")
            if db is None and Path(f"{ledger}-wal").exists():
                db = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=5)
            if db is not None and _typing(db, step):
                agent.send_signal(signal.SIGKILL)
                agent.wait(timeout=30)
                return
            time.sleep(0.002)
    finally:
        if db is not None:
            db.close()
    pytest.fail(f"step {step + 1} did not act within {timeout_s:g} s")


def _typing(db: sqlite3.Connection, step: int) -> bool:
    try:
        row = db.execute("SELECT 1 FROM actions WHERE step_index = ? AND outcome IS NULL AND "
                         "json_extract(operation_json, '$.type') = 'KeyText'", (step,)).fetchone()
        return row is not None
    except sqlite3.OperationalError:  # the agent has switched the file to WAL but not made its tables yet
        return False


def test_a_run_killed_while_typing_is_resumed_without_typing_twice(desktop, tmp_path):
    app = desktop.sample_app()
    policy = tmp_path / "allow.yaml"
    policy.write_text(ALLOW_ALL)
    trace_dir = str(desktop.trace_dir)
    with (tmp_path / "killed-run.log").open("w") as log:
        agent = subprocess.Popen(
            [sys.executable, "-m", "desktop_agent.cli.main", "run", str(TASK), "--policy", str(policy), "--json",
             "--trace-dir", trace_dir], env={**os.environ, "DISPLAY": desktop.display},
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=tmp_path)
        try:
            kill_while_typing(agent, default_path(desktop.trace_dir), KILL_AT_STEP)
        finally:
            agent.kill()
            agent.wait()
    assert agent.returncode == -signal.SIGKILL
    time.sleep(0.5)  # the xdotool it was typing with is not killed with it, and may type on a moment

    [crashed] = desktop.agent("runs", "--trace-dir", trace_dir, "--json").json
    assert crashed["status"] == "interrupted" and crashed["name"] == "Fill in the sample order"
    [unknown] = crashed["unknown"]
    assert unknown["step_index"] == KILL_AT_STEP
    assert unknown["step_text"] == 'type "{email}" into the "Email" field'
    assert unknown["operation"] == {"type": "KeyText", "text": "ada@example.org"}

    resumed = desktop.agent("resume", crashed["id"], "--policy", str(policy), "--trace-dir", trace_dir,
                            "--json")
    assert resumed.code == 0, resumed.stderr
    assert f"resuming {crashed['id']} at step {KILL_AT_STEP + 1}: " in resumed.stderr
    out = resumed.json
    assert out["status"] == "succeeded"
    assert [s["text"] for s in out["steps"]] == [
        'type "{email}" into the "Email" field', 'select "Express" in the "Shipping" combo',
        'check "Gift wrap"', 'click "Submit order"', 'wait for "Order submitted" to appear up to 5 s']

    # The form's own record: submitted once, every field exactly once.
    submitted = app.wait_for_output(lambda o: '"submit"' in o)
    assert app.events() == [{"event": "submit", "customer": "Ada Lovelace", "email": "ada@example.org",
                             "password_length": 0, "shipping": "Express", "gift_wrap": True,
                             "newsletter": False, "notes": ""}], submitted

    runs = {r["id"]: r for r in desktop.agent("runs", "--trace-dir", trace_dir, "--json").json}
    [new] = [r for r in runs.values() if r["id"] != crashed["id"]]
    assert (new["status"], new["resumes"]) == ("succeeded", crashed["id"])
    assert (runs[crashed["id"]]["status"], runs[crashed["id"]]["resumed_by"]) == ("resumed", new["id"])
    events = [json.loads(line) for line in (Path(out["trace"]) / "events.jsonl").read_text().splitlines()]
    assert events[0]["kind"] == "run_started" and (events[0]["start"], events[0]["unsure"]) == (1, True)
