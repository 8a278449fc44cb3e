"""`record` as a subprocess on Xvfb while xdotool fills in the real sample order form.

What was really done is read from the application (the JSON line it prints on Submit); what was
recorded is read from the files `record` wrote.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from desktop_agent.grounding.locators import load_locators
from desktop_agent.language.steps import load_task
from desktop_agent.perception.seen import load_seen

pytestmark = pytest.mark.e2e

# Window-relative points on the sample form (as in tests/fixtures/screens/sample_app.png)
CUSTOMER, PASSWORD, SUBMIT = (300, 106), (300, 185), (95, 382)
SECRET = "Tr0ub4dor&3xyz"
PAUSE_S = 0.3


def start_recording(desktop, *args: str) -> subprocess.Popen:
    """`desktop-agent record ARGS` on the test display, once it says it is listening."""
    process = subprocess.Popen([sys.executable, "-m", "desktop_agent.cli.main", "record", *args],
                               env={**os.environ, "DISPLAY": desktop.display},
                               cwd=desktop.tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    first = process.stderr.readline()
    if "recording… press ctrl+alt+r to stop" not in first:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"record did not start listening: {first}{err}\nstdout: {out}")
    return process


def finish(process: subprocess.Popen, timeout_s: float = 120) -> tuple[int, str, str]:
    try:
        out, err = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"record did not finish within {timeout_s:g} s:\n{err}")
    return process.returncode, out, err


def fill_in_the_order(desktop, app) -> None:
    """What the person does while `record` watches: name, password, Submit — then the stop hotkey."""
    for point, text in ((CUSTOMER, "Grace Hopper"), (PASSWORD, SECRET)):
        desktop.click(app.point(*point))
        time.sleep(PAUSE_S)
        desktop.xdotool("type", "--delay", "40", text)
        time.sleep(PAUSE_S)
    desktop.click(app.point(*SUBMIT))
    app.wait_for_output(lambda out: '"submit"' in out)
    time.sleep(PAUSE_S)
    desktop.xdotool("key", "ctrl+alt+r")


def test_recording_the_order_form_writes_readable_steps_and_no_secret(desktop, tmp_path):
    app = desktop.sample_app()
    output = tmp_path / "out" / "order.yaml"
    output.parent.mkdir()
    recording = start_recording(desktop, "-o", str(output), "--param", "customer=Grace Hopper",
                                "--name", "Order for Grace", "--json")
    fill_in_the_order(desktop, app)
    code, out, err = finish(recording)

    submitted = [e for e in app.events() if e["event"] == "submit"][-1]
    assert submitted["customer"] == "Grace Hopper" and submitted["password_length"] == len(SECRET)
    assert code == 0, err
    report = json.loads(out)
    assert report["task"] == str(output) and report["assets"] == str(tmp_path / "out" / "order.assets")
    expected = ['type "{customer}" into the field right of "Customer name"',
                'type "{secret:password}" into the field right of "Password"',
                'click "Submit order"']
    assert report["steps"] == expected, report["notes"]

    plan = load_task(output)
    assert plan.name == "Order for Grace" and plan.params == {"customer": "Grace Hopper"}
    assert [step.text for step in plan.steps] == expected
    assert plan.steps[0].action.text == "Grace Hopper"
    assert plan.assets == tmp_path / "out" / "order.assets"
    locators = load_locators(plan.assets)
    assert [loc.step for loc in locators] == [1, 2, 3]
    assert all(loc.window is not None and loc.window.title == "Sample Order Form" for loc in locators)
    for locator in locators:
        png = plan.assets / locator.crop
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    seen = load_seen(plan.assets)  # the window images with their text, for replays to start from
    assert seen and {one.wm_class for one in seen} == {locators[0].window.wm_class}
    assert "Customer name" in {text.text for text in seen[0].texts}
    written = b"".join(p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert SECRET.encode() not in written and b"Tr0ub4dor" not in written
    assert SECRET not in out + err


def test_recording_nothing_writes_nothing_and_exits_1(desktop, tmp_path):
    desktop.sample_app()
    output = tmp_path / "out" / "empty.yaml"
    recording = start_recording(desktop, "-o", str(output))
    time.sleep(PAUSE_S)
    desktop.xdotool("key", "ctrl+alt+r")
    code, _, err = finish(recording, timeout_s=30)
    assert code == 1 and "nothing was recorded" in err
    assert not output.exists() and not (tmp_path / "out").exists()


def test_ctrl_c_stops_the_recording_like_the_hotkey(desktop, tmp_path):
    app = desktop.sample_app()
    output = tmp_path / "out" / "submit.yaml"
    recording = start_recording(desktop, "-o", str(output))
    desktop.click(app.point(*SUBMIT))
    app.wait_for_output(lambda out: '"submit"' in out)
    desktop.xdotool("key", "ctrl+c")  # what a terminal turns into SIGINT
    time.sleep(PAUSE_S)
    recording.send_signal(signal.SIGINT)
    code, out, err = finish(recording)
    assert code == 0, err
    assert [step.text for step in load_task(output).steps] == ['click "Submit order"']
    assert 'click "Submit order"' in out and f"task: {output}" in out
