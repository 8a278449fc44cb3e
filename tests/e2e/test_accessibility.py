"""The accessibility sense on real applications on Xvfb (its buses started with the display): what the
agent did is read from what each application printed, and `found_by` says the tree found the target.

Qt 6 (PySide6, tests/apps/qt_accessible.py), GTK 3 (yad) and GTK 4 (tests/apps/gtk4_form.py on
Debian's PyGObject); Tk has no accessibility, and its tests (the sample app) are the vision path.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from desktop_agent.accessibility.atspi.reader import SILENCE_S, AtspiReader
from desktop_agent.core.values import OwnWindows, Role
from desktop_agent.perception.ocr import TextReader
from desktop_agent.perception.perceiver import Perceiver
from desktop_agent.perception.senses import Senses
from desktop_agent.run.verify import settle
from desktop_agent.screen.capture import Grabber
from desktop_agent.screen.windows import WindowLister


def qt_app(desktop, at: tuple[int, int] = (300, 150)):
    app = desktop.launch([sys.executable, "-m", "tests.apps.qt_accessible", str(at[0]), str(at[1])],
                         title="Qt Accessible", name="qt_accessible")
    return desktop.registered(app)


def said(app) -> list[dict]:
    return [json.loads(line) for line in app.output.splitlines() if line.strip()]


def found_by(run) -> list[str | None]:
    return [step["found_by"] for step in run.json["steps"]]


def test_a_menu_item_an_icon_only_button_and_one_glyph_keys_are_found_in_the_tree(desktop):
    app = qt_app(desktop)

    run = desktop.agent("run", "--json", "--step", 'click "File"', "--step", 'click the "Export" menu item',
                        "--step", 'click the "Save" button', "--step", 'click "%"', "--step", 'click "÷"')

    assert run.code == 0, run.stderr
    app.wait_for_output(lambda out: out.count("\n") >= 4)
    assert said(app) == [{"menu": "Export"}, {"toolbar": "Save"}, {"key": "%"}, {"key": "÷"}]
    assert found_by(run) == ["a11y"] * 5


def test_a_field_by_its_label_and_a_checkbox_verified_from_the_tree(desktop):
    app = qt_app(desktop)

    run = desktop.agent("run", "--json", "--step", 'type "Ada Lovelace" into the "Name" field',
                        "--step", 'check the "Gift wrap" checkbox', "--step", 'click "Apply"')

    assert run.code == 0, run.stderr
    assert app.wait_for_output(lambda out: "gift" in out)
    assert said(app) == [{"name": "Ada Lovelace", "nickname": "", "code": "", "gift": True}]
    assert found_by(run) == ["a11y"] * 3


def test_a_dropped_character_fails_the_check_and_the_field_is_rolled_back(desktop):
    app = qt_app(desktop)

    run = desktop.agent("run", "--json", "--step", 'type "quiet" into the "Nickname" field')

    assert run.json["status"] == "failed", run.stderr
    step = run.json["steps"][0]
    assert '"uiet"' in step["error"] and "its application says so" in step["error"], step
    events = [json.loads(line) for line in (Path(run.json["trace"]) / "events.jsonl").read_text().splitlines()]
    # Before the first click no window is active (no window manager): no element is focused yet.
    assert [e["element"] for e in events if e["kind"] == "focus_checkpoint"] == ['field "Nickname"']
    assert [e["focus"] for e in events if e["kind"] == "rollback"] == [  # asked of the app after each undo
        "", 'the keyboard focus is back on field "Nickname"']
    done = desktop.agent("run", "--step", 'click "Apply"')
    assert done.code == 0, done.stderr
    app.wait_for_output(lambda out: "gift" in out)
    assert said(app) == [{"name": "", "nickname": "", "code": "", "gift": False}]  # both attempts undone


def test_keys_for_a_field_that_did_not_get_the_focus_are_refused(desktop):
    app = qt_app(desktop)  # the Name field has the focus; a click can't move it to Code

    run = desktop.agent("run", "--json", "--step", 'type "1234" into the "Code" field')

    assert run.json["status"] == "failed", run.stderr
    assert '"Code" does not have the keyboard focus' in run.json["steps"][0]["error"], run.json["steps"][0]
    assert desktop.agent("run", "--step", 'click "Apply"').code == 0
    app.wait_for_output(lambda out: "gift" in out)
    assert said(app) == [{"name": "", "nickname": "", "code": "", "gift": False}]  # no key went anywhere


def test_a_covered_windows_controls_are_never_chosen(desktop):
    app = qt_app(desktop, at=(300, 150))
    cover = desktop.launch(["yad", "--form", "--title", "Cover", "--field=Other", "--geometry=500x400+280+130"],
                           title="Cover", name="yad")

    run = desktop.agent("run", "--json", "--step", 'click "Apply"')

    assert run.json["status"] == "failed", run.stdout
    assert run.json["steps"][0]["error"].startswith('no element matches "Apply"'), run.json["steps"][0]
    cover.stop()
    app.assert_quiet()


def test_a_stopped_application_is_seen_by_vision_within_the_time_bound(desktop):
    app = qt_app(desktop)
    reader = AtspiReader(display=desktop.display)
    os.kill(app.process.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        trees = reader.read(frozenset({app.process.pid}), budget_s=1.5)
        took = time.monotonic() - started
        grounded = desktop.agent("ground", 'the "Gift wrap" checkbox', "--json")
    finally:
        os.kill(app.process.pid, signal.SIGCONT)
        reader.close()

    assert trees == [] and took < 3 * SILENCE_S, took  # silent twice (never seen, then its tree), not 1.5 s
    assert grounded.json.get("found_by") == "widget", grounded.stdout + grounded.stderr  # seen in the pixels


def test_gtk3_a_field_by_its_label_and_a_checkbox_ticked_through_the_tree(desktop):
    yad = desktop.launch(["yad", "--form", "--title", "Order", "--field=Customer", "--field=Gift wrap:CHK",
                          "--geometry=+300+200"], title="Order", name="yad")
    desktop.registered(yad)

    run = desktop.agent("run", "--json", "--step", 'type "Grace" into the "Customer" field',
                        "--step", 'check the "Gift wrap" checkbox', "--step", 'click "OK"')

    assert run.code == 0, run.stderr
    assert yad.wait_exit() == 0
    assert yad.output == "Grace|TRUE|\n"
    assert found_by(run) == ["a11y"] * 3


def test_gtk4_boxes_relative_to_the_window_are_placed_on_screen(desktop):
    app = desktop.launch(["/usr/bin/python3", "-m", "tests.apps.gtk4_form", "420", "260"], title="GTK4 Form",
                         name="gtk4_form")
    desktop.registered(app)

    run = desktop.agent("run", "--json", "--step", 'type "Hopper" into the "Surname" field',
                        "--step", 'click "Done"')

    assert run.code == 0, run.stderr
    app.wait_for_output(lambda out: "surname" in out)
    assert said(app) == [{"surname": "Hopper"}]
    assert found_by(run) == ["a11y"] * 2


@pytest.mark.parametrize("toolkit", ["qt", "gtk3"])
def test_typed_text_reads_only_the_field_again_and_a_new_window_the_whole_tree(desktop, toolkit):
    if toolkit == "qt":
        app, label = qt_app(desktop), "Name"  # the Name field has the focus
    else:
        app = desktop.launch(["yad", "--form", "--title", "Order", "--field=Customer", "--geometry=+300+200"],
                             title="Order", name="yad")
        desktop.registered(app)
        label = "Customer"
    trees = AtspiReader(display=desktop.display)
    perceiver = Perceiver(reader=TextReader(), accessibility=trees)
    senses = Senses(grabber=Grabber(display=desktop.display), windows=WindowLister(display=desktop.display),
                    perceiver=perceiver, own=OwnWindows(pids=frozenset(), title=None))
    try:
        before = senses.look().screen
        assert perceiver.last_stats.trees_read == 1
        (field,) = [e for e in before.elements if e.role is Role.FIELD and e.label == label]

        centre = field.box.center
        desktop.xdotool("mousemove", str(centre.x), str(centre.y), "click", "1")
        settle(senses.grab, before.frame, field.box)
        clicked = senses.look().screen
        desktop.xdotool("type", "Ada")
        settle(senses.grab, clicked.frame, field.box)
        while field.accessible not in trees.changes(frozenset({app.process.pid}))[app.process.pid].nodes:
            time.sleep(0.01)  # its text-changed events, on their way over the bus
        after = senses.look().screen
        assert (perceiver.last_stats.trees_read, perceiver.last_stats.trees_refreshed) == (0, 1)
        (typed,) = [e for e in after.elements if e.accessible == field.accessible]
        assert typed.text == "Ada"  # what the application holds, not a read of its pixels

        assert senses.look().screen.elements == after.elements and perceiver.last_stats.trees_refreshed == 0
        cover = desktop.launch(["yad", "--form", "--title", "Another", "--field=Other",
                                f"--geometry=+{field.box.left}+{field.box.top}"], title="Another", name="yad")
        desktop.registered(cover)
        covered = senses.look().screen
        assert perceiver.last_stats.trees_read == 2  # the new one, and the one whose pixels it covered
        assert field.accessible not in {e.accessible for e in covered.elements}
    finally:
        senses.windows.close()
        senses.grabber.close()
        trees.close()
