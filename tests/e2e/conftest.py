"""Fixtures shared by the end-to-end tests."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.terminal import Terminal


@pytest.fixture
def open_terminal(desktop):
    """Opens a Terminal in a given home folder; each one opened is closed, with its shell, at teardown."""
    opened: list[Terminal] = []

    def open_in(home: Path) -> Terminal:
        opened.append(Terminal(desktop, home))
        return opened[-1]

    yield open_in
    for terminal in opened:
        terminal.close()
