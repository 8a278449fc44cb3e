"""Make a fallback locator (see locators.py) for a point on a perceived screen: the window it is in, the
offset in that window, a crop of what is there and the point inside the crop, and a landmark — the
nearest other text that grounds alone in that window, with the offset from where it grounds.

One maker for the recorder (each recorded target), the memory (each verified or corrected place) and
the trace of a run (so a run can be saved as a replayable task). Guaranteed: a field's or combo's
content is never kept in the locator (typed data changes, and may be private); the crop is cut from the
screen's own frame through `coords`. Not guaranteed: that the crop is distinctive enough to be found
again (replay and memory check that when they use it).
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from desktop_agent.core.errors import GroundingError
from desktop_agent.core.values import Element, Point, Rect, Role, Screen, TargetSpec, Window
from desktop_agent.grounding.locators import AnchorRef, Locator, WindowRef
from desktop_agent.grounding.resolve import ground
from desktop_agent.screen import coords

CONTENT_ROLES = frozenset({Role.FIELD, Role.COMBO})  # their text is what they hold, not their name
MARGIN = 4          # points a crop extends beyond the element
PATCH = (48, 32)    # crop around a point with no element under it
_LANDMARKS = 16     # nearest texts tried as a landmark


def locate(point: Point, screen: Screen, *, target: str, step: int, element: Element | None,
           crop_name: str | None = None) -> tuple[Locator, np.ndarray]:
    """The locator of `point` (on `element`, if one is under it) and the crop's BGR pixels; the crop
    is cut from the screen, clipped to the window the point is in."""
    window = screen.window_at(point)
    origin = window.box if window is not None else screen.frame.region
    around = (element.box.inflate(MARGIN) if element is not None
              else Rect(left=point.x - PATCH[0] // 2, top=point.y - PATCH[1] // 2, width=PATCH[0],
                        height=PATCH[1]))
    crop = coords.crop(screen.frame, around.intersection(origin) or around)
    locator = Locator(
        target=target, step=step,
        window=None if window is None else WindowRef(title=window.title, wm_class=window.wm_class,
                                                     width=window.box.width, height=window.box.height),
        offset=Point(x=point.x - origin.left, y=point.y - origin.top),
        crop=crop_name, crop_point=coords.point_screen_to_image(crop, point),
        anchor=landmark(screen, window, point, element),
        element_text=element_text(element),
        element_role=element.role.value if element is not None else "")
    return locator, crop.image.copy()


def landmark(screen: Screen, window: Window | None, point: Point,
             element: Element | None) -> AnchorRef | None:
    """The nearest other text that grounds alone (by text, in `window`, as replay looks for it), and the
    offset from where it grounds to `point`."""
    if window is not None:
        screen = replace(screen, elements=tuple(e for e in screen.elements if e.window_id == window.id or (
            e.window_id is None and window.box.contains(e.box.center))))
    own = element.box if element is not None else Rect(left=point.x, top=point.y, width=1, height=1)
    texts = sorted((e for e in screen.elements if e.text.strip() and e.role not in CONTENT_ROLES
                    and e.box.intersection(own) is None), key=lambda e: distance(e.box.center, point))
    for text in texts[:_LANDMARKS]:
        try:
            found = ground(TargetSpec(text=text.text.strip()), screen)
        except GroundingError:
            continue
        if found.box.intersection(own) is None:  # a label that grounds to the element itself is no landmark
            return AnchorRef(text=text.text.strip(), dx=point.x - found.point.x, dy=point.y - found.point.y)
    return None


def element_text(element: Element | None) -> str:
    """What the element says; not a field's content (typed data, maybe secret, changes anyway)."""
    if element is None or element.role is Role.FIELD:
        return ""
    return element.text


def distance(a: Point, b: Point) -> float:
    return math.hypot(a.x - b.x, a.y - b.y)
