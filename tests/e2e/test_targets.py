"""Targets as people write them, on real applications: a file row in a GTK file dialog picked by name,
a checkbox ticked in a named row of a GTK list, a Qt settings dialog's tab switched by name, a place in
the file dialog's sidebar chosen. Each is checked against what the application itself printed."""
from __future__ import annotations

import json
import sys

import pytest

pytestmark = pytest.mark.e2e


def _statuses(run) -> list[str]:
    return [step["status"] for step in run.json["steps"]]


def test_a_checkbox_ticked_in_a_named_row_is_the_row_yad_returns(desktop):
    yad = desktop.launch(["yad", "--list", "--checklist", "--title", "Components", "--geometry",
                          "520x360+200+150", "--column", "Install", "--column", "Component", "--column", "Size",
                          "TRUE", "Core files", "12 MB", "FALSE", "Documentation", "30 MB",
                          "FALSE", "Language packs", "140 MB", "FALSE", "Developer tools", "85 MB"],
                         title="Components")

    run = desktop.agent("run", "--json", "--step", 'check the checkbox in the "Language packs" row',
                        "--step", 'click the "OK" button')

    assert _statuses(run) == ["succeeded", "succeeded"], run.stderr
    assert run.json["steps"][0]["strategy"] == "role+relation:inside"
    assert yad.wait_exit() == 0
    assert yad.output == "TRUE|Core files|12 MB|\nTRUE|Language packs|140 MB|\n"


def test_a_file_row_double_clicked_by_name_is_the_file_the_dialog_returns(desktop, tmp_path):
    folder = tmp_path / "letters"
    folder.mkdir()
    for name in ("accounts.csv", "invoice.txt", "readme.txt", "songs.m3u"):
        (folder / name).write_text("x\n")
    yad = desktop.launch(["yad", "--file", "--title", "Choose a file", "--geometry", "820x520+120+100",
                          "--filename", f"{folder}/"], title="Choose a file")

    run = desktop.agent("run", "--json", "--step", 'double-click the row "readme.txt"')

    assert _statuses(run) == ["succeeded"], run.stderr
    assert yad.wait_exit() == 0
    assert yad.output == f"{folder / 'readme.txt'}\n"


def test_a_sidebar_place_chosen_by_name_shows_its_files(desktop, tmp_path):
    home = tmp_path / "home"
    (home / "Desktop").mkdir(parents=True)
    (home / "Desktop" / "plan.txt").write_text("x\n")
    (home / "elsewhere").mkdir()
    (home / "elsewhere" / "other.txt").write_text("x\n")
    yad = desktop.registered(desktop.launch(
        ["yad", "--file", "--title", "Choose a file", "--geometry", "820x520+120+100",
         "--filename", f"{home / 'elsewhere'}/"], title="Choose a file",
        env={"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}))

    run = desktop.agent("run", "--json", "--step", 'click the "Desktop" place',
                        "--step", 'wait for "plan.txt" to appear',
                        "--step", 'double-click the "plan.txt" file')

    assert _statuses(run) == ["succeeded", "succeeded", "succeeded"], run.stderr
    assert yad.wait_exit() == 0
    assert yad.output == f"{home / 'Desktop' / 'plan.txt'}\n"


def test_a_settings_tab_switched_by_name_and_by_place_in_its_strip(desktop):
    app = desktop.launch([sys.executable, "-m", "tests.apps.settings_dialog"], title="Settings",
                         name="settings")

    run = desktop.agent("run", "--json", "--step", 'click the "Network" tab',
                        "--step", 'expect "Network name" is visible',
                        "--step", "click the last tab in the tab strip")

    assert _statuses(run) == ["succeeded", "succeeded", "succeeded"], run.stderr
    printed = app.wait_for_output(lambda out: out.count("\n") == 2)
    assert [json.loads(line) for line in printed.splitlines()] == [{"tab": "Network"}, {"tab": "Advanced"}]
