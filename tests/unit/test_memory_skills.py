"""Consolidation: successful runs of a task become one skill; stale runs, places and rejections go."""
from __future__ import annotations

import pytest
from test_memory import ORDER, results

from desktop_agent.core.results import RunStatus, StepStatus
from desktop_agent.core.values import Point, Rect
from desktop_agent.grounding.locators import Locator
from desktop_agent.memory.places import Places
from desktop_agent.memory.skills import consolidate, skill, skills


def run(memory, tmp_path, folder, duration_ms, *, ok=True, name="Order", params=None):
    memory.record_run(name, ORDER, results(ORDER, status=StepStatus.SUCCEEDED if ok else StepStatus.FAILED),
                      status=RunStatus.SUCCEEDED if ok else RunStatus.FAILED, trace_folder=tmp_path / folder,
                      duration_ms=duration_ms, params=params or {})


def test_three_runs_merge_into_one_skill(memory, tmp_path):
    run(memory, tmp_path, "r1", 1000, params={"customer": "Ada"})
    run(memory, tmp_path, "r2", 5000, ok=False)
    run(memory, tmp_path, "r3", 3000, params={"customer": "Grace", "email": "g@x"})
    run(memory, tmp_path, "r4", 2000)
    run(memory, tmp_path, "never", 10, ok=False, name="Broken")
    done = consolidate(memory)
    [learnt] = done.merged
    [task] = [t for t in memory.tasks() if t.name == "Order"]
    assert (learnt.task_id, learnt.name, learnt.runs, learnt.succeeded) == (task.id, "Order", 4, 3)
    assert learnt.success_rate == 0.75
    assert learnt.median_ms == 2000.0  # of the successful runs: 1000, 3000, 2000
    assert learnt.steps == tuple(ORDER) and learnt.params == ("customer", "email")
    assert skills(memory) == [learnt] and skill(memory, task.id) == learnt
    assert (done.runs_pruned, done.places_pruned, done.rejections_pruned) == (0, 0, 0)
    again = consolidate(memory)  # nothing new: nothing merged, nothing pruned
    assert again.merged == () and again.runs_pruned == 0 and skill(memory, task.id) == learnt


def test_consolidate_prunes_old_runs_and_stale_failing_places(memory, tmp_path):
    for n in range(5):  # started_at is "now - duration": shorter runs recorded later started later
        run(memory, tmp_path, f"r{n}", 100 * (5 - n))
    places = Places(memory)
    for target, misses in {"stale and failing": 2, "stale but good": 0, "fresh and failing": 2}.items():
        places.remember_place(app="App", window_title="W", target=target, crop=None, source="grounded",
                              locator=Locator(target=target, step=1, window=None, offset=Point(x=1, y=1)))
        for _ in range(misses):
            places.place_missed(app="App", window_title="W", target=target)
    places.reject(app="App", window_title="W", target="old", box=Rect(left=0, top=0, width=1, height=1))
    places.reject(app="App", window_title="W", target="new", box=Rect(left=0, top=0, width=1, height=1))
    long_ago = "2020-01-01T00:00:00.000+00:00"
    memory._db.execute("UPDATE places SET last_used = ? WHERE target LIKE 'stale%'", (long_ago,))
    memory._db.execute("UPDATE rejections SET rejected_at = ? WHERE target = 'old'", (long_ago,))
    done = consolidate(memory, keep_runs=3)
    assert (done.runs_pruned, done.places_pruned, done.rejections_pruned) == (2, 1, 1)
    [task] = memory.tasks()
    assert [r.id for r in memory.task(task.id).runs] == ["r4", "r3", "r2"]
    assert memory._db.execute("SELECT COUNT(*) FROM steps").fetchone()[0] == 3 * len(ORDER)
    assert places.places("App", "W", "stale and failing") == []
    assert places.places("App", "W", "stale but good") and places.places("App", "W", "fresh and failing")
    assert places.rejected("App", "W", "old") == [] and places.rejected("App", "W", "new")
    [learnt] = done.merged
    assert (learnt.runs, learnt.median_ms) == (3, 200.0)  # r2, r3, r4: 300, 200, 100 ms
    with pytest.raises(ValueError):
        consolidate(memory, keep_runs=0)
