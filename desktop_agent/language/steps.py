"""The step language: one line of plain English -> one typed `Step`; a YAML task file -> a `Plan`.

This module owns the verbs and key names; `phrases` tokenizes lines and reads target phrases,
`task_file` reads YAML. Guaranteed: parsing is pure (only `load_task` reads a file), every problem raises
`TaskSyntaxError` pointing at the offending token, and `parse_steps`/`load_task`/`plan_from_steps` parse
every line before returning, so a bad line means nothing runs. Quoted command lines are split with
`shlex`, never evaluated. Not guaranteed: that a target exists on screen, that an image file exists or
that a program is installed; grounding, the guard and the actuator decide that later.
"""
from __future__ import annotations

import re
import shlex
import string
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from desktop_agent.core.actions import (
    Action,
    Check,
    Clear,
    Click,
    Drag,
    Expect,
    Launch,
    MouseButton,
    Plan,
    Press,
    Scroll,
    ScrollDirection,
    Select,
    Step,
    TypeText,
    WaitFor,
)
from desktop_agent.core.errors import SourceLocation, TaskSyntaxError
from desktop_agent.core.values import TargetSpec
from desktop_agent.language import task_file
from desktop_agent.language.phrases import (
    Line,
    Token,
    Understood,
    did_you_mean,
    drop_articles,
    is_blank,
    make,
    parameter_names,
    phrase_table,
    read_target,
    substitute,
    tokenize,
    understand,
    words,
)

# ---------------------------------------------------------------- vocabulary
_KEY_NAMES = ("ctrl", "alt", "shift", "super", "enter", "tab", "escape", "backspace", "delete", "insert",
              "space", "up", "down", "left", "right", "home", "end", "pageup", "pagedown", "capslock",
              "numlock", "printscreen", "pause", "menu", *(f"f{n}" for n in range(1, 13)))
_KEY_ALIASES = {
    "return": "enter", "esc": "escape", "control": "ctrl", "cmd": "super", "command": "super",
    "win": "super", "windows": "super", "meta": "super", "option": "alt", "del": "delete",
    "ins": "insert", "spacebar": "space", "pgup": "pageup", "pgdn": "pagedown", "pgdown": "pagedown",
    "prtsc": "printscreen", "uparrow": "up", "downarrow": "down", "leftarrow": "left",
    "rightarrow": "right", "plus": "+", "minus": "-", "comma": ",", "period": ".", "dot": ".",
    "slash": "/", "backslash": "\\", "semicolon": ";", "colon": ":", "quote": "'", "apostrophe": "'",
    "backtick": "`", "equals": "=",
}
_CANONICAL_KEYS = frozenset((*_KEY_NAMES, *string.ascii_lowercase, *string.digits, *string.punctuation))
# Names `press` accepts; aliases are normalised, so `Press.keys` only holds the canonical names.
KNOWN_KEYS: frozenset[str] = _CANONICAL_KEYS | frozenset(_KEY_ALIASES)

_VERBS = {
    "click": "click", "left-click": "click", "double-click": "double-click", "doubleclick": "double-click",
    "right-click": "right-click", "rightclick": "right-click", "type": "type", "enter": "type",
    "fill": "fill", "clear": "clear", "empty": "clear", "press": "press", "hit": "press", "key": "press", "check": "check", "tick": "check",
    "uncheck": "uncheck", "untick": "uncheck", "select": "select", "choose": "select",
    "scroll": "scroll", "drag": "drag", "wait": "wait", "expect": "expect", "assert": "expect",
    "verify": "expect", "launch": "launch", "open": "launch", "start": "launch",
}
_LEAD_WORDS = frozenset({"then", "please", "and"})
_WAIT_STATES = {
    "to appear": True, "appears": True, "to be visible": True, "is visible": True, "to show": True,
    "to vanish": False, "vanishes": False, "to disappear": False, "disappears": False,
    "to be gone": False, "is gone": False, "to go away": False, "goes away": False,
}
_VISIBLE = {"to be visible": True, "is visible": True, "to appear": True, "appears": True,
            "to be shown": True, "is shown": True, "to exist": True, "exists": True}
_TIME_UNITS = {"s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0, "ms": 0.001,
               "millisecond": 0.001, "milliseconds": 0.001,
               "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0}
_LONG_UNITS = frozenset({"h", "hr", "hrs", "hour", "hours", "d", "day", "days"})  # past the 10 min limit
_SCROLL_PLACES = frozenset({"in", "over", "on", "inside"})
_SCROLL_UNITS = frozenset({"times", "clicks", "lines", "notches", "steps"})

_NUMBER_RE = re.compile(r"(\d+(?:\.\d+)?)([a-z]*)")
_WAIT_PHRASES, _VISIBLE_PHRASES = phrase_table(_WAIT_STATES), phrase_table(_VISIBLE)


# ---------------------------------------------------------------- verbs
def _parse(ln: Line) -> Step:
    for i, ch in enumerate(ln.text):
        if ch in "\r\n":
            raise ln.error("a step is one line", i + 1, "split it into several steps")
    if is_blank(ln.text):
        raise ln.error("not a step: the line is blank or a comment", 1, 'write a step such as click "OK"')
    tokens = tokenize(ln)
    while len(tokens) > 1 and tokens[0].word.rstrip(",") in _LEAD_WORDS:
        tokens = tokens[1:]
    head, args = tokens[0], tokens[1:]
    if args and head.word in ("double", "right", "left") and args[0].word == "click":
        head, args = replace(head, text=f"{head.word}-click", end=args[0].end), args[1:]
    verb = _VERBS.get(head.word)
    if verb is None:
        raise ln.error(f'unknown verb "{head.text}"', head.column, did_you_mean(head.word, _VERBS)
                       or "start the step with a verb: " + ", ".join(sorted(set(_VERBS.values()))))
    try:
        return Step(line=ln.number, text=ln.text.strip(), action=_action(ln, verb, head, args))
    except TaskSyntaxError as exc:
        raise _unclosed_quote(ln, tokens) or exc


def _unclosed_quote(ln: Line, tokens: list[Token]) -> TaskSyntaxError | None:
    """When a step fails to parse after a quoted string that swallowed the start of another one
    (`type "x into the "Email" field`), the mistake is the quote left open, not what follows."""
    for token in tokens:
        quote = ln.text[token.column - 1] if token.quoted else ""
        inner = ln.text[token.column:token.end - 2]
        if quote and f" {quote}" in inner:
            swallowed = inner[inner.index(f" {quote}") + 2:]
            return ln.error(f"the quote here is not closed before {quote}{swallowed}{quote} begins",
                            token.column, f"close it where its text ends ({quote}x{quote} into the "
                            f"{quote}Email{quote} field), or write \\{quote} for a quote inside the text")
    return None


def _action(ln: Line, verb: str, head: Token, args: list[Token]) -> Action:
    name = head.text.lower()
    match verb:
        case "click" | "double-click" | "right-click":
            body = args[1:] if len(args) > 1 and args[0].word == "on" else args
            return Click(target=read_target(ln, body, name, head), count=2 if verb == "double-click" else 1,
                         button=MouseButton.RIGHT if verb == "right-click" else MouseButton.LEFT)
        case "type":
            return _type(ln, head, args)
        case "fill":
            return _fill(ln, head, args)
        case "clear":
            return Clear(target=read_target(ln, args, name, head))
        case "press":
            return _press(ln, head, args)
        case "check" | "uncheck":
            return Check(target=read_target(ln, args, name, head), checked=verb == "check")
        case "select":
            return _select(ln, head, args)
        case "scroll":
            return _scroll(ln, head, args)
        case "drag":
            return _drag(ln, head, args)
        case "wait":
            return _wait(ln, head, args)
        case "expect":
            return _expect(ln, head, args)
        case "launch":
            return _launch(ln, head, args)
    raise AssertionError(f"verb without a parser: {verb}")


def _end(head: Token, args: list[Token]) -> int:
    return (args[-1] if args else head).end


def _type(ln: Line, head: Token, args: list[Token]) -> TypeText:
    if not args or not args[0].quoted:
        raise ln.error(f"{head.text.lower()} needs quoted text", args[0].column if args else head.end,
                       'put the text in quotes: type "hello" into the "Name" field')
    target = None
    if len(args) > 1:
        if args[1].word not in ("into", "in", "on"):
            raise ln.error(f'unexpected "{args[1].text}"', args[1].column,
                           'write: type "hello" into the "Name" field')
        target = read_target(ln, args[2:], "type into", args[1])
    return make(ln, args[0].column, TypeText, text=args[0].text, target=target)


def _fill(ln: Line, head: Token, args: list[Token]) -> TypeText:
    if len(args) < 3 or args[-2].word != "with" or not args[-1].quoted:
        raise ln.error('fill needs: fill <target> with "text"', _end(head, args),
                       'write: fill the "Name" field with "Ada"')
    target = read_target(ln, args[:-2], "fill", head)
    return make(ln, args[-1].column, TypeText, text=args[-1].text, target=target)


def _press(ln: Line, head: Token, args: list[Token]) -> Press:
    args = drop_articles(args)[0]
    if len(args) > 1 and args[-1].word in ("key", "keys"):
        args = args[:-1]
    if not args:
        raise ln.error(f"{head.text.lower()} needs a key", head.end, "write: press enter, or press ctrl+s")
    if len(args) == 1 and args[0].quoted:
        raw, base = args[0].text, args[0].column + 1
    else:
        raw, base = ln.text[args[0].column - 1:args[-1].end - 1], args[0].column
    keys, start = [], 0
    for i, ch in enumerate(raw + "+"):
        if ch == "+" and (i == len(raw) or raw[start:i].strip()):  # `+` after a key separates; `ctrl++`
            keys.append(_key(ln, raw[start:i], base + start))
            start = i + 1
    return Press(keys=tuple(keys))


def _key(ln: Line, piece: str, column: int) -> str:
    name = piece.strip().lower()
    column += len(piece) - len(piece.lstrip())
    if not name:
        raise ln.error("missing key after +", column, "write a chord like ctrl+s")
    if " " in name and name.replace(" ", "") in KNOWN_KEYS:  # "page down"
        name = name.replace(" ", "")
    elif " " in name:
        raise ln.error(f'press takes one chord, got "{piece.strip()}"', column,
                       'join the keys with "+", e.g. ctrl+s')
    key = _KEY_ALIASES.get(name, name)
    if key not in _CANONICAL_KEYS:
        raise ln.error(f'unknown key "{piece.strip()}"', column,
                       did_you_mean(name, sorted(k for k in KNOWN_KEYS if len(k) > 1))
                       or "use key names like enter, tab, escape, ctrl, f5, a")
    return key


def _select(ln: Line, head: Token, args: list[Token]) -> Select:
    at = next((i for i, t in enumerate(args) if i > 0 and t.word in ("in", "from", "on")), None)
    if at is None:
        raise ln.error(f"{head.text.lower()} needs a list to choose from", _end(head, args),
                       'write: select "Express" in the "Shipping" combo')
    option = drop_articles(args[:at])[0]
    if len(option) > 1 and option[-1].word in ("option", "item", "entry"):
        option = option[:-1]
    text = " ".join(t.text for t in option)
    if not text.strip():
        raise ln.error("select needs an option", args[0].column, 'write: select "Express" in "Shipping"')
    return Select(option=text, target=read_target(ln, args[at + 1:], head.text.lower(), args[at]))


def _scroll(ln: Line, head: Token, args: list[Token]) -> Scroll:
    if not args or args[0].word not in ("up", "down"):
        raise ln.error("scroll needs a direction", args[0].column if args else head.end,
                       (did_you_mean(args[0].word, ("up", "down")) if args else "")
                       or 'write "scroll up" or "scroll down"')
    rest, amount, column = args[1:], 3, args[0].column
    if rest and rest[0].word not in _SCROLL_PLACES:
        if not rest[0].text.isdigit():
            raise ln.error(f'bad number "{rest[0].text}"', rest[0].column,
                           'write the number of clicks in digits: scroll down 5 in "Results"')
        amount, column, rest = int(rest[0].text), rest[0].column, rest[1:]
        if rest and rest[0].word in _SCROLL_UNITS:
            rest = rest[1:]
    target = None
    if rest and rest[0].word not in _SCROLL_PLACES:
        raise ln.error(f'unexpected "{rest[0].text}"', rest[0].column, 'write: scroll down 5 in "Results"')
    if rest:
        target = read_target(ln, rest[1:], "scroll", rest[0])
    return make(ln, column, Scroll, direction=ScrollDirection(args[0].word), amount=amount, target=target)


def _drag(ln: Line, head: Token, args: list[Token]) -> Drag:
    at = next((i for i in range(1, len(args)) if args[i].word in ("to", "onto")
               and words(args[i + 1:i + 3]) not in (("the", "right"), ("the", "left"))), None)
    if at is None:
        raise ln.error("drag needs a destination", _end(head, args),
                       'write: drag "a.txt" to the "Trash" icon')
    return Drag(source=read_target(ln, args[:at], "drag", head),
                destination=read_target(ln, args[at + 1:], "drag", args[at]))


def _wait(ln: Line, head: Token, args: list[Token]) -> WaitFor:
    args, timeout, column = _take_timeout(ln, head, args)
    if not args or args[0].word not in ("for", "until", "till"):
        raise ln.error('wait needs "for" or "until"', args[0].column if args else head.end,
                       'write: wait for "Saved" to appear up to 5 s')
    body, appear = _take_suffix(args[1:], _WAIT_PHRASES)
    target = read_target(ln, body, "wait", args[0])
    return make(ln, column, WaitFor, target=target, appear=appear is not False, timeout_s=timeout)


def _take_timeout(ln: Line, head: Token, args: list[Token]) -> tuple[list[Token], float, int]:
    """Remove `up to N s` / `within N s`; return the rest, the timeout and the number's column."""
    for i in range(len(args)):
        n = 2 if words(args[i:i + 2]) == ("up", "to") else 1 if args[i].word == "within" else 0
        if not n:
            continue
        if i + n == len(args):
            raise ln.error(f'expected a time after "{" ".join(words(args[i:i + n]))}"', args[-1].end,
                           "write: up to 5 s")
        number, unit = args[i + n], args[i + n + 1:i + n + 2]
        unit_word = unit[0].word if unit and unit[0].word in _TIME_UNITS else ""
        if unit and not unit_word and _NUMBER_RE.fullmatch(number.word) and (
                unit[0].word in _LONG_UNITS or did_you_mean(unit[0].word, _TIME_UNITS)):
            close = did_you_mean(unit[0].word, _TIME_UNITS)
            raise ln.error(f'unknown time unit "{unit[0].text}"', unit[0].column,
                           (f"{close} " if close else "") + "write the time in ms, s or min (at most "
                           "10 min), e.g. up to 5 s")
        match = _NUMBER_RE.fullmatch(number.word)
        if match is None or (match.group(2) and (unit_word or match.group(2) not in _TIME_UNITS)):
            raise ln.error(f'bad number "{number.text}"', number.column, "write a time like: up to 5 s")
        seconds = float(match.group(1)) * _TIME_UNITS[match.group(2) or unit_word or "s"]
        return args[:i] + args[i + n + 1 + bool(unit_word):], seconds, number.column
    return args, 10.0, head.column


def _take_suffix(tokens: list[Token], phrases: list[tuple[tuple[str, ...], object]]
                 ) -> tuple[list[Token], object]:
    for phrase, value in phrases:
        if len(tokens) >= len(phrase) and words(tokens[-len(phrase):]) == phrase:
            return tokens[:-len(phrase)], value
    return tokens, None


def _expect(ln: Line, head: Token, args: list[Token]) -> Expect:
    negation = next((t for t in args if t.word in ("not", "isn't", "never")), None)
    if negation is not None:
        raise ln.error(f"{head.text.lower()} only checks that something is visible", negation.column,
                       'to check that it went away, write: wait for "Saving" to disappear')
    body = args[1:] if len(args) > 1 and args[0].word == "that" else args
    return Expect(target=read_target(ln, _take_suffix(body, _VISIBLE_PHRASES)[0], head.text.lower(), head))


def _launch(ln: Line, head: Token, args: list[Token]) -> Launch:
    if len(args) != 1 or not args[0].quoted:
        raise ln.error(f"{head.text.lower()} needs one quoted command line",
                       args[0].column if args else head.end, 'write: launch "gedit notes.txt"')
    try:
        argv = shlex.split(args[0].literal)
    except ValueError as exc:
        raise ln.error(f"bad command line: {exc}", args[0].column) from None
    # Parameters are applied per argument, so a value with spaces stays one argument.
    return make(ln, args[0].column, Launch, argv=tuple(substitute(a, ln.params) for a in argv))


# ---------------------------------------------------------------- public API
def parse_step(text: str, *, line: int = 1, source: str = "<step>",
               params: Mapping[str, str] | None = None) -> Step:
    """Parse one step line; raises TaskSyntaxError (blank and comment lines are errors here)."""
    return _parse(Line(source=source, number=line, text=text, params=dict(params or {})))


def parse_steps(texts: Sequence[str], *, source: str = "<steps>", params: Mapping[str, str] | None = None,
                first_line: int = 1) -> tuple[Step, ...]:
    """Parse every line (line numbers count from `first_line`), skipping blanks and `#` comments.
    The first bad line raises; nothing is returned until all lines parsed."""
    return tuple(parse_step(text, line=first_line + i, source=source, params=params)
                 for i, text in enumerate(texts) if not is_blank(text))


def parse_target(text: str, *, source: str = "<target>") -> TargetSpec:
    """Parse a target phrase on its own, as written after a verb (`the field right of "Name"`)."""
    ln = Line(source=source, number=1, text=text, params={})
    if not text.strip():
        raise ln.error("empty target", 1, 'name it: "OK", the "Name" field, image:icon.png or at 120,340')
    tokens = tokenize(ln)
    return read_target(ln, tokens, "target", tokens[0])


def understand_target(text: str) -> list[Understood]:
    """What each word of a target phrase was read as (`ground --json`); parses it first, so a phrase
    that doesn't parse raises the same TaskSyntaxError as `parse_target`."""
    parse_target(text)
    ln = Line(source="<target>", number=1, text=text, params={})
    return understand(ln, tokenize(ln))


def plan_from_steps(texts: Sequence[str], *, params: Mapping[str, str] | None = None) -> Plan:
    """The plan for `run --step ...`: step N is the N-th --step argument; named "ad-hoc"."""
    task_file.refuse_unknown_params(params or {}, {n for text in texts for n in parameter_names(text)},
                                    where="the --step lines")
    steps = parse_steps(texts, source="--step", params=params)
    if not steps:
        raise TaskSyntaxError("no steps given", location=SourceLocation(source="--step", line=1, column=1),
                              suggestion="pass at least one --step 'click \"OK\"'")
    return Plan(name="ad-hoc", steps=steps, params=dict(params or {}))


def load_task(path: Path, *, params: Mapping[str, str] | None = None) -> Plan:
    """Load a YAML task file (see `task_file`): paths resolved against its folder, `params` given here
    override the file's. Errors point at the real line and column in the file; an unreadable file raises
    AgentError."""
    task = task_file.read_task(path, params=params)
    return Plan(name=task.name, steps=tuple(_parse(line) for line in task.steps), policy=task.policy,
                workspace=task.workspace, params=task.params, assets=task.assets)
