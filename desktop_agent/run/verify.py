"""Settle detection and per-step expectations.

`settle` waits (bounded) until the affected region stops changing after an action; a blinking caret
does not keep it from settling. `check_*` functions are pure: they compare perceived screens with what a step meant
to do and return an `Outcome` saying whether it happened and why they think so.
"""
from __future__ import annotations

import enum
import os
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from desktop_agent.core.values import Element, Frame, Rect, Role, Screen, text_rows
from desktop_agent.perception.pixel_changes import changed_mask
from desktop_agent.screen import coords

_CARET_PIXELS = 60  # changed pixels below this count are a caret blink, not a change


@dataclass(frozen=True, slots=True, kw_only=True)
class Settled:
    frame: Frame
    changed: bool      # differs from the frame before the action
    stable: bool       # two consecutive captures agreed before the timeout
    elapsed_ms: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    ok: bool                # nothing seen contradicts the step's effect
    detail: str
    exact: bool = True      # with ok: the effect itself was read (False: only a part of it could be)


def changed_pixels(before: np.ndarray, after: np.ndarray) -> int:
    if before.shape != after.shape:
        return before.shape[0] * before.shape[1]
    return int(np.count_nonzero(changed_mask(before, after)))


def settle(grab: Callable[[Rect | None], Frame], before: Frame, region: Rect | None = None, *,
           react_s: float = 0.25, timeout_s: float = 3.0, quiet_s: float = 0.03,
           poll_s: float = 0.005) -> Settled:
    """Wait for `region` (default: everything `before` shows) to react to an action (up to `react_s`)
    and then to hold still for `quiet_s` (up to `timeout_s`), looking every `poll_s`: it has settled
    `quiet_s` after the last capture that showed something new (a caret blink is not new)."""
    base = coords.crop(before, region) if region is not None else before
    region = base.region
    start = last_news = time.monotonic()
    previous = grab(region)
    changed = changed_pixels(base.image, previous.image) > 0
    while True:
        time.sleep(poll_s)
        current = grab(region)
        now = time.monotonic()
        if changed_pixels(previous.image, current.image) >= _CARET_PIXELS:
            last_news = now
        if not changed and changed_pixels(base.image, current.image) > 0:
            changed, last_news = True, now
        previous = current
        elapsed = now - start
        if (now - last_news >= quiet_s) if changed else elapsed >= react_s:
            return Settled(frame=current, changed=changed, stable=True, elapsed_ms=elapsed * 1000)
        if elapsed >= timeout_s:
            return Settled(frame=current, changed=changed, stable=False, elapsed_ms=elapsed * 1000)


def visibly_changed(before: Frame, after: Frame) -> bool:
    """More than a caret blink differs between two captures of the same region."""
    return changed_pixels(before.image, after.image) >= _CARET_PIXELS


# OCR can't tell these apart: letters whose capital is the small letter drawn bigger, the l/1/I/|
# and o/0 look-alikes, and accents (ë/ē, Å/A). Everything else must read back exactly.
_LOOK_ALIKE = str.maketrans("COSVWXZI1|0", "cosvwxzlllo")


def normalize(text: str, *, marks: bool = False) -> str:
    """Space- and caret-insensitive form for comparing typed and read text; look-alikes folded, and
    accents too (the text model often drops them) unless `marks`."""
    bare = unicodedata.normalize("NFKD", text)
    bare = (unicodedata.normalize("NFC", bare) if marks  # composed: "e" is no part of "ë"
            else "".join(c for c in bare if not unicodedata.combining(c)))
    return "".join(bare.split()).strip("|").translate(_LOOK_ALIKE)


def _marks_agree(expected: str, seen: str) -> bool:
    """Whether what was read has the typed text's accents, all of them and no others: a reading that
    matches only once accents are folded can't tell "Zoë" typed from "Zoe" (an accent the keys lost)."""
    want, got = normalize(expected, marks=True), normalize(seen, marks=True)
    return got == want or (got.startswith(want) and len(got) == len(want) + 1 and got[-1] in _CARETS)


_CARETS = "li!][/"  # a text caret as OCR reads it, normalised (|, I and 1 become l)
_UNREADABLE_FROM = 0x2E80  # CJK and later scripts: the text model may read them wrongly or not at all


class Reading(enum.Enum):
    WHOLE = "whole"            # the typed text, all of it and nothing more
    AMBIGUOUS = "ambiguous"    # the typed text ends like a caret, so it could be one key short + caret,
                               # or it ends in characters the text model can't read
    PART = "part"              # a tail or a stretch of the middle (a narrow field), not the end cut off
    OTHER = "other"


def _unreadable(text: str) -> bool:
    return bool(text) and all(ord(char) >= _UNREADABLE_FROM for char in text)


def read_back(expected: str, seen: str) -> Reading:
    """What a field's text as read (OCR, a caret possibly after it) says about `expected` typed into it.
    Right after typing the caret sits at the end, so a narrow field shows the text's end: a reading
    that stops before the end means the end is missing."""
    want, got = normalize(expected), normalize(seen)
    if not want:
        return Reading.OTHER
    whole = Reading.WHOLE if _marks_agree(expected, seen) else Reading.AMBIGUOUS
    if len(got) == len(want) + 1 and got.startswith(want) and got[-1] in _CARETS:
        return whole
    if got == want:
        return Reading.AMBIGUOUS if want[-1] in _CARETS else whole
    common = len(os.path.commonprefix([want, got]))
    rest = got[common:].rstrip(_CARETS)
    if common and _unreadable(want[common:]) and (not rest or _unreadable(rest)):
        return Reading.AMBIGUOUS  # read up to characters OCR can't be trusted with (東京 read as 图)
    core = got[:-1] if got[-1:] in _CARETS and not want.endswith(got) else got
    if len(core) >= min(len(want), 8) and core in want and not want.startswith(core):
        return Reading.PART
    return Reading.OTHER


def elements_in(screen: Screen, box: Rect) -> list[Element]:
    return [e for e in screen.elements if e.box.intersection(box) is not None]


def check_typed(screen: Screen, text: str, field_box: Rect | None, *, secret: bool,
                whole: bool = False) -> Outcome:
    """The typed text reads back whole in the field; a part of it, or a reading one key short of it
    with a caret after, is unverified (exact=False), never passed; anything else fails. Without a
    field (typed at the focus: a terminal) it must show inside one text or one row of them (with
    `whole`: be all of one). A secret is not read back: its field's mask characters are counted instead
    (`check_masked`)."""
    if secret:
        return check_masked(screen, field_box, len(text))
    if field_box is None:
        want, candidates = normalize(text), list(screen.elements)
        unaccented = None  # a reading that matches only with accents left out
        for seen, box in [(e.text, e.box) for e in candidates] + text_rows(candidates):
            if normalize(seen) == want or (not whole and want and want in normalize(seen)):
                if normalize(text, marks=True) in normalize(seen, marks=True):
                    return Outcome(ok=True, detail=f'"{seen}" is visible at {_xy(box)}')
                unaccented = unaccented or (seen, box)
        if unaccented is not None and not whole:
            return Outcome(ok=True, exact=False, detail=f'"{unaccented[0]}" at {_xy(unaccented[1])} reads as '
                           "the typed text only with its accents left out")
    else:
        candidates = elements_in(screen, field_box.inflate(4))
        by_reading = {read_back(text, e.text): e for e in reversed(candidates)}
        if (element := by_reading.get(Reading.WHOLE)) is not None:
            return Outcome(ok=True, detail=f'"{element.text}" is visible at {_xy(element.box)}')
        if not whole and (element := by_reading.get(Reading.AMBIGUOUS)) is not None:
            return Outcome(ok=True, exact=False, detail=f'"{element.text}" at {_xy(element.box)} could be '
                           "the typed text, or short of it (a caret after it, or characters the text "
                           "model can't read)")
        if not whole and (element := by_reading.get(Reading.PART)) is not None:
            return Outcome(ok=True, exact=False, detail=f'only "{element.text}" of the typed text can be '
                           f"read at {_xy(element.box)}")
    seen = ", ".join(f'"{e.text}"' for e in candidates[:4] if e.text) or "nothing"
    where = f"in the field at {_xy(field_box)}" if field_box else "on screen"
    return Outcome(ok=False, detail=f'typed "{text}" but {where} reads {seen}')


def check_masked(screen: Screen, field_box: Rect | None, length: int) -> Outcome:
    """A masked field shows one mask character (a dot, a bullet, an asterisk) per character typed: as
    many as `length` is exact, another count fails; a field whose marks can't be counted as a row of
    like glyphs (marks touching, a field that shows the text itself, no field) is unverified."""
    if field_box is None:
        return Outcome(ok=True, exact=False, detail="typed at the focus into a masked field: nothing to count")
    count = mask_glyphs(coords.crop(screen.frame, field_box).image)
    if count is None:
        return Outcome(ok=True, exact=False, detail=f"the masked field at {_xy(field_box)} shows marks "
                       "that can't be counted as one per character")
    if count != length:
        return Outcome(ok=False, detail=f"the masked field at {_xy(field_box)} shows {count} characters; "
                       f"{length} were typed")
    return Outcome(ok=True, detail=f"the masked field at {_xy(field_box)} shows {count} characters, as "
                   "many as were typed")


_MASK_INK = 60        # a mark's difference from the field's fill
_MASK_INSET_PX = 3    # the field's own border and its focus ring
_MASK_SAME = 0.2      # marks' widths, heights and tops agree within this share of their median size
_MASK_EVEN = 0.25     # and their spacing within this share of the median spacing


def mask_glyphs(image: np.ndarray) -> int | None:
    """How many marks a masked field's inside shows; None when its ink is not one evenly spaced row of
    marks of one size (letters differ in height and width; marks that touch make one wider blob).
    A text caret (a line at least three times as tall as it is wide) is not a mark."""
    inside = image[_MASK_INSET_PX:-_MASK_INSET_PX, _MASK_INSET_PX:-_MASK_INSET_PX]
    if inside.size == 0:
        return None
    gray = cv2.cvtColor(inside, cv2.COLOR_BGR2GRAY) if inside.ndim == 3 else inside
    fill = float(np.median(gray))
    ink = (np.abs(gray.astype(np.int16) - fill) > _MASK_INK).astype(np.uint8)
    count, _labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    marks = sorted((int(x), int(y), int(w), int(h)) for x, y, w, h, _ in stats[1:count] if h < 3 * w)
    if not marks:
        return 0
    lefts, tops, widths, heights = (np.array(values, float) for values in zip(*marks))
    size = max(float(np.median(widths)), float(np.median(heights)))
    slack = max(1.0, _MASK_SAME * size)
    if any(np.abs(v - np.median(v)).max() > slack for v in (widths, heights, tops)):
        return None
    steps = np.diff(lefts)
    if len(steps) and np.abs(steps - np.median(steps)).max() > max(1.0, _MASK_EVEN * float(np.median(steps))):
        return None
    return len(marks)


def check_cleared(screen: Screen, field_box: Rect) -> Outcome:
    """Nothing can be read in the field any more."""
    left = [e.text for e in elements_in(screen, field_box.inflate(4)) if e.text.strip()]
    if left:
        return Outcome(ok=False, detail=f'the field at {_xy(field_box)} still reads "{left[0]}"')
    return Outcome(ok=True, detail=f"the field at {_xy(field_box)} is empty")


def check_checked(screen: Screen, box: Rect, want: bool) -> Outcome:
    boxes = [e for e in elements_in(screen, box.inflate(2))
             if e.role is Role.CHECKBOX and e.checked is not None]
    if not boxes:
        return Outcome(ok=False, detail=f"no checkbox seen at {_xy(box)} after the click")
    state = max(boxes, key=lambda e: e.box.iou(box)).checked
    word = "checked" if state else "unchecked"
    return Outcome(ok=state == want, detail=f"the checkbox at {_xy(box)} is {word}")


def check_selected(screen: Screen, box: Rect, option: str) -> Outcome:
    for element in elements_in(screen, box.inflate(2)):
        if normalize(element.text) == normalize(option):
            return Outcome(ok=True, detail=f'the combo shows "{element.text}"')
    seen = ", ".join(f'"{e.text}"' for e in elements_in(screen, box) if e.text) or "nothing"
    return Outcome(ok=False, detail=f'the combo at {_xy(box)} shows {seen}, not "{option}"')


def _xy(box: Rect) -> str:
    return f"({box.left},{box.top} {box.width}x{box.height})"
