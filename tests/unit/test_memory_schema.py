"""A memory written by an older desktop-agent is migrated in place and keeps its rows."""
from __future__ import annotations

import sqlite3

from test_memory import ORDER, results

from desktop_agent.core.results import RunStatus
from desktop_agent.memory.feedback import record_feedback, task_feedback
from desktop_agent.memory.places import Places
from desktop_agent.memory.schema import APPLICATION_ID, MIGRATIONS, statements
from desktop_agent.memory.store import SCHEMA_VERSION, MemoryStore


def version_1_file(path):
    """A memory exactly as schema version 1 left it, with one task, one run and its steps."""
    db = sqlite3.connect(path, isolation_level=None)
    for statement in statements(MIGRATIONS[0]):
        db.execute(statement)
    db.execute("UPDATE schema_version SET version = 1")
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute("INSERT INTO tasks VALUES (1, 'Fill in the order', ?, '2026-01-01T00:00:00.000+00:00',"
               " '2026-01-01T00:00:01.000+00:00')", ("\n".join(ORDER),))
    db.execute("INSERT INTO runs VALUES ('old-run', 1, 'succeeded', '2026-01-01T00:00:00.000+00:00',"
               " 1000.0, '/traces/old-run')")
    for index, text in enumerate(ORDER):
        db.execute("INSERT INTO steps VALUES ('old-run', ?, ?, 'click', NULL, NULL, NULL, 'text', 'allow',"
                   " 'succeeded', NULL, 12.0)", (index, text))
    db.close()


def test_a_version_1_memory_is_migrated_in_place_and_keeps_its_rows(tmp_path):
    path = tmp_path / "memory.sqlite3"
    version_1_file(path)
    with MemoryStore.open(path) as memory:
        [task] = memory.tasks()
        assert (task.id, task.name, task.steps, task.runs, task.succeeded) == (
            1, "Fill in the order", tuple(ORDER), 1, 1)
        detail = memory.task(1)
        assert [s.text for s in detail.last_steps] == ORDER
        assert detail.runs[0].params == {} and detail.last_steps[0].shot_sha256 is None
        assert memory.search("order")[0].task.id == 1  # the full-text index came along
        # the new parts work on the old rows
        memory.record_run("Fill in the order", ORDER, results(ORDER), status=RunStatus.SUCCEEDED,
                          trace_folder=tmp_path / "new-run", duration_ms=10, params={"x": "1"})
        record_feedback(memory, run_id="old-run", step_index=0, kind="approved")
        assert memory.tasks()[0].runs == 2
        assert [f.kind.value for f in task_feedback(memory, 1)] == ["approved"]
    db = sqlite3.connect(path)
    assert db.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()


def test_a_version_2_place_is_kept_and_learned_by_no_step(tmp_path):
    path = tmp_path / "memory.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    for script in MIGRATIONS[:2]:
        for statement in statements(script):
            db.execute(statement)
    db.execute("UPDATE schema_version SET version = 2")
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute("INSERT INTO places (app, window_title, target, offset_x, offset_y, window_width, window_height,"
               " element_text, element_role, source, hits, misses, last_used) VALUES ('orders', 'Orders',"
               " '\"OK\"', 10, 20, 400, 300, 'OK', 'button', 'grounded', 5, 0, '2026-01-01T00:00:00.000+00:00')")
    db.close()
    with MemoryStore.open(path) as memory:
        [place] = Places(memory).places("orders", "Orders", '"OK"')
        assert (place.hits, place.learned_by) == (5, frozenset())  # it settles nothing until a step finds it
