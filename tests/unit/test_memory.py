from __future__ import annotations

import io
import json
import sqlite3
import stat
import sys
from pathlib import Path

import pytest

from desktop_agent import compose
from desktop_agent.cli import main as cli
from desktop_agent.core.errors import AgentError
from desktop_agent.core.results import RunStatus, StepResult, StepStatus, Timings
from desktop_agent.core.values import Decision, Element, Point, Rect, Role, Target, Verdict
from desktop_agent.durability.ledger import Ledger
from desktop_agent.language.steps import plan_from_steps
from desktop_agent.memory.store import SCHEMA_VERSION, MemoryStore, default_path, fts_query

ORDER = ['type "Ada Lovelace" into the field right of "Customer name"', 'click "Submit order"']
LOGIN = ['type "ada" into the "User" field', 'type "hunter2-zebra" into the field right of "Password"',
         'click "Log in"']


def results(texts: list[str], *, status: StepStatus = StepStatus.SUCCEEDED,
            label: str = "") -> list[StepResult]:
    box = Rect(left=10, top=10, width=100, height=20)
    element = Element(role=Role.FIELD, box=box, label=label)
    return [StepResult(step=step, status=status, verdict=Verdict(decision=Decision.ALLOW, reason="ok"),
                       target=Target(box=box, point=Point(x=60, y=20), strategy="text", why="test",
                                     element=element),
                       timings=Timings(act_ms=12.0), error=None if status is StepStatus.SUCCEEDED else "boom")
            for step in plan_from_steps(texts).steps]


def record(memory: MemoryStore, name: str, texts: list[str], folder: Path, **kwargs) -> str:
    status = kwargs.pop("run_status", RunStatus.SUCCEEDED)
    return memory.record_run(name, texts, results(texts, **kwargs), status=status, trace_folder=folder,
                             duration_ms=1500)


def test_new_file_schema_pragmas_and_mode(tmp_path):
    path = tmp_path / "sub" / "memory.sqlite3"
    MemoryStore.open(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert [r[0] for r in db.execute("SELECT version FROM schema_version")] == [SCHEMA_VERSION] == [3]
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
    assert {"tasks", "runs", "steps", "tasks_fts", "run_params", "places", "rejections", "feedback",
            "skills"} <= names
    db.close()
    with MemoryStore.open(path) as again:  # reopening an existing memory works and keeps it
        assert again.tasks() == []
        assert again._db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_default_path_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_path() == tmp_path / "desktop-agent" / "memory.sqlite3"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/dir")
    assert default_path() == Path.home() / ".local" / "share" / "desktop-agent" / "memory.sqlite3"


def test_two_runs_of_one_task(memory, tmp_path):
    record(memory, "Fill in the order", ORDER, tmp_path / "run-1")
    record(memory, "Fill in the order", ORDER, tmp_path / "run-2", status=StepStatus.FAILED,
           run_status=RunStatus.FAILED)
    [task] = memory.tasks()
    assert (task.name, task.steps, task.runs, task.succeeded, task.success_rate) == (
        "Fill in the order", tuple(ORDER), 2, 1, 0.5)
    detail = memory.task(task.id)
    assert [r.id for r in detail.runs] == ["run-2", "run-1"]
    assert [(s.step_index, s.action, s.status, s.error, s.verdict, s.total_ms)
            for s in detail.last_steps] == [
        (0, "type", "failed", "boom", "allow", 12.0), (1, "click", "failed", "boom", "allow", 12.0)]
    assert detail.last_steps[0].target_text == 'field right of "Customer name"'
    record(memory, "Fill in the order", ORDER[:1], tmp_path / "run-3")  # other steps: another task
    assert len(memory.tasks()) == 2


def test_search_ranks_and_escapes(memory, tmp_path):
    record(memory, "Fill in the order form", ORDER, tmp_path / "a")
    record(memory, "Log in", LOGIN, tmp_path / "b")
    record(memory, "Order lunch", ['click "Pizza"'], tmp_path / "c")
    matches = memory.search("order form")
    assert matches[0].task.name == "Fill in the order form"
    assert {m.task.name for m in matches} == {"Fill in the order form", "Order lunch"}
    assert matches[0].score > matches[1].score
    assert "[" in matches[0].snippet
    assert [m.task.name for m in memory.search("Pizza")] == ["Order lunch"]
    for hostile in ['"order AND (', 'NEAR(order', 'order*', '^"', "name:order", ")(", ""]:
        memory.search(hostile)  # never an FTS5 syntax error
    assert {m.task.name for m in memory.search('"order AND (')} == {"Fill in the order form", "Order lunch"}
    assert memory.search("*") == []
    assert fts_query('a "b" (c') == '"a" OR "b" OR "c"'


def test_forget_removes_task_runs_steps_and_index(memory, tmp_path):
    record(memory, "Fill in the order form", ORDER, tmp_path / "a")
    record(memory, "Fill in the order form", ORDER, tmp_path / "b")
    record(memory, "Log in", LOGIN, tmp_path / "c")
    order = memory.search("order")[0].task.id
    assert memory.forget(order) == 2
    counts = [memory._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
              for table in ("tasks", "runs", "steps")]
    assert counts == [1, 1, 3]
    assert memory.search("order") == []
    with pytest.raises(AgentError, match="no task"):
        memory.forget(order)
    with pytest.raises(AgentError, match="no task"):
        memory.task(order)


def test_secret_typed_into_password_field_never_stored(tmp_path):
    path = tmp_path / "memory.sqlite3"
    with MemoryStore.open(path) as memory:
        memory.record_run("Log in", LOGIN, results(LOGIN), status=RunStatus.SUCCEEDED,
                          trace_folder=tmp_path / "r", duration_ms=10)
        # a field the step names neutrally but whose on-screen label is secret-like
        steps = ['type "s3cret-pin-77" into the field right of "Code"']
        memory.record_run("Unlock", steps, results(steps, label="PIN"), status=RunStatus.SUCCEEDED,
                          trace_folder=tmp_path / "s", duration_ms=10)
        [login] = [t for t in memory.tasks() if t.name == "Log in"]
        assert login.steps[1] == 'type "•••" into the field right of "Password"'
        assert login.steps[0] == LOGIN[0]  # non-secret typing is kept as written
    blob = b"".join(p.read_bytes() for p in tmp_path.glob("memory.sqlite3*"))
    for secret in ("hunter2-zebra", "s3cret-pin-77"):
        assert secret.encode() not in blob
    assert b"Ada" not in blob and b"ada" in blob


def test_newer_schema_refused_untouched(tmp_path):
    path = tmp_path / "memory.sqlite3"
    MemoryStore.open(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE schema_version SET version = 99")
    db.commit()
    db.execute("PRAGMA journal_mode=DELETE")
    db.close()
    before = path.read_bytes()
    with pytest.raises(AgentError) as info:
        MemoryStore.open(path)
    assert str(path) in str(info.value) and "99" in str(info.value) and "move it aside" in str(info.value)
    assert path.read_bytes() == before


@pytest.mark.parametrize("kind", ["ledger", "other", "garbage"])
def test_foreign_file_refused_untouched(tmp_path, kind):
    path = tmp_path / "memory.sqlite3"
    if kind == "ledger":  # also has a schema_version table at version 1
        Ledger.open(path).close()
        db = sqlite3.connect(path)
        db.execute("PRAGMA journal_mode=DELETE")
        db.close()
    elif kind == "other":
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE notes (x)")
        db.commit()
        db.close()
    else:
        path.write_bytes(b"not a database at all" * 100)
    before = path.read_bytes()
    with pytest.raises(AgentError, match="not a desktop-agent memory") as info:
        MemoryStore.open(path)
    assert str(path) in str(info.value)
    assert path.read_bytes() == before


def run_cli(capsys, *args: str) -> tuple[int, str]:
    code = cli.main(list(args))
    return code, capsys.readouterr().out


def test_cli_memory_commands(tmp_path, capsys):
    db = str(tmp_path / "m.sqlite3")
    assert run_cli(capsys, "memory", "list", "--db", db) == (0, "no tasks remembered\n")
    assert not Path(db).exists()  # listing never creates a memory
    with MemoryStore.open(Path(db)) as memory:
        record(memory, "Fill in the order form", ORDER, tmp_path / "run-1")
        record(memory, "Log in", LOGIN, tmp_path / "run-2")
    code, out = run_cli(capsys, "memory", "search", "order form", "--db", db, "--json")
    found = json.loads(out)
    assert code == 0 and found[0]["name"] == "Fill in the order form" and found[0]["success_rate"] == 1.0
    task_id = found[0]["id"]
    code, out = run_cli(capsys, "memory", "search", '"order AND (', "--db", db)
    assert code == 0 and "Fill in the order form" in out
    code, out = run_cli(capsys, "memory", "list", "--db", db, "--json")
    assert {row["name"] for row in json.loads(out)} == {"Fill in the order form", "Log in"}
    code, out = run_cli(capsys, "memory", "show", str(task_id), "--db", db, "--json")
    shown = json.loads(out)
    assert shown["runs"][0]["id"] == "run-1" and len(shown["last_steps"]) == 2
    code, out = run_cli(capsys, "memory", "show", str(task_id), "--db", db)
    assert "run-1" in out and ORDER[1] in out
    assert run_cli(capsys, "memory", "forget", str(task_id), "--db", db)[0] == 0
    assert run_cli(capsys, "memory", "show", str(task_id), "--db", db)[0] == cli.EXIT_BAD_INPUT
    code, out = run_cli(capsys, "memory", "list", "--db", db, "--json")
    assert [row["name"] for row in json.loads(out)] == ["Log in"]


def test_cli_run_passes_the_memory_choice_to_the_engine(tmp_path, monkeypatch, capsys):
    """`run` remembers by default (in --memory-db when given); --no-memory turns it off."""
    from desktop_agent.core.events import RunFinished

    configs = []

    class FakeRunner:
        senses = None

        def run(self, plan, *, start=0, unsure=False):
            yield RunFinished(status=RunStatus.SUCCEEDED, results=(),
                              trace=tmp_path / "traces" / "20260101-run", report=tmp_path / "report.html")

    def build(config, stop):
        configs.append(config)
        return FakeRunner()

    monkeypatch.setattr(compose, "build_runner", build)
    monkeypatch.setattr(compose, "brakes", lambda *a, **k: _null())
    monkeypatch.setattr(sys, "stdin", io.StringIO())
    db = tmp_path / "m.sqlite3"
    base = ["run", "--step", 'click "Submit order"', "--trace-dir", str(tmp_path / "traces"),
            "--memory-db", str(db)]
    assert cli.main([*base, "--no-memory"]) == 0
    assert cli.main(base) == 0
    assert [(c.remember, c.memory_path) for c in configs] == [(False, db), (True, db)]
    capsys.readouterr()


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


TEMPLATE = ['type "{customer}" into the field right of "Customer name"', 'type "{pin}" into the "Code" field',
            'click "Submit order"']


def filled(customer: str, pin: str) -> list[str]:
    return [text.replace("{customer}", customer).replace("{pin}", pin) for text in TEMPLATE]


def test_task_identity_is_its_template_and_params_are_kept_per_run(memory, tmp_path):
    for n, (customer, pin) in enumerate([("Ada", "4711"), ("Grace", "8080")]):
        steps = filled(customer, pin)
        memory.record_run("Order", steps, results(steps), status=RunStatus.SUCCEEDED,
                          trace_folder=tmp_path / f"run-{n}", duration_ms=100, template=TEMPLATE,
                          params={"customer": customer, "pin": pin})
    [task] = memory.tasks()  # other parameter values: the same task
    assert task.steps == tuple(TEMPLATE) and task.runs == 2
    runs = memory.task(task.id).runs
    assert [dict(r.params) for r in runs] == [{"customer": "Grace", "pin": "•••"},
                                              {"customer": "Ada", "pin": "•••"}]
    # the secret-named parameter's value is masked everywhere, though the field is named neutrally
    assert memory.task(task.id).last_steps[1].text == 'type "•••" into the "Code" field'
    blob = b"".join(p.read_bytes() for p in tmp_path.glob("memory.sqlite3*"))
    assert b"8080" not in blob and b"4711" not in blob and b"Grace" in blob
    # without a template (older callers) the filled-in steps stay the identity, as before
    steps = filled("Ada", "1")
    memory.record_run("Order", steps, results(steps), status=RunStatus.SUCCEEDED,
                      trace_folder=tmp_path / "run-9", duration_ms=100)
    assert len(memory.tasks()) == 2


def png(value: int, size: int = 8) -> bytes:
    import cv2
    import numpy as np

    return cv2.imencode(".png", np.full((size, size, 3), value, np.uint8))[1].tobytes()


def test_step_shots_become_blobs_written_before_their_rows(memory, tmp_path, monkeypatch):
    shot = tmp_path / "step001-proposed.png"
    shot.write_bytes(png(7))
    observed = []
    original = memory.blobs.put

    def put(data: bytes) -> str:  # the writer's own view, uncommitted rows included
        observed.append(memory._db.execute("SELECT COUNT(*) FROM steps").fetchone()[0])
        sha = original(data)
        observed.append(memory.blobs.path(sha).exists())
        return sha

    monkeypatch.setattr(memory.blobs, "put", put)
    record_id = memory.record_run("Order", ORDER, results(ORDER), status=RunStatus.SUCCEEDED,
                                  trace_folder=tmp_path / "run-1", duration_ms=5,
                                  shots={0: shot, 1: tmp_path / "missing.png"})
    assert observed == [0, True]  # the payload is complete before any row is written
    [task] = memory.tasks()
    steps = memory.task(task.id).last_steps
    assert record_id == "run-1" and steps[1].shot_sha256 is None
    path = memory.blobs.path(steps[0].shot_sha256)
    assert path.read_bytes() == shot.read_bytes()
    assert path.parent.parent == tmp_path / "memory.blobs"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert {stat.S_IMODE(p.stat().st_mode) for p in (path.parent, path.parent.parent)} == {0o700}


def test_a_blob_that_cannot_be_written_records_nothing(memory, tmp_path):
    memory.blobs.root.parent.mkdir(exist_ok=True)
    memory.blobs.root.write_text("in the way")  # the blob folder cannot be created
    shot = tmp_path / "shot.png"
    shot.write_bytes(png(1))
    with pytest.raises(AgentError, match="cannot write memory blob"):
        memory.record_run("Order", ORDER, results(ORDER), status=RunStatus.SUCCEEDED,
                          trace_folder=tmp_path / "run-1", duration_ms=5, shots={0: shot})
    assert memory.tasks() == []
    with pytest.raises(AgentError, match="PNG"):
        memory.blobs.put(b"GIF89a not a png")
