"""Element ids an agent gets from `observe`, and whether an element is still there before it is acted on.

Ids are short and name their observation (`o3.e7`: element 7 of observation 3); only the latest
observation's ids are valid. Before an action on one, the screen is perceived again and the element
must be found in the same window, with the same role and words (for a field or a combo, which show
what was typed or chosen: the same label), in nearly the same place (boxes overlapping by at least
half) — otherwise the call fails saying whether it moved, changed or is gone.

Guaranteed: an id from an earlier observation, or one never issued, is refused (never matched to
another element); the element acted on is the one found now, at its current place. Not guaranteed:
telling two identical elements apart that swapped places between the looks.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from desktop_agent.core.errors import AgentError
from desktop_agent.core.values import Element, Role, Screen, Window, frozen

SAME_PLACE_IOU = 0.5
_ID = re.compile(r"^o(\d+)\.e(\d+)$")
_CONTENT_ROLES = frozenset({Role.FIELD, Role.COMBO})  # their text is their content: it may change


class ElementError(AgentError):
    """An element id that is unknown, from an earlier observation, or whose element moved, changed or
    went away: nothing was done."""


@frozen
class Seen:
    id: str
    element: Element
    window: Window | None


@frozen
class Observation:
    number: int
    screen: Screen
    elements: tuple[Seen, ...]
    windows: tuple[Window, ...]  # the ones the agent may see: its own left out, bottom to top
    focused: int | None          # the window with the keyboard focus


class Observations:
    """The latest observation of a session and the ids it gave out."""

    def __init__(self) -> None:
        self._latest: Observation | None = None

    def record(self, screen: Screen, *, windows: Sequence[Window], focused: int | None) -> Observation:
        number = (self._latest.number if self._latest else 0) + 1
        seen = tuple(Seen(id=f"o{number}.e{i}", element=element, window=screen.window_by_id(element.window_id))
                     for i, element in enumerate(screen.elements, 1))
        self._latest = Observation(number=number, screen=screen, elements=seen, windows=tuple(windows),
                                   focused=focused)
        return self._latest

    def resolve(self, element_id: str) -> Seen:
        """The element `element_id` names in the latest observation; ElementError otherwise."""
        latest = self._latest
        match = _ID.match(element_id.strip())
        if match is None:
            raise ElementError(f"{element_id!r} is not an element id (ids look like o3.e7; call observe)")
        number, index = int(match[1]), int(match[2])
        if latest is None:
            raise ElementError("no observation yet: call observe, then act on one of its element ids")
        if number != latest.number:
            raise ElementError(f"element {element_id} is from observation {number}, not the latest "
                               f"({latest.number}): use an id from the latest observe")
        if not 1 <= index <= len(latest.elements):
            raise ElementError(f"observation {number} has no element e{index} (it has "
                               f"{len(latest.elements)})")
        return latest.elements[index - 1]


def _words(text: str) -> str:
    return " ".join(text.split()).casefold()


def _same_look(a: Element, b: Element) -> bool:
    if a.role is not b.role:
        return False
    if a.role in _CONTENT_ROLES:
        return _words(a.label) == _words(b.label)
    return _words(a.text) == _words(b.text)


def still_there(seen: Seen, screen: Screen) -> Element:
    """The element `seen` was, as it is on `screen` now; ElementError saying what became of it."""
    was = seen.element
    here = [e for e in screen.elements if e.window_id == was.window_id and e.box.iou(was.box) >= SAME_PLACE_IOU]
    same = [e for e in here if _same_look(e, was)]
    if same:
        return max(same, key=lambda e: e.box.iou(was.box))
    shown = f'{was.role.value} "{was.text or was.label}"'
    elsewhere = [e for e in screen.elements if e.window_id == was.window_id and _same_look(e, was)]
    if elsewhere:
        box = elsewhere[0].box
        raise ElementError(f"element {seen.id} ({shown}) moved to ({box.left},{box.top} {box.width}x"
                           f"{box.height}): observe again")
    if here:
        now = here[0]
        raise ElementError(f"element {seen.id} ({shown}) changed: there is now {now.role.value} "
                           f'"{now.text or now.label}" in its place: observe again')
    if was.window_id is not None and screen.window_by_id(was.window_id) is None:
        raise ElementError(f"element {seen.id} ({shown}) is gone: its window closed")
    raise ElementError(f"element {seen.id} ({shown}) is gone from the screen: observe again")
