"""Blobs: forget removes the ones only its task used; retention prunes only unreferenced ones, least
recently used first."""
from __future__ import annotations

import os

import pytest
from test_memory import ORDER, png, results

from desktop_agent.core.results import RunStatus
from desktop_agent.memory.store import MemoryStore


@pytest.fixture
def memory(tmp_path):
    with MemoryStore.open(tmp_path / "memory.sqlite3", blob_limit_bytes=10**9) as opened:
        yield opened


def run_with_shots(memory, tmp_path, name, run, images):
    shots = {}
    for index, data in enumerate(images):
        shots[index] = tmp_path / f"{run}-{index}.png"
        shots[index].write_bytes(data)
    memory.record_run(name, ORDER, results(ORDER), status=RunStatus.SUCCEEDED, trace_folder=tmp_path / run,
                      duration_ms=10, shots=shots)


def test_forget_removes_the_blobs_only_its_task_referenced(memory, tmp_path):
    shared, own = png(1), png(2)
    run_with_shots(memory, tmp_path, "Order", "run-a", [shared, own])
    run_with_shots(memory, tmp_path, "Other order", "run-b", [shared])
    by_name = {t.name: t.id for t in memory.tasks()}
    shas = [s.shot_sha256 for s in memory.task(by_name["Order"]).last_steps]
    assert all(memory.blobs.path(sha).exists() for sha in shas)
    assert memory.forget(by_name["Order"]) == 1
    assert memory.blobs.path(shas[0]).exists()  # still used by the other task
    assert not memory.blobs.path(shas[1]).exists()
    memory.forget(by_name["Other order"])
    assert memory.blobs.blobs() == []


def test_retention_prunes_only_unreferenced_blobs_least_recently_used_first(memory, tmp_path):
    run_with_shots(memory, tmp_path, "Order", "run-a", [png(1, size=32)])
    [kept] = [b.sha256 for b in memory.blobs.blobs()]
    loose = [memory.blobs.put(png(value, size=32)) for value in (10, 20, 30)]  # nothing refers to these
    for age, sha in ((300, kept), (200, loose[0]), (100, loose[1])):  # loose[2] was used just now
        os.utime(memory.blobs.path(sha), (0, 1_000_000 - age))
    sizes = {b.sha256: b.size for b in memory.blobs.blobs()}
    memory.blob_limit_bytes = sum(sizes.values()) - 1  # one blob too many
    assert memory.prune_blobs() == 1
    remaining = {b.sha256 for b in memory.blobs.blobs()}
    assert remaining == {kept, loose[1], loose[2]}  # the least recently used unreferenced one went
    memory.blob_limit_bytes = 0
    assert memory.prune_blobs() == 2
    assert {b.sha256 for b in memory.blobs.blobs()} == {kept}  # referenced: never pruned
    # a step's shot is referenced from its row
    [task] = memory.tasks()
    assert memory.task(task.id).last_steps[0].shot_sha256 == kept


def test_recording_prunes_over_the_limit(tmp_path):
    with MemoryStore.open(tmp_path / "m.sqlite3", blob_limit_bytes=0) as memory:
        loose = memory.blobs.put(png(99))
        run_with_shots(memory, tmp_path, "Order", "run-a", [png(1)])
        assert memory.blobs.path(loose).exists() is False
        assert len(memory.blobs.blobs()) == 1
