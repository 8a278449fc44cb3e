"""`make demo` (`python -m desktop_agent.demo`) runs the sample task with the brakes every run has: the
global stop hotkey stops it before it submits the order."""
from __future__ import annotations

import os
import subprocess
import sys


def test_the_stop_hotkey_stops_the_demo_before_it_submits(desktop, tmp_path):
    demo = subprocess.Popen([sys.executable, "-m", "desktop_agent.demo"], cwd=tmp_path,
                            env={**os.environ, "DISPLAY": desktop.display, "PYTHONUNBUFFERED": "1"},
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        seen = []
        for line in demo.stdout:  # the first step starts once the hotkey is listening
            seen.append(line)
            if line.startswith("[1] "):
                break
        desktop.xdotool("key", "ctrl+alt+q")
        rest, _ = demo.communicate(timeout=60)
    finally:
        demo.kill()
        demo.wait()
    log = "".join(seen) + rest
    assert demo.returncode == 1, log
    assert "stop hotkey <ctrl>+<alt>+q pressed" in log and "run stopped" in log
    assert '"event": "submit"' not in log  # what the sample application printed
