"""Workspace checkpoints: snapshot, restore byte for byte, never lose or touch anything else."""
from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import replace
from pathlib import Path

import pytest
from fakes import FakeDesktop
from test_runner import OK, screen

from desktop_agent.cli.main import main
from desktop_agent.core.results import RunStatus
from desktop_agent.durability import restore as restore_module
from desktop_agent.durability import snapshots as checkpoint_module
from desktop_agent.durability.restore import restore
from desktop_agent.durability.snapshots import CheckpointError, WorkspaceStore
from desktop_agent.language.steps import plan_from_steps
from desktop_agent.run.runner import Runner, RunOptions
from desktop_agent.run.trace import Trace
from desktop_agent.safety.audit import AuditLog
from desktop_agent.safety.guard import Guard
from desktop_agent.safety.policy import load_policy
from desktop_agent.safety.stop import StopToken


def tree(root):
    """Every path under `root` -> (kind, permission bits, sha256 of the bytes or the link text)."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            rel = os.path.relpath(path, root)
            if stat.S_ISLNK(st.st_mode):
                found[rel] = ("link", None, os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                found[rel] = ("dir", stat.S_IMODE(st.st_mode), None)
            else:
                digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
                found[rel] = ("file", stat.S_IMODE(st.st_mode), digest)
    return found


def make_workspace(tmp_path):
    ws = tmp_path / "ws"
    (ws / "orders" / "2026").mkdir(parents=True)
    (ws / "empty").mkdir()
    (ws / "orders" / "a.txt").write_bytes(b"order a\n")
    (ws / "orders" / "2026" / "b.csv").write_bytes(b"id,total\n1,9.99\n")
    (ws / "run.sh").write_bytes(b"#!/bin/sh\necho hi\n")
    (ws / "run.sh").chmod(0o750)
    (ws / "binary.bin").write_bytes(bytes(range(256)) * 300)
    (ws / "latest").symlink_to("orders/a.txt")
    return ws


def mess_up(ws):
    (ws / "orders" / "a.txt").write_bytes(b"overwritten")
    (ws / "orders" / "2026" / "b.csv").unlink()
    (ws / "empty").rmdir()
    (ws / "run.sh").chmod(0o600)
    (ws / "binary.bin").write_bytes(b"")
    (ws / "latest").unlink()
    (ws / "latest").symlink_to("run.sh")
    (ws / "new.txt").write_text("created later")
    (ws / "new-dir" / "deep").mkdir(parents=True)
    (ws / "new-dir" / "deep" / "x").write_text("x")
    (ws / "orders" / "2026").rename(ws / "moved")
    (ws / "orders" / "2026").write_text("a file where a directory was")


def test_restore_puts_the_tree_back_byte_identical_with_modes(tmp_path):
    ws = make_workspace(tmp_path)
    before = tree(ws)
    store = WorkspaceStore(tmp_path / "store")
    taken = store.snapshot([ws], label="step001")
    mess_up(ws)
    assert tree(ws) != before

    report = restore(store, taken)

    assert tree(ws) == before
    assert report.complete and report.not_restorable == ()
    assert ws / "new.txt" in report.removed and ws / "new-dir" / "deep" / "x" in report.removed
    assert ws / "moved" in report.removed
    assert {ws / "orders" / "a.txt", ws / "run.sh", ws / "latest", ws / "empty",
            ws / "orders" / "2026" / "b.csv"} <= set(report.restored)
    assert ws / "orders" in report.unchanged
    assert report.bytes_restored >= len(b"order a\n") + 256 * 300
    assert restore(store, taken).restored == ()  # restoring again: nothing left to do


def test_restore_keeps_a_copy_of_what_it_replaces(tmp_path):
    ws = make_workspace(tmp_path)
    store = WorkspaceStore(tmp_path / "store")
    taken = store.snapshot([ws], label="step001")
    mess_up(ws)
    messed = tree(ws)

    report = restore(store, taken)
    undo = next(c for c in store.checkpoints() if c.id == report.undo)
    restore(store, undo)

    assert tree(ws) == messed  # the rollback itself lost nothing


def test_identical_content_is_stored_once(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    for name in ("one", "two", "three"):
        (ws / name).write_bytes(b"same bytes")
    (ws / "other").write_bytes(b"different")
    store = WorkspaceStore(tmp_path / "store")
    first = store.snapshot([ws], label="first")
    second = store.snapshot([ws], label="second")

    blobs = [p for p in (tmp_path / "store" / "blobs").rglob("*") if p.is_file()]
    assert len(blobs) == 2
    sha = hashlib.sha256(b"same bytes").hexdigest()
    assert (tmp_path / "store" / "blobs" / sha[:2] / sha).read_bytes() == b"same bytes"
    assert [c.id for c in store.checkpoints()] == [first.id, second.id] == ["0001-first", "0002-second"]


def test_a_checkpoint_without_its_manifest_does_not_exist(tmp_path, monkeypatch):
    ws = make_workspace(tmp_path)
    store = WorkspaceStore(tmp_path / "store")
    store.snapshot([ws], label="step001")

    def crash(*args, **kwargs):
        raise OSError("power cut")

    monkeypatch.setattr(WorkspaceStore, "_write_manifest", crash)
    (ws / "orders" / "a.txt").write_bytes(b"new content, stored as a blob before the crash")
    with pytest.raises(OSError):
        store.snapshot([ws], label="step002")
    (tmp_path / "store" / "checkpoints" / ".0002-step002-x.tmp").write_text('{"half": ')

    sha = hashlib.sha256(b"new content, stored as a blob before the crash").hexdigest()
    assert (tmp_path / "store" / "blobs" / sha[:2] / sha).is_file()  # payload first...
    assert [c.label for c in store.checkpoints()] == ["step001"]  # ...no manifest, no checkpoint


def test_files_over_the_size_cap_are_listed_and_reported_not_restorable(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "small").write_bytes(b"s" * 10)
    (ws / "big").write_bytes(b"b" * 1000)
    store = WorkspaceStore(tmp_path / "store")
    taken = store.snapshot([ws], label="step001", size_cap_bytes=100)

    assert [s.path for s in taken.skipped] == [ws / "big"]
    assert "size cap" in taken.skipped[0].reason and taken.skipped[0].size == 1000
    manifest = json.loads(taken.manifest.read_text())
    assert manifest["skipped"][0]["path"] == str(ws / "big")

    (ws / "big").write_bytes(b"changed")
    (ws / "small").write_bytes(b"changed")
    report = restore(store, taken)
    assert not report.complete
    assert [p.path for p in report.not_restorable] == [ws / "big"]
    assert (ws / "big").read_bytes() == b"changed"  # left alone, never deleted
    assert (ws / "small").read_bytes() == b"s" * 10


def test_restore_refuses_to_follow_a_symlink_out_of_the_workspace(tmp_path):
    ws = make_workspace(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "a.txt").write_bytes(b"precious, not part of the workspace")
    (outside / "keep.txt").write_bytes(b"also precious")
    outside_before = tree(outside)
    store = WorkspaceStore(tmp_path / "store")
    before = tree(ws)
    taken = store.snapshot([ws], label="step001")

    # "orders" becomes a link to a folder outside: restoring must not write through it.
    os.rename(ws / "orders", tmp_path / "orders-aside")
    (ws / "orders").symlink_to(outside)
    dry = restore(store, taken, dry_run=True)
    assert dry.not_restorable == ()
    report = restore(store, taken)

    assert tree(outside) == outside_before
    assert (outside / "a.txt").read_bytes() == b"precious, not part of the workspace"
    assert (outside / "keep.txt").read_bytes() == b"also precious"
    assert tree(ws) == before and report.complete


def test_a_directory_that_stays_a_symlink_is_never_written_through(tmp_path, monkeypatch):
    ws = make_workspace(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "a.txt").write_bytes(b"precious")
    outside_before = tree(outside)
    store = WorkspaceStore(tmp_path / "store")
    taken = store.snapshot([ws], label="step001")
    os.rename(ws / "orders", tmp_path / "orders-aside")
    (ws / "orders").symlink_to(outside)
    put = restore_module._Plan._put

    def put_but_leave_the_link(plan, entry):  # as if replacing the link with a directory failed
        if entry.path != ws / "orders":
            put(plan, entry)

    monkeypatch.setattr(restore_module._Plan, "_put", put_but_leave_the_link)
    report = restore(store, taken)

    assert tree(outside) == outside_before
    refused = {s.path: s.reason for s in report.not_restorable}
    assert set(refused) == {ws / "orders" / "a.txt", ws / "orders" / "2026", ws / "orders" / "2026" / "b.csv"}
    assert all("symlink out of the workspace" in reason for reason in refused.values())


def test_restore_refuses_paths_outside_the_workspace_and_a_moved_workspace(tmp_path):
    ws = make_workspace(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"do not touch")
    store = WorkspaceStore(tmp_path / "store")
    taken = store.snapshot([ws], label="step001")

    data = json.loads(taken.manifest.read_text())
    data["entries"][1]["path"] = str(victim)
    taken.manifest.write_text(json.dumps(data))
    with pytest.raises(CheckpointError, match="outside its workspace"):
        store.checkpoints()

    # The workspace's parent is now a symlink to somewhere else: everything there is refused.
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "ws").mkdir(parents=True)
    (elsewhere / "ws" / "mine").write_bytes(b"someone else's")
    elsewhere_before = tree(elsewhere)
    moved = replace(taken, roots=(replace(taken.roots[0], path=tmp_path / "link" / "ws"),),
                    entries=tuple(replace(e, path=tmp_path / "link" / e.path.relative_to(tmp_path))
                                  for e in taken.entries))
    (tmp_path / "link").symlink_to(elsewhere)
    report = restore(store, moved)
    assert not report.complete and "refused" in report.not_restorable[0].reason
    assert tree(elsewhere) == elsewhere_before
    assert (elsewhere / "ws" / "mine").read_bytes() == b"someone else's"
    assert victim.read_bytes() == b"do not touch"


def test_dry_run_reports_and_changes_nothing(tmp_path):
    ws = make_workspace(tmp_path)
    store = WorkspaceStore(tmp_path / "store")
    taken = store.snapshot([ws], label="step001")
    mess_up(ws)
    messed = tree(ws)

    report = restore(store, taken, dry_run=True)

    assert tree(ws) == messed
    assert report.dry_run and report.undo is None
    assert ws / "new.txt" in report.removed and ws / "orders" / "a.txt" in report.restored
    assert len(store.checkpoints()) == 1
    said = restore_module.describe(report)
    assert "would restore" in said and "would remove" in said
    assert "restored " not in said and "removed " not in said  # nothing was, and no line says it was


def test_a_workspace_path_that_did_not_exist_is_removed_again(tmp_path):
    target = tmp_path / "out"
    store = WorkspaceStore(tmp_path / "store")
    taken = store.snapshot([target], label="step001")
    (target / "sub").mkdir(parents=True)
    (target / "sub" / "f").write_text("made by the task")

    report = restore(store, taken)
    assert not target.exists() and report.complete and target in report.removed


# ---------------------------------------------------------------- the runner and `rollback`
def run_with_workspace(tmp_path, ws):
    """Two clicks on a scripted desktop; each click also 'saves' a file in the workspace."""
    desktop = FakeDesktop([screen(OK), screen(OK, shade=180), screen(OK, shade=160)])
    react = desktop.actuator.execute
    clicks = []

    def execute(operation):
        clicks.append(operation)
        (ws / "orders" / "a.txt").write_bytes(f"saved after click {len(clicks)}".encode())
        (ws / f"export-{len(clicks)}.csv").write_text("x")
        react(operation)

    desktop.actuator.execute = execute
    stop = StopToken()
    guard = Guard(policy=load_policy(None), actuator=desktop.actuator,
                  audit=AuditLog(tmp_path / "audit.jsonl"), stop=stop, own_pids=frozenset({999}))
    trace = Trace(tmp_path / "traces" / "run1")
    runner = Runner(senses=desktop, guard=guard, stop=stop, trace=trace,
                    options=RunOptions(find_timeout_s=0.2, settle_timeout_s=0.5))
    plan = replace(plan_from_steps(['click "OK"', 'wait for "OK" to appear', 'click "OK"']),
                   workspace=(ws,))
    finished = list(runner.run(plan))[-1]
    assert finished.status is RunStatus.SUCCEEDED and len(clicks) == 2
    return trace.folder


def test_runner_checkpoints_before_each_acting_step_and_rollback_restores(tmp_path, capsys):
    ws = make_workspace(tmp_path)
    before = tree(ws)
    folder = run_with_workspace(tmp_path, ws)

    events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
    taken = [e for e in events if e["kind"] == "checkpoint"]
    assert [(e["index"], e["id"]) for e in taken] == [(0, "0001-step001"), (2, "0002-step003")]
    after_run = tree(ws)

    assert main(["rollback", str(folder), "--dry-run"]) == 0
    assert tree(ws) == after_run
    assert "would remove 2" in capsys.readouterr().out

    assert main(["rollback", "run1", "--to", "2", "--trace-dir", str(tmp_path / "traces")]) == 0
    assert (ws / "orders" / "a.txt").read_bytes() == b"saved after click 1"  # as before step 3
    assert sorted(p.name for p in ws.glob("export-*")) == ["export-1.csv"]

    assert main(["rollback", str(folder)]) == 0
    assert tree(ws) == before
    out = capsys.readouterr().out
    assert "0001-step001" in out and "0 not restorable" in out

    assert main(["rollback", str(folder), "--to", "4"]) == 2  # no checkpoint that late
    assert main(["rollback", str(tmp_path / "no-such-run")]) == 2


def test_rollback_exits_1_and_says_what_it_could_not_restore(tmp_path, capsys):
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "huge.iso").write_bytes(b"h" * 500)
    (ws / "small").write_bytes(b"s")
    WorkspaceStore(tmp_path / "run" / "workspace").snapshot([ws], label="step001", size_cap_bytes=100)
    (ws / "small").write_bytes(b"changed")

    assert main(["rollback", str(tmp_path / "run")]) == 1
    out = capsys.readouterr().out
    assert f"NOT RESTORED {ws / 'huge.iso'} (500 bytes): size cap" in out
    assert (ws / "small").read_bytes() == b"s" and (ws / "huge.iso").read_bytes() == b"h" * 500
    assert checkpoint_module.DEFAULT_SIZE_CAP == 200 * 1024 * 1024
