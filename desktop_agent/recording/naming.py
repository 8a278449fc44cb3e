"""Name the place a person pointed at in the step language, checked against the screen they saw.

`name_place` finds the element under the pointer (the smallest box holding it, interactive roles first)
and tries phrases a person would write, most readable first: its text (`"Submit order"`), its label
(`the field right of "Customer name"`, `the "Gift wrap" checkbox`), then the same with a relation to a
nearby text that is unique on screen, `inside window "Title"`, an ordinal (`the 2nd "OK"`). A phrase is
kept only when `grounding.ground` resolves it, on that very screen, back to the same element: the
replayed point must land in the element's box (for a line of plain text, near the pointer). When no
phrase survives, the element's crop becomes a template (`image:<assets>/stepNNN.png`) if it appears once
on screen; failing that, the bare point (`at X,Y`) with a note.

Also made for every place: a `Locator` for replay (`grounding/fallbacks.py`): the window, the offset in it, the crop
and the point in it, and a landmark — the nearest other text that grounds alone in that window, with the
offset from where it grounds (so replay's anchor fallback lands back on the point). A field's content is
not kept in it. Not guaranteed: that the phrase still grounds on a later screen; a template is checked
at scale 1 only.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from desktop_agent.core.errors import GroundingError, TaskSyntaxError
from desktop_agent.core.values import Element, Point, Rect, Role, Screen, TargetSpec
from desktop_agent.grounding.locators import Locator
from desktop_agent.grounding.make_locator import CONTENT_ROLES, MARGIN, PATCH, distance, locate
from desktop_agent.grounding.resolve import find_all, ground
from desktop_agent.grounding.textmatch import key
from desktop_agent.language.phrases import quote
from desktop_agent.language.steps import parse_target
from desktop_agent.recording.events import Snapshot
from desktop_agent.screen import coords

INTERACTIVE = frozenset({Role.BUTTON, Role.FIELD, Role.CHECKBOX, Role.COMBO, Role.MENU, Role.TAB,
                         Role.LINK, Role.ICON})
_ROLE_WORDS = {Role.BUTTON: "button", Role.FIELD: "field", Role.CHECKBOX: "checkbox", Role.COMBO: "combo",
               Role.MENU: "menu", Role.TAB: "tab", Role.LINK: "link", Role.ICON: "icon"}
_REACH = 3             # points a click may miss an element's edge by
_EDGE = 4              # the edge tolerance grounding uses for relations
_NEAR = 250            # grounding's reach for "near"
_ANCHORS = 4           # nearby unique texts tried as relation anchors
_MIN_CONTRAST = 8.0    # grey-level spread below which a crop is too plain to be a template
_TEMPLATE_MARGIN = 0.05


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Place:
    """A recorded point, named: the target phrase, what was under it, its locator and crop pixels."""

    phrase: str
    element: Element | None
    locator: Locator
    crop: np.ndarray  # BGR, the file `locator.crop`
    before: np.ndarray  # BGR: the window the point is in (or the screen), as the person saw it
    note: str = ""


def element_at(screen: Screen, point: Point) -> Element | None:
    """The element under `point`: interactive roles first, then the smallest box; a click that just
    missed an edge counts."""
    for reach in (0, _REACH):
        under = [e for e in screen.elements if e.box.inflate(reach).contains(point)]
        if under:
            return min(under, key=lambda e: (e.role not in INTERACTIVE, e.box.area))
    return None


def name_place(point: Point, snapshot: Snapshot, screen: Screen, *, step: int, crop_name: str,
               assets: str) -> Place:
    """Name `point` on `screen` (perceived from `snapshot`); `crop_name` is the crop's file in the
    folder `assets` (relative to the task file), used by an image target too."""
    element = element_at(screen, point)
    anchors = _unique_texts(screen, point, element)
    label = _label_of(element, screen)
    phrase = next((p for p in _phrases(element, point, screen, label, anchors)
                   if _lands(p, screen, element, point)), None)
    crop_box = (element.box.inflate(MARGIN) if element is not None
                else Rect(left=point.x - PATCH[0] // 2, top=point.y - PATCH[1] // 2, width=PATCH[0],
                          height=PATCH[1]))
    note = ""
    if phrase is None and _distinctive(coords.crop(snapshot.frame, crop_box).image, snapshot.frame.image):
        phrase = "image:" + _image_path(f"{assets}/{crop_name}")
        note = (f"the {_what(element)} at {point.x},{point.y} has no words that find it alone; "
                f"found by its picture {crop_name}")
    elif phrase is None:
        phrase = f"at {point.x},{point.y}"
        note = (f"the {_what(element)} at {point.x},{point.y} has neither unique words nor a distinctive "
                "look; recorded as a bare point")
    locator, crop = locate(point, screen, target=parse_target(phrase).describe(), step=step,
                           element=element, crop_name=crop_name)
    window = screen.window_at(point)
    seen = window.box.intersection(snapshot.frame.region) if window is not None else None
    before = coords.crop(snapshot.frame, seen or snapshot.frame.region).image.copy()
    return Place(phrase=phrase, element=element, locator=locator, crop=crop, before=before, note=note)


def spec_texts(spec: TargetSpec | None) -> list[str]:
    """Every text a target names, its anchor's included."""
    texts: list[str] = []
    while spec is not None:
        if spec.text is not None:
            texts.append(spec.text)
        spec = spec.anchor.target if spec.anchor is not None else None
    return texts


# ---------------------------------------------------------------- phrases, most readable first
def _phrases(element: Element | None, point: Point, screen: Screen, label: Element | None,
             anchors: list[Element]) -> Iterator[str]:
    if element is None:
        return
    role = _ROLE_WORDS.get(element.role)
    named = list(_named_subjects(element, point, role))
    subjects = named + ([role] if role else [])
    if label is not None and role:
        for relation in _relations(label.box, element.box):
            yield f"the {role} {relation} {quote(label.text.strip())}"
    for subject in named:
        yield _article(subject)
    for subject in subjects:
        for anchor in anchors:
            for relation in _relations(anchor.box, element.box):
                yield f"{_article(subject)} {relation} {quote(anchor.text.strip())}"
    window = screen.window_by_id(element.window_id) or screen.window_at(point)
    if window is not None and window.title.strip():
        for subject in subjects:
            yield f"{_article(subject)} inside window {quote(window.title)}"
    for subject in subjects:
        if (ordinal := _ordinal(subject, screen, point)) is not None:
            yield f"the {ordinal} {subject}"


def _named_subjects(element: Element, point: Point, role: str | None) -> Iterator[str]:
    """Quoted names of the element, with and without its role word."""
    if element.role is Role.TEXT and element.text.strip():
        yield quote(element.text.strip())
        if (word := _word_at(element, point)) is not None:
            yield quote(word)
        return
    by_label = element.role in CONTENT_ROLES or not element.text.strip()
    names = [element.label] if element.role in CONTENT_ROLES else [element.text, element.label]
    for name in dict.fromkeys(n.strip() for n in names if n.strip()):
        # A widget named by its label reads best with its role (`the "Email" field`); a button by its text.
        forms = [f"{quote(name)} {role}", quote(name)] if role else [quote(name)]
        yield from forms if by_label else reversed(forms)


def _article(subject: str) -> str:
    """`"OK"` stays bare; `"OK" button` and `field` read better with "the"."""
    return subject if subject.startswith('"') and subject.endswith('"') else f"the {subject}"


def _word_at(element: Element, point: Point) -> str | None:
    """The word of a multi-word text line under `point`, placed by proportional character offsets."""
    words = list(re.finditer(r"\S+", element.text))
    if len(words) < 2:
        return None
    box, n = element.box, len(element.text)
    for word in words:
        left = box.left + round(box.width * word.start() / n)
        right = box.left + round(box.width * word.end() / n)
        if left <= point.x < right:
            return word.group()
    return None


def _relations(anchor: Rect, box: Rect) -> list[str]:
    """Relations in which `box` stands to `anchor`, as grounding measures them."""
    half = anchor.height / 2
    in_row = anchor.top - half <= box.center.y <= anchor.bottom + half
    found = []
    if in_row and box.left >= anchor.right - _EDGE:
        found.append("right of")
    if in_row and box.right <= anchor.left + _EDGE:
        found.append("left of")
    if box.top >= anchor.bottom - _EDGE:
        found.append("below")
    if box.bottom <= anchor.top + _EDGE:
        found.append("above")
    if distance(anchor.center, box.center) <= _NEAR:
        found.append("near")
    return found


def _ordinal(subject: str, screen: Screen, point: Point) -> str | None:
    """`2nd` when the subject's matches, in reading order, put the pointed-at one second."""
    try:
        candidates = find_all(parse_target(subject), screen)
    except TaskSyntaxError:
        return None
    index = next((i for i, c in enumerate(candidates) if c.element.box.contains(point)), None)
    if index is None or len(candidates) < 2:
        return None
    n = index + 1
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _lands(phrase: str, screen: Screen, element: Element | None, point: Point) -> bool:
    """True when `phrase` grounds on `screen` to exactly the element under `point`."""
    if element is None:
        return False
    try:
        target = ground(parse_target(phrase), screen)
    except (TaskSyntaxError, GroundingError):
        return False
    found = target.element
    if (found is not None and found.role is Role.CHECKBOX and element.role is Role.TEXT
            and key(found.label) == key(element.text)):
        return True  # a checkbox's own label toggles it, in every toolkit
    if not (target.box.contains(point) and element.box.inflate(2).contains(target.point)):
        return False
    if found is not None and found.role is Role.TEXT:  # a long line: the replayed point must stay near
        return abs(target.point.x - point.x) <= max(16, target.box.width // 4)
    return True


# ---------------------------------------------------------------- anchors, windows, templates
def _unique_texts(screen: Screen, point: Point, element: Element | None) -> list[Element]:
    """Up to `_ANCHORS` other text elements that ground alone to themselves, nearest first."""
    others = [e for e in screen.elements if e.text.strip() and e.role not in CONTENT_ROLES
              and e is not element and (element is None or e.box.intersection(element.box) is None)]
    others.sort(key=lambda e: distance(e.box.center, point))
    found: list[Element] = []
    for other in others:
        if len(found) == _ANCHORS:
            break
        if _anchors_to(other.text.strip(), screen, other):
            found.append(other)
    return found


def _label_of(element: Element | None, screen: Screen) -> Element | None:
    """The text element that is a field's or combo's label, nearest first, if it is unique on screen."""
    if element is None or element.role not in CONTENT_ROLES or not element.label.strip():
        return None
    texts = sorted((e for e in screen.elements if e.role is Role.TEXT and key(e.text) == key(element.label)
                    and e.box.intersection(element.box) is None),
                   key=lambda e: distance(e.box.center, element.box.center))
    return next((e for e in texts if _anchors_to(e.text.strip(), screen, e)), None)


def _anchors_to(text: str, screen: Screen, element: Element) -> bool:
    """True when `text` as a relation's anchor grounds to `element` (text role first, as grounding does)."""
    for spec in (TargetSpec(text=text, role=Role.TEXT), TargetSpec(text=text)):
        try:
            target = ground(spec, screen)
        except GroundingError:
            continue
        return element.box.contains(target.point)
    return False


def _distinctive(template: np.ndarray, image: np.ndarray) -> bool:
    """True when `template` has contrast and matches `image` at one place only (scale 1)."""
    grey = cv2.cvtColor(template, cv2.COLOR_BGR2GRAY)
    if grey.size == 0 or float(grey.std()) < _MIN_CONTRAST:
        return False
    scores = cv2.matchTemplate(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), grey, cv2.TM_CCOEFF_NORMED)
    scores = np.nan_to_num(scores, nan=0.0, posinf=0.0, neginf=0.0)
    _, best, _, (x, y) = cv2.minMaxLoc(scores)
    height, width = grey.shape
    scores[max(0, y - height + 1):y + height, max(0, x - width + 1):x + width] = -1.0
    return float(scores.max()) < best - _TEMPLATE_MARGIN


def _image_path(path: str) -> str:
    """An image target's path, quoted when it has spaces or quotes (no parameters apply to it)."""
    if not re.search(r"[\s\"'\\]", path):
        return path
    return '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _what(element: Element | None) -> str:
    if element is None:
        return "spot"
    name = element.label if element.role in CONTENT_ROLES else element.text or element.label
    return f'{element.role.value} "{name}"' if name else element.role.value
