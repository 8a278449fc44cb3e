"""Export and import: a fresh memory gets the same contents, a second import adds nothing, and an archive
that is foreign or damaged is refused with the memory unchanged."""
from __future__ import annotations

import json
import sqlite3
import zipfile

import numpy as np
import pytest
from test_memory import ORDER, png, results

from desktop_agent.core.errors import AgentError
from desktop_agent.core.results import RunStatus
from desktop_agent.core.values import Point, Rect
from desktop_agent.grounding.locators import Locator, WindowRef
from desktop_agent.memory.feedback import record_feedback, task_feedback
from desktop_agent.memory.places import Places
from desktop_agent.memory.skills import consolidate, skills
from desktop_agent.memory.store import MemoryStore
from desktop_agent.memory.transfer import MANIFEST, export_memory, import_memory


def fill(memory: MemoryStore, tmp_path) -> None:
    shot = tmp_path / "shot.png"
    shot.write_bytes(png(5))
    memory.record_run("Order", ORDER, results(ORDER), status=RunStatus.SUCCEEDED,
                      trace_folder=tmp_path / "r1", duration_ms=1200, params={"customer": "Ada"},
                      shots={0: shot})
    record_feedback(memory, run_id="r1", step_index=0, kind="approved")
    places = Places(memory)
    places.remember_place(app="App", window_title="W", target='"OK" button', source="corrected",
                          learner=("Order", 1),
                          crop=np.full((6, 6, 3), 9, np.uint8),
                          locator=Locator(target='"OK" button', step=1, offset=Point(x=3, y=4),
                                          window=WindowRef(title="W", wm_class="App", width=50, height=40)))
    places.reject(app="App", window_title="W", target='"OK" button',
                  box=Rect(left=1, top=2, width=3, height=4))
    consolidate(memory)


def contents(path) -> list[str]:
    """Everything in a memory: its rows (SQL dump) and its blob files."""
    db = sqlite3.connect(path)
    dump = list(db.iterdump())
    db.close()
    with MemoryStore.open(path) as memory:
        return dump + sorted(b.sha256 for b in memory.blobs.blobs())


@pytest.fixture
def archive(tmp_path):
    with MemoryStore.open(tmp_path / "source.sqlite3") as memory:
        fill(memory, tmp_path)
        report = export_memory(memory, tmp_path / "memory.zip")
    assert report.blobs == 2 and report.rows["places"] == 1 and report.rows["skills"] == 1
    return tmp_path / "memory.zip"


def test_export_import_into_a_fresh_memory_then_again_adds_nothing(archive, tmp_path):
    with zipfile.ZipFile(archive) as opened:
        assert opened.namelist()[-1] == MANIFEST  # the manifest is written last
    assert archive.stat().st_mode & 0o777 == 0o600
    with (MemoryStore.open(tmp_path / "source.sqlite3") as source,
          MemoryStore.open(tmp_path / "t.sqlite3") as target):
        first = import_memory(target, archive)
        assert first.changed and first.blobs == 2 and first.rows["runs"] == 1 and first.rows["feedback"] == 1
        [task] = target.tasks()
        assert target.task(task.id) == source.task(source.tasks()[0].id)
        assert task_feedback(target, task.id) == task_feedback(source, task.id)
        assert skills(target) == skills(source)
        assert (Places(target).places("App", "W", '"OK" button')[0].locator
                == Places(source).places("App", "W", '"OK" button')[0].locator)
        assert Places(target).rejected("App", "W", '"OK" button') == [Rect(left=1, top=2, width=3, height=4)]
        shot = target.task(task.id).last_steps[0].shot_sha256
        assert target.blobs.read(shot) == source.blobs.read(shot)
    before = contents(tmp_path / "t.sqlite3")
    with MemoryStore.open(tmp_path / "t.sqlite3") as target:
        second = import_memory(target, archive)
    assert not second.changed and contents(tmp_path / "t.sqlite3") == before


def rewrite(archive, out, *, manifest=None, blob=None, drop_blob=False):
    """A copy of `archive` with its manifest edited by `manifest(dict)` or its blob bytes replaced."""
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == MANIFEST and manifest is not None:
                document = json.loads(data)
                manifest(document)
                data = json.dumps(document).encode()
            elif name.startswith("blobs/") and (blob is not None or drop_blob):
                if drop_blob:
                    continue
                data = blob
            target.writestr(name, data)
    return out


def damaged(kind, archive, tmp_path):
    out = tmp_path / f"{kind}.zip"
    match kind:
        case "truncated":
            out.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
        case "not a zip":
            out.write_bytes(b"hello" * 100)
        case "foreign":
            with zipfile.ZipFile(out, "w") as other:
                other.writestr("manifest.json", json.dumps({"format": "something-else"}))
        case "newer":
            rewrite(archive, out, manifest=lambda m: m.update(version=99))
        case "bad row":
            rewrite(archive, out, manifest=lambda m: m["tables"]["runs"][0].update(duration_ms="long"))
        case "dangling":
            rewrite(archive, out, manifest=lambda m: m["tables"]["runs"][0].update(task_id=999))
        case "unknown kind":
            rewrite(archive, out, manifest=lambda m: m["tables"]["feedback"][0].update(kind="liked"))
        case "tampered blob":
            rewrite(archive, out, blob=png(200))
        case "missing blob":
            rewrite(archive, out, drop_blob=True)
    return out


@pytest.mark.parametrize("kind", ["truncated", "not a zip", "foreign", "newer", "bad row", "dangling",
                                  "unknown kind", "tampered blob", "missing blob"])
def test_a_foreign_or_damaged_archive_is_refused_and_changes_nothing(archive, tmp_path, kind):
    path = tmp_path / "target.sqlite3"
    with MemoryStore.open(path) as target:
        target.record_run("Existing", ORDER, results(ORDER), status=RunStatus.SUCCEEDED,
                          trace_folder=tmp_path / "mine", duration_ms=5)
    before = contents(path)
    bad = damaged(kind, archive, tmp_path)
    with MemoryStore.open(path) as target, pytest.raises(AgentError) as info:
        import_memory(target, bad)
    assert str(bad) in str(info.value) and "nothing was imported" in str(info.value)
    assert contents(path) == before


def test_a_version_1_archive_without_learners_is_imported_learned_by_no_step(archive, tmp_path):
    old = tmp_path / "v1.zip"

    def as_version_1(manifest):
        manifest["version"] = 1
        for place in manifest["tables"]["places"]:
            del place["learned_by"]
    rewrite(archive, old, manifest=as_version_1)
    with MemoryStore.open(tmp_path / "target.sqlite3") as target:
        assert import_memory(target, old).rows["places"] == 1
        [place] = Places(target).places("App", "W", '"OK" button')
        assert place.learned_by == frozenset()
