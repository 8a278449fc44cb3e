"""What a person said about a proposed step: approved it, corrected it, or rejected (skipped) it.

Feedback is usually given while a run is going, before the run is recorded, so it names the run (its
trace folder's name) and is linked to the task when `record_run` records that run — which also masks
the run's secrets in its detail. Guaranteed: recording the same feedback twice (same run, step, kind,
detail and time) keeps one row. Not guaranteed: masking of secrets in feedback given after its run was
recorded, or given for a task without a run.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from desktop_agent.memory.store import MemoryStore, now_iso


class FeedbackKind(enum.Enum):
    APPROVED = "approved"
    CORRECTED = "corrected"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True, kw_only=True)
class Feedback:
    run_id: str | None
    task_id: int | None  # None until the run is recorded
    step_index: int      # 0-based
    kind: FeedbackKind
    detail: str          # e.g. the corrected step text, or why it was rejected
    created_at: str      # UTC, ISO 8601


def record_feedback(store: MemoryStore, *, run_id: str | None = None, task_id: int | None = None,
                    step_index: int, kind: FeedbackKind | str, detail: str = "") -> None:
    """Remember feedback on step `step_index` of run `run_id` (recorded or not yet) or of task
    `task_id`. An unknown `task_id` raises AgentError; giving neither is a programming error."""
    if run_id is None and task_id is None:
        raise ValueError("feedback needs a run_id or a task_id")
    kind = FeedbackKind(kind)
    with store.writing() as db:
        if run_id is not None and task_id is None:
            row = db.execute("SELECT task_id FROM runs WHERE id = ?", (run_id,)).fetchone()
            task_id = row[0] if row is not None else None
        db.execute("INSERT OR IGNORE INTO feedback (run_id, task_id, step_index, kind, detail, created_at)"
                   " VALUES (?, ?, ?, ?, ?, ?)", (run_id, task_id, step_index, kind.value, detail, now_iso()))


def task_feedback(store: MemoryStore, task_id: int) -> list[Feedback]:
    """The feedback linked to task `task_id`, oldest first."""
    with store.reading() as db:
        rows = db.execute("SELECT run_id, task_id, step_index, kind, detail, created_at FROM feedback"
                          " WHERE task_id = ? ORDER BY created_at, id", (task_id,)).fetchall()
    return [Feedback(run_id=r[0], task_id=r[1], step_index=r[2], kind=FeedbackKind(r[3]), detail=r[4],
                     created_at=r[5]) for r in rows]
