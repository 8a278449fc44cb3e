"""The person stays in control: approve-each-step in the terminal, the global stop hotkey, and targets
given as images — checked through what the real applications printed."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2

from desktop_agent.core.values import Rect
from desktop_agent.screen.capture import Grabber

ALLOW_ALL = "version: 1\ndefault: allow\n"


def submits(app) -> list[dict]:
    return [e for e in app.events() if e.get("event") == "submit"]


def test_approve_each_step_in_the_terminal(desktop):
    app = desktop.sample_app()
    run = desktop.agent("run", "--approve", "--json",
                        "--step", 'type "Ada" into the field right of "Customer name"',
                        "--step", 'check "Gift wrap"',
                        "--step", 'click "Submit order"',
                        stdin="a\ns\na\n")  # approve, skip, approve
    report = run.json
    assert [s["status"] for s in report["steps"]] == ["succeeded", "skipped", "succeeded"], run.stderr
    assert run.stderr.count("[a]pprove, [s]kip, [q]uit?") == 3
    assert "screenshot:" in run.stderr and "policy: confirm" in run.stderr
    app.wait_for_output(lambda out: "submit" in out)
    (order,) = submits(app)
    assert order["customer"] == "Ada" and order["gift_wrap"] is False


def test_quit_at_the_approval_prompt_stops_before_acting(desktop):
    app = desktop.sample_app()
    run = desktop.agent("run", "--approve", "--json", "--step", 'click "Submit order"', stdin="q\n")
    assert run.code == 1 and run.json["status"] == "stopped"
    app.assert_quiet()


def polling(trace_dir: Path, *, within_s: float = 60.0) -> None:
    """Return once the run has had its first look (model load and a full read: seconds on a busy
    machine) and polls the screen for the awaited text: its trace says it is waiting."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if any('"kind": "waiting"' in log.read_text() for log in trace_dir.glob("*/events.jsonl")):
            return
        time.sleep(0.05)
    raise AssertionError(f"the run was not waiting after {within_s:.0f} s")


def stop_a_waiting_run(desktop, brake: Callable[[], None]) -> tuple[int, dict, float]:
    """Start a run that waits a minute for text that never comes, pull `brake` once it is polling;
    returns the exit code, the --json object and the seconds from brake to exit."""
    desktop.sample_app()
    agent = subprocess.Popen(
        [sys.executable, "-m", "desktop_agent.cli.main", "run", "--json", "--trace-dir",
         str(desktop.trace_dir), "--step", 'wait for "Never shown" to appear up to 60 s'],
        env={**os.environ, "DISPLAY": desktop.display}, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        polling(desktop.trace_dir)
        pulled = time.monotonic()
        brake()
        out, err = agent.communicate(timeout=20)
        elapsed = time.monotonic() - pulled
    finally:
        agent.kill()
        agent.wait()
    assert out, err
    return agent.returncode, json.loads(out), elapsed


def test_stop_hotkey_ends_a_waiting_run(desktop):
    code, result, elapsed = stop_a_waiting_run(desktop, lambda: desktop.xdotool("key", "ctrl+alt+q"))
    assert code == 1 and result["status"] == "stopped"
    assert "stop hotkey" in result["steps"][0]["error"]
    assert elapsed < 5.0


def test_pointer_in_a_corner_stops_a_waiting_run(desktop):
    code, result, elapsed = stop_a_waiting_run(desktop, lambda: desktop.xdotool("mousemove", "0", "0"))
    assert code == 1 and result["status"] == "stopped"
    assert "fail-safe" in result["steps"][0]["error"]
    assert elapsed < 5.0


def test_image_target_clicks_the_matching_button(desktop, tmp_path):
    app = desktop.sample_app(at=(500, 260))
    button = app.point(25, 368)  # top-left of "Submit order" in the form's layout
    frame = Grabber(display=desktop.display).grab(Rect(left=button.x, top=button.y, width=140, height=28))
    template = tmp_path / "submit.png"
    cv2.imwrite(str(template), frame.image)
    (tmp_path / "allow.yaml").write_text(ALLOW_ALL)
    run = desktop.agent("run", "--json", "--policy", str(tmp_path / "allow.yaml"),
                        "--step", f"click image:{template}")
    assert run.code == 0, run.stderr
    step = run.json["steps"][0]
    assert step["strategy"] == "template"
    left, top, _, _ = step["target"]["box"]
    assert abs(left - button.x) <= 2 and abs(top - button.y) <= 2
    app.wait_for_output(lambda out: "submit" in out)
    assert len(submits(app)) == 1


def test_typing_non_ascii_into_a_qt_field(desktop):
    app = desktop.launch([sys.executable, "-m", "tests.apps.qt_form", "300"], title="Qt Form",
                         name="qt-form")
    text = "Zoë O'Brien-Smith #42 (A&B) @x.y 東京"
    run = desktop.agent("run", "--json", "--step", f'type "{text}" into the "Name" field',
                        "--step", "press Enter")
    steps = run.json["steps"]
    # The text model can't read 東京 back; Qt's accessibility tree holds the field's text, checked whole.
    assert [s["status"] for s in steps] == ["succeeded", "succeeded"], run.stderr
    assert steps[0]["found_by"] == "a11y" and run.code == 0
    assert app.wait_exit() == 0
    assert json.loads(app.output) == {"name": text}

