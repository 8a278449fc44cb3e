"""The step language: one line of plain English -> one typed `Step`; a YAML task file -> a `Plan`.

Guaranteed: parsing is pure (only `load_task` reads a file), every problem raises `TaskSyntaxError`
pointing at the offending token, and `parse_steps`/`load_task`/`plan_from_steps` parse every line before
returning, so a bad line means nothing runs. Quoted command lines are split with `shlex`, never evaluated.
Not guaranteed: that a target exists on screen, that an image file exists or that a program is installed;
grounding, the guard and the actuator decide that later.
"""
from __future__ import annotations

import difflib
import re
import shlex
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from desktop_agent.errors import AgentError, SourceLocation, TaskSyntaxError
from desktop_agent.types import (Action, Anchor, Check, Click, Drag, Expect, Launch, MouseButton, Plan,
                                 Point, Press, Relation, Role, Scroll, ScrollDirection, Select, Step,
                                 TargetSpec, TypeText, WaitFor)

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
    "fill": "fill", "press": "press", "hit": "press", "key": "press", "check": "check", "tick": "check",
    "uncheck": "uncheck", "untick": "uncheck", "select": "select", "choose": "select",
    "scroll": "scroll", "drag": "drag", "wait": "wait", "expect": "expect", "assert": "expect",
    "verify": "expect", "launch": "launch", "open": "launch", "start": "launch",
}
_LEAD_WORDS = frozenset({"then", "please", "and"})
_ARTICLES = frozenset({"the", "a", "an"})
_FILLERS = frozenset({"titled", "named", "called", "labeled", "labelled", "label", "text", "region",
                      "area", "pane", "panel", "option", "item"})
_CONTAINERS = frozenset({"region", "area", "pane", "panel"})
_ORDINAL_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
                  "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "last": -1}
_ROLE_WORDS = {
    "button": Role.BUTTON, "field": Role.FIELD, "text field": Role.FIELD, "textfield": Role.FIELD,
    "textbox": Role.FIELD, "text box": Role.FIELD, "input": Role.FIELD, "entry": Role.FIELD,
    "box": Role.FIELD, "edit": Role.FIELD, "checkbox": Role.CHECKBOX, "check box": Role.CHECKBOX,
    "combo": Role.COMBO, "combobox": Role.COMBO, "combo box": Role.COMBO, "dropdown": Role.COMBO,
    "drop-down": Role.COMBO, "drop down": Role.COMBO, "list": Role.COMBO, "menu": Role.MENU,
    "menu item": Role.MENU, "tab": Role.TAB, "link": Role.LINK, "icon": Role.ICON, "window": Role.WINDOW,
}
_RELATION_WORDS = {
    "to the right of": Relation.RIGHT_OF, "right of": Relation.RIGHT_OF,
    "to the left of": Relation.LEFT_OF, "left of": Relation.LEFT_OF, "below": Relation.BELOW,
    "under": Relation.BELOW, "beneath": Relation.BELOW, "above": Relation.ABOVE, "over": Relation.ABOVE,
    "near": Relation.NEAR, "next to": Relation.NEAR, "beside": Relation.NEAR, "in": Relation.INSIDE,
    "inside": Relation.INSIDE, "within": Relation.INSIDE,
}
_WAIT_STATES = {
    "to appear": True, "appears": True, "to be visible": True, "is visible": True, "to show": True,
    "to vanish": False, "vanishes": False, "to disappear": False, "disappears": False,
    "to be gone": False, "is gone": False, "to go away": False, "goes away": False,
}
_VISIBLE = {"to be visible": True, "is visible": True, "to appear": True, "appears": True,
            "to be shown": True, "is shown": True, "to exist": True, "exists": True}
_TIME_UNITS = {"s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0, "ms": 0.001,
               "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0}
_SCROLL_PLACES = frozenset({"in", "over", "on", "inside"})
_SCROLL_UNITS = frozenset({"times", "clicks", "lines", "notches", "steps"})

_ORDINAL_RE = re.compile(r"(\d+)(?:st|nd|rd|th)")
_NUMBER_RE = re.compile(r"(\d+(?:\.\d+)?)([a-z]*)")
_POINT_START = re.compile(r"[(\-\d]|x\s*[=:]", re.I)
_POINT_RE = re.compile(r"\(?\s*(?:x\s*[=:]\s*)?(-?\d+)\s*(?:,\s*|\s+)(?:y\s*[=:]\s*)?(-?\d+)\s*\)?", re.I)
_PARAM_RE = re.compile(r"\{\{|\}\}|\{([A-Za-z_][\w-]*)\}")
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "t": "\t"}


def _phrases(table: Mapping[str, object]) -> list[tuple[tuple[str, ...], object]]:
    """Multi-word phrases as word tuples, longest first so "text field" wins over "field"."""
    return sorted(((tuple(k.split()), v) for k, v in table.items()), key=lambda kv: -len(kv[0]))


_ROLE_PHRASES, _RELATION_PHRASES = _phrases(_ROLE_WORDS), _phrases(_RELATION_WORDS)
_WAIT_PHRASES, _VISIBLE_PHRASES = _phrases(_WAIT_STATES), _phrases(_VISIBLE)


# ---------------------------------------------------------------- lines and tokens
@dataclass(frozen=True, slots=True)
class _Line:
    source: str
    number: int
    text: str
    params: Mapping[str, str]
    offset: int = 0           # columns before the step on the displayed line (a YAML list item)
    shown: str | None = None  # the displayed line when it is not `text`

    def error(self, message: str, column: int, suggestion: str = "") -> TaskSyntaxError:
        location = SourceLocation(source=self.source, line=self.number, column=self.offset + column,
                                  text=self.text if self.shown is None else self.shown)
        return TaskSyntaxError(message, location=location, suggestion=suggestion)


@dataclass(frozen=True, slots=True)
class _Token:
    text: str          # words as written; quoted strings with escapes and parameters applied
    column: int        # 1-based column of the first character
    end: int           # 1-based column just after the last character
    quoted: bool = False
    literal: str = ""  # quoted strings before parameters were applied

    @property
    def word(self) -> str:
        return "" if self.quoted else self.text.lower()


def _tokenize(ln: _Line) -> list[_Token]:
    text, i, tokens = ln.text, 0, []
    while i < len(text):
        if text[i].isspace():
            i += 1
        elif text[i] in "\"'":
            value, positions, end = _read_quoted(ln, i)
            _check_params(ln, value, positions)
            tokens.append(_Token(text=_substitute(value, ln.params), column=i + 1, end=end + 1,
                                 quoted=True, literal=value))
            i = end
        elif text[i:i + 6].lower() == "image:" and text[i + 6:i + 7] in ('"', "'"):
            value, _, end = _read_quoted(ln, i + 6)
            tokens.append(_Token(text="image:" + value, column=i + 1, end=end + 1))
            i = end
        else:
            end = i
            while end < len(text) and not text[end].isspace():
                end += 1
            tokens.append(_Token(text=text[i:end], column=i + 1, end=end + 1))
            i = end
    return _strip_period(tokens)


def _read_quoted(ln: _Line, start: int) -> tuple[str, list[int], int]:
    """Value, the source index of each value character, and the index after the closing quote.
    A quote closes only before a space, punctuation or the end, so 'Don't save' stays one string."""
    text, quote, chars, positions, i = ln.text, ln.text[start], [], [], start + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            escaped = _ESCAPES.get(text[i + 1])
            chars.extend([escaped] if escaped else ["\\", text[i + 1]])
            positions.extend([i] if escaped else [i, i + 1])
            i += 2
            continue
        if ch == quote and (i + 1 == len(text) or text[i + 1] in " \t.,;:!?)"):
            return "".join(chars), positions, i + 1
        chars.append(ch)
        positions.append(i)
        i += 1
    raise ln.error("unterminated quote", start + 1, "close the quote")


def _strip_period(tokens: list[_Token]) -> list[_Token]:
    """Drop a sentence-ending period ("click OK.", 'type "x".') but keep `press .` and `ctrl+.`."""
    last = tokens[-1] if tokens else None
    if last is None or last.quoted or not last.text.endswith("."):
        return tokens
    if last.text == "." and len(tokens) > 1 and tokens[-2].end == last.column:
        return tokens[:-1]
    if len(last.text) > 1 and (last.text[-2].isalnum() or last.text[-2] in ")\"'"):
        return [*tokens[:-1], replace(last, text=last.text[:-1], end=last.end - 1)]
    return tokens


def _substitute(value: str, params: Mapping[str, str]) -> str:
    """`{name}` -> params[name]; `{{`/`}}` -> braces; `{secret:NAME}` and unknown names stay as written."""
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        return match.group(0)[0] if name is None else params.get(name, match.group(0))
    return _PARAM_RE.sub(one, value)


def _check_params(ln: _Line, value: str, positions: list[int]) -> None:
    for match in _PARAM_RE.finditer(value):
        name = match.group(1)
        if name is not None and name not in ln.params:
            known = ", ".join(sorted(ln.params))
            close = difflib.get_close_matches(name, list(ln.params), n=1)
            hint = (f"did you mean {{{close[0]}}}? " if close else "") + (
                f"known parameters: {known}" if known else "no parameters are defined")
            raise ln.error(f"unknown parameter {{{name}}}", positions[match.start()] + 1,
                           hint + "; write {{ and }} for literal braces")


def _did_you_mean(word: str, choices: Sequence[str] | Mapping[str, object]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f'did you mean "{close[0]}"?' if close else ""


def _words(tokens: Sequence[_Token]) -> tuple[str, ...]:
    return tuple(t.word for t in tokens)


def _make(ln: _Line, column: int, cls: type, **fields: object) -> object:
    """Construct a validated value; its ValueError becomes a syntax error at `column`."""
    try:
        return cls(**fields)
    except ValueError as exc:
        raise ln.error(str(exc), column) from None


# ---------------------------------------------------------------- targets
def _target(ln: _Line, tokens: list[_Token], verb: str, after: _Token) -> TargetSpec:
    if not tokens:
        raise ln.error(f"{verb} needs a target", after.end,
                       'name it: "OK", the "Name" field, image:icon.png or at 120,340')
    rest, determined = _drop_articles(tokens)
    ordinal = _ordinal(rest, determined)
    if ordinal is not None:
        rest, determined = rest[1:], True
    subject, anchor = _split_relation(ln, rest)
    fields = _subject(ln, subject, determined or anchor is not None)
    return _make(ln, tokens[0].column, TargetSpec, ordinal=ordinal, anchor=anchor, **fields)


def _drop_articles(tokens: list[_Token]) -> tuple[list[_Token], bool]:
    dropped = False
    while len(tokens) > 1 and tokens[0].word in _ARTICLES:
        tokens, dropped = tokens[1:], True
    return tokens, dropped


def _ordinal(tokens: list[_Token], after_article: bool) -> int | None:
    """`2nd` always; word ordinals only when clearly ordinals ("the second", `second "Edit"`), so a
    field labelled "First name" keeps its text."""
    if len(tokens) < 2:
        return None
    word = tokens[0].word
    if match := _ORDINAL_RE.fullmatch(word):
        return int(match.group(1))
    if word in _ORDINAL_WORDS and (after_article or tokens[1].quoted or _role_at(tokens, 1)):
        return _ORDINAL_WORDS[word]
    return None


def _role_at(tokens: Sequence[_Token], i: int) -> tuple[Role, int] | None:
    for phrase, role in _ROLE_PHRASES:
        if _words(tokens[i:i + len(phrase)]) == phrase:
            return role, len(phrase)
    return None


def _split_relation(ln: _Line, tokens: list[_Token]) -> tuple[list[_Token], Anchor | None]:
    """Split at the first relation phrase. With unquoted text a relation word only counts when a target
    clearly follows, so `click Log in` and `click Sign in with Google` stay plain text."""
    for i in range(len(tokens)):
        for phrase, relation in _RELATION_PHRASES:
            rest, before = tokens[i + len(phrase):], tokens[:i]
            if _words(tokens[i:i + len(phrase)]) != phrase or not rest:
                continue
            if _starts_target(rest) or (before and not _is_plain(before)):
                anchor = _target(ln, rest, " ".join(phrase), tokens[i])
                return before, Anchor(relation=relation, target=anchor)
    return tokens, None


def _starts_target(tokens: list[_Token]) -> bool:
    first = tokens[0]
    return (first.quoted or first.word in _ARTICLES or first.word in _CONTAINERS or first.word == "at"
            or _image(first) is not None or _ordinal(tokens, True) is not None
            or _role_at(tokens, 0) is not None)


def _is_plain(tokens: list[_Token]) -> bool:
    """Unquoted words that are not just a role ("Log", not "field")."""
    if any(t.quoted or _image(t) is not None for t in tokens):
        return False
    return _trailing_role(tokens) != 0


def _trailing_role(tokens: list[_Token]) -> int | None:
    """Index where a role phrase ending the words starts ("Open file menu" -> 2)."""
    for k in range(len(tokens)):
        if (hit := _role_at(tokens, k)) and k + hit[1] == len(tokens):
            return k
    return None


def _image(token: _Token) -> str | None:
    return token.text[6:] if token.text[:6].lower() == "image:" else None


def _subject(ln: _Line, tokens: list[_Token], determined: bool) -> dict[str, object]:
    """text / image / point and role of the words before any relation."""
    fields: dict[str, object] = {}
    at = next((i for i, t in enumerate(tokens[:-1])
               if t.word == "at" and _POINT_START.match(tokens[i + 1].text)), None)
    if at is not None:
        fields["point"], tokens = _point(ln, tokens[at + 1:]), tokens[:at]
    named = [t for t in tokens if t.quoted or _image(t) is not None]
    if len(named) > 1:
        raise ln.error("a target names one text or image", named[1].column,
                       "put all of the text in one pair of quotes")
    if named:
        fields.update(_named(ln, named[0]))
    if named or at is not None:
        fields["role"] = _role_words(ln, [t for t in tokens if not named or t is not named[0]])
        return fields
    hit = _trailing_role(tokens)
    if hit is not None and (hit > 0 or determined):
        fields["role"], tokens = _role_at(tokens, hit)[0], tokens[:hit]
    if tokens:
        fields["text"] = " ".join(t.text for t in tokens)
    return fields


def _named(ln: _Line, token: _Token) -> dict[str, object]:
    image = _image(token)
    if image is not None:
        if not image:
            raise ln.error("image: needs a file path", token.column, "write image:icons/save.png")
        return {"image": Path(image)}
    if not token.text.strip():
        raise ln.error("empty text", token.column, 'put the text to find between the quotes: "OK"')
    return {"text": token.text}


def _role_words(ln: _Line, tokens: list[_Token]) -> Role | None:
    """Words beside a quoted text may only be a role and filler words (`the "OK" button`)."""
    role, i = None, 0
    while i < len(tokens):
        hit, token = _role_at(tokens, i), tokens[i]
        if hit and role is not None:
            raise ln.error(f'a target has one role, got a second: "{token.text}"', token.column)
        if hit:
            role, i = hit[0], i + hit[1]
        elif token.word in _FILLERS or token.word in _ARTICLES:
            i += 1
        else:
            raise ln.error(f'unexpected word "{token.text}"', token.column,
                           _did_you_mean(token.word, _ROLE_WORDS) or "put all of the text in one pair of quotes")
    return role


def _point(ln: _Line, tokens: list[_Token]) -> Point:
    raw = " ".join(t.text for t in tokens)
    match = _POINT_RE.fullmatch(raw)
    if match is None:
        raise ln.error(f'bad point "{raw}"', tokens[0].column, "write a point as at 120,340")
    return Point(x=int(match.group(1)), y=int(match.group(2)))


# ---------------------------------------------------------------- verbs
def _parse(ln: _Line) -> Step:
    for i, ch in enumerate(ln.text):
        if ch in "\r\n":
            raise ln.error("a step is one line", i + 1, "split it into several steps")
    if _is_blank(ln.text):
        raise ln.error("not a step: the line is blank or a comment", 1, 'write a step such as click "OK"')
    tokens = _tokenize(ln)
    while len(tokens) > 1 and tokens[0].word.rstrip(",") in _LEAD_WORDS:
        tokens = tokens[1:]
    head, args = tokens[0], tokens[1:]
    if args and head.word in ("double", "right", "left") and args[0].word == "click":
        head, args = replace(head, text=f"{head.word}-click", end=args[0].end), args[1:]
    verb = _VERBS.get(head.word)
    if verb is None:
        raise ln.error(f'unknown verb "{head.text}"', head.column, _did_you_mean(head.word, _VERBS)
                       or "start the step with a verb: " + ", ".join(sorted(set(_VERBS.values()))))
    return Step(line=ln.number, text=ln.text.strip(), action=_action(ln, verb, head, args))


def _action(ln: _Line, verb: str, head: _Token, args: list[_Token]) -> Action:
    name = head.text.lower()
    match verb:
        case "click" | "double-click" | "right-click":
            body = args[1:] if len(args) > 1 and args[0].word == "on" else args
            return Click(target=_target(ln, body, name, head), count=2 if verb == "double-click" else 1,
                         button=MouseButton.RIGHT if verb == "right-click" else MouseButton.LEFT)
        case "type":
            return _type(ln, head, args)
        case "fill":
            return _fill(ln, head, args)
        case "press":
            return _press(ln, head, args)
        case "check" | "uncheck":
            return Check(target=_target(ln, args, name, head), checked=verb == "check")
        case "select":
            return _select(ln, head, args)
        case "scroll":
            return _scroll(ln, head, args)
        case "drag":
            return _drag(ln, head, args)
        case "wait":
            return _wait(ln, head, args)
        case "expect":
            body = args[1:] if len(args) > 1 and args[0].word == "that" else args
            return Expect(target=_target(ln, _take_suffix(body, _VISIBLE_PHRASES)[0], name, head))
        case "launch":
            return _launch(ln, head, args)
    raise AssertionError(f"verb without a parser: {verb}")


def _end(head: _Token, args: list[_Token]) -> int:
    return (args[-1] if args else head).end


def _type(ln: _Line, head: _Token, args: list[_Token]) -> TypeText:
    if not args or not args[0].quoted:
        raise ln.error(f"{head.text.lower()} needs quoted text", args[0].column if args else head.end,
                       'put the text in quotes: type "hello" into the "Name" field')
    target = None
    if len(args) > 1:
        if args[1].word not in ("into", "in", "on"):
            raise ln.error(f'unexpected "{args[1].text}"', args[1].column,
                           'write: type "hello" into the "Name" field')
        target = _target(ln, args[2:], f'type into', args[1])
    return _make(ln, args[0].column, TypeText, text=args[0].text, target=target)


def _fill(ln: _Line, head: _Token, args: list[_Token]) -> TypeText:
    if len(args) < 3 or args[-2].word != "with" or not args[-1].quoted:
        raise ln.error('fill needs: fill <target> with "text"', _end(head, args),
                       'write: fill the "Name" field with "Ada"')
    return _make(ln, args[-1].column, TypeText, text=args[-1].text,
                 target=_target(ln, args[:-2], "fill", head))


def _press(ln: _Line, head: _Token, args: list[_Token]) -> Press:
    args = _drop_articles(args)[0]
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


def _key(ln: _Line, piece: str, column: int) -> str:
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
                       _did_you_mean(name, sorted(k for k in KNOWN_KEYS if len(k) > 1))
                       or "use key names like enter, tab, escape, ctrl, f5, a")
    return key


def _select(ln: _Line, head: _Token, args: list[_Token]) -> Select:
    at = next((i for i, t in enumerate(args) if i > 0 and t.word in ("in", "from", "on")), None)
    if at is None:
        raise ln.error(f"{head.text.lower()} needs a list to choose from", _end(head, args),
                       'write: select "Express" in the "Shipping" combo')
    option = _drop_articles(args[:at])[0]
    if len(option) > 1 and option[-1].word in ("option", "item", "entry"):
        option = option[:-1]
    text = " ".join(t.text for t in option)
    if not text.strip():
        raise ln.error("select needs an option", args[0].column, 'write: select "Express" in "Shipping"')
    return Select(option=text, target=_target(ln, args[at + 1:], head.text.lower(), args[at]))


def _scroll(ln: _Line, head: _Token, args: list[_Token]) -> Scroll:
    if not args or args[0].word not in ("up", "down"):
        raise ln.error("scroll needs a direction", args[0].column if args else head.end,
                       (_did_you_mean(args[0].word, ("up", "down")) if args else "")
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
        target = _target(ln, rest[1:], "scroll", rest[0])
    return _make(ln, column, Scroll, direction=ScrollDirection(args[0].word), amount=amount, target=target)


def _drag(ln: _Line, head: _Token, args: list[_Token]) -> Drag:
    at = next((i for i in range(1, len(args)) if args[i].word in ("to", "onto")
               and _words(args[i + 1:i + 3]) not in (("the", "right"), ("the", "left"))), None)
    if at is None:
        raise ln.error("drag needs a destination", _end(head, args),
                       'write: drag "a.txt" to the "Trash" icon')
    return Drag(source=_target(ln, args[:at], "drag", head),
                destination=_target(ln, args[at + 1:], "drag", args[at]))


def _wait(ln: _Line, head: _Token, args: list[_Token]) -> WaitFor:
    args, timeout, column = _take_timeout(ln, head, args)
    if not args or args[0].word not in ("for", "until", "till"):
        raise ln.error('wait needs "for" or "until"', args[0].column if args else head.end,
                       'write: wait for "Saved" to appear up to 5 s')
    body, appear = _take_suffix(args[1:], _WAIT_PHRASES)
    target = _target(ln, body, "wait", args[0])
    return _make(ln, column, WaitFor, target=target, appear=appear is not False, timeout_s=timeout)


def _take_timeout(ln: _Line, head: _Token, args: list[_Token]) -> tuple[list[_Token], float, int]:
    """Remove `up to N s` / `within N s`; return the rest, the timeout and the number's column."""
    for i in range(len(args)):
        n = 2 if _words(args[i:i + 2]) == ("up", "to") else 1 if args[i].word == "within" else 0
        if not n:
            continue
        if i + n == len(args):
            raise ln.error(f'expected a time after "{" ".join(_words(args[i:i + n]))}"', args[-1].end,
                           "write: up to 5 s")
        number, unit = args[i + n], args[i + n + 1:i + n + 2]
        unit_word = unit[0].word if unit and unit[0].word in _TIME_UNITS else ""
        match = _NUMBER_RE.fullmatch(number.word)
        if match is None or (match.group(2) and (unit_word or match.group(2) not in _TIME_UNITS)):
            raise ln.error(f'bad number "{number.text}"', number.column, "write a time like: up to 5 s")
        seconds = float(match.group(1)) * _TIME_UNITS[match.group(2) or unit_word or "s"]
        return args[:i] + args[i + n + 1 + bool(unit_word):], seconds, number.column
    return args, 10.0, head.column


def _take_suffix(tokens: list[_Token], phrases: list[tuple[tuple[str, ...], object]]
                 ) -> tuple[list[_Token], object]:
    for phrase, value in phrases:
        if len(tokens) >= len(phrase) and _words(tokens[-len(phrase):]) == phrase:
            return tokens[:-len(phrase)], value
    return tokens, None


def _launch(ln: _Line, head: _Token, args: list[_Token]) -> Launch:
    if len(args) != 1 or not args[0].quoted:
        raise ln.error(f"{head.text.lower()} needs one quoted command line",
                       args[0].column if args else head.end, 'write: launch "gedit notes.txt"')
    try:
        argv = shlex.split(args[0].literal)
    except ValueError as exc:
        raise ln.error(f"bad command line: {exc}", args[0].column) from None
    # Parameters are applied per argument, so a value with spaces stays one argument.
    return _make(ln, args[0].column, Launch, argv=tuple(_substitute(a, ln.params) for a in argv))


def _is_blank(text: str) -> bool:
    return not text.strip() or text.lstrip().startswith("#")


# ---------------------------------------------------------------- public API
def parse_step(text: str, *, line: int = 1, source: str = "<step>",
               params: Mapping[str, str] | None = None) -> Step:
    """Parse one step line; raises TaskSyntaxError (blank and comment lines are errors here)."""
    return _parse(_Line(source=source, number=line, text=text, params=dict(params or {})))


def parse_steps(texts: Sequence[str], *, source: str = "<steps>", params: Mapping[str, str] | None = None,
                first_line: int = 1) -> tuple[Step, ...]:
    """Parse every line (line numbers count from `first_line`), skipping blanks and `#` comments.
    The first bad line raises; nothing is returned until all lines parsed."""
    return tuple(parse_step(text, line=first_line + i, source=source, params=params)
                 for i, text in enumerate(texts) if not _is_blank(text))


def parse_target(text: str, *, source: str = "<target>") -> TargetSpec:
    """Parse a target phrase on its own, as written after a verb (`the field right of "Name"`)."""
    ln = _Line(source=source, number=1, text=text, params={})
    tokens = _tokenize(ln)
    return _target(ln, tokens, "a target phrase", _Token(text="", column=1, end=1))


def plan_from_steps(texts: Sequence[str], *, params: Mapping[str, str] | None = None) -> Plan:
    """The plan for `run --step ...`: step N is the N-th --step argument; named "ad-hoc"."""
    steps = parse_steps(texts, source="--step", params=params)
    if not steps:
        raise TaskSyntaxError("no steps given", location=SourceLocation(source="--step", line=1, column=1),
                              suggestion="pass at least one --step 'click \"OK\"'")
    return Plan(name="ad-hoc", steps=steps, params=dict(params or {}))


def load_task(path: Path, *, params: Mapping[str, str] | None = None) -> Plan:
    """Load a YAML task file: `name`, `steps` (required), `policy`, `workspace`, `params` (optional).
    Paths are resolved against the file's folder; `params` given here override the file's. Errors point at
    the real line and column in the file; an unreadable file raises AgentError."""
    try:
        content = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise AgentError(f"cannot read task file {path}: not UTF-8 text", details={"path": str(path)}) from exc
    except OSError as exc:
        raise AgentError(f"cannot read task file {path}: {exc.strerror or exc}",
                         details={"path": str(path)}) from exc
    task = _TaskFile(path=path, lines=tuple(content.splitlines()))
    fields = task.fields(task.compose(content))
    file_params = task.params(fields["params"]) if "params" in fields else {}
    merged = {**file_params, **(params or {})}
    return Plan(name=task.name(fields["name"]), steps=task.steps(fields["steps"], merged),
                policy=task.path_of(fields["policy"], '"policy"') if "policy" in fields else None,
                workspace=task.paths(fields["workspace"]) if "workspace" in fields else (),
                params=merged)


_TASK_KEYS = ("name", "steps", "policy", "workspace", "params")
_STR_TAG, _NULL_TAG = "tag:yaml.org,2002:str", "tag:yaml.org,2002:null"
_PARAM_NAME_RE = re.compile(r"[A-Za-z_][\w-]*")


@dataclass(frozen=True, slots=True)
class _TaskFile:
    path: Path
    lines: tuple[str, ...]

    def error(self, message: str, mark: yaml.Mark | None, suggestion: str = "") -> TaskSyntaxError:
        line, column = (mark.line, mark.column) if mark is not None else (0, 0)
        text = self.lines[line] if line < len(self.lines) else ""
        location = SourceLocation(source=str(self.path), line=line + 1, column=column + 1, text=text)
        return TaskSyntaxError(message, location=location, suggestion=suggestion)

    def compose(self, content: str) -> yaml.Node:
        try:
            root = yaml.compose(content, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            raise self.error(f"YAML syntax error: {exc.problem}", exc.problem_mark or exc.context_mark,
                             "check the indentation and quoting around here") from None
        except yaml.YAMLError as exc:  # e.g. a control character, which has no line mark
            raise self.error(f"YAML error: {exc}", None) from None
        if root is None:
            raise self.error("the task file is empty", None, "write name: and steps: keys")
        return root

    def fields(self, root: yaml.Node) -> dict[str, yaml.Node]:
        if not isinstance(root, yaml.MappingNode):
            raise self.error("a task file is a mapping with name: and steps:", root.start_mark)
        found: dict[str, yaml.Node] = {}
        for key, value in root.value:
            name = self.string(key, "a key")
            if name not in _TASK_KEYS:
                raise self.error(f'unknown key "{name}"', key.start_mark, _did_you_mean(name, _TASK_KEYS)
                                 or "known keys: " + ", ".join(_TASK_KEYS))
            if name in found:
                raise self.error(f'duplicate key "{name}"', key.start_mark)
            found[name] = value
        for name, example in (("name", "name: Save a note"), ("steps", 'steps: [click "OK"]')):
            if name not in found:
                raise self.error(f'missing key "{name}"', root.start_mark, f"add it, e.g. {example}")
        return found

    def string(self, node: yaml.Node, what: str, suggestion: str = "") -> str:
        if isinstance(node, yaml.ScalarNode) and node.tag == _STR_TAG:
            return node.value
        raise self.error(f"{what} must be a string", node.start_mark, suggestion)

    def name(self, node: yaml.Node) -> str:
        name = self.string(node, '"name"').strip()
        if not name:
            raise self.error('"name" must not be empty', node.start_mark)
        return name

    def steps(self, node: yaml.Node, params: Mapping[str, str]) -> tuple[Step, ...]:
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            raise self.error('"steps" must be a non-empty list of strings', node.start_mark,
                             'put each step on its own line starting with "- "')
        items = [(item, self.string(item, "a step", 'quote the whole step if it contains ": "'))
                 for item in node.value]
        steps = tuple(_parse(self.step_line(item, text, params)) for item, text in items
                      if not _is_blank(text))
        if not steps:
            raise self.error('"steps" has only blank or comment lines', node.start_mark)
        return steps

    def step_line(self, node: yaml.ScalarNode, text: str, params: Mapping[str, str]) -> _Line:
        """Columns count in the file line when the step is written verbatim on it (plain or simply
        quoted scalar); otherwise (folded, escaped) they count within the step text."""
        mark, source = node.start_mark, str(self.path)
        shown = self.lines[mark.line] if mark.line < len(self.lines) else ""
        offset = mark.column + (1 if node.style in ("'", '"') else 0)
        if shown[offset:offset + len(text)] != text:
            return _Line(source=source, number=mark.line + 1, text=text, params=params)
        return _Line(source=source, number=mark.line + 1, text=text, params=params, offset=offset, shown=shown)

    def params(self, node: yaml.Node) -> dict[str, str]:
        if not isinstance(node, yaml.MappingNode):
            raise self.error('"params" must be a mapping of name: value', node.start_mark)
        params: dict[str, str] = {}
        for key, value in node.value:
            name = self.string(key, "a parameter name")
            if not _PARAM_NAME_RE.fullmatch(name):
                raise self.error(f'bad parameter name "{name}"', key.start_mark,
                                 'use letters, digits, "_" and "-", starting with a letter')
            if not isinstance(value, yaml.ScalarNode) or value.tag == _NULL_TAG:
                raise self.error(f'parameter "{name}" needs a text value', value.start_mark)
            params[name] = value.value  # scalars as written: `port: 8080` -> "8080"
        return params

    def paths(self, node: yaml.Node) -> tuple[Path, ...]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.error('"workspace" must be a list of paths', node.start_mark,
                             'put each path on its own line starting with "- "')
        return tuple(self.path_of(item, "a workspace path") for item in node.value)

    def path_of(self, node: yaml.Node, what: str) -> Path:
        path = Path(self.string(node, what).strip()).expanduser()
        if path == Path():
            raise self.error(f"{what} must not be empty", node.start_mark)
        return path if path.is_absolute() else self.path.absolute().parent / path
