"""`--json` prints exactly one JSON object on stdout, whatever the libraries print: with an empty
Xauthority file, python-xlib warns on stdout once per connection."""
from __future__ import annotations

import json
import os
import subprocess
import sys


def _empty_xauthority_env(tmp_path, display: str) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".Xauthority").write_bytes(b"")
    env = {key: value for key, value in os.environ.items() if key != "XAUTHORITY"}
    return {**env, "HOME": str(home), "DISPLAY": display}


def test_json_stdout_is_one_object_with_an_empty_xauthority(desktop, tmp_path):
    done = subprocess.run([sys.executable, "-m", "desktop_agent.cli.main", "run", "--json", "--dry-run",
                           "--trace-dir", str(tmp_path / "traces"), "--step", "press enter"],
                          env=_empty_xauthority_env(tmp_path, desktop.display), cwd=tmp_path,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "succeeded"
    assert "Xlib.xauth: warning" in done.stderr  # what the library printed is kept, on stderr


def test_json_stdout_is_one_object_in_process_too(desktop, tmp_path, monkeypatch):
    for key, value in _empty_xauthority_env(tmp_path, desktop.display).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("XAUTHORITY", raising=False)
    run = desktop.agent("run", "--json", "--dry-run", "--step", "press enter")
    assert run.code == 0 and run.json["status"] == "succeeded", run.stderr
