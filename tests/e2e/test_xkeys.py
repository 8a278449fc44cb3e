"""XTEST typing on a real X server: a key meant for the window that has the focus arrives; a key meant
for any other window is not sent (InputTaken); keys go at the application's pace; characters the keymap lacks arrive even when the
application reads them late. Checked by what the applications themselves submitted."""
from __future__ import annotations

import json
import os
import signal
import sys
import time

import pytest

from desktop_agent.act.actuator import DesktopActuator
from desktop_agent.act.xkeys import TAKE_WAIT_S, XTestKeyboard
from desktop_agent.core.actions import KeyChord, KeyText
from desktop_agent.core.errors import ActionError, InputTaken
from desktop_agent.core.values import Point

pytestmark = pytest.mark.e2e

CUSTOMER_FIELD, SUBMIT_BUTTON = (300, 106), (95, 382)  # window-relative, see test_sample_app.py


def test_a_key_is_sent_only_while_its_window_has_the_focus(desktop):
    app = desktop.sample_app()
    desktop.click(app.point(*CUSTOMER_FIELD))  # no window manager: the focus follows the pointer
    keyboard = XTestKeyboard(display=desktop.display)
    form = int(app.window)
    try:
        for char in "Ada":
            assert keyboard.type_char(char, into=form)
        with pytest.raises(InputTaken, match="took the keyboard focus"):
            keyboard.type_char("X", into=form + 1)  # meant for another window: nothing is sent
    finally:
        keyboard.close()

    desktop.click(app.point(*SUBMIT_BUTTON))
    app.wait_for_output(lambda out: out.endswith("\n"))
    [submitted] = app.events()
    assert submitted["customer"] == "Ada"


def test_keys_go_at_the_applications_pace_and_stop_when_it_takes_none(desktop):
    """Each key waits for the application to take the one before (Tk answers a ping); stopped with a key
    unread, the next key is not sent: after TAKE_WAIT_S the typing stops as not responding, or at once
    when the focus leaves the window meanwhile."""
    app = desktop.sample_app()
    desktop.click(app.point(*CUSTOMER_FIELD))
    keyboard = XTestKeyboard(display=desktop.display)
    form = int(app.window)
    try:
        for char in "Ada":
            assert keyboard.type_char(char, into=form)
        assert keyboard.paced  # Tk answers pings
        keyboard.await_taken()  # "a" is taken before the application is stopped
        os.kill(app.process.pid, signal.SIGSTOP)
        try:
            assert keyboard.type_char("!", into=form)  # sent; the stopped application can't take it
            started = time.monotonic()
            with pytest.raises(ActionError, match="not responding"):
                keyboard.type_char("?", into=form)
            assert time.monotonic() - started >= TAKE_WAIT_S
            assert keyboard.type_char("#", into=form)  # sent, and not taken either
            desktop.point_at(Point(x=5, y=5))  # the focus leaves for the bare root window
            started = time.monotonic()
            with pytest.raises(InputTaken):
                keyboard.type_char("%", into=form)
            assert time.monotonic() - started < TAKE_WAIT_S / 2  # told at once, not after the wait
        finally:
            os.kill(app.process.pid, signal.SIGCONT)
    finally:
        keyboard.close()

    desktop.click(app.point(*SUBMIT_BUTTON))
    app.wait_for_output(lambda out: out.endswith("\n"))
    [submitted] = app.events()
    assert submitted["customer"] == "Ada!#"  # no key after one not taken was sent


@pytest.mark.parametrize("argv, title, submit, said", [
    ([sys.executable, "-m", "tests.apps.qt_form", "300"], "Qt Form", "\n", {"name": "Ng"}),
    (["/usr/bin/python3", "-m", "tests.apps.gtk4_form", "300", "100"], "GTK4 Form", "\t ", {"surname": "Ng"}),
], ids=["qt", "gtk4"])
def test_qt_and_gtk_answer_the_ping_so_their_keys_are_paced(desktop, argv, title, submit, said):
    """Enter submits the Qt field; Tab and space press the GTK form's Done button."""
    app = desktop.launch(argv, title=title, name=title.lower().replace(" ", "-"))
    box = app.box()
    desktop.click(Point(x=box.left + box.width * 3 // 4, y=box.top + 30))  # the field; the focus follows
    keyboard = XTestKeyboard(display=desktop.display)
    try:
        for char in "Ng":
            assert keyboard.type_char(char, into=int(app.window))
        assert keyboard.paced  # the answer to the first key's ping was heard
        for char in submit:
            keyboard.type_char(char, into=int(app.window))
    finally:
        keyboard.close()
    assert app.wait_exit() == 0
    assert json.loads(app.output) == said


def test_characters_off_the_keymap_arrive_however_late_the_application_reads_them(desktop, monkeypatch):
    """The Qt app is stopped (SIGSTOP) while the text is typed and resumed after: it reads every key,
    and the keymap, only then. A binding undone right after its key (xdotool's) typed nothing then."""
    app = desktop.launch([sys.executable, "-m", "tests.apps.qt_form", "300"], title="Qt Form",
                         name="qt-form")
    box = app.box()
    desktop.click(Point(x=box.left + box.width // 2, y=box.top + box.height // 2))
    monkeypatch.setenv("DISPLAY", desktop.display)
    actuator = DesktopActuator(bounds=lambda: box)
    text = "Zoë Ærø 東京 Ωμέγα ñ"
    os.kill(app.process.pid, signal.SIGSTOP)
    try:
        actuator.execute(KeyText(text=text))
        time.sleep(0.5)  # long after xdotool would have given its keycodes back
    finally:
        os.kill(app.process.pid, signal.SIGCONT)
    actuator.execute(KeyChord(keys=("enter",)))
    assert app.wait_exit() == 0
    actuator.end_run()
    assert json.loads(app.output) == {"name": text}
