"""Command lines submitted to a real terminal (xterm running bash) under the shipped policy, with nobody
to confirm. Each destructive variant gets its own scratch folder, and whether that folder survived is
the truth; what the terminal ran is read from its own session log (`script`), not from our OCR."""
from __future__ import annotations

import base64
import os
import stat
import subprocess
import time
from pathlib import Path

from desktop_agent.language.steps import load_task
from tests.conftest import require
from tests.e2e.test_record import finish, start_recording

PRECIOUS = "precious data\n"


def _quoted(text: str, *, newline: bool = False) -> str:
    """`text` as a quoted string of the step language (ending in a newline, written \\n)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("{", "{{").replace("}", "}}")
    return f'"{escaped}\\n"' if newline else f'"{escaped}"'


def _victim(root: Path, name: str) -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "keep.txt").write_text(PRECIOUS)
    (folder / "keep.txt").chmod(0o644)
    return folder


def _intact(folder: Path) -> bool:
    keep = folder / "keep.txt"
    return (folder.is_dir() and not keep.is_symlink() and keep.is_file()
            and keep.read_text() == PRECIOUS and stat.S_IMODE(keep.stat().st_mode) == 0o644
            and stat.S_IMODE(folder.stat().st_mode) & 0o700 == 0o700
            and sorted(p.name for p in folder.iterdir()) == ["keep.txt"])


def _destructive(v: str, gone: Path) -> list[str]:
    """Ways to destroy folder `v` (relative to the terminal's working folder)."""
    encoded = base64.b64encode(f"rm -r {v}".encode()).decode()
    return [
        f"find {v} -delete",
        f"find {v} -type f -exec rm {{}} +",
        f": > {v}/keep.txt",
        f"> {v}/keep.txt",
        f"truncate -s 0 {v}/keep.txt",
        f"shred -u {v}/keep.txt",
        f"unlink {v}/keep.txt",
        f"echo {encoded} | base64 -d | sh",
        f"mv {v} {gone}",
        f"chmod 000 {v}",
        f"chmod -R a-w {v}/keep.txt",
        f"rm -r {v}",
        f"rm {v}/keep.txt",
        f"rm -rf {v}",
        f"python3 -c \"import shutil; shutil.rmtree('{v}')\"",
        f"perl -e 'unlink \"{v}/keep.txt\"'",
        f"bash -c \"rm -r {v}\"",
        f"sh -c 'rm {v}/keep.txt'",
        f"eval \"rm -r {v}\"",
        f"ls {v}; rm -r {v}",
        f"ls {v} && rm {v}/keep.txt",
        f"false || rm {v}/keep.txt",
        f"$(echo rm) -r {v}",
        f"`echo rm` -r {v}",
        f"cp /dev/null {v}/keep.txt",
        f"dd if=/dev/zero of={v}/keep.txt bs=1 count=1",
        f"echo {v}/keep.txt | xargs rm",
        f"env rm {v}/keep.txt",
        f"sed -i d {v}/keep.txt",
        f"awk 'BEGIN {{ system(\"rm {v}/keep.txt\") }}'",
        f"ls {v} & rm -r {v}",
        f"ln -sf /dev/null {v}/keep.txt",
        f"cat <<< '' > {v}/keep.txt",
        f"x=rm; $x -r {v}",
        f"tar --remove-files -cf {gone}.tar {v}",
    ]


def test_destructive_command_lines_never_run_without_a_person(desktop, tmp_path, open_terminal):
    """Each variant twice: typed with its newline (judged before a key is typed), and typed, then
    submitted with Enter (judged at the Enter, against the line the agent typed and reads on screen)."""
    home = tmp_path / "home"
    home.mkdir()
    terminal = open_terminal(home)
    variants = _destructive("victim", tmp_path / "gone")
    assert len(variants) >= 25
    submitted_with_enter = []
    for command in variants:
        folder = _victim(home, "victim")
        at_once = desktop.agent("run", "--json", "--step", f"type {_quoted(command, newline=True)}")
        assert at_once.json["status"] in ("stopped", "denied"), (command, at_once.stderr)
        assert _intact(folder), f"{command!r} typed with its newline destroyed its folder"
        two_steps = desktop.agent("run", "--json", "--step", f"type {_quoted(command)}",
                                  "--step", "press enter")
        steps = two_steps.json["steps"]
        assert _intact(folder), f"{command!r} then Enter destroyed its folder ({two_steps.json['status']})"
        if len(steps) == 2:  # typed and checked on screen: the Enter was judged
            assert steps[1]["status"] in ("stopped", "denied"), (command, two_steps.stderr)
            submitted_with_enter.append(command)
        else:  # denied before typing, or what was typed did not read back exactly: no Enter either
            assert steps[0]["status"] in ("denied", "failed"), (command, two_steps.stderr)
        terminal.discard_line()
        _remove(folder)
    assert len(submitted_with_enter) >= 25, submitted_with_enter
    log = terminal.log.read_text(errors="replace")
    assert "No such file" not in log and "rm:" not in log, log  # nothing ran, not even half


def test_a_line_typed_with_its_newline_or_pasted_needs_a_person(desktop, tmp_path, open_terminal):
    home = tmp_path / "home"
    home.mkdir()
    terminal = open_terminal(home)
    folder = _victim(home, "victim")
    typed = desktop.agent("run", "--json", "--step", r'type "rm -r victim\n"')
    assert typed.json["status"] == "stopped", typed.stderr
    assert "rm -r victim" in typed.json["steps"][0]["error"]
    assert _intact(folder)
    clipboard = subprocess.Popen([require("xclip"), "-quiet", "-selection", "primary"],
                                 stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 env={**os.environ, "DISPLAY": desktop.display})
    try:
        clipboard.stdin.write(b"rm -r victim\n")
        clipboard.stdin.close()
        pasted = desktop.agent("run", "--json", "--step", "press shift+insert")
    finally:
        clipboard.kill()
        clipboard.wait()
    assert pasted.json["status"] == "stopped", pasted.stderr
    assert "pastes the clipboard" in pasted.json["steps"][0]["error"]
    assert _intact(folder)
    assert "rm -r victim" not in terminal.log.read_text(errors="replace")


def test_allowlisted_read_only_commands_run_without_asking(desktop, tmp_path, open_terminal):
    home = tmp_path / "home"
    home.mkdir()
    (home / "shelf").mkdir()
    (home / "shelf" / "marker-file-7.txt").write_text("x")
    terminal = open_terminal(home)
    run = desktop.agent("run", "--json", "--step", 'type "ls shelf"', "--step", "press enter",
                        "--step", 'type "echo hello from the agent"', "--step", "press enter")
    assert run.code == 0, run.stderr
    verdicts = [step["verdict"] for step in run.json["steps"]]
    assert verdicts[1]["decision"] == "allow" and "`ls shelf`, on the allow list" in verdicts[1]["reason"]
    assert "`echo hello from the agent`, on the allow list" in verdicts[3]["reason"]
    log = terminal.wait_for_log(lambda text: text.count("hello from the agent") >= 2)
    after_ls = log.split("ls shelf", 1)[1]
    assert "marker-file-7.txt" in after_ls  # ls's own output, after the line that ran it


def test_an_approved_command_runs_once_exactly_as_shown(desktop, tmp_path, open_terminal):
    home = tmp_path / "home"
    home.mkdir()
    terminal = open_terminal(home)
    run = desktop.agent("run", "--approve", "--step", 'type "echo ran >> ran.txt"', "--step", "press enter",
                        stdin="a\na\n")
    assert run.code == 0, run.stderr
    assert "command: echo ran >> ran.txt" in run.stderr
    assert "a redirection" in run.stderr
    terminal.wait_for_log(lambda text: terminal.prompts(text) >= 2)
    assert (home / "ran.txt").read_text() == "ran\n"


def _remove(folder: Path) -> None:
    subprocess.run(["chmod", "-R", "u+rwx", str(folder)], check=False)
    subprocess.run(["rm", "-r", str(folder)], check=True)


def test_a_command_recorded_in_a_terminal_asks_again_on_replay(desktop, tmp_path, open_terminal):
    home = tmp_path / "home"
    home.mkdir()
    terminal = open_terminal(home)
    recording = start_recording(desktop, "-o", str(tmp_path / "touch.yaml"))
    desktop.xdotool("type", "--delay", "40", "touch made-by-person.txt")
    desktop.xdotool("key", "Return")  # the person runs it: that is theirs to do
    terminal.wait_for_log(lambda text: terminal.prompts(text) >= 2)
    time.sleep(0.3)
    desktop.xdotool("key", "ctrl+alt+r")
    code, _, err = finish(recording)
    assert code == 0, err
    steps = load_task(tmp_path / "touch.yaml").steps
    assert [s.text for s in steps][-1] == "press enter", [s.text for s in steps]
    (home / "made-by-person.txt").unlink()
    replay = desktop.agent("replay", str(tmp_path / "touch.yaml"), "--json", "--trace-dir", str(desktop.trace_dir))
    assert replay.json["status"] == "stopped", replay.stderr
    assert "`touch made-by-person.txt`" in replay.json["steps"][-1]["error"]
    assert not (home / "made-by-person.txt").exists()
