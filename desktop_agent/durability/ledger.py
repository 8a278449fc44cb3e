"""The run ledger: one SQLite file (by default `<trace root>/ledger.sqlite3`) that says, after a crash,
which runs never finished and which action's effect is unknown.

For every operation the guard executes, an *intent* row is committed before the side effect and its
*outcome* after it: "done", "failed: ..." (none of it was sent), or "unknown: ..." (cut off once part
of it was sent: a stop mid-typing, a client gone mid-step). An intent without an outcome is an action
that may or may not have happened (the process ended); both kinds are the actions of unknown effect.
The file is in WAL mode with `synchronous=FULL`, so a committed row survives the process being killed
(and, as far as the disk honours fsync, power loss). Mode 0600.

Each run row names the process that owns it (see owner.py), so a run that never finished reads as
"running" while that process lives and "interrupted" once it is gone; a run that a later run resumed
reads as "resumed". It also keeps what `resume.py` needs to rebuild the plan: the task file's path and
sha256 or the --step lines, and the command-line params minus the secret-looking ones (`RunSource`).

Guaranteed: `intent` returns only once its row is durable; a file of schema version 1 is upgraded in
place in one transaction (rows kept; its runs have no owner and read as interrupted until finished); a
file with a foreign or newer schema is refused with an AgentError naming it, never reset or migrated; at
most one run resumes any given run (a unique index). The ledger stores what it is given: callers redact
secrets first (guard.Guard passes the same redacted forms it writes to the audit log; resume.run_source
leaves secret params out). Not guaranteed: "running" across machines or PID namespaces (see owner.py).
Safe to share between threads (one lock serialises the connection).
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import field
from pathlib import Path
from typing import Any

from desktop_agent.core.errors import ActionError, AgentError
from desktop_agent.core.jsonable import to_jsonable
from desktop_agent.core.results import OPERATION_UNKNOWN
from desktop_agent.core.values import frozen
from desktop_agent.durability.owner import Owner
from desktop_agent.durability.private_db import PrivateDb, open_private_db

SCHEMA_VERSION = 2
FILE_NAME = "ledger.sqlite3"
# A run that never finished is one of these; a finished one has the RunStatus value it finished with.
RUNNING, INTERRUPTED, RESUMED = "running", "interrupted", "resumed"


_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    trace_folder TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT
);
CREATE TABLE IF NOT EXISTS actions (
    run_id TEXT NOT NULL REFERENCES runs(id),
    seq INTEGER NOT NULL,
    step_index INTEGER,
    step_text TEXT NOT NULL,
    operation_json TEXT NOT NULL,
    intent_at TEXT NOT NULL,
    outcome_at TEXT,
    outcome TEXT,
    PRIMARY KEY (run_id, seq)
);
"""
_TABLES = {"schema_version", "runs", "actions"}
# Statements that take a file of version N (the key) to N + 1; a new file is made at version 1 and
# brought up through every one of them, so old and new files end up with the same schema.
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: ("ALTER TABLE runs ADD COLUMN pid INTEGER",
        "ALTER TABLE runs ADD COLUMN pid_started TEXT",
        "ALTER TABLE runs ADD COLUMN resumes TEXT",
        "ALTER TABLE runs ADD COLUMN source_json TEXT",
        "CREATE UNIQUE INDEX runs_resumes ON runs (resumes)"),
}


@frozen
class RunSource:
    """What rebuilds a run's plan: the task file (absolute, with its sha256 when the run started) or the
    --step lines as given, and the command-line params except the `withheld` ones (secret-looking:
    never stored, to be given again on resume)."""

    task: Path | None = None
    task_sha256: str | None = None
    steps: tuple[str, ...] = ()
    params: Mapping[str, str] = field(default_factory=dict)
    withheld: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps({"task": None if self.task is None else str(self.task),
                           "task_sha256": self.task_sha256, "steps": list(self.steps),
                           "params": dict(self.params), "withheld": list(self.withheld)},
                          ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> RunSource:
        data = json.loads(text)
        return cls(task=None if data["task"] is None else Path(data["task"]),
                   task_sha256=data["task_sha256"], steps=tuple(data["steps"]),
                   params=dict(data["params"]), withheld=tuple(data["withheld"]))


@frozen
class RunRecord:
    id: str
    name: str
    trace_folder: Path
    started_at: str  # UTC, ISO 8601
    finished_at: str | None
    status: str  # the RunStatus value it finished with, or RUNNING, INTERRUPTED or RESUMED
    steps_acted: int  # distinct steps with at least one intent
    owner: Owner | None = None  # None: recorded before schema version 2
    resumes: str | None = None  # the run this one resumed
    resumed_by: str | None = None
    source: RunSource | None = None  # None: nothing kept to rebuild the plan from

    @property
    def interrupted(self) -> bool:
        """Never finished, not resumed, and its process is gone (crashed or killed)."""
        return self.status == INTERRUPTED


@frozen
class ActionRecord:
    run_id: str
    seq: int  # 1-based, per run, in the order the operations were attempted
    step_index: int | None  # 0-based index in the plan
    step_text: str
    operation_json: str
    intent_at: str
    outcome_at: str | None
    outcome: str | None  # "done" | "failed: ..." | "unknown: ..."; None: never recorded (the process ended)

    @property
    def operation(self) -> Any:
        return json.loads(self.operation_json)


class Ledger(PrivateDb):
    """An open ledger file. Use `Ledger.open`."""

    @classmethod
    def open(cls, path: Path) -> Ledger:
        """Open (creating, mode 0600) the ledger at `path`. An existing file must be a ledger of this
        schema version or an older one (upgraded here); anything else raises AgentError and the file
        is left as it was."""
        path = Path(path)
        db = open_private_db(path, what="run ledger", check=lambda db: _check_schema(db, path),
                             setup=_create_or_migrate, pragmas=("synchronous=FULL",))
        return cls(path, db)

    # ------------------------------------------------------------ writing
    def start_run(self, run_id: str, name: str, trace_folder: Path, *, source: RunSource | None = None,
                  resumes: str | None = None, owner: Owner | None = None) -> None:
        """Record that run `run_id` started, owned by `owner` (default: this process). `resumes`: the
        run it carries on, which from then on reads as RESUMED (a second run resuming it is refused)."""
        owner = owner or Owner.current()
        self._write("INSERT INTO runs (id, name, trace_folder, started_at, pid, pid_started, resumes,"
                    " source_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (run_id, name, str(trace_folder), _now(), owner.pid, owner.started, resumes,
                     None if source is None else source.to_json()))

    def intent(self, run_id: str, step_index: int | None, step_text: str, operation: object) -> int:
        """Commit that `operation` is about to be executed; returns its `seq`. `operation` is stored as
        JSON (via to_jsonable) exactly as given — redact it first."""
        payload = json.dumps(to_jsonable(operation), ensure_ascii=False, sort_keys=True)
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    seq = self._db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM actions WHERE run_id = ?",
                                           (run_id,)).fetchone()[0]
                    self._db.execute(
                        "INSERT INTO actions (run_id, seq, step_index, step_text, operation_json, intent_at)"
                        " VALUES (?, ?, ?, ?, ?, ?)", (run_id, seq, step_index, step_text, payload, _now()))
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise self._write_error(exc) from exc
        return int(seq)

    def outcome(self, run_id: str, seq: int, outcome: str) -> None:
        """Commit the outcome of action `seq`: "done", "failed: <why>" or "unknown: <why>"."""
        self._write("UPDATE actions SET outcome = ?, outcome_at = ? WHERE run_id = ? AND seq = ?",
                    (outcome, _now(), run_id, seq))

    def finish_run(self, run_id: str, status: str) -> None:
        self._write("UPDATE runs SET status = ?, finished_at = ? WHERE id = ?", (status, _now(), run_id))

    def journal(self, run_id: str) -> RunJournal:
        """The guard's hook for run `run_id` (which must have been started)."""
        return RunJournal(self, run_id)

    def _write(self, sql: str, params: tuple[object, ...]) -> None:
        with self._lock:
            try:
                self._db.execute(sql, params)  # autocommit: durable when execute returns
            except sqlite3.Error as exc:
                raise self._write_error(exc) from exc

    def _write_error(self, exc: sqlite3.Error) -> ActionError:
        # An ActionError: the runner fails the step, and nothing is executed without its intent row.
        return ActionError(f"run ledger {self.path}: {exc}", details={"path": str(self.path)})

    # ------------------------------------------------------------ reading
    def runs(self, limit: int = 20) -> list[RunRecord]:
        """The most recently started runs, newest first."""
        return self._runs("ORDER BY r.started_at DESC, r.rowid DESC LIMIT ?", (limit,))

    def interrupted(self) -> list[RunRecord]:
        """Runs that never finished nor were resumed and whose process is gone, newest first."""
        unfinished = self._runs("WHERE r.finished_at IS NULL ORDER BY r.started_at DESC, r.rowid DESC", ())
        return [run for run in unfinished if run.interrupted]

    def run(self, run_id: str) -> RunRecord | None:
        found = self._runs("WHERE r.id = ?", (run_id,))
        return found[0] if found else None

    def unknown_outcomes(self, run_id: str) -> list[ActionRecord]:
        """Actions of `run_id` whose effect is unknown: an intent with no outcome (the process ended), or
        an outcome that says so (cut off part-way)."""
        return self._actions(run_id, f"AND (outcome IS NULL OR outcome LIKE '{OPERATION_UNKNOWN}%')")

    def actions(self, run_id: str) -> list[ActionRecord]:
        """Every action of `run_id`, in order."""
        return self._actions(run_id, "")

    def _actions(self, run_id: str, condition: str) -> list[ActionRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT run_id, seq, step_index, step_text, operation_json, intent_at, outcome_at, outcome"
                f" FROM actions WHERE run_id = ? {condition} ORDER BY seq", (run_id,)).fetchall()
        return [ActionRecord(run_id=r[0], seq=r[1], step_index=r[2], step_text=r[3], operation_json=r[4],
                             intent_at=r[5], outcome_at=r[6], outcome=r[7]) for r in rows]

    def _runs(self, tail: str, params: tuple[object, ...]) -> list[RunRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT r.id, r.name, r.trace_folder, r.started_at, r.finished_at, r.status,"
                " (SELECT COUNT(DISTINCT a.step_index) FROM actions a WHERE a.run_id = r.id),"
                " r.pid, r.pid_started, r.resumes, (SELECT n.id FROM runs n WHERE n.resumes = r.id),"
                f" r.source_json FROM runs r {tail}", params).fetchall()
        return [_record(*row) for row in rows]


class RunJournal:
    """One run's view of the ledger, in the shape guard.Journal expects."""

    def __init__(self, ledger: Ledger, run_id: str) -> None:
        self.ledger = ledger
        self.run_id = run_id

    def before(self, *, step_index: int | None, step_text: str, operation: object) -> int:
        return self.ledger.intent(self.run_id, step_index, step_text, operation)

    def after(self, token: int, outcome: str) -> None:
        self.ledger.outcome(self.run_id, token, outcome)

    def finish(self, status: str) -> None:
        self.ledger.finish_run(self.run_id, status)


def _record(run_id: str, name: str, folder: str, started_at: str, finished_at: str | None,
            finished_status: str | None, steps_acted: int, pid: int | None, pid_started: str | None,
            resumes: str | None, resumed_by: str | None, source_json: str | None) -> RunRecord:
    owner = None if pid is None else Owner(pid=pid, started=pid_started)
    if finished_at is not None:
        status = finished_status or INTERRUPTED
    elif resumed_by is not None:
        status = RESUMED
    else:
        status = RUNNING if owner is not None and owner.alive() else INTERRUPTED
    return RunRecord(id=run_id, name=name, trace_folder=Path(folder), started_at=started_at,
                     finished_at=finished_at, status=status, steps_acted=steps_acted, owner=owner,
                     resumes=resumes, resumed_by=resumed_by,
                     source=None if source_json is None else RunSource.from_json(source_json))


def default_path(trace_root: Path) -> Path:
    return Path(trace_root) / FILE_NAME


def _check_schema(db: sqlite3.Connection, path: Path) -> int:
    """The file's schema version, 0 when it is empty (a new ledger); raises unless it is a ledger of
    version 1 to SCHEMA_VERSION. Only reads."""
    details = {"path": str(path)}
    try:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            return 0
        if "schema_version" not in tables:
            raise AgentError(f"{path} is not a desktop-agent run ledger (tables: "
                             f"{', '.join(sorted(tables))}); refusing to use it", details=details)
        versions = [row[0] for row in db.execute("SELECT version FROM schema_version")]
    except sqlite3.DatabaseError as exc:
        raise AgentError(f"{path} is not a desktop-agent run ledger: {exc}", details=details) from exc
    if len(versions) != 1 or not 1 <= versions[0] <= SCHEMA_VERSION:
        raise AgentError(f"run ledger {path} has schema version {versions or 'none'}; this desktop-agent "
                         f"reads version {SCHEMA_VERSION}. Refusing to use or change it",
                         details={**details, "versions": versions})
    if not _TABLES <= tables:
        raise AgentError(f"run ledger {path} is missing tables {sorted(_TABLES - tables)}", details=details)
    return versions[0]


def _create_or_migrate(db: sqlite3.Connection, version: int) -> None:
    if version == SCHEMA_VERSION:
        return
    db.execute("BEGIN IMMEDIATE")  # another process may be creating or upgrading it too
    try:
        for statement in filter(str.strip, _SCHEMA.split(";")):
            db.execute(statement)
        if db.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 0:
            db.execute("INSERT INTO schema_version (version) VALUES (1)")
        version = db.execute("SELECT version FROM schema_version").fetchone()[0]  # as of the lock
        for step in range(version, SCHEMA_VERSION):
            for statement in _MIGRATIONS[step]:
                db.execute(statement)
        db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
