"""The desktop app on a real X server (Xvfb, Qt on xcb) driving the real sample app: approvals given in
the app's approval panel, and the app's own window — showing the very text the step names — never
perceived or clicked."""
from __future__ import annotations

import json
import sys

import pytest

from desktop_agent.compose import build_perceiver
from desktop_agent.core.errors import GroundingError
from desktop_agent.core.values import OwnWindows, Point
from desktop_agent.grounding.resolve import find_all, ground
from desktop_agent.language.steps import parse_target
from desktop_agent.perception.senses import Senses
from desktop_agent.screen.capture import Grabber
from desktop_agent.screen.windows import WindowLister

GUI_TITLE = "Untitled task — Desktop Agent"
GUI_BOX = (0, 0, 1280, 820)
RUN_TIMEOUT_S = 90.0  # the first step loads the OCR models
FROZEN_MS = 750  # longer than this without the GUI's event loop running counts as a freeze; the first
                 # step's model load and full read alone take 1-2 s, so a freeze there would show


def open_gui(desktop, *steps: str, mode: str, answers: list[str], name: str = "scripted",
             focused: bool = False):
    argv = [sys.executable, "-m", "tests.apps.scripted_gui", "--mode", mode, "--name", name,
            "--settings", str(desktop.tmp_path / "settings.ini"), "--trace-dir", str(desktop.trace_dir),
            "--geometry", ",".join(map(str, GUI_BOX)), *(["--focused"] if focused else [])]
    argv += [arg for step in steps for arg in ("--step", step)]
    argv += [arg for answer in answers for arg in ("--answer", answer)]
    return desktop.launch(argv, title=GUI_TITLE, name="gui")


def events(gui) -> list[dict]:
    return [json.loads(line) for line in gui.output.splitlines() if line.startswith("{")]


def finished(gui) -> dict:
    gui.wait_for_output(lambda out: '"finished"' in out or '"error"' in out, timeout_s=RUN_TIMEOUT_S)
    (last,) = [e for e in events(gui) if e["event"] in ("finished", "error")]
    assert last["event"] == "finished", last
    return last


def submits(app) -> list[dict]:
    return [e for e in app.events() if e.get("event") == "submit"]


def test_a_run_approved_step_by_step_in_the_app(desktop):
    app = desktop.sample_app(at=(1330, 150))
    gui = open_gui(desktop, 'type "Ada" into the field right of "Customer name"', 'check "Gift wrap"',
                   'click "Submit order"', mode="approve", answers=["approve", "skip", "approve"])
    result = finished(gui)
    assert [s["status"] for s in result["steps"]] == ["succeeded", "skipped", "succeeded"], result
    assert result["max_gap_ms"] < FROZEN_MS  # the engine, model load included, ran off the GUI thread
    asked = [e for e in events(gui) if e["event"] == "asked"]
    assert [e["answer"] for e in asked] == ["approve", "skip", "approve"]
    assert {e["window"] for e in asked} == {"Sample Order Form"}
    assert asked[-1]["decision"] == "confirm"  # the shipped policy confirms "Submit order"
    app.wait_for_output(lambda out: "submit" in out)
    (order,) = submits(app)
    assert order["customer"] == "Ada" and order["gift_wrap"] is False


def test_the_app_gives_the_keyboard_focus_up_to_the_window_it_types_into_with_no_window_manager(desktop):
    """On a bare X server nothing moves the focus on a click: the app holds it from the person's click
    on Run, and hands it to the window the step was allowed into — never typing into its own."""
    app = desktop.sample_app(at=(1330, 150))
    gui = open_gui(desktop, 'type "Ada" into the field right of "Customer name"', 'click "Submit order"',
                   mode="autonomous", answers=["approve"], focused=True)
    result = finished(gui)
    assert [s["status"] for s in result["steps"]] == ["succeeded", "succeeded"], result["steps"][-1]["error"]
    app.wait_for_output(lambda out: "submit" in out)
    (order,) = submits(app)
    assert order["customer"] == "Ada"


def test_the_app_never_perceives_or_clicks_its_own_window(desktop):
    """The app's window shows the task `click "Submit order"` — named "Submit order", the very text of the
    sample app's button — next to that button. The run must click the sample app's button: not fail as
    ambiguous, not touch its own window. (The confirm the policy asks for stops at the approval panel
    even in autonomous mode.)"""
    app = desktop.sample_app(at=(1330, 150))
    gui = open_gui(desktop, 'click "Submit order"', name="Submit order", mode="autonomous",
                   answers=["approve"])
    result = finished(gui)
    (step,) = result["steps"]
    assert step["status"] == "succeeded", step
    x, y = step["target"]["point"]
    assert app.box().contains(Point(x=x, y=y))
    app.wait_for_output(lambda out: "submit" in out)
    assert len(submits(app)) == 1
    (asked,) = [e for e in events(gui) if e["event"] == "asked"]
    assert asked["decision"] == "confirm" and asked["window"] == "Sample Order Form"

    # The premise: seen by senses that skip nothing, the app's own window holds an exact "Submit order"
    # too, and the same step would have failed as ambiguous.
    senses = Senses(grabber=Grabber(display=desktop.display), windows=WindowLister(display=desktop.display),
                    perceiver=build_perceiver(), own=OwnWindows(pids=frozenset(), title=None))
    try:
        screen = senses.look().screen
    finally:
        senses.windows.close()
        senses.grabber.close()
    (own,) = [w for w in screen.windows if w.title == GUI_TITLE]
    spec = parse_target('"Submit order"')
    in_own = [c for c in find_all(spec, screen) if own.box.contains(c.element.box.center)]
    assert in_own, [e.text for e in screen.elements if e.window_id == own.id]
    with pytest.raises(GroundingError, match="matches"):
        ground(spec, screen)
