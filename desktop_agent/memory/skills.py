"""Skills: what the memory learnt about a task from its runs, and the consolidation that keeps the memory
bounded.

A skill is one per task that has succeeded at least once: its canonical steps (the step texts of its
most recent successful run), its parameter names, how many of its remembered runs succeeded, and how long
a successful run typically takes (the median). `consolidate` brings every skill up to date and prunes:
runs beyond the newest `keep_runs` of each task (with their steps, parameters and feedback), places not
confirmed for `stale_after` that missed more often than they hit, rejections older than `stale_after`,
and then unreferenced blobs over the store's limit.

Guaranteed: one consolidation is one transaction (blobs are pruned after it commits); running it again
with nothing new merges and prunes nothing. Not guaranteed: counts over runs that were pruned — a skill
describes the runs still remembered.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
import statistics
from typing import Any

from desktop_agent.core.values import frozen
from desktop_agent.memory.store import MemoryStore, now_iso

KEEP_RUNS = 50
STALE_AFTER = dt.timedelta(days=90)



@frozen
class Skill:
    task_id: int
    name: str
    steps: tuple[str, ...]
    params: tuple[str, ...]  # parameter names, sorted
    runs: int
    succeeded: int
    median_ms: float         # typical duration of a successful run
    consolidated_at: str     # UTC, ISO 8601

    @property
    def success_rate(self) -> float:
        return self.succeeded / self.runs


@frozen
class Consolidation:
    merged: tuple[Skill, ...]  # skills created or changed by this pass
    runs_pruned: int
    places_pruned: int
    rejections_pruned: int
    blobs_pruned: int


def consolidate(store: MemoryStore, *, keep_runs: int = KEEP_RUNS,
                stale_after: dt.timedelta = STALE_AFTER) -> Consolidation:
    """Merge each task's successful runs into its skill and prune stale entries (see the module doc).
    Cheap enough to call whenever the agent is idle."""
    if keep_runs < 1:
        raise ValueError(f"keep_runs must be at least 1, got {keep_runs}")
    cutoff = now_iso(minus_ms=stale_after.total_seconds() * 1000)
    with store.writing() as db:
        old_runs = [row[0] for row in db.execute(
            "SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY task_id"
            " ORDER BY started_at DESC, rowid DESC) AS n FROM runs) WHERE n > ?", (keep_runs,))]
        for table, column in (("steps", "run_id"), ("run_params", "run_id"), ("feedback", "run_id"),
                              ("runs", "id")):
            db.executemany(f"DELETE FROM {table} WHERE {column} = ?", [(run,) for run in old_runs])
        places = db.execute("DELETE FROM places WHERE last_used < ? AND misses > hits", (cutoff,)).rowcount
        rejections = db.execute("DELETE FROM rejections WHERE rejected_at < ?", (cutoff,)).rowcount
        merged = []
        for (task_id,) in db.execute("SELECT id FROM tasks ORDER BY id").fetchall():
            fresh = _skill(db, task_id)
            if fresh is None:
                db.execute("DELETE FROM skills WHERE task_id = ?", (task_id,))
                continue
            old = db.execute("SELECT steps_text, params, runs, succeeded, median_ms FROM skills"
                             " WHERE task_id = ?", (task_id,)).fetchone()
            row = ("\n".join(fresh.steps), "\n".join(fresh.params), fresh.runs, fresh.succeeded,
                   fresh.median_ms)
            if old is None or tuple(old) != row:
                db.execute("INSERT OR REPLACE INTO skills (task_id, steps_text, params, runs, succeeded,"
                           " median_ms, consolidated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (task_id, *row, fresh.consolidated_at))
                merged.append(fresh)
    return Consolidation(merged=tuple(merged), runs_pruned=len(old_runs), places_pruned=places,
                         rejections_pruned=rejections, blobs_pruned=store.prune_blobs())


def skills(store: MemoryStore) -> list[Skill]:
    """Every skill, as of the last consolidation, most successful runs first."""
    with store.reading() as db:
        rows = db.execute(f"{_SELECT} ORDER BY s.succeeded DESC, s.task_id").fetchall()
    return [_row_skill(row) for row in rows]


def skill(store: MemoryStore, task_id: int) -> Skill | None:
    """Task `task_id`'s skill as of the last consolidation; None when it has none."""
    with store.reading() as db:
        row = db.execute(f"{_SELECT} WHERE s.task_id = ?", (task_id,)).fetchone()
    return _row_skill(row) if row is not None else None


_SELECT = ("SELECT s.task_id, t.name, s.steps_text, s.params, s.runs, s.succeeded, s.median_ms,"
           " s.consolidated_at FROM skills s JOIN tasks t ON t.id = s.task_id")


def _row_skill(row: tuple[Any, ...]) -> Skill:
    return Skill(task_id=row[0], name=row[1], steps=_lines(row[2]), params=_lines(row[3]), runs=row[4],
                 succeeded=row[5], median_ms=row[6], consolidated_at=row[7])


def _lines(text: object) -> tuple[str, ...]:
    return tuple(str(text).split("\n")) if text else ()


def _skill(db: sqlite3.Connection, task_id: int) -> Skill | None:
    """The skill of task `task_id` computed from its remembered runs; None before its first success."""
    runs = db.execute("SELECT id, status, duration_ms FROM runs WHERE task_id = ?"
                      " ORDER BY started_at DESC, rowid DESC", (task_id,)).fetchall()
    successes = [run for run in runs if run[1] == "succeeded"]
    if not successes:
        return None
    steps = db.execute("SELECT text FROM steps WHERE run_id = ? ORDER BY step_index",
                       (successes[0][0],)).fetchall()
    params = db.execute("SELECT DISTINCT p.name FROM run_params p JOIN runs r ON r.id = p.run_id"
                        " WHERE r.task_id = ? ORDER BY p.name", (task_id,)).fetchall()
    name = db.execute("SELECT name FROM tasks WHERE id = ?", (task_id,)).fetchone()[0]
    return Skill(task_id=task_id, name=name, steps=tuple(row[0] for row in steps),
                 params=tuple(row[0] for row in params), runs=len(runs), succeeded=len(successes),
                 median_ms=float(statistics.median(run[2] for run in successes)),
                 consolidated_at=now_iso())
