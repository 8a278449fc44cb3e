"""Checks read from the application's own state, where its accessibility tree has it: the exact text of
a field typed into, compared whole — a dropped or an extra character fails, where a reading of pixels
could only be fuzzy. What is checked is the state the step asks for (the field holds the text), not the
keys: a field that already held exactly it passes. Each returns None when the tree doesn't have what it needs (the caller then reads
the screen, `verify`).
"""
from __future__ import annotations

from desktop_agent.core.values import Element, Role, Screen
from desktop_agent.run.verify import Outcome


def typed_in_tree(after: Screen, field: Element | None, text: str) -> Outcome | None:
    """`text` typed into `field` (as grounded before typing): its content now must be its content
    before with `text` put in at one place (replacing a selected part, if any)."""
    if field is None or field.accessible is None or field.role is not Role.FIELD:
        return None
    now = next((e for e in after.elements if e.accessible == field.accessible), None)
    if now is None:
        return None  # no longer showing (its dialog closed): what shows is all there is to read
    before, content = field.text, now.text
    if _typed_into(before, content, text):
        return Outcome(ok=True, detail=f'the field holds "{content}", exactly as typed (its application '
                                       "says so)")
    return Outcome(ok=False, detail=f'typed "{text}" into a field that held "{before}", but it holds '
                                    f'"{content}" (its application says so)')


def _typed_into(before: str, content: str, text: str) -> bool:
    start = content.find(text)
    while start >= 0:
        head, tail = content[:start], content[start + len(text):]
        if before.startswith(head) and before.endswith(tail) and len(head) + len(tail) <= len(before):
            return True
        start = content.find(text, start + 1)
    return False
