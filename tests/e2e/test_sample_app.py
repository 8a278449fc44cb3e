"""The sample app on a real Xvfb, driven with xdotool: typed text reaches the submitted JSON."""
from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not (shutil.which("Xvfb") and shutil.which("xdotool")),
                       reason="needs Xvfb and xdotool"),
]

# Window-relative points at font scale 1.0 (the menu bar is part of the window).
CUSTOMER_FIELD = (350, 106)
SUBMIT_BUTTON = (95, 382)


def _read_line(stream, timeout_s: float) -> str:
    """One line from `stream`, or "" if none arrives in time."""
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(timeout_s):
            return ""
    return stream.readline()


@pytest.fixture
def display() -> Iterator[str]:
    """A fresh Xvfb on a display number it picks itself; yields ":N"."""
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = _read_line(pipe, 10.0).strip()
    try:
        assert number.isdigit(), "Xvfb did not report a display number"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def _xdotool(display: str, *args: str) -> str:
    env = {**os.environ, "DISPLAY": display}
    done = subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True,
                          timeout=15, check=True)
    return done.stdout


def _window_origin(display: str) -> tuple[int, int]:
    window = _xdotool(display, "search", "--sync", "--name", "Sample Order Form").split()[0]
    for line in _xdotool(display, "getwindowgeometry", window).splitlines():
        if line.strip().startswith("Position:"):
            x, y = line.split()[1].split(",")
            return int(x), int(y)
    raise AssertionError("xdotool reported no window position")


def _click(display: str, origin: tuple[int, int], offset: tuple[int, int]) -> None:
    # No window manager: focus follows the pointer, so moving there first matters.
    _xdotool(display, "mousemove", str(origin[0] + offset[0]), str(origin[1] + offset[1]),
             "sleep", "0.1", "click", "1")


def test_typed_name_is_submitted(display: str, tmp_path) -> None:
    app = subprocess.Popen(
        [sys.executable, "-m", "desktop_agent.demo.sample_app", "--geometry", "+40+30",
         "--save-path", str(tmp_path / "order.json")],
        env={**os.environ, "DISPLAY": display}, stdout=subprocess.PIPE, text=True)
    try:
        origin = _window_origin(display)
        time.sleep(0.3)  # let the first layout settle before clicking into it
        _click(display, origin, CUSTOMER_FIELD)
        _xdotool(display, "type", "--delay", "20", "Ada Lovelace")
        _click(display, origin, SUBMIT_BUTTON)
        line = _read_line(app.stdout, 10.0)
    finally:
        app.terminate()
        app.wait(timeout=10)
    assert line, "the app printed nothing after Submit order"
    event = json.loads(line)
    assert event == {"event": "submit", "customer": "Ada Lovelace", "email": "",
                     "password_length": 0, "shipping": "Standard", "gift_wrap": False,
                     "newsletter": False, "notes": ""}
