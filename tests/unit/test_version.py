"""`desktop-agent --version` prints pyproject.toml's version: the one place it is written."""
import tomllib
from pathlib import Path

import pytest

from desktop_agent.cli import main as cli

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_version_is_pyprojects(capsys):
    declared = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["version"]
    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"desktop-agent {declared}\n"
