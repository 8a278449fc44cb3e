"""Strips: buttons drawn side by side in one row (tab strips, toolbars of framed buttons, path bars),
from the elements of one image after its text was fused in (pixels of that image).

A run is buttons of one height whose outlines touch or nearly do. Text in the run's row near its ends
(touching it, for a run of one), or in an empty button of it, is part of it: a tab strip draws its
current tab without the outline the others have, and an outline at a window's edge goes unseen. A run of
two or more snug buttons (as wide as their words and some padding; column headers are wider) with
exactly one such text is a tab strip: all of it becomes TABs, the current tab boxed to the gap it fills,
and buttons side by side with its tabs join it (the framed tabs after a current tab in the middle).
Otherwise the texts are BUTTONs boxed up to their neighbours (xedit's Quit, Save, Load).
Not guaranteed: a tab strip whose tabs are all outlined stays BUTTONs (its words still find each tab).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from desktop_agent.core.values import Element, Rect, Role

_ALIGN = 3        # px: tops and heights of one run's buttons differ by at most this
_TOUCH = 3        # px between two buttons of a run
_OVERLAP = 8      # px a tab's estimated box may overlap the next one's
_REACH = 0.5      # of a run's mean button width: how far a loose text may sit from the run's end
_GLYPH = 0.6      # a character's width, in line heights
_PADDING = 3.0    # line heights of padding a tab has around its words, at most


def find_strips(elements: Sequence[Element]) -> list[Element]:
    out = list(elements)
    for run in _runs([e for e in out if e.role is Role.BUTTON]):
        out = _structure(run, out)
    return sorted(_join_tabs(out), key=lambda e: (e.box.top, e.box.left))


def _join_tabs(elements: list[Element]) -> list[Element]:
    """Buttons side by side with a tab are tabs too: the current tab in the middle of a strip splits
    its framed tabs into two runs, and only the one it ends joins it at first."""
    out = list(elements)
    while True:
        tabs = [e.box for e in out if e.role is Role.TAB]
        joined = [replace(e, role=Role.TAB) if e.role is Role.BUTTON
                  and any(_beside(t, e.box) for t in tabs) else e for e in out]
        if all(a is b for a, b in zip(joined, out)):
            return out
        out = joined


def _runs(buttons: list[Element]) -> list[list[Element]]:
    runs: list[list[Element]] = []
    for button in sorted(buttons, key=lambda e: (e.box.top, e.box.left)):
        run = next((r for r in runs if _joins(r[-1].box, button.box)), None)
        if run is None:
            runs.append([button])
        else:
            run.append(button)
    return runs


def _joins(last: Rect, box: Rect) -> bool:
    return (abs(last.top - box.top) <= _ALIGN and abs(last.height - box.height) <= _ALIGN
            and -_TOUCH <= box.left - last.right <= _TOUCH)


def _beside(a: Rect, b: Rect) -> bool:
    """Side by side in one row: touching, or overlapping a little (a current tab's box is estimated)."""
    gap = max(a.left, b.left) - min(a.right, b.right)
    return (abs(a.top - b.top) <= _ALIGN and abs(a.height - b.height) <= _ALIGN
            and -_OVERLAP <= gap <= _TOUCH)


def _structure(run: list[Element], elements: list[Element]) -> list[Element]:
    top, bottom = run[0].box.top, max(b.box.bottom for b in run)
    # one button alone takes only text touching it (Athena's Quit beside Save at a window's edge)
    reach = _REACH * sum(b.box.width for b in run) / len(run) if len(run) > 1 else _TOUCH
    texts = [t for t in elements if t.role is Role.TEXT and top <= t.box.center.y < bottom]
    named = {id(b): t for b in run if not b.text
             for t in texts if b.box.contains(t.box.center) and t.box.left >= b.box.left - _ALIGN}
    loose = [t for t in texts if all(t is not n for n in named.values())
             and (0 <= run[0].box.left - t.box.right <= reach or 0 <= t.box.left - run[-1].box.right <= reach)]
    if not loose:
        return elements if not named else _replace(elements, {id(b): replace(b, text=t.text, label=t.text)
                                                               for b in run if (t := named.get(id(b)))},
                                                   named.values())
    tabs = len(run) > 1 and len(loose) == 1 and all(_snug(b) for b in run)
    role = Role.TAB if tabs else Role.BUTTON
    changed = {id(b): replace(b, role=role, text=named[id(b)].text if id(b) in named else b.text,
                              label=named[id(b)].text if id(b) in named else b.label) for b in run}
    for text in loose:
        changed[id(text)] = replace(text, role=role, label=text.text, source=f"{text.source}+strip",
                                    box=_filled(text.box, run, top, bottom))
    return _replace(elements, changed, named.values())


def _snug(button: Element) -> bool:
    """As wide as its words and a little padding, as tabs are (column headers are wider)."""
    return button.box.width <= (_GLYPH * len(button.text) + _PADDING) * button.box.height


def _filled(text: Rect, run: list[Element], top: int, bottom: int) -> Rect:
    """A loose text's box as wide as the gap it fills to the run, and as much again on its far side."""
    if text.right <= run[0].box.left:
        gap = run[0].box.left - text.right
        return Rect.from_corners(text.left - gap, top, run[0].box.left, bottom)
    gap = text.left - run[-1].box.right
    return Rect.from_corners(run[-1].box.right, top, text.right + gap, bottom)


def _replace(elements: list[Element], changed: dict[int, Element], absorbed: Iterable[Element]) -> list[Element]:
    gone = {id(t) for t in absorbed}
    return [changed.get(id(e), e) for e in elements if id(e) not in gone]
