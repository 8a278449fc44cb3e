"""Settle detection and per-step expectations.

`settle` waits (bounded) until the affected region stops changing after an action; a blinking caret
does not keep it from settling. `check_*` functions are pure: they compare perceived screens with what a step meant
to do and return an `Outcome` saying whether it happened and why they think so.
"""
from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from desktop_agent.screen import coords
from desktop_agent.types import Element, Frame, Rect, Role, Screen

_DIFF_LEVEL = 12
_CARET_PIXELS = 60  # changed pixels below this count are a caret blink, not a change


@dataclass(frozen=True, slots=True, kw_only=True)
class Settled:
    frame: Frame
    changed: bool      # differs from the frame before the action
    stable: bool       # two consecutive captures agreed before the timeout
    elapsed_ms: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    ok: bool
    detail: str


def changed_pixels(before: np.ndarray, after: np.ndarray) -> int:
    if before.shape != after.shape:
        return before.shape[0] * before.shape[1]
    diff = cv2.absdiff(before, after)
    return int(np.count_nonzero(diff.max(axis=2) > _DIFF_LEVEL))


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


def normalize(text: str) -> str:
    """Space- and caret-insensitive form for comparing typed and read text; look-alikes folded."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return "".join(bare.split()).strip("|").translate(_LOOK_ALIKE)


def text_matches(expected: str, seen: str, *, whole: bool = False) -> bool:
    """`seen` (OCR) shows `expected` — or, in a field too narrow for it, a long enough part of it;
    with `whole`, exactly that text and nothing less (a half-typed field is not done)."""
    want, got = normalize(expected), normalize(seen)
    if whole:
        return want == got
    return want in got or (len(got) >= min(len(want), 8) and got in want)


def elements_in(screen: Screen, box: Rect) -> list[Element]:
    return [e for e in screen.elements if e.box.intersection(box) is not None]


def text_rows(elements: Sequence[Element]) -> list[tuple[str, Rect]]:
    """The text read on each row (a line read in pieces, or split at wide gaps), joined left to right
    with a space, top to bottom, with the row's box."""
    rows: list[list[Element]] = []
    for element in sorted((e for e in elements if e.text.strip()), key=lambda e: e.box.center.y):
        if rows and rows[-1][0].box.top <= element.box.center.y < rows[-1][0].box.bottom:
            rows[-1].append(element)
        else:
            rows.append([element])
    joined = []
    for row in rows:
        row.sort(key=lambda e: e.box.left)
        box = row[0].box
        for element in row[1:]:
            box = box.union(element.box)
        joined.append((" ".join(e.text.strip() for e in row), box))
    return joined


def check_typed(screen: Screen, text: str, field_box: Rect | None, *, secret: bool,
                whole: bool = False) -> Outcome:
    """The typed text is visible in the field (or anywhere, without a field: in one piece of text or
    on one row of them). Secrets can't be read back (masked), so for them the field must merely have
    changed — the caller checks that."""
    if secret:
        return Outcome(ok=True, detail="masked field: checked for a visible change only")
    candidates = elements_in(screen, field_box.inflate(4)) if field_box else list(screen.elements)
    for element in candidates:
        if text_matches(text, element.text, whole=whole):
            return Outcome(ok=True, detail=f'"{element.text}" is visible at {_xy(element.box)}')
    for row, box in ([] if field_box else text_rows(candidates)):
        if text_matches(text, row, whole=whole):
            return Outcome(ok=True, detail=f'"{row}" is visible at {_xy(box)}')
    seen = ", ".join(f'"{e.text}"' for e in candidates[:4] if e.text) or "nothing"
    where = f"in the field at {_xy(field_box)}" if field_box else "on screen"
    return Outcome(ok=False, detail=f'typed "{text}" but {where} reads {seen}')


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
