"""A real terminal for end-to-end tests: xterm running an interactive bash under `script`, which logs
everything the terminal shows."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests.conftest import require

TITLE = "agent terminal"


class Terminal:
    """An xterm running an interactive bash in `home`; everything the terminal shows goes to `log`."""

    def __init__(self, desktop, home: Path) -> None:
        require("script")
        self.desktop = desktop
        self.home = home
        self.log = home.parent / f"{home.name}.typescript"
        self.app = desktop.launch(
            ["xterm", "-uc", "-fa", "DejaVu Sans Mono", "-fs", "12", "-geometry", "90x20+100+100", "-T", TITLE,
             "-e", "script", "-q", "-f", "-c", "bash --norc --noprofile -i", str(self.log)],
            title=TITLE, name="xterm", cwd=home,
            env={"HOME": str(home), "HISTFILE": "/dev/null", "TERM": "xterm"})
        desktop.point_at(self.app.point(200, 150))  # no window manager: the focus follows the pointer
        self.wait_for_log(lambda text: self.prompts(text) >= 1)

    @staticmethod
    def prompts(text: str) -> int:
        """How many times bash's prompt (bash-5.2# as root, with no rc file) was shown."""
        return text.count("bash-")

    def wait_for_log(self, predicate, timeout_s: float = 10.0) -> str:
        deadline = time.monotonic() + timeout_s
        while True:
            text = self.log.read_text(errors="replace") if self.log.exists() else ""
            if predicate(text):
                return text
            if time.monotonic() > deadline:
                pytest.fail(f"the terminal's log never showed what was expected; it holds {text!r}")
            time.sleep(0.05)

    def discard_line(self) -> None:
        """Throw away whatever is pending on the line (what a stopped run typed), outside the agent."""
        self.desktop.xdotool("key", "ctrl+u")

    def close(self) -> None:
        """End xterm and what runs in it: `script` ignores the SIGTERM xterm ends with, and outlived it."""
        inside = _descendants(self.app.process.pid)
        self.app.stop()
        for pid in inside:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        for child in (task / "children").read_text().split():
            found += [int(child), *_descendants(int(child))]
    return found
