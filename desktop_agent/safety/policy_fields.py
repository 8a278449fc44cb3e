"""Reading a policy file's fields: each reader checks one value and names its place when it is wrong
(`rules[3].text`); window matches (title and/or class regexes) and key chords, shared by the policy's
sections. Pure: nothing here reads a file.
"""
from __future__ import annotations

import enum
import re
from collections.abc import Iterable

from desktop_agent.core.values import Decision, Role, Window, frozen

_KEY_ALIASES = {"control": "ctrl", "ctl": "ctrl", "ctrlleft": "ctrl", "ctrlright": "ctrl",
                "altleft": "alt", "altright": "alt", "shiftleft": "shift", "shiftright": "shift",
                "win": "super", "winleft": "super", "winright": "super", "meta": "super", "cmd": "super",
                "command": "super", "del": "delete", "return": "enter", "esc": "escape"}


class Invalid(Exception):
    """A field's value is wrong: `message` says how, `where` names its place."""

    def __init__(self, message: str, where: str) -> None:
        super().__init__(message)
        self.message = message
        self.where = where


@frozen
class WindowMatch:
    where: str
    reason: str
    title: re.Pattern[str] | None = None
    wm_class: re.Pattern[str] | None = None

    def matches(self, window: Window | None) -> bool:
        if window is None:
            return False
        return ((self.title is None or bool(self.title.search(window.title)))
                and (self.wm_class is None or bool(self.wm_class.search(window.wm_class))))


def chord(keys: Iterable[str]) -> frozenset[str]:
    """Canonical, order-free form of a key chord: lower case, common aliases folded ("control" -> "ctrl")."""
    names = (key.strip().lower() for key in keys)
    return frozenset(_KEY_ALIASES.get(name, name) for name in names)


def window_match(value: object, where: str, *, extra: frozenset[str] = frozenset(),
                 default_reason: str = "window is on the policy's deny list") -> tuple[WindowMatch, dict]:
    """A `{title: …, class: …, reason: …}` entry (and its mapping, for the `extra` keys it may hold)."""
    data = mapping(value, where, frozenset({"title", "class", "reason"}) | extra)
    if "title" not in data and "class" not in data:
        raise Invalid("a window entry needs a title or class regex", where)
    match = WindowMatch(where=where, reason=string(data.get("reason", default_reason), f"{where}.reason"),
                        title=optional_regex(data, "title", where),
                        wm_class=optional_regex(data, "class", where))
    return match, data


def mapping(value: object, where: str, allowed: frozenset[str]) -> dict:
    if not isinstance(value, dict):
        raise Invalid(f"expected a mapping, got {kind_of(value)}", where)
    unknown = sorted(str(key) for key in value if key not in allowed)
    if unknown:
        place = f"{where}.{unknown[0]}" if where else unknown[0]
        raise Invalid(f"unknown key {unknown[0]!r}; expected one of: {', '.join(sorted(allowed))}", place)
    return value


def items(value: object, where: str) -> list[tuple[object, str]]:
    if not isinstance(value, list):
        raise Invalid(f"expected a list, got {kind_of(value)}", where)
    return [(item, f"{where}[{index}]") for index, item in enumerate(value)]


def string(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"expected non-empty text, got {kind_of(value)}", where)
    return value


def regex(value: object, where: str) -> re.Pattern[str]:
    pattern = string(value, where)
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise Invalid(f"bad regular expression {pattern!r}: {exc}", where) from None


def optional_regex(data: dict, key: str, where: str) -> re.Pattern[str] | None:
    return regex(data[key], f"{where}.{key}") if key in data else None


def decision(value: object, where: str) -> Decision:
    return enum_value(Decision, value, where, "decision")


def role(value: object, where: str) -> Role | None:
    return None if value is None else enum_value(Role, value, where, "role")


def enum_value(kind: type[enum.Enum], value: object, where: str, what: str):
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise Invalid(f"unknown {what} {value!r}; expected one of: {choices}", where) from None


def parse_chord(value: object, where: str) -> frozenset[str]:
    keys = string(value, where).split("+")
    if any(not key.strip() for key in keys):
        raise Invalid(f"bad key chord {value!r}; write keys joined by '+', e.g. ctrl+alt+delete", where)
    return chord(keys)


def positive(value: object, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Invalid(f"expected a positive whole number or null, got {value!r}", where)
    return value


def optional_bool(value: object, where: str) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise Invalid(f"expected true or false, got {value!r}", where)
    return value


def kind_of(value: object) -> str:
    return "nothing" if value is None else type(value).__name__
