"""The app's system check: one line naming what is missing, before Qt could abort the process."""
from __future__ import annotations

import ctypes.util
import os
import subprocess
import sys

from ui.platform_check import XCB_LIBRARIES, display_problem


def test_no_display_is_said_in_one_line():
    problem = display_problem({}, find_library=lambda name: "found")
    assert problem is not None and "DISPLAY is not set" in problem and "\n" not in problem


def test_missing_xcb_libraries_are_named_with_their_packages():
    problem = display_problem({"DISPLAY": ":0"},
                              find_library=lambda name: None if name in ("xcb-cursor", "GL") else "found")
    assert problem is not None and "sudo apt-get install libxcb-cursor0 libgl1" in problem


def test_nothing_missing_or_another_platform_is_no_problem():
    assert display_problem({"DISPLAY": ":0"}, find_library=lambda name: "found") is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, find_library=lambda name: None) is None


def test_the_installer_brings_every_library_the_check_asks_for():
    assert [library for library in XCB_LIBRARIES if ctypes.util.find_library(library) is None] == []


def test_the_gui_command_without_a_display_exits_with_that_line():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    done = subprocess.run([sys.executable, "-m", "desktop_agent.cli.main", "gui"], env=env, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "desktop-agent: no display to open the app on: DISPLAY is not set (start it on a desktop, or set "
        "DISPLAY to an X server such as Xvfb)"]
