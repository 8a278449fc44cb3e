"""The command line's own output: a reader that goes away, a missing audit log."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_agent.cli import main as cli
from desktop_agent.cli import run_command
from desktop_agent.core.events import RunFinished
from desktop_agent.core.results import RunStatus


def test_a_reader_that_goes_away_ends_the_output_quietly(tmp_path):
    ledger_dir = tmp_path / "traces"
    ledger_dir.mkdir()
    # `true` reads nothing and is gone before the agent writes: every write meets a closed pipe.
    agent = f"{sys.executable} -m desktop_agent.cli.main"
    for command in (f"{agent} runs --json --trace-dir {ledger_dir} | true",
                    f"{agent} runs --trace-dir {ledger_dir} | true",
                    f"{agent} memory list --json --db {tmp_path / 'm.sqlite3'} | true"):
        done = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True,
                              timeout=60, check=False)
        assert done.returncode == 0 and done.stderr == "", (command, done.stderr)


def test_verifying_a_missing_audit_log_is_bad_input(tmp_path, capsys):
    assert cli.main(["audit", "verify", str(tmp_path / "nosuch.jsonl")]) == cli.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "no audit log at" in err and "missing" in err and "BROKEN" not in err


@pytest.mark.parametrize("name, why", [
    ("nosuch.png", "No such file or directory"),
    ("notes.png", "not an image file (PNG, JPEG, BMP …) OpenCV can decode"),
])
def test_a_bad_image_for_ground_says_which_path_and_why_and_nothing_else(tmp_path, name, why):
    (tmp_path / "notes.png").write_text("not a picture")
    done = subprocess.run([sys.executable, "-m", "desktop_agent.cli.main", "ground", '"OK"', "--image",
                           str(tmp_path / name)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"desktop-agent: cannot read image {tmp_path / name}: {why}"]


@pytest.mark.parametrize("assets, noted", [(None, True), ("order.assets", False)])
def test_replaying_a_task_that_is_not_a_recording_says_so(tmp_path, monkeypatch, capsys, assets, noted):
    task = tmp_path / "order.yaml"
    task.write_text('name: order\nsteps:\n  - click "OK"\n' + (f"assets: {assets}\n" if assets else ""))
    if assets:
        (tmp_path / assets).mkdir()
        (tmp_path / assets / "locators.json").write_text("[]")
    started = []
    monkeypatch.setattr(run_command, "start_run", lambda plan, *a, **k: started.append(plan) or _Started())
    assert cli.main(["replay", str(task), "--trace-dir", str(tmp_path / "traces")]) == cli.EXIT_OK
    assert len(started) == 1
    err = capsys.readouterr().err
    assert ("is not a recording (it names no `assets:`): it runs as a plain run" in err) is noted


class _Started:
    def events(self):
        yield RunFinished(status=RunStatus.SUCCEEDED, results=(), trace=Path("t"), report=Path("r"))


def test_ground_on_a_screenshot_imports_no_runner_memory_input_or_gui():
    """Start-up: each command imports only its own module (cli/main.py); `ground --image` needs
    perception and grounding alone. The heavy parts it once imported are named here."""
    screen = Path(__file__).resolve().parents[1] / "fixtures" / "screens" / "sample_app.png"
    probe = ("import sys; from desktop_agent.cli.main import main; main(['ground', '\"Submit order\"', "
             f"'--image', {str(screen)!r}]); "
             "heavy = ('desktop_agent.run', 'desktop_agent.memory', 'desktop_agent.act', "
             "'desktop_agent.recording', 'desktop_agent.durability', 'desktop_agent.serve', 'ui', "
             "'PySide6', 'mcp', 'pyautogui', 'pynput'); "
             "print(sorted(m for m in sys.modules if m.startswith(heavy)), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "point (" in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "[]"


def test_ground_json_says_what_each_word_of_the_target_was_read_as():
    screen = Path(__file__).resolve().parents[1] / "fixtures" / "screens" / "sample_app.png"
    done = subprocess.run([sys.executable, "-m", "desktop_agent.cli.main", "ground", "--json", "--image",
                           str(screen), 'the field right of "Customer name"'],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["understood"] == [
        {"words": "the", "as": "article"}, {"words": "field", "as": "role noun", "role": "field"},
        {"words": "right of", "as": "relation"}, {"words": "Customer name", "as": "anchor quoted text"}]
