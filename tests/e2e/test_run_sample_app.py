"""`desktop-agent run` against the bundled sample order form on a real X server.

What the agent achieved is read from the application itself — the JSON line it prints on Submit — never
from the agent's own OCR. The form is read back with plain xdotool clicks where the agent must not act.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from desktop_agent.core.values import Point, Rect

pytestmark = pytest.mark.e2e

TASK = Path(__file__).parents[2] / "desktop_agent" / "demo" / "order_task.yaml"
SUBMIT_BUTTON = (95, 382)  # window-relative, see test_sample_app.py
EMPTY_ORDER = {"event": "submit", "customer": "", "email": "", "password_length": 0,
               "shipping": "Standard", "gift_wrap": False, "newsletter": False, "notes": ""}

ORDER_STEPS = [
    'type "Grace Hopper" into the field right of "Customer name"',
    'fill the "Email" field with "grace@example.org"',
    'type "S3cret-pw" into the "Password" field',
    'select "Overnight" in the "Shipping" combo',
    'check "Newsletter"',
    'click "Submit order"',
    'wait for "Order submitted" to appear up to 5 s',
]
# Only this form, and nothing else: a stricter policy than the default, which also allows Submit.
FORM_ONLY_POLICY = """\
version: 1
default: deny
rules:
  - decision: allow
    actions: [type, select, check, click, wait]
    window_title: '^Sample Order Form$'
    reason: "the test's own order form"
"""
STEP_KEYS = {"text", "line", "action", "status", "target", "strategy", "found_by", "verdict", "verified",
             "error", "attempts", "retried_because", "timings_ms"}
TIMING_KEYS = {"capture", "perceive", "ground", "act", "settle", "verify", "wait", "total"}


def steps_args(steps: list[str]) -> list[str]:
    return [arg for step in steps for arg in ("--step", step)]


def submit_by_hand(desktop, app) -> dict:
    """Press Submit with xdotool (not the agent) and return what the form submitted."""
    desktop.click(app.point(*SUBMIT_BUTTON))
    app.wait_for_output(lambda out: '"submit"' in out)
    return [e for e in app.events() if e["event"] == "submit"][-1]


def assert_step_shape(step: dict, window: Rect) -> None:
    assert set(step) == STEP_KEYS
    assert set(step["timings_ms"]) == TIMING_KEYS
    assert all(isinstance(v, (int, float)) and v >= 0 for v in step["timings_ms"].values())
    assert step["timings_ms"]["total"] > 0
    left, top, width, height = step["target"]["box"]
    x, y = step["target"]["point"]
    assert width > 0 and height > 0
    assert Rect(left=left, top=top, width=width, height=height).contains(Point(x=x, y=y))
    assert window.contains(Point(x=x, y=y)), f"{step['text']}: point {x},{y} is outside {window}"
    assert isinstance(step["strategy"], str) and step["strategy"]


def assert_trace(run_json: dict, shots: int) -> None:
    trace = Path(run_json["trace"])
    assert (trace / "events.jsonl").stat().st_size > 0
    assert Path(run_json["report"]) == trace / "report.html" and (trace / "report.html").is_file()
    pngs = sorted((trace / "shots").glob("*.png"))
    assert len(pngs) >= shots, pngs
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)


def test_steps_fill_and_submit_the_form_when_the_policy_allows_it(desktop, tmp_path):
    app = desktop.sample_app()
    window = app.box()
    policy = tmp_path / "form-only.yaml"
    policy.write_text(FORM_ONLY_POLICY)

    run = desktop.agent("run", *steps_args(ORDER_STEPS), "--policy", str(policy), "--json")

    assert run.code == 0, run.stderr
    out = run.json
    assert out["status"] == "succeeded"
    assert [s["text"] for s in out["steps"]] == ORDER_STEPS
    assert [s["action"] for s in out["steps"]] == ["type", "type", "type", "select", "check", "click",
                                                   "wait"]
    for step in out["steps"]:
        assert_step_shape(step, window)
        assert step["status"] == "succeeded" and step["error"] is None
        assert step["verified"] is True
    assert [s["verdict"]["decision"] for s in out["steps"][:-1]] == ["allow"] * 6
    assert_trace(out, shots=6)
    # The application's own record of what was submitted, exactly once.
    submitted = app.wait_for_output(lambda o: '"submit"' in o)
    assert app.events() == [{"event": "submit", "customer": "Grace Hopper", "email": "grace@example.org",
                             "password_length": 9, "shipping": "Overnight", "gift_wrap": False,
                             "newsletter": True, "notes": ""}], submitted
    # The password went into the form, but the audit log only shows it masked.
    audit = (Path(out["trace"]) / "audit.jsonl").read_text(encoding="utf-8")
    assert "S3cret-pw" not in audit and "•••" in audit


def test_task_file_with_the_default_policy_and_nobody_to_ask_stops_before_submit(desktop):
    app = desktop.sample_app(at=(700, 300))
    window = app.box()

    run = desktop.agent("run", str(TASK), "--json")

    assert run.code == 1
    out = run.json
    assert out["status"] == "stopped"
    assert [s["status"] for s in out["steps"]] == ["succeeded"] * 4 + ["stopped"]
    submit = out["steps"][4]
    assert submit["text"] == 'click "Submit order"' and submit["line"] == 8
    assert "nobody" in submit["error"] and "Submit order" in submit["error"]
    for step in out["steps"][:4]:
        assert_step_shape(step, window)
    app.assert_quiet()  # Submit was never clicked
    # The four steps before it did fill the form: submit it by hand and read what the app saw.
    assert submit_by_hand(desktop, app) == {
        "event": "submit", "customer": "Ada Lovelace", "email": "ada@example.org", "password_length": 0,
        "shipping": "Express", "gift_wrap": True, "newsletter": False, "notes": ""}
    assert len(app.events()) == 1


def test_dry_run_grounds_and_annotates_but_the_form_stays_empty(desktop):
    app = desktop.sample_app(at=(300, 150))
    window = app.box()
    steps = ORDER_STEPS[:-1]  # a dry run can't wait for what it did not do

    run = desktop.agent("run", *steps_args(steps), "--dry-run", "--json")

    assert run.code == 0, run.stderr
    out = run.json
    assert out["status"] == "succeeded"
    for step in out["steps"]:
        assert_step_shape(step, window)
        assert step["verified"] is False and step["timings_ms"]["act"] == 0
    decisions = [s["verdict"]["decision"] for s in out["steps"]]
    assert decisions == ["allow", "allow", "confirm", "allow", "allow", "confirm"]  # password, Submit
    assert_trace(out, shots=len(steps))
    app.assert_quiet()
    assert submit_by_hand(desktop, app) == EMPTY_ORDER
