"""Local memory: one SQLite file of the tasks that were run, their runs and per-step results, searchable
by words (FTS5, bm25), with the screenshots it keeps as content-addressed blobs next to it. By default
`$XDG_DATA_HOME/desktop-agent/memory.sqlite3` (`~/.local/share/...`) and `memory.blobs/`.

The file is in WAL mode with `synchronous=NORMAL` (a crash may lose the last recorded run, never
corrupt older ones) and mode 0600. A task is identified by its name and its (redacted) template step
texts; each `record_run` adds one run, its steps and its parameter values to it. Remembered places and
feedback are in `memory_places`, skills and consolidation in `skills`, export/import in
`memory_transfer`; all of them go through `MemoryStore.reading()` / `writing()`.

Guaranteed: a file with a foreign or newer schema is refused with an AgentError naming it and saying how
to recover; it is never reset or changed. Secrets are masked before anything is written (what is and is
not covered: `memory_redact`). A blob is on disk before the row that refers to it is committed.

One writer: the run that just finished records itself (CLI `run`, or the GUI worker); everything else
reads. Within a process one lock serialises the connection; across processes writes take the database
lock (`BEGIN IMMEDIATE`) and wait up to 10 s for it.
"""
from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from desktop_agent.core.errors import AgentError
from desktop_agent.core.results import RunStatus, StepResult
from desktop_agent.core.values import frozen
from desktop_agent.durability.private_db import PrivateDb, open_private_db
from desktop_agent.memory.blobs import BlobStore
from desktop_agent.memory.redact import MASK, SECRET_FIELDS, param_value, redact, secret_texts, step_row
from desktop_agent.memory.schema import SCHEMA_VERSION, Transaction, check_schema, migrate_if_older

__all__ = ["BLOB_LIMIT_BYTES", "MASK", "SCHEMA_VERSION", "SECRET_FIELDS", "STEP_COLUMNS", "MemoryStore",
           "RunSummary", "StepRecord", "TaskDetail", "TaskMatch", "TaskRecord", "blob_folder", "default_path",
           "fts_query", "now_iso", "referenced_blobs"]

FILE_NAME = "memory.sqlite3"
BLOB_LIMIT_BYTES = 200 * 2**20  # unreferenced blobs are pruned above this


@frozen
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


@frozen
class TaskMatch:
    task: TaskRecord
    score: float  # -bm25: higher is a better match
    snippet: str  # the best-matching stretch, matched words in [brackets]


@frozen
class RunSummary:
    id: str
    status: str  # a RunStatus value
    started_at: str
    duration_ms: float
    trace_folder: Path
    params: Mapping[str, str]  # the run's parameter values, secret ones masked


@frozen
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
    shot_sha256: str | None  # the "proposed" screenshot, a blob (`MemoryStore.blobs.path`)


@frozen
class TaskDetail:
    task: TaskRecord
    runs: tuple[RunSummary, ...]  # newest first
    last_steps: tuple[StepRecord, ...]  # the newest run's step results

    @property
    def success_rate(self) -> float | None:
        return self.task.success_rate


class MemoryStore(PrivateDb):
    """An open memory file and its blob folder. Use `MemoryStore.open`. Other memory modules (places,
    skills, transfer) work through `reading()` and `writing()`."""

    def __init__(self, path: Path, connection: sqlite3.Connection, *,
                 blob_limit_bytes: int = BLOB_LIMIT_BYTES) -> None:
        super().__init__(path, connection)
        self.blobs = BlobStore(blob_folder(path))
        self.blob_limit_bytes = blob_limit_bytes

    @classmethod
    def open(cls, path: Path | None = None, *, blob_limit_bytes: int = BLOB_LIMIT_BYTES) -> MemoryStore:
        """Open (creating, mode 0600) the memory at `path` (default: `default_path()`). An existing file
        must be a memory of this or an older schema version (older ones are migrated in place, keeping
        their rows); anything else raises AgentError and the file is left as it was."""
        path = Path(path) if path is not None else default_path()
        db = open_private_db(path, what="memory", check=lambda db: check_schema(db, path),
                             setup=migrate_if_older, pragmas=("synchronous=NORMAL", "foreign_keys=ON"),
                             parent_mode=0o700)
        return cls(path, db, blob_limit_bytes=blob_limit_bytes)

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """The connection inside one write transaction (`BEGIN IMMEDIATE`), holding this store's lock:
        committed at the end of the block, rolled back if it raises."""
        with self._lock, Transaction(self._db, self.path, write=True) as db:
            yield db

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """The connection inside one read transaction: every query in the block sees the same snapshot."""
        with self._lock, Transaction(self._db, self.path, write=False) as db:
            yield db

    # ------------------------------------------------------------ writing
    def record_run(self, name: str, steps: Sequence[str], results: Sequence[StepResult], *,
                   status: RunStatus | str, trace_folder: Path, duration_ms: float,
                   secret_fields: re.Pattern[str] = SECRET_FIELDS, template: Sequence[str] | None = None,
                   params: Mapping[str, str] | None = None, shots: Mapping[int, Path] | None = None) -> str:
        """Add one finished run of task `name` and return its id (the trace folder's name; recording the
        same folder again replaces it). `steps` are the plan's step texts, `results` the step results in
        order. The task is identified by `name` and `template` (the step texts with their `{param}`
        placeholders; `steps` when not given), so runs with other parameter values are runs of the same
        task; `params` are this run's values. `shots` maps a step index to its "proposed" screenshot
        (taken before the step acted), stored as a blob; a shot file that does not exist, or of a step
        without a result, is left out.
        Secrets are masked before anything is written (see the module doc); feedback already given for
        this run is linked to the task and masked too."""
        params = dict(params or {})
        secrets = secret_texts(results, params, secret_fields)
        steps_text = "\n".join(redact(text, secrets) for text in (steps if template is None else template))
        run_id = Path(trace_folder).name
        status = status.value if isinstance(status, RunStatus) else str(status)
        now = now_iso()
        rows = [step_row(run_id, index, result, secrets) for index, result in enumerate(results)]
        shot_bytes = {index: _read_shot(path) for index, path in (shots or {}).items() if index < len(rows)}
        with self.writing() as db:
            shas = {index: self.blobs.put(data) for index, data in shot_bytes.items() if data is not None}
            db.execute("INSERT INTO tasks (name, steps_text, created_at) VALUES (?, ?, ?)"
                       " ON CONFLICT (name, steps_text) DO NOTHING", (name, steps_text, now))
            task_id = db.execute("SELECT id FROM tasks WHERE name = ? AND steps_text = ?",
                                 (name, steps_text)).fetchone()[0]
            db.execute("UPDATE tasks SET last_run_at = ? WHERE id = ?", (now, task_id))
            for table in ("steps", "run_params"):
                db.execute(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))
            db.execute("DELETE FROM runs WHERE id = ?", (run_id,))
            db.execute("INSERT INTO runs (id, task_id, status, started_at, duration_ms, trace_folder)"
                       " VALUES (?, ?, ?, ?, ?, ?)",
                       (run_id, task_id, status, now_iso(minus_ms=duration_ms), float(duration_ms),
                        str(trace_folder)))
            db.executemany(f"INSERT INTO steps ({STEP_COLUMNS}) VALUES ({', '.join('?' * 13)})",
                           [(*row, shas.get(index)) for index, row in enumerate(rows)])
            db.executemany("INSERT INTO run_params (run_id, name, value) VALUES (?, ?, ?)",
                           [(run_id, key, param_value(key, value, secrets, secret_fields))
                            for key, value in sorted(params.items())])
            feedback = db.execute("SELECT id, detail FROM feedback WHERE run_id = ?", (run_id,)).fetchall()
            db.executemany("UPDATE feedback SET task_id = ?, detail = ? WHERE id = ?",
                           [(task_id, redact(detail, secrets), row_id) for row_id, detail in feedback])
        if shas:
            self.prune_blobs()
        return run_id

    def forget(self, task_id: int) -> int:
        """Remove task `task_id` with its runs, their steps and parameters, its feedback and its skill,
        and the blobs nothing else refers to; returns how many runs were removed. Remembered places and
        rejections belong to windows, not tasks, and stay. Raises AgentError for an unknown id."""
        with self.writing() as db:
            if db.execute("SELECT 1 FROM tasks WHERE id = ?", (task_id,)).fetchone() is None:
                raise AgentError(f"no task {task_id} in memory {self.path}", details={"task_id": task_id})
            runs = "(SELECT id FROM runs WHERE task_id = ?)"
            shas = {row[0] for row in db.execute(
                f"SELECT shot_sha256 FROM steps WHERE shot_sha256 IS NOT NULL AND run_id IN {runs}",
                (task_id,))}
            for table in ("steps", "run_params"):
                db.execute(f"DELETE FROM {table} WHERE run_id IN {runs}", (task_id,))
            for table in ("feedback", "skills"):
                db.execute(f"DELETE FROM {table} WHERE task_id = ?", (task_id,))
            removed = db.execute("DELETE FROM runs WHERE task_id = ?", (task_id,)).rowcount
            db.execute("DELETE FROM tasks WHERE id = ?", (task_id,))
            self.blobs.remove(shas - referenced_blobs(db))
        return removed

    def prune_blobs(self) -> int:
        """Delete unreferenced blobs, least recently used first, while all blobs together take more than
        `blob_limit_bytes`; returns how many were deleted (see `BlobStore.prune`)."""
        with self.writing() as db:
            return self.blobs.prune(referenced_blobs(db), limit_bytes=self.blob_limit_bytes)

    # ------------------------------------------------------------ reading
    def search(self, query: str, limit: int = 10) -> list[TaskMatch]:
        """Tasks whose name or steps contain any word of `query`, best first (bm25, the name weighted
        twice the steps). The query is plain words: FTS5 syntax in it is matched literally."""
        fts = fts_query(query)
        if not fts:
            return []
        with self.reading() as db:
            rows = db.execute(
                f"SELECT {_TASK_COLUMNS}, -bm25(tasks_fts, 2.0, 1.0) AS score,"
                " snippet(tasks_fts, -1, '[', ']', '…', 10)"
                " FROM tasks_fts JOIN tasks t ON t.id = tasks_fts.rowid"
                " WHERE tasks_fts MATCH ? ORDER BY score DESC, t.id LIMIT ?", (fts, limit)).fetchall()
        return [TaskMatch(task=_task(r), score=r[7], snippet=r[8]) for r in rows]

    def tasks(self) -> list[TaskRecord]:
        """Every task, most recently run first."""
        with self.reading() as db:
            rows = db.execute(f"SELECT {_TASK_COLUMNS} FROM tasks t"
                              " ORDER BY COALESCE(t.last_run_at, t.created_at) DESC, t.id DESC").fetchall()
        return [_task(r) for r in rows]

    def task(self, task_id: int) -> TaskDetail:
        """Task `task_id` with its runs (newest first, each with its parameters) and its newest run's
        steps. AgentError if unknown."""
        with self.reading() as db:
            row = db.execute(f"SELECT {_TASK_COLUMNS} FROM tasks t WHERE t.id = ?", (task_id,)).fetchone()
            if row is None:
                raise AgentError(f"no task {task_id} in memory {self.path}", details={"task_id": task_id})
            runs = db.execute("SELECT id, status, started_at, duration_ms, trace_folder FROM runs WHERE"
                              " task_id = ? ORDER BY started_at DESC, rowid DESC", (task_id,)).fetchall()
            params = {run[0]: dict(db.execute("SELECT name, value FROM run_params WHERE run_id = ?"
                                              " ORDER BY name", (run[0],)).fetchall()) for run in runs}
            steps = db.execute(f"SELECT {STEP_COLUMNS} FROM steps WHERE run_id = ? ORDER BY step_index",
                               (runs[0][0],)).fetchall() if runs else []
        return TaskDetail(task=_task(row),
                          runs=tuple(RunSummary(id=r[0], status=r[1], started_at=r[2], duration_ms=r[3],
                                                trace_folder=Path(r[4]), params=params[r[0]]) for r in runs),
                          last_steps=tuple(StepRecord(**dict(zip(_STEP_FIELDS, s, strict=True)))
                                           for s in steps))


_TASK_COLUMNS = ("t.id, t.name, t.steps_text, t.created_at, t.last_run_at,"
                 " (SELECT COUNT(*) FROM runs r WHERE r.task_id = t.id),"
                 " (SELECT COUNT(*) FROM runs r WHERE r.task_id = t.id AND r.status = 'succeeded')")
_STEP_FIELDS = ("run_id", "step_index", "text", "action", "target_text", "element_role", "element_text",
                "strategy", "verdict", "status", "error", "total_ms", "shot_sha256")
STEP_COLUMNS = ", ".join(_STEP_FIELDS)


def _task(row: Sequence[Any]) -> TaskRecord:
    return TaskRecord(id=row[0], name=row[1], steps=tuple(str(row[2]).split("\n")) if row[2] else (),
                      created_at=row[3], last_run_at=row[4], runs=row[5], succeeded=row[6])


def default_path() -> Path:
    """`memory.sqlite3` in the user's data folder (platformdirs): `$XDG_DATA_HOME/desktop-agent` on
    Linux (`~/.local/share/desktop-agent` when that is unset)."""
    import platformdirs  # lazily: only a run that remembers needs it

    return platformdirs.user_data_path("desktop-agent", appauthor=False) / FILE_NAME


def blob_folder(path: Path) -> Path:
    """Where the memory at `path` keeps its blobs: `<folder>/<stem>.blobs`, one per memory file."""
    return path.with_name(f"{path.stem}.blobs")


def referenced_blobs(db: sqlite3.Connection) -> set[str]:
    """Every blob some row refers to (step screenshots, place crops)."""
    return {row[0] for row in db.execute(
        "SELECT shot_sha256 FROM steps WHERE shot_sha256 IS NOT NULL"
        " UNION SELECT crop_sha256 FROM places WHERE crop_sha256 IS NOT NULL")}


def fts_query(text: str) -> str:
    """`text` as an FTS5 query: each word a quoted string, any one of them matching. Operators, quotes
    and brackets in `text` are never FTS5 syntax."""
    return " OR ".join(f'"{word}"' for word in re.findall(r"\w+", text))


def _read_shot(path: Path) -> bytes | None:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AgentError(f"cannot read step screenshot {path}: {exc}", details={"path": str(path)}) from exc


def now_iso(minus_ms: float = 0.0) -> str:
    """Now (less `minus_ms`), UTC, ISO 8601 with milliseconds: how every time in the memory is written."""
    when = dt.datetime.now(dt.UTC) - dt.timedelta(milliseconds=minus_ms)
    return when.isoformat(timespec="milliseconds")
