"""XTEST typing with the window each key must reach, on a real X server: a key meant for the window
that has the focus arrives; a key meant for any other window is not sent (InputTaken). Checked by what
the sample app itself submitted."""
from __future__ import annotations

import pytest

from desktop_agent.act.xkeys import XTestKeyboard
from desktop_agent.core.errors import InputTaken

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
