"""Moving a memory to another machine: one zip archive of its tasks, runs, steps, parameters, places,
rejections, feedback and skills (`manifest.json`) and the blobs they refer to (`blobs/<sha256>.png`).

Export writes the blobs first and the manifest last, into a temporary file renamed into place, so a file
at the archive's name is always complete. Import merges: a task is matched by its name and template, a
run by its id, a place by its window and target (the better one is kept: corrected before grounded,
then hits - misses, then the most recently used), feedback and rejections by their content, a skill
by its task (the more recent consolidation is kept) — so importing the same archive twice adds nothing.

Guaranteed: an archive that is not a desktop-agent memory export, is of a newer format, is damaged, or
whose blobs do not match their names is refused with an AgentError naming the file and the problem,
and the memory is left as it was (one transaction; blobs it had written are removed again). Nothing
unredacted is exported: the memory holds none. A blob whose file was deleted by hand is exported as no
blob. Not guaranteed: the task ids — the importing memory numbers its tasks itself.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
import zipfile
import zlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from desktop_agent.core.errors import AgentError
from desktop_agent.memory.blobs import PNG_MAGIC, SHA256
from desktop_agent.memory.store import STEP_COLUMNS, MemoryStore, now_iso

FORMAT = "desktop-agent-memory-export"
VERSION = 2  # 1 had no places.learned_by (read as learned by no step)
MANIFEST = "manifest.json"

# Each exported table: its columns and their JSON types ("?" allows null, "a|b" is one of these strings).
# Tasks' ids are the archive's own, used only to link runs, feedback and skills to their tasks.
_TABLES: dict[str, dict[str, str]] = {
    "tasks": {"id": "int", "name": "str", "steps_text": "str", "created_at": "str", "last_run_at": "str?"},
    "runs": {"id": "str", "task_id": "int", "status": "str", "started_at": "str", "duration_ms": "real",
             "trace_folder": "str"},
    "steps": dict(zip(STEP_COLUMNS.split(", "), ("str", "int", "str", "str", "str?", "str?", "str?", "str?",
                                                 "str?", "str", "str?", "real", "str?"), strict=True)),
    "run_params": {"run_id": "str", "name": "str", "value": "str"},
    "places": {"app": "str", "window_title": "str", "target": "str", "offset_x": "int", "offset_y": "int",
               "window_width": "int", "window_height": "int", "crop_sha256": "str?", "crop_x": "int?",
               "crop_y": "int?", "element_text": "str", "element_role": "str", "anchor_text": "str?",
               "anchor_dx": "int?", "anchor_dy": "int?", "source": "grounded|corrected",
               "hits": "int", "misses": "int", "last_used": "str", "learned_by": "str"},
    "rejections": {"app": "str", "window_title": "str", "target": "str", "left": "int", "top": "int",
                   "width": "int", "height": "int", "rejected_at": "str"},
    "feedback": {"run_id": "str?", "task_id": "int?", "step_index": "int",
                 "kind": "approved|corrected|rejected", "detail": "str",
                 "created_at": "str"},
    "skills": {"task_id": "int", "steps_text": "str", "params": "str", "runs": "int", "succeeded": "int",
               "median_ms": "real", "consolidated_at": "str"},
}
_TYPES = {"int": (int,), "str": (str,), "real": (int, float)}
Rows = dict[str, list[dict[str, object]]]


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferReport:
    """Rows per table (and blobs) written to an archive, or added or changed by an import."""

    rows: Mapping[str, int]
    blobs: int

    @property
    def changed(self) -> bool:
        return self.blobs > 0 or any(self.rows.values())


def export_memory(store: MemoryStore, file: Path) -> TransferReport:
    """Write everything in `store` to the archive `file` (mode 0600; replaced if it exists)."""
    file = Path(file)
    with store.reading() as db:
        rows = {table: [dict(zip(columns, row, strict=True)) for row in db.execute(
                    f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid")]
                for table, columns in _TABLES.items()}
        blobs = {sha for sha in {*(r["shot_sha256"] for r in rows["steps"]),
                                 *(r["crop_sha256"] for r in rows["places"])} - {None}
                 if store.blobs.path(sha).exists()}
        _drop_missing(rows, blobs)
        handle, temporary = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}-")
        try:
            with os.fdopen(handle, "wb") as raw, zipfile.ZipFile(raw, "w") as archive:
                for sha in sorted(blobs):  # payload first
                    archive.write(store.blobs.path(sha), f"blobs/{sha}.png", zipfile.ZIP_STORED)
                manifest = {"format": FORMAT, "version": VERSION, "exported_at": now_iso(),
                            "blobs": sorted(blobs), "tables": rows}
                archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False), zipfile.ZIP_DEFLATED)
            os.replace(temporary, file)
        except OSError as exc:
            Path(temporary).unlink(missing_ok=True)
            raise AgentError(f"cannot write memory archive {file}: {exc}",
                             details={"path": str(file)}) from exc
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return TransferReport(rows={table: len(table_rows) for table, table_rows in rows.items()},
                          blobs=len(blobs))


def import_memory(store: MemoryStore, file: Path) -> TransferReport:
    """Merge the archive `file` into `store` (see the module doc); returns what it added or changed."""
    file = Path(file)
    try:
        with zipfile.ZipFile(file) as archive:
            rows, blobs = _manifest(archive, file)
            return _merge(store, archive, rows, blobs, file)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise _refused(file, f"{type(exc).__name__}: {exc}") from exc


def _refused(file: Path, problem: str) -> AgentError:
    return AgentError(f"{file} is not a usable desktop-agent memory archive ({problem}); nothing was"
                      " imported", details={"path": str(file)})


def _drop_missing(rows: Rows, blobs: set[str]) -> None:
    for row in rows["steps"]:
        if row["shot_sha256"] not in blobs:
            row["shot_sha256"] = None
    for row in rows["places"]:
        if row["crop_sha256"] not in blobs:
            row.update(crop_sha256=None, crop_x=None, crop_y=None)


def _manifest(archive: zipfile.ZipFile, file: Path) -> tuple[Rows, list[str]]:
    """The archive's validated rows and blob names; refuses anything else."""
    try:
        manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))
    except KeyError as exc:
        raise _refused(file, f"no {MANIFEST}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _refused(file, f"{MANIFEST} is not JSON: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _refused(file, f"not a {FORMAT}")
    if manifest.get("version") not in (1, VERSION):
        raise _refused(file, f"format version {manifest.get('version')!r};"
                             f" this desktop-agent reads 1 to {VERSION}")
    tables, blobs = manifest.get("tables"), manifest.get("blobs")
    if manifest["version"] == 1 and isinstance(tables, dict) and isinstance(tables.get("places"), list):
        for row in tables["places"]:
            if isinstance(row, dict):
                row.setdefault("learned_by", "")
    if not isinstance(tables, dict) or set(tables) != set(_TABLES):
        raise _refused(file, f"tables must be exactly {', '.join(_TABLES)}")
    if not isinstance(blobs, list) or not all(isinstance(b, str) and SHA256.fullmatch(b) for b in blobs):
        raise _refused(file, "blobs must be a list of SHA-256 names")
    for table, columns in _TABLES.items():
        if not isinstance(tables[table], list):
            raise _refused(file, f"{table} must be a list")
        for n, row in enumerate(tables[table], 1):
            problem = _row_problem(row, columns)
            if problem:
                raise _refused(file, f"{table} row {n}: {problem}")
    problem = _link_problem(tables, set(blobs))
    if problem:
        raise _refused(file, problem)
    return tables, blobs


def _row_problem(row: object, columns: dict[str, str]) -> str | None:
    if not isinstance(row, dict) or set(row) != set(columns):
        return f"must have exactly the columns {', '.join(columns)}"
    for column, kind in columns.items():
        value = row[column]
        if value is None and kind.endswith("?"):
            continue
        if "|" in kind:
            if value not in kind.split("|"):
                return f"{column} must be one of {kind.replace('|', ', ')}"
            continue
        if isinstance(value, bool) or not isinstance(value, _TYPES[kind.rstrip("?")]):
            return f"{column} must be {kind.rstrip('?')}{' or null' if kind.endswith('?') else ''}"
    return None


def _link_problem(tables: Rows, blobs: set[str]) -> str | None:
    """What in the rows refers to something the archive does not have."""
    tasks = {row["id"] for row in tables["tasks"]}
    runs = {row["id"] for row in tables["runs"]}
    links: list[tuple[str, str, Collection[object]]] = [
        ("runs", "task_id", tasks), ("steps", "run_id", runs), ("run_params", "run_id", runs),
        ("feedback", "task_id", tasks | {None}), ("skills", "task_id", tasks),
        ("steps", "shot_sha256", blobs | {None}), ("places", "crop_sha256", blobs | {None})]
    for table, column, known in links:
        for n, row in enumerate(tables[table], 1):
            if row[column] not in known:
                return f"{table} row {n}: {column} {row[column]!r} is not in the archive"
    return None


def _merge(store: MemoryStore, archive: zipfile.ZipFile, rows: Rows, blobs: list[str],
           file: Path) -> TransferReport:
    fresh: list[str] = []
    with store.writing() as db:
        try:
            for sha in blobs:  # payload first
                data = archive.read(f"blobs/{sha}.png")
                if hashlib.sha256(data).hexdigest() != sha or not data.startswith(PNG_MAGIC):
                    raise _refused(file, f"blob {sha} does not match its name")
                if not store.blobs.path(sha).exists():
                    fresh.append(sha)
                store.blobs.put(data)
            added = _merge_rows(db, rows)
        except BaseException as exc:
            store.blobs.remove(fresh)
            if isinstance(exc, KeyError):  # a blob the manifest lists but the archive lacks
                raise _refused(file, f"missing {exc}") from exc
            if isinstance(exc, sqlite3.Error):  # e.g. a place's source or a feedback kind not known here
                raise _refused(file, f"rows that do not fit this memory: {exc}") from exc
            raise
    return TransferReport(rows=added, blobs=len(fresh))


def _merge_rows(db: sqlite3.Connection, rows: Rows) -> dict[str, int]:
    added = dict.fromkeys(_TABLES, 0)
    task_ids: dict[object, int | None] = {None: None}
    for task in rows["tasks"]:
        added["tasks"] += db.execute("INSERT INTO tasks (name, steps_text, created_at, last_run_at)"
                                     " VALUES (:name, :steps_text, :created_at, :last_run_at)"
                                     " ON CONFLICT (name, steps_text) DO NOTHING", task).rowcount
        local, last = db.execute("SELECT id, last_run_at FROM tasks WHERE name = :name"
                                 " AND steps_text = :steps_text", task).fetchone()
        task_ids[task["id"]] = local
        if task["last_run_at"] is not None and (last is None or last < task["last_run_at"]):
            db.execute("UPDATE tasks SET last_run_at = ? WHERE id = ?", (task["last_run_at"], local))
    new_runs = set()
    for run in rows["runs"]:
        if _insert(db, "runs", {**run, "task_id": task_ids[run["task_id"]]}, "OR IGNORE"):
            new_runs.add(run["id"])
    added["runs"] = len(new_runs)
    for table in ("steps", "run_params"):
        added[table] = sum(_insert(db, table, row) for row in rows[table] if row["run_id"] in new_runs)
    for place in rows["places"]:
        local = db.execute("SELECT source, hits, misses, last_used FROM places WHERE app = :app"
                           " AND window_title = :window_title AND target = :target", place).fetchone()
        if local is None or _rank(place) > _rank(dict(zip(("source", "hits", "misses", "last_used"), local,
                                                              strict=True))):
            added["places"] += _insert(db, "places", place, "OR REPLACE")
    added["rejections"] = sum(_insert(db, "rejections", row, "", " ON CONFLICT DO UPDATE SET rejected_at ="
                                      " excluded.rejected_at WHERE excluded.rejected_at > rejected_at")
                              for row in rows["rejections"])
    added["feedback"] = sum(_insert(db, "feedback", {**row, "task_id": task_ids[row["task_id"]]},
                                    "OR IGNORE") for row in rows["feedback"])
    added["skills"] = sum(_insert(db, "skills", {**row, "task_id": task_ids[row["task_id"]]}, "",
                                  " ON CONFLICT (task_id) DO UPDATE SET steps_text = excluded.steps_text,"
                                  " params = excluded.params, runs = excluded.runs,"
                                  " succeeded = excluded.succeeded, median_ms = excluded.median_ms,"
                                  " consolidated_at = excluded.consolidated_at"
                                  " WHERE excluded.consolidated_at > consolidated_at")
                          for row in rows["skills"])
    return added


def _insert(db: sqlite3.Connection, table: str, row: Mapping[str, object], verb: str = "",
            conflict: str = "") -> int:
    """INSERT [verb] one row; 1 when it changed the table."""
    names = list(row)
    return db.execute(f"INSERT {verb} INTO {table} ({', '.join(names)})"
                      f" VALUES ({', '.join(':' + n for n in names)}){conflict}", row).rowcount


def _rank(place: Mapping[str, object]) -> tuple[bool, int, str]:
    """How good a place is: corrected before grounded, then hits - misses, then the most recently used."""
    hits, misses = cast(int, place["hits"]), cast(int, place["misses"])
    return place["source"] == "corrected", hits - misses, cast(str, place["last_used"])
