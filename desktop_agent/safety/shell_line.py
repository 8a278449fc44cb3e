"""Proving that a command line is one plain simple command, so that an allowlist can judge its words.

`parse_simple_command(line)` reads a line as a POSIX shell (and bash, zsh, fish) would and returns its
words only when there is nothing in it but words: no pipe, list (`;` `&&` `||`), background `&`,
redirection or here-document, subshell or group, command or process substitution, variable or
arithmetic expansion, glob, brace or tilde expansion, history expansion (`!`, `^`), comment, variable
assignment before the command, zsh's `=cmd`, or line continuation. Quotes (`'…'`, `"…"` without `$`,
backquote, backslash or `!` inside) and backslash escapes are read as the shell reads them.

Guaranteed: what it accepts, a shell runs as exactly the returned words (one program and its
arguments). Not guaranteed: what the program does with them, nor what an alias or function of the
same name in the person's shell does — that is what the allowlist in the policy decides, and it can
only be as careful as its entries.
"""
from __future__ import annotations

from desktop_agent.core.values import frozen

_REFUSED = {
    "|": "a pipe", ";": "a list of commands", "&": "a background job or a list of commands",
    "<": "a redirection", ">": "a redirection", "(": "a subshell or substitution",
    ")": "a subshell or substitution", "$": "an expansion ($)", "`": "a command substitution",
    "{": "a group or brace expansion", "}": "a group or brace expansion", "*": "a glob", "?": "a glob",
    "[": "a glob", "]": "a glob", "~": "a home-directory expansion", "!": "a history expansion",
    "^": "a history substitution", "#": "a comment", "\n": "more than one line",
    "\r": "more than one line",
}
_IN_DOUBLE_QUOTES = {"$": "an expansion ($) inside double quotes", "`": "a command substitution",
                     "\\": "an escape inside double quotes", "!": "a history expansion",
                     "\n": "more than one line", "\r": "more than one line"}
_BLANKS = " \t"


@frozen
class SimpleCommand:
    """The words of a command line that holds nothing but them (none: an empty line)."""

    words: tuple[str, ...]


@frozen
class Unprovable:
    """Why a line is not provably one simple command, and the (0-based) column where that shows."""

    reason: str
    column: int


def parse_simple_command(line: str) -> SimpleCommand | Unprovable:
    words: list[str] = []
    word: list[str] | None = None  # None between words
    starts: list[int] = []
    i = 0
    while i < len(line):
        char = line[i]
        if char in _BLANKS:
            if word is not None:
                words.append("".join(word))
                word = None
            i += 1
            continue
        if word is None:
            word = []
            starts.append(i)
        if char == "'":
            end = line.find("'", i + 1)
            if end < 0:
                return Unprovable(reason="an unclosed single quote", column=i)
            if "\n" in line[i:end] or "\r" in line[i:end]:
                return Unprovable(reason="more than one line", column=i)
            word.extend(line[i + 1:end])
            i = end + 1
        elif char == '"':
            i += 1
            while i < len(line) and line[i] != '"':
                if line[i] in _IN_DOUBLE_QUOTES:
                    return Unprovable(reason=_IN_DOUBLE_QUOTES[line[i]], column=i)
                word.append(line[i])
                i += 1
            if i >= len(line):
                return Unprovable(reason="an unclosed double quote", column=starts[-1])
            i += 1
        elif char == "\\":
            if i + 1 >= len(line) or line[i + 1] in "\r\n":
                return Unprovable(reason="a line continuation", column=i)
            word.append(line[i + 1])
            i += 2
        elif char in _REFUSED:
            return Unprovable(reason=_REFUSED[char], column=i)
        elif not (char.isalnum() or char in "_./,:=+@%-"):
            return Unprovable(reason=f"the character {char!r}", column=i)
        else:
            if char == "=" and not word:
                return Unprovable(reason="an expansion (=command)", column=i)
            word.append(char)
            i += 1
    if word is not None:
        words.append("".join(word))
    if words and _is_assignment(line, starts[0]):
        return Unprovable(reason="a variable assignment before the command", column=starts[0])
    return SimpleCommand(words=tuple(words))


def _is_assignment(line: str, start: int) -> bool:
    """The first word is NAME=… as written (unquoted name), so the shell sets a variable."""
    name: list[str] = []
    for char in line[start:]:
        if char == "=":
            return bool(name) and not name[0].isdigit()
        if not (char.isalnum() or char == "_") or not char.isascii():
            return False
        name.append(char)
    return False
