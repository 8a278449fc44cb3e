"""Fixtures shared by the unit tests."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_agent.memory.store import MemoryStore


@pytest.fixture
def memory(tmp_path: Path) -> Iterator[MemoryStore]:
    """A fresh memory file in the test's folder."""
    with MemoryStore.open(tmp_path / "memory.sqlite3") as opened:
        yield opened
