"""Reversibility: for a step that acted, the action that puts things back as the checkpoint saw them.

Each action kind declares how it is undone, from what the screen showed before it acted (the step's
checkpoint): typing into a field — the field's earlier text typed back, or the field cleared; a clear —
the earlier text typed back; a tick — ticked back; a combo — the earlier option chosen again; a scroll
— the same amount the other way; a click that opened a window (a dialog) — Escape, to close it; a drag
that moved a window — dragged back. Other clicks, key presses, drags and launches have no inverse: they are irreversible, which is why the
default policy asks before the outward-facing ones (submit, send, delete, pay, launch, alt+f4).

Pure: no I/O. Guaranteed: an inverse only restores what the checkpoint read off the screen, so a
secret field's earlier content (masked, unreadable) is never guessed — such a field can only be
cleared, and only if it was empty before. Not guaranteed: effects outside the screen (a file saved, a
message sent) — the workspace checkpoints cover files; nothing covers messages.
"""
from __future__ import annotations

from dataclasses import dataclass

from desktop_agent.core.actions import (
    Action,
    Check,
    Clear,
    Click,
    Drag,
    Press,
    Scroll,
    ScrollDirection,
    Select,
    TypeText,
)
from desktop_agent.core.values import Point, Role, Screen, TargetSpec
from desktop_agent.run.interactions import Grounded


@dataclass(frozen=True, slots=True, kw_only=True)
class Undo:
    action: Action | None  # None: irreversible from here
    how: str               # what the inverse does, or why there is none


def inverse(action: Action, grounded: Grounded, *, before: Screen, after: Screen, secret: bool) -> Undo:
    """How to undo `action`, which acted on `grounded` (found on `before`) and left `after`."""
    main = grounded.main
    here = TargetSpec(point=moved(main.point, before, after)) if main is not None else None
    element = main.element if main is not None else None
    match action:
        case TypeText() | Clear() if here is not None and element is not None and element.role is Role.FIELD:
            earlier = element.text
            if not earlier:
                return Undo(action=Clear(target=here), how="clear the field again (it was empty)")
            if secret:
                return Undo(action=None, how="the secret field's earlier content can't be read back")
            return Undo(action=TypeText(text=earlier, target=here), how=f'type its earlier text "{earlier}" back')
        case Check(checked=want) if here is not None and element is not None and element.checked is not None:
            if element.checked is want:
                return Undo(action=None, how="nothing to undo: the box was already so")
            return Undo(action=Check(target=here, checked=element.checked),
                        how=f"{'tick' if element.checked else 'untick'} the box again")
        case Select() if here is not None and element is not None and element.text:
            return Undo(action=Select(target=here, option=element.text),
                        how=f'choose "{element.text}" again')
        case Scroll(direction=direction, amount=amount, target=target):
            back = ScrollDirection.DOWN if direction is ScrollDirection.UP else ScrollDirection.UP
            return Undo(action=Scroll(direction=back, amount=amount, target=here if target else None),
                        how=f"scroll {back.value} {amount}")
        case Click() if _opened_window(before, after):
            return Undo(action=Press(keys=("escape",)), how="press Escape to close the window it opened")
        case Drag() if (start := grounded.targets[0].point) != (now := moved(start, before, after)):
            return Undo(action=Drag(source=TargetSpec(point=now), destination=TargetSpec(point=start)),
                        how="drag the window it moved back")
    return Undo(action=None, how=f"a {type(action).__name__.lower()} can't be undone from the screen")


def moved(point: Point, before: Screen, after: Screen) -> Point:
    """Where `point` (on `before`) is on `after`: its window may have moved in between."""
    window = before.window_at(point)
    now = after.window_by_id(window.id) if window is not None else None
    if window is None or now is None:
        return point
    return Point(x=point.x + now.box.left - window.box.left, y=point.y + now.box.top - window.box.top)


def _opened_window(before: Screen, after: Screen) -> bool:
    return bool({w.id for w in after.windows} - {w.id for w in before.windows})
