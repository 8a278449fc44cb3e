"""Command lines: the shell-line parser, the allowlist, what a terminal would run, and the guard asking."""
from __future__ import annotations

import numpy as np
import pytest
from fakes import RecordingActuator
from test_guard import GEDIT, XTERM, Scripted

from desktop_agent.core.actions import Click, KeyChord, KeyText, MouseButton, MouseClick, Press, TypeText
from desktop_agent.core.errors import PolicyError, StopRequested
from desktop_agent.core.values import Decision, Element, Frame, Rect, Role, Screen, TargetSpec, Window
from desktop_agent.safety.approvals import Approval
from desktop_agent.safety.audit import AuditLog
from desktop_agent.safety.command_line import (
    CommandLine,
    PendingLines,
    Submits,
    screen_line,
    shows_prompt_then,
    submits,
)
from desktop_agent.safety.guard import Guard
from desktop_agent.safety.policy import ActionRequest, evaluate, load_policy, parse_policy
from desktop_agent.safety.shell_line import SimpleCommand, Unprovable, parse_simple_command
from desktop_agent.safety.stop import StopToken

FIREFOX = Window(id=5, title="Mozilla Firefox", wm_class="Navigator.firefox", pid=4545,
                 box=Rect(left=0, top=0, width=1000, height=800))
RUN_DIALOG = Window(id=6, title="Run Application", wm_class="xfce4-appfinder", pid=4646,
                    box=Rect(left=0, top=0, width=400, height=100))
ENTER = Press(keys=("enter",))


# ---------------------------------------------------------------- the parser
@pytest.mark.parametrize("line, words", [
    ("ls", ("ls",)),
    ("ls -la /tmp", ("ls", "-la", "/tmp")),
    ("  echo   hello  world ", ("echo", "hello", "world")),
    ("echo 'a; b | c > d'", ("echo", "a; b | c > d")),
    ('echo "two words"', ("echo", "two words")),
    (r"cat my\ file.txt", ("cat", "my file.txt")),
    ("ls --color=auto", ("ls", "--color=auto")),
    ("echo a=b", ("echo", "a=b")),
    ("", ()),
])
def test_plain_words_are_proved(line, words):
    assert parse_simple_command(line) == SimpleCommand(words=words)


@pytest.mark.parametrize("line, reason", [
    ("ls | sh", "a pipe"),
    ("ls; rm x", "a list of commands"),
    ("ls && rm x", "a background job or a list of commands"),
    ("ls || rm x", "a pipe"),
    ("sleep 9 &", "a background job or a list of commands"),
    ("echo x > f", "a redirection"),
    ("cat < f", "a redirection"),
    ("cat <<EOF", "a redirection"),
    ("cat <<< x", "a redirection"),
    ("(rm x)", "a subshell or substitution"),
    ("echo $(rm x)", "an expansion ($)"),
    ("echo `rm x`", "a command substitution"),
    ("echo $HOME", "an expansion ($)"),
    ('echo "$HOME"', "an expansion ($) inside double quotes"),
    ('echo "`id`"', "a command substitution"),
    ("echo ${x}", "an expansion ($)"),
    ("echo $((1+1))", "an expansion ($)"),
    ("{ rm x; }", "a group or brace expansion"),
    ("echo {a,b}", "a group or brace expansion"),
    ("ls *", "a glob"),
    ("ls ?", "a glob"),
    ("ls [ab]", "a glob"),
    ("ls ~", "a home-directory expansion"),
    ("!!", "a history expansion"),
    ('echo "!!"', "a history expansion"),
    ("^ls^rm", "a history substitution"),
    ("ls # comment", "a comment"),
    ("FOO=bar ls", "a variable assignment before the command"),
    ("LD_PRELOAD=/x.so ls", "a variable assignment before the command"),
    ("ls =rm", "an expansion (=command)"),
    ("ls \\", "a line continuation"),
    ("ls\nrm x", "more than one line"),
    ("echo 'open", "an unclosed single quote"),
    ('echo "open', "an unclosed double quote"),
])
def test_every_construct_that_is_not_a_plain_word_is_refused(line, reason):
    parsed = parse_simple_command(line)
    assert isinstance(parsed, Unprovable) and parsed.reason == reason


def test_a_refusal_says_where():
    assert parse_simple_command("ls -l | sh").column == 6


# ---------------------------------------------------------------- the allowlist
@pytest.fixture
def policy():
    return load_policy(None)


def run_line(line: str, window: Window = XTERM, *, typed_all: bool = True, paste: bool = False,
             action=ENTER) -> ActionRequest:
    command = CommandLine(lines=(line,), on_screen=f"$ {line}", typed_all=typed_all, paste=paste)
    return ActionRequest(action=action, target=None, window=window, command=command)


@pytest.mark.parametrize("line", ["ls", "ls -la", "ls shelf", "pwd", "cat notes.txt", "echo hello world",
                                  "whoami", "uname -a", "date +%F", "wc -l notes.txt", ""])
def test_the_shipped_allowlist_runs_read_only_commands_without_asking(policy, line):
    verdict = evaluate(policy, run_line(line))
    assert verdict.decision is Decision.ALLOW, verdict.reason


@pytest.mark.parametrize("line", [
    "find victim -delete", "truncate -s 0 f", "shred -u f", "unlink f", "rm f", "mv a b", "chmod 000 f",
    "python3 -c 'import os'", "env rm f", "xargs rm", "sh -c 'rm f'", "eval rm f", "exec rm f",
    "sudo ls", "nohup rm f", "busybox rm f", "date -s 2020-01-01", "hostname evil", "ls; rm f",
    "echo x > f", "ls | sh", "ls && rm f", "echo $(rm f)", "cat f &", "/bin/ls", "./ls",
])
def test_everything_else_needs_a_person_and_shows_the_line(policy, line):
    verdict = evaluate(policy, run_line(line))
    assert verdict.decision in (Decision.CONFIRM, Decision.DENY)
    if verdict.decision is Decision.CONFIRM:
        assert f"`{line}`" in verdict.reason


def test_the_denylist_gives_the_obvious_cases_its_reason_at_submission(policy):
    verdict = evaluate(policy, run_line("rm -rf victim"))
    assert verdict.decision is Decision.DENY and "rm -rf" in verdict.reason


def test_a_line_the_agent_did_not_type_all_of_is_never_allowed(policy):
    verdict = evaluate(policy, run_line("ls", typed_all=False))
    assert verdict.decision is Decision.CONFIRM and "did not type all of it" in verdict.reason


def test_a_paste_always_asks(policy):
    verdict = evaluate(policy, run_line("ls", paste=True, action=Press(keys=("shift", "insert"))))
    assert verdict.decision is Decision.CONFIRM and "pastes the clipboard" in verdict.reason


def test_an_unknown_command_line_is_never_allowed(policy):
    request = ActionRequest(action=ENTER, target=None, window=XTERM)
    verdict = evaluate(policy, request)
    assert verdict.decision is Decision.CONFIRM and "has not read" in verdict.reason


def test_enter_outside_command_windows_is_not_a_command(policy):
    assert evaluate(policy, run_line("rm x", GEDIT)).decision is Decision.ALLOW


def test_a_run_dialog_runs_its_line_too(policy):
    assert evaluate(policy, run_line("rm x", RUN_DIALOG)).decision is Decision.CONFIRM


def test_a_browser_runs_only_javascript_addresses_as_code(policy):
    assert evaluate(policy, run_line("example.org", FIREFOX)).decision is Decision.ALLOW
    verdict = evaluate(policy, run_line("javascript:alert(1)", FIREFOX))
    assert verdict.decision is Decision.CONFIRM and "javascript" in verdict.reason


def test_a_rule_that_allows_everything_in_terminals_does_not_let_a_line_run_unasked():
    policy = parse_policy("version: 1\nrules:\n  - {decision: allow, window_class: xterm, reason: ok}\n"
                          "commands:\n  windows: [{class: xterm}]\n", source="test")
    assert evaluate(policy, run_line("rm x")).decision is Decision.CONFIRM


def test_a_person_can_deny_every_other_command_line_and_add_a_subcommand():
    policy = parse_policy("version: 1\ncommands:\n  decision: deny\n  windows: [{class: xterm}]\n"
                          "  allow: [{program: git status, args: '--short|-s'}]\n", source="test")
    assert evaluate(policy, run_line("git status -s")).decision is Decision.ALLOW
    assert evaluate(policy, run_line("git status")).decision is Decision.ALLOW
    assert evaluate(policy, run_line("git push")).decision is Decision.DENY
    assert evaluate(policy, run_line("git status --porcelain")).decision is Decision.DENY


@pytest.mark.parametrize("program", ["env", "xargs", "sh", "bash", "eval", "exec", "sudo", "nohup", "busybox",
                                     "python3", "perl", "find", "/usr/bin/env"])
def test_programs_that_run_other_programs_cannot_be_allowlisted(program):
    text = f"version: 1\ncommands:\n  allow: [{{program: '{program}', args: '.*'}}]\n"
    with pytest.raises(PolicyError, match="runs other programs") as caught:
        parse_policy(text, source="test")
    assert "commands.allow[0].program" in str(caught.value)


@pytest.mark.parametrize("text, where", [
    ("commands:\n  decision: allow\n", "commands.decision"),
    ("commands:\n  windows: [{reason: x}]\n", "commands.windows[0]"),
    ("commands:\n  windows: [{class: '('}]\n", "commands.windows[0].class"),
    ("commands:\n  allow: [{args: x}]\n", "commands.allow[0]"),
    ("commands:\n  allow: [{program: 'ls; rm'}]\n", "commands.allow[0].program"),
    ("commands:\n  allow: [{program: ls, flags: x}]\n", "commands.allow[0].flags"),
])
def test_a_malformed_commands_section_names_its_place(text, where):
    with pytest.raises(PolicyError) as caught:
        parse_policy("version: 1\n" + text, source="test")
    assert where in str(caught.value)


# ---------------------------------------------------------------- what would run
@pytest.mark.parametrize("action, kind", [
    (Press(keys=("enter",)), Submits.KEY), (Press(keys=("ctrl", "j")), Submits.KEY),
    (Press(keys=("ctrl", "m")), Submits.KEY), (Press(keys=("ctrl", "shift", "v")), Submits.PASTE),
    (Press(keys=("shift", "insert")), Submits.PASTE), (TypeText(text="ls\n"), Submits.NEWLINE),
    (TypeText(text="ls\r"), Submits.NEWLINE), (Click(target=TargetSpec(text="x"), button=MouseButton.MIDDLE),
                                               Submits.PASTE),
    (Press(keys=("tab",)), None), (TypeText(text="ls"), None), (Click(target=TargetSpec(text="x")), None),
])
def test_which_actions_submit(action, kind):
    assert submits(action) is kind


def test_pending_lines_follow_what_the_agent_typed():
    lines = PendingLines()
    lines.performed(XTERM.id, KeyText(text="ls "))
    lines.performed(XTERM.id, KeyText(text="-la"))
    command = lines.command_line(ENTER, XTERM.id, "user@host:~$ ls -la")
    assert command.lines == ("ls -la",) and command.typed_all
    lines.performed(XTERM.id, KeyChord(keys=("enter",)))
    assert lines.command_line(ENTER, XTERM.id, "$ ").lines == ("",)


def test_typed_text_with_newlines_runs_each_complete_line():
    lines = PendingLines()
    lines.performed(XTERM.id, KeyText(text="echo "))
    command = lines.command_line(TypeText(text="a\nrm x\nls"), XTERM.id, "$ echo")
    assert command.lines == ("echo a", "rm x") and command.shown == "echo a ⏎ rm x"
    lines.performed(XTERM.id, KeyText(text="a\nrm x\nls"))
    assert lines.command_line(ENTER, XTERM.id, "$ ls").lines == ("ls",)


def test_a_key_the_agent_cannot_account_for_makes_the_line_unknown():
    lines = PendingLines()
    lines.performed(XTERM.id, KeyText(text="ls"))
    lines.performed(XTERM.id, KeyChord(keys=("tab",)))  # completion may have added anything
    assert not lines.command_line(ENTER, XTERM.id, "$ ls").typed_all
    lines.performed(XTERM.id, MouseClick(point=XTERM.box.center, button=MouseButton.MIDDLE))
    assert not lines.command_line(ENTER, XTERM.id, "$ ls").typed_all


@pytest.mark.parametrize("on_screen, typed, ok", [
    ("user@host:~$ ls -la", "ls -la", True),
    ("bash-5.2# ls shelf_", "ls shelf", True),     # the cursor, read as "_"
    ("$ 1s -la", "ls -la", True),                  # OCR's l/1
    ("$ ", "", True),
    ("host% ls", "ls", True),
    ("$ rm -rf x; ls", "ls", False),               # someone else's text before the agent's
    ("$ echo $ls", "ls", False),
    ("$ ls", "", False),                           # a line the agent did not type at all
    ("ls", "ls", False),                           # no prompt seen
    ("$ ls -la", "ls", False),
])
def test_the_line_on_screen_is_a_prompt_then_exactly_what_was_typed(on_screen, typed, ok):
    assert shows_prompt_then(on_screen, typed) is ok


def test_the_screen_line_is_the_lowest_row_of_the_window():
    frame = Frame(image=np.zeros((600, 800, 3), np.uint8), region=XTERM.box)

    def text(words: str, left: int, top: int) -> Element:
        return Element(role=Role.TEXT, box=Rect(left=left, top=top, width=60, height=16), text=words)

    screen = Screen(frame=frame, windows=(XTERM,),
                    elements=(text("$ ls", 5, 10), text("a.txt", 5, 30), text("$ echo", 5, 50),
                              text("hi", 90, 52)))
    assert screen_line(screen, XTERM) == "$ echo hi"


# ---------------------------------------------------------------- the guard
def _guard(tmp_path, *, line: str | None, approver=None) -> tuple[Guard, RecordingActuator]:
    actuator = RecordingActuator(Rect(left=0, top=0, width=1920, height=1080))
    guard = Guard(policy=load_policy(None), actuator=actuator, audit=AuditLog(tmp_path / "audit.jsonl"),
                  stop=StopToken(), approver=approver, read_line=lambda window: line)
    return guard, actuator


def _type(guard: Guard, text: str) -> None:
    auth = guard.authorize(ActionRequest(action=TypeText(text=text), target=None, window=XTERM))
    guard.perform(auth.permit, KeyText(text=text))


def test_the_guard_allows_an_allowlisted_line_it_typed_and_saw(tmp_path):
    guard, actuator = _guard(tmp_path, line="$ ls -la")
    _type(guard, "ls -la")
    auth = guard.authorize(ActionRequest(action=ENTER, target=None, window=XTERM))
    assert auth.verdict.decision is Decision.ALLOW and auth.permit is not None
    guard.perform(auth.permit, KeyChord(keys=("enter",)))
    assert actuator.operations[-1] == KeyChord(keys=("enter",))


def test_with_nobody_to_ask_a_command_stops_the_run_and_nothing_runs(tmp_path):
    guard, actuator = _guard(tmp_path, line="$ find x -delete")
    _type(guard, "find x -delete")
    with pytest.raises(StopRequested, match="find x -delete"):
        guard.authorize(ActionRequest(action=ENTER, target=None, window=XTERM))
    assert KeyChord(keys=("enter",)) not in actuator.operations


def test_the_person_is_shown_the_line_with_secrets_masked(tmp_path):
    approver = Scripted(Approval.APPROVE, Approval.APPROVE)  # typing a secret asks too
    guard, _ = _guard(tmp_path, line="$ mysql -p hunter2", approver=approver)
    request = ActionRequest(action=TypeText(text="hunter2"), target=None, window=XTERM,
                            step_text='type "{secret:db}"')
    _type(guard, "mysql -p ")
    auth = guard.authorize(request)
    guard.perform(auth.permit, KeyText(text="hunter2"))
    guard.authorize(ActionRequest(action=ENTER, target=None, window=XTERM))
    shown = approver.asked[-1]
    assert shown.request.command.lines == ("mysql -p •••",)
    assert "hunter2" not in shown.verdict.reason and "mysql -p •••" in shown.verdict.reason
    assert "hunter2" not in (tmp_path / "audit.jsonl").read_text()


def test_a_line_someone_else_typed_on_is_flagged(tmp_path):
    approver = Scripted(Approval.SKIP)
    guard, _ = _guard(tmp_path, line="$ rm -r x; ls", approver=approver)
    _type(guard, "ls")
    auth = guard.authorize(ActionRequest(action=ENTER, target=None, window=XTERM))
    assert auth.permit is None
    command = approver.asked[0].request.command
    assert not command.typed_all and command.on_screen == "$ rm -r x; ls"
