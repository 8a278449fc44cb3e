"""Check a task's step lines the way the runner will parse them: every bad line, not just the first.

Qt-free. A parameter counts as used exactly when the parser would substitute it (`{name}` inside quoted
text); one without a value is an error at its column.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from desktop_agent.core.errors import SourceLocation, TaskSyntaxError
from desktop_agent.language.phrases import is_blank
from desktop_agent.language.steps import parse_step

_UNKNOWN_PARAM = re.compile(r"unknown parameter \{([A-Za-z_][\w-]*)\}")
_PLACEHOLDER = "x"  # stands in for a parameter without a value while the rest of the line is checked


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    """Every problem of a task's lines, in line order, and the parameters the lines use."""

    errors: tuple[TaskSyntaxError, ...]
    used: tuple[str, ...]  # parameter names in order of first use


def check_lines(lines: Sequence[str], values: Mapping[str, str], source: str) -> Check:
    """Every problem of every line (line N is lines[N-1]) and the parameters the lines use."""
    errors: list[TaskSyntaxError] = []
    used: dict[str, None] = {}
    for number, text in enumerate(lines, start=1):
        if not is_blank(text):
            names, line_errors = _check_line(text, number, values, source)
            used.update(dict.fromkeys(names))
            errors.extend(line_errors)
    if all(is_blank(text) for text in lines):
        errors.append(TaskSyntaxError("no steps yet", suggestion='write one step per line, e.g. click "OK"',
                                      location=SourceLocation(source=source, line=1, column=1)))
    return Check(errors=tuple(errors), used=tuple(used))


def _check_line(text: str, number: int, values: Mapping[str, str], source: str
                ) -> tuple[dict[str, int], list[TaskSyntaxError]]:
    """Parse one line, learning its parameters from the parser's unknown-parameter errors (so only
    `{name}` inside quoted text counts, exactly as when it runs); returns name -> column and errors."""
    used: dict[str, int] = {}
    while True:
        probe = {name: values.get(name) or _PLACEHOLDER for name in used}
        try:
            parse_step(text, line=number, source=source, params=probe)
            error = None
        except TaskSyntaxError as exc:
            unknown = _UNKNOWN_PARAM.fullmatch(exc.message)
            if unknown is not None and unknown.group(1) not in used:
                used[unknown.group(1)] = exc.location.column
                continue
            error = exc
        break
    errors = [TaskSyntaxError(f"parameter {{{name}}} has no value", suggestion="fill it in under Parameters",
                              location=SourceLocation(source=source, line=number, column=column, text=text))
              for name, column in used.items() if not values.get(name)]
    return used, errors + ([error] if error is not None else [])


def describe(error: TaskSyntaxError) -> str:
    """`line 3, col 7: unknown verb "clik" — did you mean "click"?`"""
    text = f"line {error.location.line}, col {error.location.column}: {error.message}"
    return f"{text} — {error.suggestion}" if error.suggestion else text
