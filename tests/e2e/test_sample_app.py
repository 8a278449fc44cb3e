"""The sample app on a real Xvfb, driven with xdotool (no agent): typed text reaches the submitted JSON.

This pins the window-relative points the other end-to-end tests use to check the form from outside.
"""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

# Window-relative points at font scale 1.0 (the menu bar is part of the window).
CUSTOMER_FIELD = (350, 106)
SUBMIT_BUTTON = (95, 382)


def test_typed_name_is_submitted(desktop) -> None:
    app = desktop.sample_app(at=(40, 30))
    desktop.click(app.point(*CUSTOMER_FIELD))  # no window manager: focus follows the pointer
    desktop.xdotool("type", "--delay", "20", "Ada Lovelace")
    desktop.click(app.point(*SUBMIT_BUTTON))
    app.wait_for_output(lambda out: out.endswith("\n"))
    assert app.events() == [{"event": "submit", "customer": "Ada Lovelace", "email": "",
                             "password_length": 0, "shipping": "Standard", "gift_wrap": False,
                             "newsletter": False, "notes": ""}]
