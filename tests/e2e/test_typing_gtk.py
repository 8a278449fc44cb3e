"""Typing on real toolkits — GTK (yad), Tk (the sample app) and a terminal (xterm) — checked against what
the application received: yad's stdout, the sample app's submit line, files the shell wrote."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

SHIFTED = "Ada O'Brien-Smith #42 (A&B) @x.y"
NON_ASCII = "Zoë Ångström café ñ 東京"
SUBMIT_BUTTON = (95, 382)  # window-relative, see test_sample_app.py


def yad_form(desktop, *fields: str, title: str = "Typing test"):
    args = ["yad", "--form", "--title", title, "--geometry", "600x200+300+200"]
    for field in fields:
        args += ["--field", field]
    return desktop.launch(args, title=title)


def wait_for_file(path: Path, timeout_s: float = 5.0) -> str:
    """The file's text once it ends with a newline (the shell finished writing it)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.is_file() and (text := path.read_text()).endswith("\n"):
            return text
        time.sleep(0.05)
    pytest.fail(f"{path} was not written within {timeout_s:g} s")


def xterm(desktop, home: Path):
    """A bash in an xterm, working in (and with HOME at) `home`; the pointer rests on it, so it has
    the keyboard focus (there is no window manager)."""
    app = desktop.launch(["xterm", "-T", "agent-term", "-geometry", "90x20+200+150", "-fa", "Monospace",
                          "-fs", "13", "-e", "bash", "--norc", "--noprofile"],
                         title="agent-term", cwd=home, env={"HOME": str(home), "PS1": "$ "})
    box = app.box()
    desktop.point_at(app.point(box.width // 2, box.height // 2))
    time.sleep(0.3)  # the shell prints its prompt
    return app


def test_gtk_fields_receive_shifted_symbols_and_non_ascii_exactly(desktop):
    yad = desktop.registered(yad_form(desktop, "Name", "Note"))

    run = desktop.agent("run", "--json", "--step", f'type "{SHIFTED}" into the "Name" field',
                        "--step", f'type "{NON_ASCII}" into the "Note" field', "--step", "press Enter")

    # OCR can't read 東京; GTK's accessibility tree holds the field's exact text, and it is checked whole
    assert [step["found_by"] for step in run.json["steps"][:2]] == ["a11y", "a11y"], run.stderr
    assert _statuses(run) == ["succeeded", "succeeded", "succeeded"], run.stderr
    assert yad.wait_exit() == 0
    assert yad.output == f"{SHIFTED}|{NON_ASCII}|\n"


def test_ctrl_a_on_gtk_selects_the_text_so_typing_replaces_it(desktop):
    yad = yad_form(desktop, "Name")

    run = desktop.agent("run", "--step", 'type "first draft" into the "Name" field',
                        "--step", "press ctrl+a", "--step", 'type "Final"', "--step", "press Enter")

    assert run.code == 0, run.stdout + run.stderr
    assert yad.wait_exit() == 0
    assert yad.output == "Final|\n"


def test_tk_entries_receive_shifted_symbols_and_non_ascii_exactly(desktop):
    app = desktop.sample_app()

    run = desktop.agent("run", "--json", "--step", f'type "{SHIFTED}" into the field right of "Customer name"',
                        "--step", f'type "{NON_ASCII}" into the "Email" field')

    assert _statuses(run) == ["succeeded", "unverified"], run.stderr  # the text model can't read 東京
    assert run.code == 1 and run.json["status"] == "unverified"
    app.assert_quiet(0)
    desktop.click(app.point(*SUBMIT_BUTTON))
    app.wait_for_output(lambda out: out.endswith("\n"))
    [submitted] = app.events()
    assert (submitted["customer"], submitted["email"]) == (SHIFTED, NON_ASCII)


def test_a_command_typed_into_a_terminal_runs_once_a_person_approves_it(desktop, tmp_path):
    xterm(desktop, tmp_path)

    run = desktop.agent("run", "--approve", "--step", 'type "echo hello > hello.txt"', "--step", "press Enter",
                        "--json", stdin="a\na\n")

    assert run.code == 0, run.stdout + run.stderr
    assert [s["verdict"]["decision"] for s in run.json["steps"]] == ["allow", "confirm"]
    assert "`echo hello > hello.txt`" in run.json["steps"][1]["verdict"]["reason"]
    assert wait_for_file(tmp_path / "hello.txt") == "hello\n"


def test_rm_rf_typed_into_a_terminal_is_denied_and_no_key_reaches_it(desktop, tmp_path):
    sentinel = tmp_path / "important" / "keep.txt"
    sentinel.parent.mkdir()
    sentinel.write_text("precious\n")
    xterm(desktop, tmp_path)

    run = desktop.agent("run", "--step", 'type "rm -rf ~/important"', "--step", "press Enter", "--json")

    assert run.code == 1
    out = run.json
    assert out["status"] == "denied"
    [step] = out["steps"]  # the run ended at the denied step; Enter was never pressed
    assert step["status"] == "denied" and step["verdict"]["decision"] == "deny"
    assert "rm -rf" in step["error"] and 'window "agent-term"' in step["error"]
    # Nothing was left on the command line: a later command runs exactly as typed (and approved).
    run = desktop.agent("run", "--approve", "--step", 'type "echo alive > alive.txt"', "--step", "press Enter",
                        stdin="a\na\n")
    assert run.code == 0, run.stdout + run.stderr
    assert wait_for_file(tmp_path / "alive.txt") == "alive\n"
    assert sentinel.read_text() == "precious\n"


def _statuses(run) -> list[str]:
    return [step["status"] for step in run.json["steps"]]
