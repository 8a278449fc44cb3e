"""Opening the agent's own SQLite files (the run ledger, the memory) the same careful way.

Guaranteed: a new file is created with mode 0600 before SQLite touches it (an existing one is set back
to 0600); `check` runs before anything is written, so a foreign or newer file it rejects is left
byte-for-byte as it was; the file is in WAL mode; on any failure the connection is closed and an
AgentError names the file. Not guaranteed: more than one writer at a time (callers serialise writes).
"""
from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Self, TypeVar

from desktop_agent.core.errors import AgentError

State = TypeVar("State")


def open_private_db(path: Path, *, what: str, check: Callable[[sqlite3.Connection], State],
                    setup: Callable[[sqlite3.Connection, State], None], pragmas: Sequence[str],
                    parent_mode: int = 0o777) -> sqlite3.Connection:
    """Open `path` (a `what`, for messages): `check(db)` looks at the schema and returns what `setup`
    needs; then WAL and `pragmas` are set and `setup(db, state)` creates or migrates the schema."""
    existed = path.exists()
    if not existed:
        path.parent.mkdir(mode=parent_mode, parents=True, exist_ok=True)
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    try:
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10.0)
    except sqlite3.Error as exc:
        raise AgentError(f"cannot open {what} {path}: {exc}", details={"path": str(path)}) from exc
    try:
        state = check(db)
        if existed:
            os.chmod(path, 0o600)
        mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise AgentError(f"{what} {path}: cannot switch to WAL mode (got {mode})",
                             details={"path": str(path)})
        for pragma in pragmas:
            db.execute(f"PRAGMA {pragma}")
        setup(db, state)
    except sqlite3.Error as exc:
        db.close()
        raise AgentError(f"cannot open {what} {path}: {exc}", details={"path": str(path)}) from exc
    except BaseException:
        db.close()
        raise
    return db


class PrivateDb:
    """Base of the agent's SQLite stores: one connection, one lock around it, closed by `close`
    or at the end of a `with` block."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self._db = connection
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
