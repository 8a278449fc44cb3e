"""`desktop-agent memory ...` through `cli.memory.add_commands`: the old subcommands behave as before, the new
ones (export, import, consolidate, list --skills) print what they did."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from test_memory import LOGIN, ORDER, png, record, results

from desktop_agent.cli import main as cli
from desktop_agent.cli.memory import add_commands as add_memory_commands
from desktop_agent.core.results import StepStatus
from desktop_agent.core.values import Rect
from desktop_agent.memory.feedback import record_feedback
from desktop_agent.memory.places import Places
from desktop_agent.memory.store import MemoryStore


def memory_cli(capsys, *args: str) -> tuple[int, str]:
    """`desktop-agent memory ARGS` through `cli.main`: its exit code and stdout (for bad input, exit
    code 2 and the message)."""
    code = cli.main(["memory", *args])
    out, err = capsys.readouterr()
    return code, err.removeprefix("desktop-agent: ").strip() if code == 2 else out


def filled_memory(path: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    shot.write_bytes(png(3))
    with MemoryStore.open(path) as memory:
        record(memory, "Fill in the order form", ORDER, tmp_path / "run-1")
        memory.record_run("Fill in the order form", ORDER, results(ORDER, status=StepStatus.FAILED),
                          status="failed", trace_folder=tmp_path / "run-2", duration_ms=900,
                          params={"customer": "Ada"}, shots={0: shot, 5: shot})
        record(memory, "Log in", LOGIN, tmp_path / "run-3")
        record_feedback(memory, run_id="run-1", step_index=1, kind="corrected", detail='click "Send"')


def test_search_list_show_forget_as_before(tmp_path, capsys):
    db = str(tmp_path / "m.sqlite3")
    assert memory_cli(capsys, "list", "--db", db) == (0, "no tasks remembered\n")
    assert memory_cli(capsys, "list", "--skills", "--db", db)[0] == 0
    assert memory_cli(capsys, "show", "1", "--db", db) == (2, f"no memory file {db}")
    assert not Path(db).exists()  # reading never creates a memory
    filled_memory(Path(db), tmp_path)
    code, out = memory_cli(capsys, "search", "order form", "--db", db, "--json")
    found = json.loads(out)
    assert code == 0 and found[0]["name"] == "Fill in the order form" and found[0]["success_rate"] == 0.5
    task_id = found[0]["id"]
    code, out = memory_cli(capsys, "show", str(task_id), "--db", db, "--json")
    shown = json.loads(out)
    assert sorted(r["id"] for r in shown["runs"]) == ["run-1", "run-2"]
    assert shown["skill"] is None and shown["feedback"][0]["detail"] == 'click "Send"'
    code, out = memory_cli(capsys, "show", str(task_id), "--db", db)
    assert "run-1" in out and ORDER[1] in out and "[customer=Ada]" in out
    assert 'corrected: step 2 of run run-1 — click "Send"' in out
    assert memory_cli(capsys, "forget", str(task_id), "--db", db, "--json") == (
        0, json.dumps({"forgotten": task_id, "runs_removed": 2}) + "\n")
    assert memory_cli(capsys, "show", str(task_id), "--db", db)[0] == 2
    code, out = memory_cli(capsys, "list", "--db", db, "--json")
    assert [row["name"] for row in json.loads(out)] == ["Log in"]


def test_consolidate_then_list_and_show_skills(tmp_path, capsys):
    db = str(tmp_path / "m.sqlite3")
    filled_memory(Path(db), tmp_path)
    code, out = memory_cli(capsys, "consolidate", "--db", db)
    assert code == 0 and "merged task" in out and "2 skill(s) updated; pruned 0 runs" in out
    code, out = memory_cli(capsys, "consolidate", "--db", db, "--json")
    assert json.loads(out) == {"merged": [], "pruned": {"runs": 0, "places": 0, "rejections": 0, "blobs": 0}}
    code, out = memory_cli(capsys, "list", "--skills", "--db", db, "--json")
    assert sorted((s["name"], s["runs"], s["succeeded"]) for s in json.loads(out)) == [
        ("Fill in the order form", 2, 1), ("Log in", 1, 1)]
    code, out = memory_cli(capsys, "show", "1", "--db", db)
    assert "skill: 1 of 2 run(s) succeeded (50%), typically 1.5 s, 2 step(s), params: customer" in out


def test_export_import_through_the_command_line(tmp_path, capsys):
    source, target, archive = tmp_path / "a.sqlite3", tmp_path / "b" / "b.sqlite3", tmp_path / "m.zip"
    filled_memory(source, tmp_path)
    code, out = memory_cli(capsys, "export", str(archive), "--db", str(source), "--json")
    assert code == 0 and json.loads(out)["rows"]["runs"] == 3 and json.loads(out)["blobs"] == 1
    code, out = memory_cli(capsys, "import", str(archive), "--db", str(target))
    assert code == 0 and out.startswith("imported 2 tasks, 3 runs") and "1 blob(s)" in out
    again = memory_cli(capsys, "import", str(archive), "--db", str(target))
    assert again == (0, f"nothing new in {archive}\n")
    for task_id in ("1", "2"):
        for form in ([], ["--json"]):
            assert (memory_cli(capsys, "show", task_id, "--db", str(source), *form)
                    == memory_cli(capsys, "show", task_id, "--db", str(target), *form))
    (tmp_path / "junk.zip").write_bytes(b"PK not really")
    code, message = memory_cli(capsys, "import", str(tmp_path / "junk.zip"), "--db", str(target))
    assert code == 2 and str(tmp_path / "junk.zip") in message and "nothing was imported" in message
    assert memory_cli(capsys, "export", str(archive), "--db", str(tmp_path / "none.sqlite3"))[0] == 2


def test_learned_and_unlearn_through_the_command_line(tmp_path, capsys):
    db = str(tmp_path / "m.sqlite3")
    assert memory_cli(capsys, "learned", "--db", db) == (0, "nothing learned\n")  # no file: none made
    with MemoryStore.open(tmp_path / "m.sqlite3") as memory:
        Places(memory).reject(app="Orders", window_title="Order form", target='"Submit" button',
                              box=Rect(left=10, top=20, width=60, height=24))
    code, out = memory_cli(capsys, "learned", "submit", "--db", db)
    assert code == 0 and out.startswith('rejection  "Submit" button  in "Order form" (Orders): not the one'
                                        " at 10,20 (60x24)")
    code, message = memory_cli(capsys, "unlearn", "Submit", "--db", db)
    assert code == 2 and 'nothing learned for target "Submit"' in message and "memory learned" in message
    code, out = memory_cli(capsys, "unlearn", '"Submit" button', "--app", "Orders", "--json", "--db", db)
    assert code == 0 and json.loads(out) == {"target": '"Submit" button', "forgotten": 1}
    assert json.loads(memory_cli(capsys, "learned", "--json", "--db", db)[1]) == []


@pytest.mark.parametrize("sub", ["search x", "list", "show 1", "forget 1", "learned", "unlearn t", "export f",
                                 "import f", "consolidate"])
def test_every_subcommand_takes_json_and_db(sub):
    parser = argparse.ArgumentParser()
    add_memory_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["memory", *sub.split(), "--json", "--db", "x.sqlite3"])
    assert args.json and args.db == Path("x.sqlite3") and callable(args.handler)
