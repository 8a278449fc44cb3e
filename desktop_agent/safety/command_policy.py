"""The policy's `commands` section: which windows run the line submitted to them, and which command
lines may run there without a person.

    commands:
      decision: confirm            # for every command line not allowed below: confirm | deny
      windows:                     # where a submitted line runs (title and/or class regexes)
        - {class: '(?i)xterm|konsole', reason: "a terminal runs the command line"}
        - {class: '(?i)firefox', line: '(?i)^\\s*javascript:', reason: "..."}   # only such lines
      allow:                       # run without asking: one simple command of these programs
        - {program: ls, args: '-[alh]+|[^-].*'}   # every further argument must match `args` whole
        - {program: git status}                   # leading words; no `args`: no further arguments

A line is allowed only when it is provably one simple command (shell_line.py) whose leading words are
an entry's `program` and whose other words each match its `args` in full; when the agent typed all of
the line itself (it reads the line on screen to be sure); and when nothing is pasted. Anything else
gets `decision`, with the exact line in the reason. Programs that run other programs or code given to
them (`env`, `xargs`, `sh`, `sudo`, interpreters …) can't be entries: the file is refused.

Pure: `judge` does no I/O.
"""
from __future__ import annotations

import re

from desktop_agent.core.actions import Action
from desktop_agent.core.values import Decision, Verdict, Window, frozen
from desktop_agent.safety.command_line import CommandLine, submits
from desktop_agent.safety.policy_fields import (
    Invalid,
    WindowMatch,
    decision,
    items,
    mapping,
    optional_regex,
    string,
    window_match,
)
from desktop_agent.safety.shell_line import Unprovable, parse_simple_command

RUNS_OTHERS = frozenset({
    "env", "xargs", "eval", "exec", "command", "builtin", "source", ".", "alias", "sudo", "doas", "su",
    "pkexec", "runuser", "nohup", "setsid", "nice", "ionice", "chrt", "taskset", "time", "timeout",
    "watch", "stdbuf", "unbuffer", "script", "flock", "strace", "ltrace", "chroot", "busybox", "toybox",
    "parallel", "find", "ssh", "sh", "bash", "dash", "zsh", "ksh", "mksh", "fish", "csh", "tcsh",
    "python", "python2", "python3", "perl", "ruby", "node", "nodejs", "php", "lua", "tclsh", "wish",
    "awk", "gawk", "mawk", "sed", "vim", "vi", "emacs", "less", "more", "man", "make", "xdg-open",
    "gio", "at", "batch", "crontab", "systemd-run",
})
_PYTHON_LIKE = re.compile(r"(python|perl|ruby|lua|php|pypy)[\d.]*$")


@frozen
class CommandPlace:
    window: WindowMatch
    line: re.Pattern[str] | None = None  # only lines matching this run as code there


@frozen
class AllowedCommand:
    where: str
    program: tuple[str, ...]
    args: re.Pattern[str] | None = None  # each further word must match in full; None: no further words

    def allows(self, words: tuple[str, ...]) -> bool:
        lead = words[:len(self.program)]
        rest = words[len(self.program):]
        return (lead == self.program
                and (not rest or (self.args is not None and all(self.args.fullmatch(w) for w in rest))))


@frozen
class CommandPolicy:
    decision: Decision = Decision.CONFIRM
    places: tuple[CommandPlace, ...] = ()
    allow: tuple[AllowedCommand, ...] = ()

    def place(self, window: Window | None) -> CommandPlace | None:
        return next((p for p in self.places if p.window.matches(window)), None)


def judge(policy: CommandPolicy, action: Action, window: Window | None,
          command: CommandLine | None) -> Verdict | None:
    """The verdict on `action` as a command line run in `window`, or None when it runs none there.
    `command`: what it runs, as PendingLines tells (None: unknown — never allowed)."""
    if submits(action) is None or (place := policy.place(window)) is None:
        return None
    where = place.window.reason
    if place.line is not None and command is not None and not command.paste \
            and not any(place.line.search(text) for text in (*command.lines, command.on_screen or "")):
        return None

    def ask(why: str) -> Verdict:
        return Verdict(decision=policy.decision, reason=f"{where}: {why}", rule=place.window.where)

    if command is None:
        return ask("submits a line the agent has not read")
    if command.paste:
        return ask("pastes the clipboard, which runs whatever it holds")
    if not command.typed_all:
        seen = "could not be read" if command.on_screen is None else f"reads `{command.on_screen}`"
        return ask(f"runs `{command.shown}`, but the line on screen {seen}: "
                   "the agent did not type all of it")
    rules = []
    for text in command.lines:
        parsed = parse_simple_command(text)
        if isinstance(parsed, Unprovable):
            return ask(f"runs `{command.shown}` ({parsed.reason} at column {parsed.column + 1}: "
                       "not one plain command)")
        if not parsed.words:
            continue
        entry = next((a for a in policy.allow if a.allows(parsed.words)), None)
        if entry is None:
            return ask(f"runs `{command.shown}` (`{parsed.words[0]}` with these arguments is not on the "
                       "policy's commands.allow list)")
        rules.append(entry.where)
    return Verdict(decision=Decision.ALLOW, rule=", ".join(rules) or place.window.where,
                   reason=f"{where}: runs `{command.shown}`, on the allow list")


# ---------------------------------------------------------------- loading
def parse_commands(value: object, where: str = "commands") -> CommandPolicy:
    data = mapping(value, where, frozenset({"decision", "windows", "allow"}))
    verdict = decision(data.get("decision", "confirm"), f"{where}.decision")
    if verdict is Decision.ALLOW:
        raise Invalid("a command line the allow list does not cover can't be allowed unseen: use confirm "
                      "or deny, and list what may run in commands.allow", f"{where}.decision")
    return CommandPolicy(
        decision=verdict,
        places=tuple(_place(v, w) for v, w in items(data.get("windows", []), f"{where}.windows")),
        allow=tuple(_allowed(v, w) for v, w in items(data.get("allow", []), f"{where}.allow")))


def _place(value: object, where: str) -> CommandPlace:
    match, data = window_match(value, where, extra=frozenset({"line"}),
                               default_reason="this window runs the line submitted to it")
    return CommandPlace(window=match, line=optional_regex(data, "line", where))


def _allowed(value: object, where: str) -> AllowedCommand:
    data = mapping(value, where, frozenset({"program", "args"}))
    if "program" not in data:
        raise Invalid("an allowed command needs 'program'", where)
    program = string(data["program"], f"{where}.program")
    parsed = parse_simple_command(program)
    if isinstance(parsed, Unprovable) or not parsed.words:
        raise Invalid(f"program {program!r} is not plain words", f"{where}.program")
    name = parsed.words[0].rsplit("/", 1)[-1]
    if name in RUNS_OTHERS or _PYTHON_LIKE.match(name):
        raise Invalid(f"{name!r} runs other programs or code given to it, so no arguments make it safe: "
                      "it can't be on the allow list", f"{where}.program")
    return AllowedCommand(where=where, program=parsed.words, args=optional_regex(data, "args", where))
