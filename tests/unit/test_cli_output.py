"""The command line's own output: a reader that goes away, a missing audit log."""
from __future__ import annotations

import subprocess
import sys

import pytest

from desktop_agent.cli import main as cli


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
