"""Tokens and target phrases of the step language (used by `steps`, which owns the verbs).

A `Line` is one step and where it came from; `tokenize` splits it into words and quoted strings (escapes
and `{param}`s applied) and `read_target` turns words like `the 2nd "Edit" button below "Name"` into a
`TargetSpec`. Every problem raises `TaskSyntaxError` at the offending token's column.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from desktop_agent.core.errors import SourceLocation, TaskSyntaxError
from desktop_agent.core.values import Anchor, Point, Relation, Role, TargetSpec
from desktop_agent.language.vocabulary import (
    ARTICLES,
    CONTAINERS,
    FILLERS,
    KNOWN_NOUNS,
    ORDINAL_WORDS,
    RELATION_WORDS,
    ROLE_WORDS,
)

_ORDINAL_RE = re.compile(r"(\d+)(?:st|nd|rd|th)")
_POINT_START = re.compile(r"[(\-\d]|x\s*[=:]", re.I)
_POINT_RE = re.compile(r"\(?\s*(?:x\s*[=:]\s*)?(-?\d+)\s*(?:,\s*|\s+)(?:y\s*[=:]\s*)?(-?\d+)\s*\)?", re.I)
_PARAM_RE = re.compile(r"\{\{|\}\}|\{([A-Za-z_][\w-]*)\}")
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "t": "\t"}


_T = TypeVar("_T")


def phrase_table(table: Mapping[str, object]) -> list[tuple[tuple[str, ...], object]]:
    """Multi-word phrases as word tuples, longest first so "text field" wins over "field"."""
    return _phrases(table)


def _phrases(table: Mapping[str, _T]) -> list[tuple[tuple[str, ...], _T]]:
    return sorted(((tuple(k.split()), v) for k, v in table.items()), key=lambda kv: -len(kv[0]))


_ROLE_PHRASES, _RELATION_PHRASES = _phrases(ROLE_WORDS), _phrases(RELATION_WORDS)


# ---------------------------------------------------------------- lines and tokens
@dataclass(frozen=True, slots=True, kw_only=True)
class Line:
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


@dataclass(frozen=True, slots=True, kw_only=True)
class Token:
    text: str          # words as written; quoted strings with escapes and parameters applied
    column: int        # 1-based column of the first character
    end: int           # 1-based column just after the last character
    quoted: bool = False
    literal: str = ""  # quoted strings before parameters were applied

    @property
    def word(self) -> str:
        return "" if self.quoted else self.text.lower()


def tokenize(ln: Line) -> list[Token]:
    text, i, tokens = ln.text, 0, []
    while i < len(text):
        if text[i].isspace():
            i += 1
        elif text[i] in "\"'":
            value, positions, end = _read_quoted(ln, i)
            _check_params(ln, value, positions)
            tokens.append(Token(text=substitute(value, ln.params), column=i + 1, end=end + 1,
                                quoted=True, literal=value))
            i = end
        elif text[i:i + 6].lower() == "image:" and text[i + 6:i + 7] in ('"', "'"):
            value, _, end = _read_quoted(ln, i + 6)
            tokens.append(Token(text="image:" + value, column=i + 1, end=end + 1))
            i = end
        else:
            end = i
            while end < len(text) and not text[end].isspace():
                end += 1
            tokens.append(Token(text=text[i:end], column=i + 1, end=end + 1))
            i = end
    return _strip_period(tokens)


def _read_quoted(ln: Line, start: int) -> tuple[str, list[int], int]:
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


def _strip_period(tokens: list[Token]) -> list[Token]:
    """Drop a sentence-ending period ("click OK.", 'type "x".') but keep `press .` and `ctrl+.`."""
    last = tokens[-1] if tokens else None
    if last is None or last.quoted or not last.text.endswith("."):
        return tokens
    if last.text == "." and len(tokens) > 1 and tokens[-2].end == last.column:
        return tokens[:-1]
    if len(last.text) > 1 and (last.text[-2].isalnum() or last.text[-2] in ")\"'"):
        return [*tokens[:-1], replace(last, text=last.text[:-1], end=last.end - 1)]
    return tokens


def parameter_names(text: str) -> set[str]:
    """The `{name}` parameters `text` uses (not `{secret:NAME}`, not `{{` `}}`)."""
    return {m.group(1) for m in _PARAM_RE.finditer(text) if m.group(1) is not None}


def substitute(value: str, params: Mapping[str, str]) -> str:
    """`{name}` -> params[name]; `{{`/`}}` -> braces; `{secret:NAME}` and unknown names stay as written."""
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        return match.group(0)[0] if name is None else params.get(name, match.group(0))
    return _PARAM_RE.sub(one, value)


def _check_params(ln: Line, value: str, positions: list[int]) -> None:
    for match in _PARAM_RE.finditer(value):
        name = match.group(1)
        if name is not None and name not in ln.params:
            known = ", ".join(sorted(ln.params))
            close = difflib.get_close_matches(name, list(ln.params), n=1)
            hint = (f"did you mean {{{close[0]}}}? " if close else "") + (
                f"known parameters: {known}" if known else "no parameters are defined")
            raise ln.error(f"unknown parameter {{{name}}}", positions[match.start()] + 1,
                           hint + "; write {{ and }} for literal braces")


def quote(text: str) -> str:
    """`text` as a double-quoted string of the step language (escapes, literal braces)."""
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
               .replace("{", "{{").replace("}", "}}"))
    return f'"{escaped}"'


def did_you_mean(word: str, choices: Sequence[str] | Mapping[str, object]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.75)
    return f'did you mean "{close[0]}"?' if close else ""


def words(tokens: Sequence[Token]) -> tuple[str, ...]:
    return tuple(t.word for t in tokens)


def make(ln: Line, column: int, cls: type[_T], **fields: object) -> _T:
    """Construct a validated value; its ValueError becomes a syntax error at `column`."""
    try:
        return cls(**fields)
    except ValueError as exc:
        raise ln.error(str(exc), column) from None


# ---------------------------------------------------------------- targets
def read_target(ln: Line, tokens: list[Token], verb: str, after: Token) -> TargetSpec:
    """The target phrase `tokens`; when empty, "<verb> needs a target" points just after `after`."""
    if not tokens:
        raise ln.error(f"{verb} needs a target", after.end,
                       'name it: "OK", the "Name" field, image:icon.png or at 120,340')
    rest, determined = drop_articles(tokens)
    ordinal = _ordinal(rest, determined)
    if ordinal is not None:
        rest, determined = rest[1:], True
    subject, anchor = _split_relation(ln, rest)
    fields = _subject(ln, subject, determined or anchor is not None)
    return make(ln, tokens[0].column, TargetSpec, ordinal=ordinal, anchor=anchor, **fields)


def drop_articles(tokens: list[Token]) -> tuple[list[Token], bool]:
    dropped = False
    while len(tokens) > 1 and tokens[0].word in ARTICLES:
        tokens, dropped = tokens[1:], True
    return tokens, dropped


def _ordinal(tokens: list[Token], after_article: bool) -> int | None:
    """`2nd` always; word ordinals only when clearly ordinals ("the second", `second "Edit"`), so a
    field labelled "First name" keeps its text."""
    if len(tokens) < 2:
        return None
    word = tokens[0].word
    if match := _ORDINAL_RE.fullmatch(word):
        return int(match.group(1))
    if word in ORDINAL_WORDS and (after_article or tokens[1].quoted or _role_at(tokens, 1)):
        return ORDINAL_WORDS[word]
    return None


def _role_at(tokens: Sequence[Token], i: int) -> tuple[Role, int] | None:
    for phrase, role in _ROLE_PHRASES:
        if words(tokens[i:i + len(phrase)]) == phrase:
            return role, len(phrase)
    return None


def _split_relation(ln: Line, tokens: list[Token]) -> tuple[list[Token], Anchor | None]:
    found = _find_relation(ln, tokens)
    if found is None:
        return tokens, None
    i, length, relation = found
    anchor = read_target(ln, tokens[i + length:], " ".join(words(tokens[i:i + length])), tokens[i])
    return tokens[:i], Anchor(relation=relation, target=anchor)


def _find_relation(ln: Line, tokens: list[Token]) -> tuple[int, int, Relation] | None:
    """Where the first relation phrase is (index, length). With unquoted text a relation word only counts
    when a target clearly follows, so `click Log in` and `click Sign in with Google` stay plain text."""
    for i in range(len(tokens)):
        for phrase, relation in _RELATION_PHRASES:
            rest, before = tokens[i + len(phrase):], tokens[:i]
            if words(tokens[i:i + len(phrase)]) != phrase:
                continue
            if not rest:  # "the field right of": the relation is all there is, nothing it relates to
                if not before or not _is_plain(before):
                    read_target(ln, [], " ".join(phrase), tokens[-1])
                continue
            if _starts_target(rest) or (before and not _is_plain(before)):
                return i, len(phrase), relation
    return None


def _starts_target(tokens: list[Token]) -> bool:
    first = tokens[0]
    return (first.quoted or first.word in ARTICLES or first.word in CONTAINERS or first.word == "at"
            or _image(first) is not None or _ordinal(tokens, True) is not None
            or _role_at(tokens, 0) is not None)


def _is_plain(tokens: list[Token]) -> bool:
    """Unquoted words that are not just a role ("Log", not "field")."""
    if any(t.quoted or _image(t) is not None for t in tokens):
        return False
    return _trailing_role(tokens) != 0


def _trailing_role(tokens: list[Token]) -> int | None:
    """Index where a role phrase ending the words starts ("Open file menu" -> 2)."""
    for k in range(len(tokens)):
        if (hit := _role_at(tokens, k)) and k + hit[1] == len(tokens):
            return k
    return None


def _image(token: Token) -> str | None:
    return token.text[6:] if token.text[:6].lower() == "image:" else None


def _subject(ln: Line, tokens: list[Token], determined: bool) -> dict[str, object]:
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
    if hit is not None and (hit > 0 or determined) and (role := _role_at(tokens, hit)):
        fields["role"], tokens = role[0], tokens[:hit]
    if tokens:
        fields["text"] = " ".join(t.text for t in tokens)
    return fields


def _named(ln: Line, token: Token) -> dict[str, object]:
    image = _image(token)
    if image is not None:
        if not image:
            raise ln.error("image: needs a file path", token.column, "write image:icons/save.png")
        return {"image": Path(image)}
    if not token.text.strip():
        raise ln.error("empty text", token.column, 'put the text to find between the quotes: "OK"')
    return {"text": token.text}


def _role_words(ln: Line, tokens: list[Token]) -> Role | None:
    """Words beside a quoted text may only be a role and filler words (`the "OK" button`)."""
    role, i = None, 0
    while i < len(tokens):
        hit, token = _role_at(tokens, i), tokens[i]
        if hit and role is not None:
            raise ln.error(f'a target has one role, got a second: "{token.text}"', token.column)
        if hit:
            role, i = hit[0], i + hit[1]
        elif token.word in FILLERS or token.word in ARTICLES:
            i += 1
        else:
            hint = did_you_mean(token.word, ROLE_WORDS) or (
                f"a target's kind is one of: {KNOWN_NOUNS} (see the README for their synonyms); "
                "text that belongs to the target goes inside its quotes")
            raise ln.error(f'"{token.text}" is not a kind of target', token.column, hint)
    return role


@dataclass(frozen=True, slots=True, kw_only=True)
class Understood:
    """Words of a target phrase and what they were read as."""

    words: str
    read_as: str   # article, ordinal, text, image, point, role noun, filler, relation, anchor …
    role: Role | None = None


def understand(ln: Line, tokens: list[Token], *, anchor: bool = False) -> list[Understood]:
    """What each word of a target phrase (already parsed: `read_target` accepted it) was read as: the
    same splits as `read_target`, its words labelled. Words of an anchor are marked "anchor …"."""
    of = "anchor " if anchor else ""
    out: list[Understood] = []
    rest, determined = drop_articles(tokens)
    out += [Understood(words=t.text, read_as=f"{of}article") for t in tokens[:len(tokens) - len(rest)]]
    if _ordinal(rest, determined) is not None:
        out.append(Understood(words=rest[0].text, read_as=f"{of}ordinal"))
        rest, determined = rest[1:], True
    found = _find_relation(ln, rest)
    subject = rest if found is None else rest[:found[0]]
    named = any(t.quoted or _image(t) is not None for t in subject)
    determined = determined or found is not None
    i = 0
    while i < len(subject):
        token, hit = subject[i], _role_at(subject, i)
        if token.quoted:
            out.append(Understood(words=token.literal or token.text, read_as=f"{of}quoted text"))
        elif _image(token) is not None:
            out.append(Understood(words=token.text, read_as=f"{of}image"))
        elif hit is not None and (named or (i + hit[1] == len(subject) and (i > 0 or determined))):
            out.append(Understood(words=" ".join(t.text for t in subject[i:i + hit[1]]),
                                  read_as=f"{of}role noun", role=hit[0]))
            i += hit[1]
            continue
        elif token.word in FILLERS or token.word in ARTICLES:
            out.append(Understood(words=token.text, read_as=f"{of}filler"))
        elif token.word == "at" or _POINT_START.match(token.text):
            out.append(Understood(words=token.text, read_as=f"{of}point"))
        else:
            out.append(Understood(words=token.text, read_as=f"{of}text"))
        i += 1
    if found is not None:
        at, length, relation = found
        out.append(Understood(words=" ".join(t.text for t in rest[at:at + length]), read_as=f"{of}relation"))
        out += understand(ln, rest[at + length:], anchor=True)
    return out


def _point(ln: Line, tokens: list[Token]) -> Point:
    raw = " ".join(t.text for t in tokens)
    match = _POINT_RE.fullmatch(raw)
    if match is None:
        raise ln.error(f'bad point "{raw}"', tokens[0].column, "write a point as at 120,340")
    return Point(x=int(match.group(1)), y=int(match.group(2)))


def is_blank(text: str) -> bool:
    """Blank lines and `#` comments are not steps."""
    return not text.strip() or text.lstrip().startswith("#")
