"""Icon-only buttons named by what their picture means, read by the icon reader (`icons`).

Candidates in one window image: a BUTTON proposed by `widgets` that is square-ish (sides 14-72 px, at
most `MAX_ASPECT` apart), as is the ink inside it, with no text or one doubtful glyph
(`glyphs.doubtful`: text detection makes "目" or "Q" of many icons); and, where no widget is outlined
(flat buttons), square-ish blobs of ink overlapping no surely read text, when two or more of like size
stand in one row (a toolbar). The picture (its ink's box, grown by `MARGIN`) is read three times (whole,
and trimmed by 8 % and 15 % a side: `VIEWS`), all of a window in one batch, cached by pixels. It is
named when the three reads' summed score for their best word, over three, is at least `MIN_SCORE`: role
ICON (the words name the picture, and "the Save icon" is how people name an icon-only button; `the
"Save" button` still finds it, as a role seen otherwise), `text` and `label` the reader's words ("save",
"find and replace"), confidence that mean, source `ICON_SOURCE`. A blob becomes an element only when
named; doubtful text detected on a named icon ("目", "B上Q勺" across a row of them) is dropped.

Measured on the held-out theme (Tango, tests/fixtures/icons: 1114 crops of 171 meanings; one read's top
word is right for 32.5 %), by the mean of the three views: at >= 0.97, 127 crops named (11 %), 115 right
and 12 wrong (precision 0.91); at 0.90, 180 named, 29 wrong (0.84); at 0.99, 88 named, 3 wrong. One
read's top score >= 0.97 instead names 191, 48 wrong (0.75). On a Tk toolbar (tests/apps/
icon_toolbar.py) all four flat buttons are named; raised, 2 of 4 (Tk's bevel crowds a 24 px picture).
Guaranteed: only candidates as above are read, each crop at most once while cached, and a picture is
named only at `MIN_SCORE` or above; an element with text read surely is never renamed. Not guaranteed:
that a name is right (about 1 in 11 was wrong on the held-out theme; the reader has no "not an icon"
class, so a picture that is no icon can be named), nor that an icon is named (9 in 10 of Tango's were
not; a 16 px icon's raised Tk button is proposed as a check box and not read); that a lone glyph text
detection missed is left to `glyphs` (drawn 14 px high, "7" was read as "italic" at 0.99); grounding
ranks these names a tier below the same words read as text (`grounding.resolve`).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import cv2
import numpy as np

from desktop_agent.core.values import ICON_SOURCE, Element, Rect, Role
from desktop_agent.perception import glyphs, widgets
from desktop_agent.perception.crop_reads import CachedReads, vote
from desktop_agent.perception.icons import IconReader

MIN_SCORE = 0.97  # mean over the views; see the module for the numbers it came from
VIEWS = (0.0, 0.08, 0.15)  # shares of the crop's shorter side trimmed off each side, one read each
MIN_SIDE, MAX_SIDE = 14, 72  # px; Tk's 16-24 px icons make 22-30 px buttons; room for scale 2
MAX_ASPECT = 1.4  # longer side / shorter side of an icon-only button
BEVEL = 3  # px of a button's frame left out of its inside (Tk: focus ring 1 + bevel 2; GTK, Qt: 1-2)
MARGIN = 0.15  # share of the ink's side added around it, as an icon sits in its button
ROW_SLACK = 0.25  # share of a blob's height its row neighbours' centre and height may differ by


class IconNamer:
    def __init__(self, reader: IconReader | None = None) -> None:
        reader = reader or IconReader()
        self._read = CachedReads(lambda crops: [(r[0].words, r[0].score)
                                                for r in reader.read_many(crops, k=1)])

    def name_icons(self, image: np.ndarray, elements: Sequence[Element],
                   texts: Sequence[Element]) -> list[Element]:
        """`elements` (pixel boxes of `image`, a window) with the icon-only buttons whose picture the
        reader is sure of named, and flat ones of a toolbar row added (see the module)."""
        edges = _edges(image)
        height, width = edges.shape
        bounds = Rect(left=0, top=0, width=width, height=height)
        wanted: list[tuple[int | None, Rect, Rect]] = []  # (index of a button, or None), box, picture
        for index, e in enumerate(elements):
            inside = e.box.inflate(-BEVEL)
            # the edge mask spreads the frame's inner line by a pixel
            if (_icon_like(e.box) and glyphs.doubtful(e, texts)
                    and (ink := ink_box(edges, inside.inflate(-1))) and _squarish(ink)):
                wanted.append((index, e.box, framed(ink, e.box)))
        for ink in _toolbar_blobs(edges, elements, texts):
            picture = framed(ink, bounds)
            wanted.append((None, picture, picture))
        reads = self.read(image, [picture for _, _, picture in wanted])
        named = list(elements)
        added: list[Element] = []
        for (i, box, _), (words, score) in zip(wanted, reads):
            if score < MIN_SCORE:
                continue
            if i is None:
                added.append(Element(role=Role.ICON, box=box, text=words, label=words,
                                     confidence=round(score, 3), source=ICON_SOURCE))
            else:
                named[i] = replace(elements[i], role=Role.ICON, text=words, label=words,
                                   confidence=round(score, 3), source=ICON_SOURCE)
        icons = [e for e in named if e.source == ICON_SOURCE] + added
        kept = [e for e in named if not any(_glyph_in(e, icon) for icon in icons)]
        return sorted(kept + added, key=lambda e: (e.box.top, e.box.left))

    def read(self, image: np.ndarray, pictures: Sequence[Rect]) -> list[tuple[str, float]]:
        """For each picture (a box of `image`, `framed`), the words the reader gives it and their mean
        score over the three views (`VIEWS`), all of them in one batch."""
        views = [_view(image, picture, share) for picture in pictures for share in VIEWS]
        reads = self._read(views)
        return [vote(reads[n * len(VIEWS):(n + 1) * len(VIEWS)]) for n in range(len(pictures))]


def ink_box(edges: np.ndarray, box: Rect) -> Rect | None:
    """The bounding box of the edge mask's ink inside `box`, or None when there is none."""
    ys, xs = np.nonzero(edges[box.top:box.bottom, box.left:box.right])
    if xs.size == 0:
        return None
    return Rect.from_corners(box.left + int(xs.min()), box.top + int(ys.min()),
                             box.left + int(xs.max()) + 1, box.top + int(ys.max()) + 1)


def framed(ink: Rect, within: Rect) -> Rect:
    """A picture's ink grown by `MARGIN` of its shorter side, as an icon sits in a button (and as the
    reader's threshold was measured), kept `within`."""
    return ink.inflate(round(min(ink.width, ink.height) * MARGIN)).intersection(within) or ink


def _edges(image: np.ndarray) -> np.ndarray:
    return widgets.edge_mask(image[..., :3] if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR))


def _icon_like(box: Rect) -> bool:
    return (MIN_SIDE <= min(box.width, box.height) and max(box.width, box.height) <= MAX_SIDE
            and _squarish(box))


def _squarish(box: Rect) -> bool:
    """Icons are drawn in a square; a word runs wide (the reader read "Name" as "first" at 0.8)."""
    return max(box.width, box.height) <= MAX_ASPECT * min(box.width, box.height)


def _view(image: np.ndarray, box: Rect, share: float) -> np.ndarray:
    trim = round(min(box.width, box.height) * share)
    return image[box.top + trim:box.bottom - trim, box.left + trim:box.right - trim]


def _toolbar_blobs(edges: np.ndarray, elements: Sequence[Element], texts: Sequence[Element]) -> list[Rect]:
    """Ink boxes of square-ish blobs outside every widget, overlapping no surely read text, that stand in
    a row of two or more of like size."""
    ink = cv2.dilate(edges, np.ones((3, 3), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    taken = [e.box.inflate(1) for e in elements if e.role is not Role.TEXT]
    words = [t.box for t in texts if t.confidence >= glyphs.DETECTED_SURE]
    sides = stats[1:count, 2:4] - 2  # the dilation undone
    short, long = sides.min(axis=1), sides.max(axis=1)
    sized = (short >= MIN_SIDE) & (long <= MAX_SIDE) & (long <= MAX_ASPECT * short)  # `_icon_like`, at once
    blobs = []
    for x, y, w, h, _ in stats[1:count][sized]:
        box = Rect(left=int(x) + 1, top=int(y) + 1, width=int(w) - 2, height=int(h) - 2)
        if not any(box.intersection(o) for o in [*taken, *words]):
            blobs.append(box)
    return [b for b in blobs if any(o is not b and _same_row(b, o) for o in blobs)]


def _same_row(a: Rect, b: Rect) -> bool:
    slack = ROW_SLACK * max(a.height, b.height)
    return abs(a.center.y - b.center.y) <= slack and abs(a.height - b.height) <= slack


def _glyph_in(element: Element, icon: Element) -> bool:
    """Text detection's doubtful read of an icon's picture ("目", or "B上Q勺" across a row of them)."""
    return (element.role is Role.TEXT and icon.box.contains(element.box.center)
            and element.confidence < glyphs.DETECTED_SURE)
