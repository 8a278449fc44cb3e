"""How grounding names what it saw in its errors and explanations (pure text)."""
from __future__ import annotations

from desktop_agent.core.errors import GroundingError
from desktop_agent.core.values import Element, Point, Rect, Screen, TargetSpec
from desktop_agent.grounding.textmatch import similarity


def no_match(spec: TargetSpec, screen: Screen) -> GroundingError:
    query = spec.text
    if query is None:
        return GroundingError(f"no {spec.describe()} on screen")
    kind = spec.role.value if spec.role is not None else "element"
    named = [e for e in screen.elements if e.text or e.label]
    closest = sorted(named, reverse=True,
                     key=lambda e: max(similarity(query, t) for t in (e.text, e.label) if t))
    return GroundingError(f'no {kind} matches "{query}"', candidates=[describe(e) for e in closest[:3]])


def describe(element: Element) -> str:
    name = element.text or element.label
    labelled = f' labelled "{element.label}"' if element.text and element.label else ""
    return f'{element.role.value} "{name}"{labelled} at {box_text(element.box)}'


def box_text(box: Rect) -> str:
    return f"({box.left},{box.top} {box.width}x{box.height})"


def point_text(point: Point) -> str:
    return f"({point.x},{point.y})"
