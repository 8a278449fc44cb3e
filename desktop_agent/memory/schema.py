"""The memory file's schema: its migrations, the check that a file is a memory this version can read, and
the one transaction helper every memory module writes through.

Guaranteed: `check_schema` only reads; `migrate` applies all missing migrations in one transaction (a
file is at one schema version or another, never in between); a file of another program or of a newer
schema is never changed. Not guaranteed: going back down to an older schema version.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from desktop_agent.core.errors import AgentError

APPLICATION_ID = 0x44414D31  # "DAM1": marks the file as a desktop-agent memory (PRAGMA application_id)

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
    """
    ALTER TABLE steps ADD COLUMN shot_sha256 TEXT;  -- the step's "proposed" screenshot (a blob), or NULL
    CREATE TABLE run_params (
        run_id TEXT NOT NULL REFERENCES runs(id),
        name TEXT NOT NULL,
        value TEXT NOT NULL,  -- secret values masked
        PRIMARY KEY (run_id, name)
    );
    CREATE TABLE places (
        id INTEGER PRIMARY KEY,
        app TEXT NOT NULL,           -- the window's wm_class ('' for the bare desktop)
        window_title TEXT NOT NULL,
        target TEXT NOT NULL,        -- TargetSpec.describe()
        offset_x INTEGER NOT NULL,   -- the target point relative to the window's top-left
        offset_y INTEGER NOT NULL,
        window_width INTEGER NOT NULL,
        window_height INTEGER NOT NULL,
        crop_sha256 TEXT,            -- a blob: how the target looked
        crop_x INTEGER,              -- the target point inside the crop
        crop_y INTEGER,
        element_text TEXT NOT NULL,
        element_role TEXT NOT NULL,
        anchor_text TEXT,            -- a nearby text unique in the window, and the target point's offset
        anchor_dx INTEGER,           --   from where it grounds (NULL: none was found)
        anchor_dy INTEGER,
        source TEXT NOT NULL CHECK (source IN ('grounded', 'corrected')),
        hits INTEGER NOT NULL,
        misses INTEGER NOT NULL,
        last_used TEXT NOT NULL,     -- last remembered or confirmed
        UNIQUE (app, window_title, target)
    );
    CREATE INDEX places_app_target ON places(app, target);
    CREATE TABLE rejections (
        app TEXT NOT NULL,
        window_title TEXT NOT NULL,
        target TEXT NOT NULL,
        left INTEGER NOT NULL,       -- the rejected box, relative to the window's top-left
        top INTEGER NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        rejected_at TEXT NOT NULL,
        PRIMARY KEY (app, window_title, target, left, top, width, height)
    );
    CREATE TABLE feedback (
        id INTEGER PRIMARY KEY,
        run_id TEXT,                 -- not a reference: feedback is given before its run is recorded
        task_id INTEGER REFERENCES tasks(id),
        step_index INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('approved', 'corrected', 'rejected')),
        detail TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE UNIQUE INDEX feedback_key ON feedback(COALESCE(run_id, ''), step_index, kind, detail, created_at);
    CREATE INDEX feedback_task ON feedback(task_id);
    CREATE TABLE skills (
        task_id INTEGER PRIMARY KEY REFERENCES tasks(id),
        steps_text TEXT NOT NULL,    -- the most recent successful run's step texts
        params TEXT NOT NULL,        -- the parameter names, newline-joined
        runs INTEGER NOT NULL,
        succeeded INTEGER NOT NULL,
        median_ms REAL NOT NULL,     -- typical duration of a successful run
        consolidated_at TEXT NOT NULL
    );
    """,
    # The task steps that found a place or were corrected to it, one "task<TAB>step" per line: only they
    # may let the place settle an ambiguity.
    """
    ALTER TABLE places ADD COLUMN learned_by TEXT NOT NULL DEFAULT '';
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
_RECOVERY = "move it aside (the next run starts a new memory there) or pass another file with --db"


class Transaction:
    """BEGIN (IMMEDIATE when writing) ... COMMIT, rolled back on any exception; sqlite errors become
    AgentError naming the file."""

    def __init__(self, db: sqlite3.Connection, path: Path, *, write: bool) -> None:
        self._db, self._path, self._begin = db, path, "BEGIN IMMEDIATE" if write else "BEGIN"

    def __enter__(self) -> sqlite3.Connection:
        try:
            self._db.execute(self._begin)
        except sqlite3.Error as exc:
            raise AgentError(f"memory {self._path}: {exc}", details={"path": str(self._path)}) from exc
        return self._db

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        try:
            self._db.execute("COMMIT" if kind is None else "ROLLBACK")
        except sqlite3.Error as error:
            raise AgentError(f"memory {self._path}: {error}", details={"path": str(self._path)}) from error
        if isinstance(exc, sqlite3.Error):
            raise AgentError(f"memory {self._path}: {exc}", details={"path": str(self._path)}) from exc


def check_schema(db: sqlite3.Connection, path: Path) -> int:
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


def migrate_if_older(db: sqlite3.Connection, version: int) -> None:
    if version < SCHEMA_VERSION:
        migrate(db)


def migrate(db: sqlite3.Connection) -> None:
    """Apply the missing migrations in one transaction (another process may be
    migrating too, so the version is read again under the write lock)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        exists = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'schema_version'").fetchone()
        version = db.execute("SELECT version FROM schema_version").fetchone()[0] if exists else 0
        for target, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in statements(script):
                db.execute(statement)
            db.execute("UPDATE schema_version SET version = ?", (target,))
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def statements(script: str) -> list[str]:
    """Split a migration script into statements (trigger bodies keep their inner semicolons)."""
    found, pending = [], ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--") or not (pending or line.strip()):
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            found.append(pending.strip())
            pending = ""
    return found
