from __future__ import annotations

import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from fakes import FakeDesktop, RecordingActuator

from desktop_agent.cli import main as cli
from desktop_agent.core.actions import KeyText, MouseClick, TypeText
from desktop_agent.core.errors import ActionError, AgentError, StopRequested
from desktop_agent.core.values import Element, Frame, Rect, Role, Screen, Target, TargetSpec, Window
from desktop_agent.durability.ledger import SCHEMA_VERSION, Ledger, RunSource, default_path
from desktop_agent.durability.owner import Owner
from desktop_agent.language.steps import plan_from_steps
from desktop_agent.run.runner import Runner, RunOptions
from desktop_agent.run.trace import Trace
from desktop_agent.safety.approvals import Approval
from desktop_agent.safety.audit import AuditLog
from desktop_agent.safety.guard import Guard
from desktop_agent.safety.policy import ActionRequest, load_policy
from desktop_agent.safety.stop import StopToken

REPO = Path(__file__).resolve().parents[2]
WINDOW = Window(id=2, title="Login", wm_class="app.App", pid=4242,
                box=Rect(left=0, top=0, width=800, height=600))
FIELD = Rect(left=100, top=100, width=200, height=24)
CLICK = {"type": "MouseClick", "point": {"type": "Point", "x": 1, "y": 2}, "button": "left", "count": 1}
# This pid with another start time: the owner of a run that crashed, its pid since given to this process.
GONE = Owner(pid=os.getpid(), started="-1")


@pytest.fixture
def ledger(tmp_path: Path):
    with Ledger.open(tmp_path / "ledger.sqlite3") as opened:
        yield opened


def test_intent_then_outcome_rows(ledger, tmp_path):
    ledger.start_run("run-1", "Fill form", tmp_path / "run-1")
    first = ledger.intent("run-1", 0, 'click "OK"', CLICK)
    ledger.outcome("run-1", first, "done")
    second = ledger.intent("run-1", 1, 'press ctrl+s', {"type": "KeyChord", "keys": ["ctrl", "s"]})
    ledger.outcome("run-1", second, "failed: xdotool missing")
    assert (first, second) == (1, 2)
    rows = ledger.actions("run-1")
    assert [(a.seq, a.step_index, a.step_text, a.outcome) for a in rows] == [
        (1, 0, 'click "OK"', "done"), (2, 1, "press ctrl+s", "failed: xdotool missing")]
    assert rows[0].operation == CLICK and rows[0].outcome_at is not None
    assert ledger.unknown_outcomes("run-1") == []


def test_interrupted_runs_and_unknown_outcomes(ledger, tmp_path):
    ledger.start_run("done-run", "A", tmp_path / "a")
    ledger.outcome("done-run", ledger.intent("done-run", 0, "click A", CLICK), "done")
    ledger.finish_run("done-run", "succeeded")
    ledger.start_run("crashed", "B", tmp_path / "b", owner=GONE)
    ledger.outcome("crashed", ledger.intent("crashed", 0, "click B", CLICK), "done")
    ledger.intent("crashed", 2, 'type "x"', {"type": "KeyText", "text": "x"})
    ledger.start_run("live", "C", tmp_path / "c")  # owned by this process, which is running
    ledger.intent("live", 0, "click C", CLICK)
    assert [r.id for r in ledger.interrupted()] == ["crashed"]
    [unknown] = ledger.unknown_outcomes("crashed")
    assert (unknown.seq, unknown.step_index, unknown.step_text, unknown.outcome) == (2, 2, 'type "x"', None)
    runs = {r.id: r for r in ledger.runs()}
    assert runs["done-run"].status == "succeeded" and not runs["done-run"].interrupted
    assert runs["crashed"].interrupted and runs["crashed"].steps_acted == 2
    assert runs["crashed"].status == "interrupted" and runs["crashed"].owner == GONE
    assert runs["live"].status == "running" and not runs["live"].interrupted
    assert runs["live"].owner == Owner.current()
    assert runs["crashed"].trace_folder == tmp_path / "b"


def test_wal_and_synchronous_full_are_set(ledger):
    db = ledger._db
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    # The WAL mode is persistent: a plain connection sees it too.
    with sqlite3.connect(ledger.path) as other:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert other.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]


def test_files_are_private(tmp_path):
    path = tmp_path / "deep" / "ledger.sqlite3"
    with Ledger.open(path) as ledger:
        ledger.start_run("r", "n", tmp_path)
        ledger.intent("r", 0, "click", CLICK)
        wal = Path(f"{path}-wal")
        assert wal.exists() and stat.S_IMODE(wal.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    os.chmod(path, 0o644)  # reopening an existing ledger tightens it again
    Ledger.open(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_reopening_keeps_rows_and_continues_seq(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    with Ledger.open(path) as ledger:
        ledger.start_run("r", "n", tmp_path)
        ledger.intent("r", 0, "click", CLICK)
    with Ledger.open(path) as ledger:
        assert ledger.intent("r", 1, "click", CLICK) == 2
        assert [a.seq for a in ledger.unknown_outcomes("r")] == [1, 2]


@pytest.mark.parametrize("setup", [
    "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');",
    f"CREATE TABLE schema_version (version INTEGER); INSERT INTO schema_version VALUES ({SCHEMA_VERSION + 1})",
])
def test_foreign_or_newer_schema_is_refused_and_left_alone(tmp_path, setup):
    path = tmp_path / "ledger.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(setup)
    db.close()
    before, mode = path.read_bytes(), stat.S_IMODE(path.stat().st_mode)
    with pytest.raises(AgentError) as caught:
        Ledger.open(path)
    assert str(path) in str(caught.value)
    assert path.read_bytes() == before and stat.S_IMODE(path.stat().st_mode) == mode
    assert not Path(f"{path}-wal").exists()


def test_a_file_that_is_not_sqlite_is_refused(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    path.write_bytes(b"not a database at all, just some text" * 20)
    before = path.read_bytes()
    with pytest.raises(AgentError, match="not a desktop-agent run ledger"):
        Ledger.open(path)
    assert path.read_bytes() == before


def test_write_failure_is_an_action_error(ledger, tmp_path):
    ledger.start_run("r", "n", tmp_path)
    with pytest.raises(ActionError, match="run ledger"):
        ledger.start_run("r", "n", tmp_path)  # duplicate run id


# ---------------------------------------------------------------- through the guard
def _guard(tmp_path: Path, ledger: Ledger, actuator: RecordingActuator) -> Guard:
    ledger.start_run("run", "login", tmp_path)
    return Guard(policy=load_policy(None), actuator=actuator, audit=AuditLog(tmp_path / "audit.jsonl"),
                 stop=StopToken(), approver=lambda proposal: Approval.APPROVE, own_pids=frozenset({1}),
                 journal=ledger.journal("run"))


def _password(secret: str) -> ActionRequest:
    element = Element(role=Role.FIELD, box=FIELD, text="", label="Password")
    target = Target(box=FIELD, point=FIELD.center, strategy="test", why="test", element=element)
    return ActionRequest(action=TypeText(text=secret, target=TargetSpec(text="Password")), target=target,
                         window=WINDOW, step_text=f'type "{secret}" into "Password"')


def test_guard_records_intent_and_outcome_and_never_stores_secrets(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    actuator = RecordingActuator()
    with Ledger.open(path) as ledger:
        guard = _guard(tmp_path, ledger, actuator)
        guard.start_step(4)
        permit = guard.authorize(_password("hunter2")).permit
        guard.perform(permit, MouseClick(point=FIELD.center))
        guard.perform(permit, KeyText(text="hunter2"))
        guard.finish_run("succeeded")
        rows = ledger.actions("run")
        raw = path.read_bytes() + Path(f"{path}-wal").read_bytes()
        assert b"hunter2" not in raw and b"hunt" not in raw
        assert ledger.runs()[0].status == "succeeded"
    assert raw.count("•••".encode()) >= 2  # the step text and the typed text
    assert [(r.step_index, r.outcome) for r in rows] == [(4, "done"), (4, "done")]
    assert rows[1].operation == {"type": "KeyText", "text": "•••"}
    assert rows[0].step_text == 'type "•••" into "Password"'
    assert b"hunter2" not in path.read_bytes()  # after the checkpoint on close, too
    assert actuator.operations[-1] == KeyText(text="hunter2")


def test_guard_records_a_failed_operation(tmp_path):
    actuator = RecordingActuator()

    def fail(operation):
        raise ActionError("xdotool is not installed")

    actuator.execute = fail
    with Ledger.open(tmp_path / "ledger.sqlite3") as ledger:
        guard = _guard(tmp_path, ledger, actuator)
        guard.start_step(0)
        permit = guard.authorize(ActionRequest(action=TypeText(text="hi"), target=None, window=WINDOW,
                                               step_text='type "hi"')).permit
        with pytest.raises(ActionError):
            guard.perform(permit, KeyText(text="hi"))
        [row] = ledger.actions("run")
    assert row.outcome == "failed: xdotool is not installed"


def test_guard_records_an_operation_stopped_part_way_as_of_unknown_effect(tmp_path):
    actuator, stop = RecordingActuator(), StopToken()
    gone = "the MCP client disconnected mid-step"
    with Ledger.open(tmp_path / "ledger.sqlite3") as ledger:
        guard = _guard(tmp_path, ledger, actuator)
        guard._stop = stop
        request = ActionRequest(action=TypeText(text="Ada Lovelace"), target=None, window=WINDOW,
                                step_text='type "Ada Lovelace"')
        for runs_sent in (1, 0):  # stopped after the first run of keys went; before any went
            with stop.scope() as call:
                def type_in_runs(operation):  # what DesktopActuator does: a check before each run of keys
                    for sent in range(2):
                        if sent == runs_sent:
                            call.request(gone)
                        guard.before_input()
                actuator.execute = type_in_runs
                permit = guard.authorize(request).permit
                with pytest.raises(StopRequested):
                    guard.perform(permit, KeyText(text="Ada Lovelace"))
        cut, refused = ledger.actions("run")
        assert [a.seq for a in ledger.unknown_outcomes("run")] == [cut.seq]
    assert cut.outcome == f"unknown: cut off part-way: stopped: {gone}"
    assert refused.outcome == f"failed: stopped: {gone}"


# ---------------------------------------------------------------- a real crash
CRASH = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from desktop_agent.durability.ledger import Ledger

    ledger = Ledger.open(Path(sys.argv[1]))
    ledger.start_run("crashed", "crash test", Path(sys.argv[1]).parent)
    for index in range(3):
        seq = ledger.intent("crashed", index, f"click {index}", {"type": "MouseClick", "n": index})
        ledger.outcome("crashed", seq, "done")
    ledger.intent("crashed", 3, "click 3", {"type": "MouseClick", "n": 3})
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_rows_committed_before_a_sigkill_survive_it(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", CRASH, str(path)], check=False, env=env,
                          capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()
    with Ledger.open(path) as ledger:
        assert [r.id for r in ledger.interrupted()] == ["crashed"]
        rows = ledger.actions("crashed")
        assert [(r.seq, r.step_index, r.outcome) for r in rows] == [
            (1, 0, "done"), (2, 1, "done"), (3, 2, "done"), (4, 3, None)]
        [unknown] = ledger.unknown_outcomes("crashed")
        assert (unknown.step_index, unknown.step_text, unknown.operation) == (
            3, "click 3", {"type": "MouseClick", "n": 3})


# ---------------------------------------------------------------- desktop-agent runs
def _two_runs(tmp_path: Path) -> None:
    with Ledger.open(default_path(tmp_path)) as ledger:
        ledger.start_run("20261125T100000Z-order", "Order", tmp_path / "a")
        ledger.outcome("20261125T100000Z-order", ledger.intent("20261125T100000Z-order", 0, "click A", CLICK),
                       "done")
        ledger.finish_run("20261125T100000Z-order", "succeeded")
        ledger.start_run("20261125T110000Z-login", "Login", tmp_path / "b", owner=GONE)
        ledger.outcome("20261125T110000Z-login", ledger.intent("20261125T110000Z-login", 0, "click B", CLICK),
                       "done")
        ledger.intent("20261125T110000Z-login", 1, 'press "enter"', {"type": "KeyChord", "keys": ["enter"]})


def test_runs_command_lists_runs_and_the_unknown_action(tmp_path, capsys):
    _two_runs(tmp_path)
    assert cli.main(["runs", "--trace-dir", str(tmp_path)]) == cli.EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("20261125T110000Z-login  interrupted  2 step(s) acted  Login")
    assert 'outcome unknown: step 1 "press "enter""' in lines[1] and '"KeyChord"' in lines[1]
    assert lines[2].startswith("20261125T100000Z-order  succeeded  1 step(s) acted  Order")
    assert len(lines) == 3


def test_runs_command_json(tmp_path, capsys):
    _two_runs(tmp_path)
    assert cli.main(["runs", "--trace-dir", str(tmp_path), "--json"]) == cli.EXIT_OK
    runs = json.loads(capsys.readouterr().out)
    assert [(r["id"], r["status"]) for r in runs] == [("20261125T110000Z-login", "interrupted"),
                                                     ("20261125T100000Z-order", "succeeded")]
    assert runs[0]["unknown"] == [{"seq": 2, "step_index": 1, "step_text": 'press "enter"',
                                   "operation": {"type": "KeyChord", "keys": ["enter"]},
                                   "why": "the run's process ended"}]
    assert runs[1]["unknown"] == []


def test_an_action_cut_off_part_way_is_of_unknown_effect_in_a_finished_run(tmp_path, capsys):
    with Ledger.open(default_path(tmp_path)) as ledger:
        ledger.start_run("r", "Typing", tmp_path / "r")
        typing = ledger.intent("r", 0, 'type "Ada"', {"type": "KeyText", "text": "Ada"})
        ledger.outcome("r", typing, "unknown: cut off part-way: stopped: the MCP client disconnected mid-step")
        ledger.outcome("r", ledger.intent("r", 1, "click B", CLICK), "failed: stopped: by the person")
        ledger.finish_run("r", "stopped")
        assert [a.seq for a in ledger.unknown_outcomes("r")] == [typing]
    assert cli.main(["runs", "--trace-dir", str(tmp_path), "--json"]) == cli.EXIT_OK
    (run,) = json.loads(capsys.readouterr().out)
    assert [(a["step_text"], a["why"]) for a in run["unknown"]] == [
        ('type "Ada"', "unknown: cut off part-way: stopped: the MCP client disconnected mid-step")]


def test_runs_command_without_a_ledger_creates_nothing(tmp_path, capsys):
    assert cli.main(["runs", "--trace-dir", str(tmp_path)]) == cli.EXIT_OK
    assert "no runs recorded" in capsys.readouterr().out
    assert not default_path(tmp_path).exists()


def test_runs_command_refuses_a_foreign_file(tmp_path, capsys):
    default_path(tmp_path).write_bytes(b"x" * 200)
    assert cli.main(["runs", "--trace-dir", str(tmp_path)]) == cli.EXIT_BAD_INPUT
    assert str(default_path(tmp_path)) in capsys.readouterr().err


def test_the_runner_tells_the_ledger_step_indexes_and_the_final_status(tmp_path):
    window = Window(id=1, title="Orders", wm_class="Orders", pid=1,
                    box=Rect(left=100, top=100, width=400, height=300))
    ok = Element(role=Role.BUTTON, box=Rect(left=200, top=300, width=80, height=30), text="OK", window_id=1)

    def screen(shade: int) -> Screen:
        image = np.full((600, 800, 3), 40, np.uint8)
        image[100:400, 100:500] = shade
        return Screen(frame=Frame(image=image, region=Rect(left=0, top=0, width=800, height=600)),
                      elements=(ok,), windows=(window,))

    desktop = FakeDesktop([screen(200), screen(180), screen(160)])
    stop = StopToken()
    with Ledger.open(default_path(tmp_path)) as ledger:
        ledger.start_run("run", "two clicks", tmp_path)
        guard = Guard(policy=load_policy(None), actuator=desktop.actuator,
                      audit=AuditLog(tmp_path / "audit.jsonl"), stop=stop, own_pids=frozenset({999}),
                      journal=ledger.journal("run"))
        runner = Runner(senses=desktop, guard=guard, stop=stop, trace=Trace(tmp_path / "trace"),
                        options=RunOptions(find_timeout_s=0.2, settle_timeout_s=0.5))
        list(runner.run(plan_from_steps(['wait for "OK" to appear', 'click "OK"', 'click "OK"'])))
        assert [(a.step_index, a.step_text, a.outcome) for a in ledger.actions("run")] == [
            (1, 'click "OK"', "done"), (2, 'click "OK"', "done")]
        [run] = ledger.runs()
        assert (run.status, run.steps_acted, run.interrupted) == ("succeeded", 2, False)


# ---------------------------------------------------------------- schema 1 -> 2, owners, resumes
SCHEMA_1 = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version VALUES (1);
CREATE TABLE runs (id TEXT PRIMARY KEY, name TEXT NOT NULL, trace_folder TEXT NOT NULL,
                   started_at TEXT NOT NULL, finished_at TEXT, status TEXT);
CREATE TABLE actions (run_id TEXT NOT NULL REFERENCES runs(id), seq INTEGER NOT NULL, step_index INTEGER,
                      step_text TEXT NOT NULL, operation_json TEXT NOT NULL, intent_at TEXT NOT NULL,
                      outcome_at TEXT, outcome TEXT, PRIMARY KEY (run_id, seq));
INSERT INTO runs VALUES ('old-done', 'A', '/t/a', '2026-01-01T00:00:00.000+00:00',
                         '2026-01-01T00:01:00.000+00:00', 'succeeded');
INSERT INTO runs VALUES ('old-crashed', 'B', '/t/b', '2026-01-02T00:00:00.000+00:00', NULL, NULL);
INSERT INTO actions VALUES ('old-crashed', 1, 0, 'click B', '{"type": "MouseClick"}',
                            '2026-01-02T00:00:01.000+00:00', NULL, NULL);
"""


def test_a_schema_1_ledger_is_upgraded_in_place_keeping_its_rows(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA_1)
    db.close()
    with Ledger.open(path) as ledger:
        runs = {r.id: r for r in ledger.runs()}
        assert (runs["old-done"].status, runs["old-crashed"].status) == ("succeeded", "interrupted")
        assert runs["old-crashed"].owner is None and runs["old-crashed"].source is None
        assert [r.id for r in ledger.interrupted()] == ["old-crashed"]
        assert [a.step_text for a in ledger.unknown_outcomes("old-crashed")] == ["click B"]
        assert ledger.intent("old-crashed", 1, "click C", CLICK) == 2  # seq carries on
        ledger.start_run("new", "N", tmp_path, source=RunSource(steps=("click A",)), resumes="old-crashed")
        assert ledger.run("old-crashed").status == "resumed"
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
        columns = {row[1] for row in db.execute("PRAGMA table_info(runs)")}
    db.close()
    assert {"pid", "pid_started", "resumes", "source_json"} <= columns
    with Ledger.open(path) as ledger:  # opening an upgraded file again changes nothing
        assert len(ledger.runs()) == 3


def test_a_fresh_ledger_has_the_same_schema_as_an_upgraded_one(tmp_path):
    def schema(path: Path) -> list:
        with sqlite3.connect(path) as db:
            rows = db.execute("SELECT type, name, tbl_name FROM sqlite_master ORDER BY name").fetchall()
            columns = [db.execute(f"PRAGMA table_info({table})").fetchall() for table in ("runs", "actions")]
        db.close()
        return [rows, columns]

    old = tmp_path / "old.sqlite3"
    with sqlite3.connect(old) as db:
        db.executescript(SCHEMA_1.split("INSERT INTO runs")[0])
    db.close()
    Ledger.open(old).close()
    Ledger.open(tmp_path / "new.sqlite3").close()
    assert schema(old) == schema(tmp_path / "new.sqlite3")


def test_source_is_kept_and_read_back(ledger, tmp_path):
    source = RunSource(task=tmp_path / "task.yaml", task_sha256="ab" * 32, params={"email": "a@b.c"},
                       withheld=("password",))
    ledger.start_run("r", "n", tmp_path, source=source)
    assert ledger.run("r").source == source
    assert ledger.run("nope") is None


def test_a_run_is_resumed_at_most_once(ledger, tmp_path):
    ledger.start_run("a", "A", tmp_path, owner=GONE)
    ledger.start_run("b", "A", tmp_path, owner=GONE, resumes="a")
    a, b = ledger.run("a"), ledger.run("b")
    assert (a.status, a.resumed_by, a.interrupted) == ("resumed", "b", False)
    assert (b.status, b.resumes) == ("interrupted", "a")
    assert [r.id for r in ledger.interrupted()] == ["b"]
    with pytest.raises(ActionError, match="UNIQUE"):
        ledger.start_run("c", "A", tmp_path, resumes="a")
    ledger.finish_run("b", "succeeded")
    assert ledger.run("a").status == "resumed" and ledger.interrupted() == []


def test_owner_identity():
    me = Owner.current()
    assert me.pid == os.getpid() and me.started is not None and me.alive()
    assert not GONE.alive()  # the same pid, a different process


OWNED = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from desktop_agent.durability.ledger import Ledger

    ledger = Ledger.open(Path(sys.argv[1]))
    ledger.start_run("owned", "owned", Path(sys.argv[1]).parent)
    print("started", flush=True)
    time.sleep(60)
""")


def test_a_run_is_running_while_its_process_lives_and_interrupted_once_it_is_killed(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-c", OWNED, str(path)], env=env, stdout=subprocess.PIPE,
                             text=True)
    try:
        assert child.stdout.readline() == "started\n"
        with Ledger.open(path) as ledger:
            run = ledger.run("owned")
            assert (run.status, run.owner.pid) == ("running", child.pid)
            assert ledger.interrupted() == []
            child.kill()
            child.wait(timeout=30)
            assert ledger.run("owned").status == "interrupted"
            assert [r.id for r in ledger.interrupted()] == ["owned"]
    finally:
        child.kill()
        child.wait()
        child.stdout.close()


def test_runs_command_shows_running_and_resumed_runs(tmp_path, capsys):
    with Ledger.open(default_path(tmp_path)) as ledger:
        ledger.start_run("20261125T100000Z-a", "A", tmp_path / "a", owner=GONE)
        ledger.intent("20261125T100000Z-a", 1, "click A", CLICK)
        ledger.start_run("20261125T110000Z-b", "A", tmp_path / "b", resumes="20261125T100000Z-a")
    assert cli.main(["runs", "--trace-dir", str(tmp_path), "--json"]) == cli.EXIT_OK
    rows = json.loads(capsys.readouterr().out)
    assert [(r["id"], r["status"], r["resumes"], r["resumed_by"]) for r in rows] == [
        ("20261125T110000Z-b", "running", "20261125T100000Z-a", None),
        ("20261125T100000Z-a", "resumed", None, "20261125T110000Z-b")]
    assert rows[0]["pid"] == os.getpid() and rows[1]["unknown"] == []  # resumed: no longer pending
    assert cli.main(["runs", "--trace-dir", str(tmp_path)]) == cli.EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["20261125T110000Z-b  running  0 step(s) acted  A  (resumes 20261125T100000Z-a)",
                     "20261125T100000Z-a  resumed  1 step(s) acted  A"]
