"""Local memory: one SQLite file of the tasks that were run, their runs and per-step results, searchable
by words (FTS5, bm25). By default `$XDG_DATA_HOME/desktop-agent/memory.sqlite3` (`~/.local/share/...`).

The file is in WAL mode with `synchronous=NORMAL` (a crash may lose the last recorded run, never
corrupt older ones) and mode 0600. A task is identified by its name and its (redacted) step texts; each
`record_run` adds one run and its steps to it.

Guaranteed: a file with a foreign or newer schema is refused with an AgentError naming it and saying how
to recover; it is never reset or changed. Text typed into a secret field (the step's target text, an
anchor's text or the grounded element's label/text matches `secret_fields`) is stored as "•••" —
everywhere that text appears (step texts, errors), not only in the typing step.
Not guaranteed: redaction of secrets typed without a target (`type "x"` into whatever has focus) or
named only by a parameter; secrets already visible on screen in other fields.

One writer: the run that just finished records itself (CLI `run`, or the GUI worker); everything else
reads. Within a process one lock serialises the connection; across processes writes take the database
lock (`BEGIN IMMEDIATE`) and wait up to 10 s for it.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from desktop_agent.actions import (Action, Check, Click, Drag, Expect, Scroll, Select, TypeText,
                                   WaitFor, action_name)
from desktop_agent.errors import AgentError
from desktop_agent.private_db import PrivateDb, open_private_db
from desktop_agent.types import RunStatus, StepResult, StepStatus, TargetSpec

FILE_NAME = "memory.sqlite3"
APPLICATION_ID = 0x44414D31  # "DAM1": marks the file as a desktop-agent memory (PRAGMA application_id)
MASK = "•••"
SECRET_FIELDS = re.compile(r"(?i)pass(word|phrase|code)|\bpin\b|secret")

_frozen = dataclass(frozen=True, slots=True, kw_only=True)

# MIGRATIONS[i] takes a file from schema version i to i + 1; version 0 is an empty file.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE schema_version (version INTEGER NOT NULL);
    CREATE TABLE tasks (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        steps_text TEXT NOT NULL,  -- the step texts, newline-joined, secrets masked
        created_at TEXT NOT NULL,
        last_run_at TEXT,
        UNIQUE (name, steps_text)
    );
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,  -- the trace folder's name
        task_id INTEGER NOT NULL REFERENCES tasks(id),
        status TEXT NOT NULL,
        started_at TEXT NOT NULL,
        duration_ms REAL NOT NULL,
        trace_folder TEXT NOT NULL
    );
    CREATE INDEX runs_task ON runs(task_id);
    CREATE TABLE steps (
        run_id TEXT NOT NULL REFERENCES runs(id),
        step_index INTEGER NOT NULL,
        text TEXT NOT NULL,
        action TEXT NOT NULL,
        target_text TEXT,
        element_role TEXT,
        element_text TEXT,
        strategy TEXT,
        verdict TEXT,
        status TEXT NOT NULL,
        error TEXT,
        total_ms REAL NOT NULL,
        PRIMARY KEY (run_id, step_index)
    );
    CREATE VIRTUAL TABLE tasks_fts USING fts5(name, steps_text, content='tasks', content_rowid='id');
    CREATE TRIGGER tasks_ai AFTER INSERT ON tasks BEGIN
        INSERT INTO tasks_fts (rowid, name, steps_text) VALUES (new.id, new.name, new.steps_text);
    END;
    CREATE TRIGGER tasks_ad AFTER DELETE ON tasks BEGIN
        INSERT INTO tasks_fts (tasks_fts, rowid, name, steps_text)
        VALUES ('delete', old.id, old.name, old.steps_text);
    END;
    CREATE TRIGGER tasks_au AFTER UPDATE OF name, steps_text ON tasks BEGIN
        INSERT INTO tasks_fts (tasks_fts, rowid, name, steps_text)
        VALUES ('delete', old.id, old.name, old.steps_text);
        INSERT INTO tasks_fts (rowid, name, steps_text) VALUES (new.id, new.name, new.steps_text);
    END;
    INSERT INTO schema_version (version) VALUES (0);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


@_frozen
class TaskRecord:
    id: int
    name: str
    steps: tuple[str, ...]
    created_at: str  # UTC, ISO 8601
    last_run_at: str | None
    runs: int
    succeeded: int

    @property
    def success_rate(self) -> float | None:
        """Succeeded runs / runs; None before the first run."""
        return self.succeeded / self.runs if self.runs else None


@_frozen
class TaskMatch:
    task: TaskRecord
    score: float  # -bm25: higher is a better match
    snippet: str  # the best-matching stretch, matched words in [brackets]


@_frozen
class RunSummary:
    id: str
    status: str  # a RunStatus value
    started_at: str
    duration_ms: float
    trace_folder: Path


@_frozen
class StepRecord:
    run_id: str
    step_index: int
    text: str
    action: str
    target_text: str | None
    element_role: str | None
    element_text: str | None
    strategy: str | None
    verdict: str | None
    status: str  # a StepStatus value
    error: str | None
    total_ms: float


@_frozen
class TaskDetail:
    task: TaskRecord
    runs: tuple[RunSummary, ...]  # newest first
    last_steps: tuple[StepRecord, ...]  # the newest run's step results

    @property
    def success_rate(self) -> float | None:
        return self.task.success_rate


class MemoryStore(PrivateDb):
    """An open memory file. Use `MemoryStore.open`."""

    @classmethod
    def open(cls, path: Path | None = None) -> MemoryStore:
        """Open (creating, mode 0600) the memory at `path` (default: `default_path()`). An existing file
        must be a memory of this or an older schema version (older ones are migrated); anything else
        raises AgentError and the file is left as it was."""
        path = Path(path) if path is not None else default_path()
        db = open_private_db(path, what="memory", check=lambda db: _check_schema(db, path),
                             setup=_migrate_if_older, pragmas=("synchronous=NORMAL", "foreign_keys=ON"),
                             parent_mode=0o700)
        return cls(path, db)

    # ------------------------------------------------------------ writing
    def record_run(self, name: str, steps: Sequence[str], results: Sequence[StepResult], *,
                   status: RunStatus | str, trace_folder: Path, duration_ms: float,
                   secret_fields: re.Pattern[str] = SECRET_FIELDS) -> str:
        """Add one finished run of task `name` (its plan's step texts `steps`, the results in order) and
        return its id (the trace folder's name; recording the same folder again replaces it). The task is
        created on its first run. Secrets are masked before anything is written (see the module doc)."""
        secrets = {r.step.action.text for r in results if _types_secret(r, secret_fields)}
        steps_text = "\n".join(_redact(text, secrets) for text in steps)
        run_id = Path(trace_folder).name
        status = status.value if isinstance(status, RunStatus) else str(status)
        now = _now()
        rows = [_step_row(run_id, index, result, secrets) for index, result in enumerate(results)]
        with self._lock, self._transaction():
            self._db.execute("INSERT INTO tasks (name, steps_text, created_at) VALUES (?, ?, ?)"
                             " ON CONFLICT (name, steps_text) DO NOTHING", (name, steps_text, now))
            task_id = self._db.execute("SELECT id FROM tasks WHERE name = ? AND steps_text = ?",
                                       (name, steps_text)).fetchone()[0]
            self._db.execute("UPDATE tasks SET last_run_at = ? WHERE id = ?", (now, task_id))
            self._db.execute("DELETE FROM steps WHERE run_id = ?", (run_id,))
            self._db.execute("DELETE FROM runs WHERE id = ?", (run_id,))
            self._db.execute("INSERT INTO runs (id, task_id, status, started_at, duration_ms, trace_folder)"
                             " VALUES (?, ?, ?, ?, ?, ?)",
                             (run_id, task_id, status, _now(minus_ms=duration_ms), float(duration_ms),
                              str(trace_folder)))
            self._db.executemany("INSERT INTO steps VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        return run_id

    def forget(self, task_id: int) -> int:
        """Remove task `task_id` with its runs and their steps; returns how many runs were removed.
        Raises AgentError for an unknown id."""
        with self._lock, self._transaction():
            if self._db.execute("SELECT 1 FROM tasks WHERE id = ?", (task_id,)).fetchone() is None:
                raise AgentError(f"no task {task_id} in memory {self.path}", details={"task_id": task_id})
            self._db.execute("DELETE FROM steps WHERE run_id IN (SELECT id FROM runs WHERE task_id = ?)",
                             (task_id,))
            removed = self._db.execute("DELETE FROM runs WHERE task_id = ?", (task_id,)).rowcount
            self._db.execute("DELETE FROM tasks WHERE id = ?", (task_id,))
        return removed

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db, self.path)

    # ------------------------------------------------------------ reading
    def search(self, query: str, limit: int = 10) -> list[TaskMatch]:
        """Tasks whose name or steps contain any word of `query`, best first (bm25, the name weighted
        twice the steps). The query is plain words: FTS5 syntax in it is matched literally."""
        fts = fts_query(query)
        if not fts:
            return []
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_TASK_COLUMNS}, -bm25(tasks_fts, 2.0, 1.0) AS score,"
                " snippet(tasks_fts, -1, '[', ']', '…', 10)"
                " FROM tasks_fts JOIN tasks t ON t.id = tasks_fts.rowid"
                " WHERE tasks_fts MATCH ? ORDER BY score DESC, t.id LIMIT ?", (fts, limit)).fetchall()
        return [TaskMatch(task=_task(r), score=r[7], snippet=r[8]) for r in rows]

    def tasks(self) -> list[TaskRecord]:
        """Every task, most recently run first."""
        with self._lock:
            rows = self._db.execute(f"SELECT {_TASK_COLUMNS} FROM tasks t"
                                    " ORDER BY COALESCE(t.last_run_at, t.created_at) DESC, t.id DESC").fetchall()
        return [_task(r) for r in rows]

    def task(self, task_id: int) -> TaskDetail:
        """Task `task_id` with its runs (newest first) and its newest run's steps. AgentError if unknown."""
        with self._lock:
            row = self._db.execute(f"SELECT {_TASK_COLUMNS} FROM tasks t WHERE t.id = ?", (task_id,)).fetchone()
            if row is None:
                raise AgentError(f"no task {task_id} in memory {self.path}", details={"task_id": task_id})
            runs = self._db.execute("SELECT id, status, started_at, duration_ms, trace_folder FROM runs"
                                    " WHERE task_id = ? ORDER BY started_at DESC, rowid DESC",
                                    (task_id,)).fetchall()
            steps = self._db.execute("SELECT * FROM steps WHERE run_id = ? ORDER BY step_index",
                                     (runs[0][0],)).fetchall() if runs else []
        return TaskDetail(task=_task(row),
                          runs=tuple(RunSummary(id=r[0], status=r[1], started_at=r[2], duration_ms=r[3],
                                                trace_folder=Path(r[4])) for r in runs),
                          last_steps=tuple(StepRecord(**dict(zip(_STEP_FIELDS, s, strict=True))) for s in steps))


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception; sqlite errors become AgentError."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db, self._path = db, path

    def __enter__(self) -> None:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise AgentError(f"memory {self._path}: {exc}", details={"path": str(self._path)}) from exc

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        try:
            self._db.execute("COMMIT" if kind is None else "ROLLBACK")
        except sqlite3.Error as error:
            raise AgentError(f"memory {self._path}: {error}", details={"path": str(self._path)}) from error
        if isinstance(exc, sqlite3.Error):
            raise AgentError(f"memory {self._path}: {exc}", details={"path": str(self._path)}) from exc


_TASK_COLUMNS = ("t.id, t.name, t.steps_text, t.created_at, t.last_run_at,"
                 " (SELECT COUNT(*) FROM runs r WHERE r.task_id = t.id),"
                 " (SELECT COUNT(*) FROM runs r WHERE r.task_id = t.id AND r.status = 'succeeded')")
_STEP_FIELDS = ("run_id", "step_index", "text", "action", "target_text", "element_role", "element_text",
                "strategy", "verdict", "status", "error", "total_ms")


def _task(row: Sequence[object]) -> TaskRecord:
    return TaskRecord(id=row[0], name=row[1], steps=tuple(str(row[2]).split("\n")) if row[2] else (),
                      created_at=row[3], last_run_at=row[4], runs=row[5], succeeded=row[6])


def default_path() -> Path:
    """`$XDG_DATA_HOME/desktop-agent/memory.sqlite3`, or under `~/.local/share` when that is unset or
    not absolute (as the XDG base directory spec says)."""
    base = os.environ.get("XDG_DATA_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "share"
    return root / "desktop-agent" / FILE_NAME


def fts_query(text: str) -> str:
    """`text` as an FTS5 query: each word a quoted string, any one of them matching. Operators, quotes
    and brackets in `text` are never FTS5 syntax."""
    return " OR ".join(f'"{word}"' for word in re.findall(r"\w+", text))


# ---------------------------------------------------------------- secrets and step rows
def _target_spec(action: Action) -> TargetSpec | None:
    match action:
        case Drag(source=spec):
            return spec
        case (Click(target=spec) | TypeText(target=spec) | Check(target=spec) | Select(target=spec)
              | Scroll(target=spec) | WaitFor(target=spec) | Expect(target=spec)):
            return spec
    return None


def _spec_texts(spec: TargetSpec | None) -> list[str]:
    texts: list[str] = []
    while spec is not None:
        if spec.text:
            texts.append(spec.text)
        spec = spec.anchor.target if spec.anchor is not None else None
    return texts


def _types_secret(result: StepResult, secret_fields: re.Pattern[str]) -> bool:
    """True when `result`'s step types into a field named like a secret (by the step or on screen)."""
    action = result.step.action
    if not isinstance(action, TypeText):
        return False
    element = result.target.element if result.target is not None else None
    names = [element.label, element.text] if element is not None else []
    names.extend(_spec_texts(action.target))
    return any(secret_fields.search(name) for name in names if name)


def _redact(text: str | None, secrets: set[str]) -> str | None:
    if text is None:
        return None
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def _step_row(run_id: str, index: int, result: StepResult, secrets: set[str]) -> tuple[object, ...]:
    spec = _target_spec(result.step.action)
    element = result.target.element if result.target is not None else None
    return (run_id, index, _redact(result.step.text, secrets), action_name(result.step.action),
            _redact(spec.describe(), secrets) if spec is not None else None,
            element.role.value if element is not None else None,
            _redact(element.label or element.text, secrets) if element is not None else None,
            result.target.strategy if result.target is not None else None,
            result.verdict.decision.value if result.verdict is not None else None,
            StepStatus(result.status).value, _redact(result.error, secrets), result.timings.total_ms)


# ---------------------------------------------------------------- schema
_RECOVERY = "move it aside (the next run starts a new memory there) or pass another file with --db"


def _check_schema(db: sqlite3.Connection, path: Path) -> int:
    """The file's schema version (0: empty, a new memory); raises unless it is a memory this version can
    read. Only reads."""
    details = {"path": str(path)}
    try:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            return 0
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        if app_id != APPLICATION_ID or "schema_version" not in tables:
            raise AgentError(f"{path} is not a desktop-agent memory (tables: {', '.join(sorted(tables))});"
                             f" refusing to use it — {_RECOVERY}", details=details)
        versions = [row[0] for row in db.execute("SELECT version FROM schema_version")]
    except sqlite3.DatabaseError as exc:
        raise AgentError(f"{path} is not a desktop-agent memory: {exc} — {_RECOVERY}", details=details) from exc
    if len(versions) != 1 or not isinstance(versions[0], int) or not 1 <= versions[0] <= SCHEMA_VERSION:
        raise AgentError(f"memory {path} has schema version {versions or 'none'}; this desktop-agent reads"
                         f" versions up to {SCHEMA_VERSION}. Refusing to use or change it — use a newer"
                         f" desktop-agent, or {_RECOVERY}", details={**details, "versions": versions})
    return versions[0]


def _migrate_if_older(db: sqlite3.Connection, version: int) -> None:
    if version < SCHEMA_VERSION:
        _migrate(db)


def _migrate(db: sqlite3.Connection) -> None:
    """Apply the missing migrations in one transaction (another process may be migrating too)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        exists = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'schema_version'").fetchone()
        version = db.execute("SELECT version FROM schema_version").fetchone()[0] if exists else 0
        for target, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in _statements(script):
                db.execute(statement)
            db.execute("UPDATE schema_version SET version = ?", (target,))
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (trigger bodies keep their inner semicolons)."""
    statements, pending = [], ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--") or not (pending or line.strip()):
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    return statements


def _now(minus_ms: float = 0.0) -> str:
    when = dt.datetime.now(dt.UTC) - dt.timedelta(milliseconds=minus_ms)
    return when.isoformat(timespec="milliseconds")
