"""Buttons labelled with one glyph ("7", "-", ".", "(") are read directly.

Text detection skips a lone thin glyph (a minus, a dot, a comma) or reads it as a stroke of another
script ("(" as "一"). A button whose inside holds no detected text, or one character detected with
less than `DETECTED_SURE` confidence, has its inside recognised by the text model alone (no detection), three times with its border trimmed by a different
amount (one trim alone read xcalc's "=" as "三"), all such buttons of a window in one batch.
Guaranteed: a read names a button only when the three reads' mean score for it is at least `MIN_SCORE`
and above the detected text's score there; reads are cached by the inside's pixels, so a window seen
again costs nothing. Not guaranteed: that every glyph is read (measured on xcalc and a Tk keypad: 29 of
31 single-glyph buttons named; xcalc's "." read as "·" scores 0.12, the keypad's "/" as "1" 0.18, so
both stay unnamed); an icon button can be named by a glyph it resembles.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from desktop_agent.core.values import Element, Rect, Role
from desktop_agent.perception.crop_reads import CachedReads, vote

Recognize = Callable[[Sequence[np.ndarray]], list[tuple[str, float]]]

DETECTED_SURE = 0.9  # single glyphs detected this surely were right on every button measured
MIN_SCORE = 0.35  # mean of the three reads: wrong ones measured 0.12-0.18, right ones 0.38-1.0
TRIMS = (0.08, 0.15, 0.22)  # shares of the button's height cut off each side: its border and bevel


class GlyphReader:
    def __init__(self, recognize: Recognize) -> None:
        self._read = CachedReads(recognize)

    def name_buttons(self, image: np.ndarray, elements: Sequence[Element],
                     texts: Sequence[Element]) -> list[Element]:
        """`elements` (pixel boxes of `image`) with each button whose text is missing or a doubtful single
        glyph named by a direct read of its inside, where that read is sure enough (see the module)."""
        wanted = [(i, insides) for i, e in enumerate(elements)
                  if doubtful(e, texts) and (insides := _insides(image, e.box))]
        reads = self._read([inside for _, insides in wanted for inside in insides])
        named = list(elements)
        for n, (i, _) in enumerate(wanted):
            text, score = vote(reads[n * len(TRIMS):(n + 1) * len(TRIMS)])
            button = elements[i]
            if text and score >= MIN_SCORE and score > _detected_score(button.box, texts):
                named[i] = replace(button, text=text, label=text)
        return named


def doubtful(element: Element, texts: Sequence[Element]) -> bool:
    """A button with no text, or one glyph detected less surely than `DETECTED_SURE`."""
    glyphs = len("".join(element.text.split()))
    return element.role is Role.BUTTON and (
        glyphs == 0 or (glyphs == 1 and _detected_score(element.box, texts) < DETECTED_SURE))


def _insides(image: np.ndarray, box: Rect) -> list[np.ndarray]:
    """The button's inside with each of `TRIMS` cut off, or none when the box is too small for them."""
    insets = [max(2, round(box.height * share)) for share in TRIMS]
    if min(box.width, box.height) <= 2 * insets[-1] + 2:
        return []
    return [image[box.top + i:box.bottom - i, box.left + i:box.right - i] for i in insets]


def _detected_score(box: Rect, texts: Sequence[Element]) -> float:
    return max((t.confidence for t in texts if box.contains(t.box.center)), default=0.0)
