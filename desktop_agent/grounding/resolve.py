"""Grounding: resolve a `TargetSpec` against a perceived `Screen` to exactly one place.

Guaranteed: `ground` returns one `Target` in screen coordinates or raises `GroundingError` listing the best
candidates. It never guesses between equally good matches: only an ordinal or a relation (nearest wins)
chooses. Pure: no I/O, no globals; image pixels and points are converted only by `screen.coords`.
Not guaranteed: that the element is really interactive — roles are whatever perception reported; an
icon's words are the icon reader's guess (matched a tier below the same words read as text).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from desktop_agent.core.errors import GroundingError
from desktop_agent.core.values import (
    ICON_SOURCE,
    Candidate,
    Element,
    Point,
    Rect,
    Relation,
    Role,
    Screen,
    Target,
    TargetSpec,
    Window,
)
from desktop_agent.grounding.containers import PARTS, parts
from desktop_agent.grounding.explain import box_text, describe, no_match, point_text
from desktop_agent.grounding.labels import labelled_widget, labels_a_hit, with_caption
from desktop_agent.grounding.relations import reading_order, related
from desktop_agent.grounding.rows import as_cell, as_row, cell_box, row_of, under
from desktop_agent.grounding.textmatch import Tier, score_text
from desktop_agent.screen.coords import image_to_screen, screen_to_image

TemplateMatcher = Callable[[np.ndarray, Path, Rect | None], Rect]
"""(BGR screen image, template path, search region in image pixels or None) -> box in image pixels;
raises GroundingError when the template is absent or ambiguous."""

_INTERACTIVE = frozenset({Role.BUTTON, Role.FIELD, Role.CHECKBOX, Role.COMBO, Role.MENU, Role.TAB,
                          Role.LINK, Role.ICON})
# Controls named by a label beside them: the label's text is not the control, so it never stands in for one.
_LABELLED = frozenset({Role.FIELD, Role.COMBO, Role.CHECKBOX, Role.SLIDER, Role.SCROLLBAR})
_MAX_LISTED = 5
_NOT_LABELLED = frozenset({Role.TEXT, Role.CELL, Role.ITEM})  # a header names a column, not the cell below
CELL_SHARE = 0.8  # of a row's width: wider is the row's own highlight, not a cell of it


@dataclass(frozen=True, slots=True, kw_only=True)
class _Match:
    element: Element
    tier: Tier
    score: float
    via: str  # "text", "label" or "role"
    matched: str  # the string that matched
    point: Point | None = None  # where to act when not the box's centre (a row: its words)

    @property
    def box(self) -> Rect:
        return self.element.box


@dataclass(frozen=True, slots=True, kw_only=True)
class _Resolution:
    matches: tuple[_Match, ...]  # best tier only, in the order ordinals count
    notes: tuple[str, ...]  # fragments of Target.why
    nearest: bool  # ordered by a relation's distance, so the first one wins


# ---------------------------------------------------------------- public API
def ground(spec: TargetSpec, screen: Screen, *, match_template: TemplateMatcher | None = None,
           base_dir: Path = Path(".")) -> Target:
    """Resolve `spec` to one place on `screen`, or raise GroundingError with the best candidates."""
    if spec.point is not None:
        return _ground_point(spec.point, screen)
    if spec.image is not None:
        return _ground_image(spec, spec.image, screen, match_template, base_dir)
    return _choose(spec, _resolve(spec, screen, match_template, base_dir))


def find_all(spec: TargetSpec, screen: Screen, *, match_template: TemplateMatcher | None = None,
             base_dir: Path = Path(".")) -> list[Candidate]:
    """Every candidate at the best tier for a text or role spec, in the order ordinals count them
    (reading order, or nearest first with a relation), so `ground` with ordinal n picks item n-1.

    The ordinal itself is not applied. Returns [] when nothing matches, including when the anchor does
    not ground; call `ground` for the reason.
    """
    if spec.text is None and spec.role is None:
        raise ValueError(f"find_all takes text or role targets, not {spec.describe()}")
    try:
        found = _resolve(spec, screen, match_template, base_dir)
    except GroundingError:
        return []
    return [Candidate(element=m.element, score=m.score) for m in found.matches]


# ---------------------------------------------------------------- point and image targets
def _ground_point(point: Point, screen: Screen) -> Target:
    region = screen.frame.region
    if not region.contains(point):
        raise GroundingError(f"point ({point.x},{point.y}) is outside the screen {box_text(region)}")
    under = [e for e in screen.elements if e.box.contains(point)]
    element = min(under, key=lambda e: e.box.area, default=None)  # the innermost element there
    if element is None:
        return Target(box=Rect(left=point.x, top=point.y, width=1, height=1), point=point,
                      strategy="point", why=f"point ({point.x},{point.y})")
    return Target(box=element.box, point=point, strategy="point", element=element,
                  why=f"point ({point.x},{point.y}) on {describe(element)}")


def _ground_image(spec: TargetSpec, image: Path, screen: Screen, match_template: TemplateMatcher | None,
                  base_dir: Path) -> Target:
    if match_template is None:
        raise GroundingError(f"{spec.describe()}: no template matcher is available")
    anchor = spec.anchor
    if spec.ordinal is not None or (anchor is not None and anchor.relation is not Relation.INSIDE):
        raise GroundingError(f"{spec.describe()}: image targets take no ordinal and only an "
                             '"inside" relation')
    path = base_dir / image
    frame, region_px, strategy, where = screen.frame, None, "template", ""
    if anchor is not None:
        window = _anchor_window(anchor.target, screen, match_template, base_dir)
        area = window.box.intersection(frame.region)
        if area is None:
            raise GroundingError(f'window "{window.title}" at {box_text(window.box)} is off screen')
        region_px = screen_to_image(frame, area)
        strategy, where = "template+relation:inside", f' inside window "{window.title}"'
    box = image_to_screen(frame, match_template(frame.image, path, region_px))
    return Target(box=box, point=box.center, strategy=strategy,
                  why=f"template {path.name}{where} at {point_text(box.center)}")


# ---------------------------------------------------------------- text and role targets
def _resolve(spec: TargetSpec, screen: Screen, match_template: TemplateMatcher | None,
             base_dir: Path) -> _Resolution:
    """Matches at the best tier after relations, de-duplicated and ordered; raises when none is left."""
    anchor, nearest = spec.anchor, False
    if anchor is not None and anchor.relation is Relation.INSIDE and anchor.target.role is Role.ITEM:
        return _finish(*_in_row(spec, anchor.target, screen, match_template, base_dir))
    if anchor is not None and anchor.relation is Relation.INSIDE and anchor.target.role in PARTS:
        return _finish(*_in_part(spec, anchor.target, screen))
    hits, fallback = _matches(spec, screen)
    if not hits:
        raise no_match(spec, screen)
    notes = [fallback] if fallback else []
    subject = replace(spec, anchor=None, ordinal=None).describe()
    if anchor is not None and anchor.relation is Relation.INSIDE:
        window = _anchor_window(anchor.target, screen, match_template, base_dir)
        where = f'inside window "{window.title}" at {box_text(window.box)}'
        inside = [m for m in hits if _in_window(m.element, window)]
        if not inside:
            raise GroundingError(f"no {subject} {where}", candidates=_listed(hits))
        hits = inside
        notes.append(where)
    elif anchor is not None:
        around = _ground_anchor(anchor.target, screen, match_template, base_dir)
        where = f"{anchor.relation.value} {anchor.target.describe()} at {box_text(around.box)}"
        positioned = related(anchor.relation, around.box, hits)
        if not positioned:
            raise GroundingError(f"no {subject} {where}", candidates=_listed(hits))
        hits, nearest = positioned, True
        notes.append(where)
    return _finish(hits, notes, nearest)


def _finish(hits: list[_Match], notes: list[str], nearest: bool) -> _Resolution:
    best = min(m.tier for m in hits)
    hits = _dedupe([m for m in hits if m.tier == best])
    ordered = hits if nearest else reading_order(hits)
    return _Resolution(matches=tuple(ordered), notes=tuple(notes), nearest=nearest)


def _in_row(spec: TargetSpec, row_spec: TargetSpec, screen: Screen, match_template: TemplateMatcher | None,
            base_dir: Path) -> tuple[list[_Match], list[str], bool]:
    """`the checkbox in the "x" row`, `"12 MB" in row "x"`, `the cell in row "x" under "Size"`: the row's
    box holds the target, and a relation written after the row ("under" a column's header) is the
    target's: the cell of that row in that column."""
    then = row_spec.anchor
    then = then if then is not None and then.relation is not Relation.INSIDE else None
    row_spec = replace(row_spec, anchor=None) if then is not None else row_spec
    row = _ground_anchor(row_spec, screen, match_template, base_dir)
    subject = replace(spec, anchor=None, ordinal=None).describe()
    notes = [f"inside {row_spec.describe()} at {box_text(row.box)}"]
    if spec.text is None and spec.role is Role.CELL:  # the row's cells: whatever it holds
        hits = [_Match(element=as_cell(e), tier=Tier.ROLE, score=1.0, via="role", matched="")
                for e in screen.elements if row.box.contains(e.box.center)
                and e.box.width < CELL_SHARE * row.box.width]
    else:
        hits = [m for m in _matches(spec, screen)[0] if row.box.contains(m.box.center)]
    if not hits:
        raise GroundingError(f"no {subject} {notes[0]}", candidates=_listed(_matches(spec, screen)[0]))
    if then is None:
        return hits, notes, False
    around = _ground_anchor(then.target, screen, match_template, base_dir)
    notes.append(f"{then.relation.value} {then.target.describe()} at {box_text(around.box)}")
    if then.relation in (Relation.BELOW, Relation.ABOVE) and around.element is not None:  # its column's
        column = under(around.element, [m.element for m in hits], screen.elements)
        positioned = [replace(hits[i], point=words.box.center, element=replace(
            words, box=cell_box(words, around.element, screen.elements, row.box))) for i, words in column]
    else:
        positioned = related(then.relation, around.box, hits)
    if not positioned:
        raise GroundingError(f"no {subject} {'; '.join(notes)}", candidates=_listed(hits))
    return positioned, notes, True


def _in_part(spec: TargetSpec, part_spec: TargetSpec, screen: Screen) -> tuple[list[_Match], list[str], bool]:
    """`"Delete" in the toolbar`, `the 2nd tab in the tab strip`, `"Music" in the sidebar`: the part's box
    holds the target (a sidebar entry is its row); a part named by words is the one holding them."""
    found = parts(part_spec.role, screen) if part_spec.role is not None else []
    if part_spec.text is not None:
        found = [p for p in found if any(p.contains(m.box.center) for m in _matches(replace(
            part_spec, role=None, anchor=None, ordinal=None), screen)[0])]
    kind = part_spec.describe()
    if not found:
        raise GroundingError(f"no {kind} on screen")
    if len(found) > 1:
        raise GroundingError(f"{len(found)} of {kind} on screen; name one by a word in it",
                             candidates=[f"{kind} at {box_text(p)}" for p in found])
    box = found[0]
    hits = [m for m in _matches(spec, screen)[0] if box.contains(m.box.center)]
    if part_spec.role is Role.SIDEBAR:  # a sidebar's entries are its rows
        hits = [row for m in hits for row in (_as_rows([m], screen) or [m])]
    where = f"inside {kind} at {box_text(box)}"
    if not hits:
        raise GroundingError(f"no {replace(spec, anchor=None, ordinal=None).describe()} {where}",
                             candidates=_listed(_matches(spec, screen)[0]))
    return hits, [where], False


def _matches(spec: TargetSpec, screen: Screen) -> tuple[list[_Match], str]:
    """All matches at any tier for the spec's text and role, plus a note when the role fell back to text."""
    if spec.text is None:
        return [_Match(element=e, tier=Tier.ROLE, score=1.0, via="role", matched="")
                for e in screen.elements if e.role is spec.role], ""
    hits = [_captioned(m, screen) for e in screen.elements if (m := _match_element(spec.text, e)) is not None]
    if spec.role is None:
        widgets = [e for e in screen.elements if e.role in _INTERACTIVE]
        return [m for m in hits if not labels_a_hit(m.element, widgets, [h.element for h in hits])], ""
    if spec.role is Role.ITEM and (rows := _as_rows(hits, screen)):
        return rows, ""
    widgets = [e for e in screen.elements if e.role is spec.role]
    own = [m for m in hits if m.element.role is spec.role]
    labelled = [_captioned(replace(m, element=w, via="label"), screen) for m in hits
                if m.element.role is Role.TEXT and spec.role not in _NOT_LABELLED
                and (w := labelled_widget(m.element, widgets)) is not None]
    if own or labelled:
        return own + labelled, ""
    # A role from vision is a guess: what the words name, seen as another kind, is still the target.
    others = [m for m in hits if m.via == "text" and not (spec.role in _LABELLED and m.element.role is Role.TEXT)]
    seen_as = " or ".join(sorted({m.element.role.value for m in others}))
    return others, f"no {spec.role.value} matched the words; perception saw them as {seen_as} (its roles are guesses)"


def _captioned(match: _Match, screen: Screen) -> _Match:
    """A check box found by its caption is the box with its caption, acted on at its mark."""
    mark = match.element
    if mark.role is not Role.CHECKBOX or match.via != "label":
        return match
    return replace(match, element=replace(mark, box=with_caption(mark, match.matched, screen.elements)),
                   point=mark.box.center)


def _in_window(element: Element, window: Window) -> bool:
    if element.window_id is not None:
        return element.window_id == window.id
    return window.box.contains(element.box.center)


def _as_rows(hits: list[_Match], screen: Screen) -> list[_Match]:
    """Each match that is an entry of a list or table as its whole row, acted on at its words."""
    rows = []
    for m in hits:
        if m.via == "text" and (row := row_of(m.element, screen)) is not None:
            rows.append(replace(m, element=as_row(m.element, row), point=m.box.center))
    return rows


def _dedupe(matches: list[_Match]) -> list[_Match]:
    """Collapse matches whose boxes overlap heavily (IoU > 0.5 or containment), keeping the interactive
    one, then the higher score, then the smaller box."""
    kept: list[_Match] = []
    for m in sorted(matches, key=lambda m: (m.element.role not in _INTERACTIVE, -m.score, m.box.area)):
        if not any(_same_place(m.box, k.box) for k in kept):
            kept.append(m)
    return [m for m in matches if any(m is k for k in kept)]


def _same_place(a: Rect, b: Rect) -> bool:
    return a.iou(b) > 0.5 or a.contains_rect(b) or b.contains_rect(a)


# ---------------------------------------------------------------- relations
def _ground_anchor(spec: TargetSpec, screen: Screen, match_template: TemplateMatcher | None,
                   base_dir: Path) -> Target:
    """An anchor named only by text is the text itself ("right of 'Name'" means right of the label,
    not right of the field it labels); other roles are tried only when no such text exists."""
    if spec.text is not None and spec.role is None:
        try:
            return ground(replace(spec, role=Role.TEXT), screen, match_template=match_template,
                          base_dir=base_dir)
        except GroundingError:
            pass
    try:
        return ground(spec, screen, match_template=match_template, base_dir=base_dir)
    except GroundingError as error:
        raise GroundingError(f"anchor {spec.describe()}: {error.message}",
                             candidates=error.candidates) from error


def _anchor_window(spec: TargetSpec, screen: Screen, match_template: TemplateMatcher | None,
                   base_dir: Path) -> Window:
    """The window an "inside" anchor names: by title first, else the window holding that element."""
    if spec.text is not None:
        titled = [(hit[0], w) for w in screen.windows if (hit := score_text(spec.text, w.title)) is not None]
        if titled:
            best = min(tier for tier, _ in titled)
            windows = [w for tier, w in titled if tier == best]
            if len(windows) > 1:
                raise GroundingError(f'{len(windows)} windows are titled like "{spec.text}"',
                                     candidates=[f'window "{w.title}" at {box_text(w.box)}' for w in windows])
            return windows[0]
    if spec.role is Role.WINDOW:
        raise GroundingError(f"no window matches {spec.describe()}",
                             candidates=[f'window "{w.title}" at {box_text(w.box)}' for w in screen.windows])
    target = _ground_anchor(spec, screen, match_template, base_dir)
    window_id = target.element.window_id if target.element is not None else None
    window = screen.window_by_id(window_id) or screen.window_at(target.point)
    if window is None:
        raise GroundingError(f"anchor {spec.describe()} at {box_text(target.box)} is in no known window")
    return window


def _match_element(query: str, element: Element) -> _Match | None:
    """The element's best match by its text or its label. Words the icon reader guessed for a picture
    match below the same words read as text (an exact or normalized guess as CONTAINS, a contained one
    as FUZZY): real text of the same words wins, and "save" still wins over "save as" among icons."""
    options: list[_Match] = []
    for via, text in (("text", element.text), ("label", element.label)):
        if (hit := score_text(query, text)) is None:
            continue
        tier, score, span = hit
        if element.source == ICON_SOURCE:
            tier = Tier(min(max(tier, Tier.NORMALIZED) + 1, Tier.FUZZY))
        found = element
        if span is not None and via == "text" and element.role is Role.TEXT:
            found = _word_element(element, span)
        options.append(_Match(element=found, tier=tier, score=score, via=via, matched=text))
    return min(options, key=lambda m: (m.tier, -m.score), default=None)


def _word_element(line: Element, span: tuple[int, int]) -> Element:
    """A word or phrase inside an OCR line, boxed by proportional character offsets."""
    start, end = span
    box, n = line.box, len(line.text)
    left = box.left + round(box.width * start / n)
    right = box.left + round(box.width * end / n)
    return replace(line, box=Rect.from_corners(left, box.top, right, box.bottom),
                   text=line.text[start:end], source=f"{line.source}+word")


# ---------------------------------------------------------------- choosing and explaining
def _choose(spec: TargetSpec, found: _Resolution) -> Target:
    matches, count = found.matches, len(found.matches)
    if spec.ordinal is None:
        if count > 1 and not found.nearest:
            raise GroundingError(f'{spec.describe()} matches {count} elements; add an ordinal ("the 2nd") '
                                 'or a relation ("right of ...")', candidates=_listed(matches))
        index = 0
    else:
        index = spec.ordinal - 1 if spec.ordinal > 0 else count + spec.ordinal
        if not 0 <= index < count:
            raise GroundingError(f"{spec.describe()}: only {count} element{'s' * (count != 1)} match",
                                 candidates=_listed(matches))
    return _target(spec, found, index)


def _target(spec: TargetSpec, found: _Resolution, index: int) -> Target:
    m, count = found.matches[index], len(found.matches)
    role = f"{m.element.role.value}, {m.element.source.removesuffix('+word')}"  # what found it
    if m.via == "role":
        strategy, what = "role", f"{m.element.role.value} ({role})"
    else:
        strategy = f"{m.via}-{m.tier.name.lower()}"
        what = f'{m.tier.name.lower()} {m.via} "{m.matched}" ({role})'
        if m.element.source.endswith("+word"):
            what += f' word "{m.element.text}"'
    if spec.anchor is not None:
        strategy += f"+relation:{spec.anchor.relation.value}"
    if spec.ordinal is not None:
        strategy += "+ordinal"
        order = "by distance" if found.nearest else "in reading order"
        tally = f"{index + 1} of {count} {order}"
    elif found.nearest:
        tally = f"nearest of {count}"
    else:
        tally = "1 candidate"
    point = m.point or m.box.center
    if m.element.source.endswith("+row"):
        what += f" row {box_text(m.box)}"
    why = "; ".join([f"{what} at {point_text(point)}", *found.notes, tally])
    return Target(box=m.box, point=point, strategy=strategy, why=why, element=m.element, score=m.score)


def _listed(matches: tuple[_Match, ...] | list[_Match]) -> list[str]:
    return [describe(m.element) for m in matches[:_MAX_LISTED]]
