"""The memory under a crash and under a concurrent reader (WAL): no committed row is lost, a reader
never blocks the run that writes."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from test_memory import ORDER, record

from desktop_agent.memory.store import MemoryStore

CRASH = """
import os, signal, sqlite3, sys
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from test_memory import ORDER, record
from desktop_agent.memory.store import MemoryStore

path = Path(sys.argv[1])
with MemoryStore.open(path) as memory:
    for n in range(3):
        record(memory, "Order", ORDER, path.parent / f"run-{n}")
raw = sqlite3.connect(path, isolation_level=None)
raw.execute("BEGIN IMMEDIATE")
raw.execute("DELETE FROM runs")            # a write in flight when the process dies
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_kill_9_during_a_write_loses_no_committed_run(tmp_path):
    path = tmp_path / "memory.sqlite3"
    done = subprocess.run([sys.executable, "-c", CRASH, str(path), str(Path(__file__).parent)],
                          capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()
    with MemoryStore.open(path) as memory:
        [task] = memory.tasks()
        assert sorted(r.id for r in memory.task(task.id).runs) == ["run-0", "run-1", "run-2"]
    check = sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0]
    assert check == "ok"


def test_a_reader_in_the_middle_of_a_read_does_not_block_the_writer(tmp_path):
    path = tmp_path / "memory.sqlite3"
    with MemoryStore.open(path) as memory:
        record(memory, "Order", ORDER, tmp_path / "run-0")
        reader = sqlite3.connect(path, isolation_level=None)
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM runs").fetchone()[0] == 1  # a snapshot is held
        started = time.monotonic()
        record(memory, "Order", ORDER, tmp_path / "run-1")
        assert time.monotonic() - started < 1.0
        assert reader.execute("SELECT count(*) FROM runs").fetchone()[0] == 1  # still its snapshot
        reader.execute("COMMIT")
        assert reader.execute("SELECT count(*) FROM runs").fetchone()[0] == 2
        reader.close()
    assert os.stat(path).st_mode & 0o777 == 0o600
