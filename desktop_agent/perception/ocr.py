"""Text elements from the PP-OCR ONNX models shipped in the `rapidocr` wheel, run by onnxruntime.

Guarantees: nothing is downloaded (the models are the wheel's files, resolved and sha256-checked against
models/*.yaml by `perception.models`); the engine loads lazily, once, on first use; the text-orientation classifier is off; the thread
count is set. Boxes are in pixels of the image given. Not guaranteed: recognising text smaller than ~8 px.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from desktop_agent.core.values import Element, Rect, Role
from desktop_agent.perception import models

# Detection at native resolution (no up-scaling of small windows): 4x faster on a 280x120 dialog than
# rapidocr's default (min side 736) and it read the same text (measured on yad and xcalc).
_ENGINE_PARAMS = {
    "Global.use_cls": False,
    "Global.log_level": "error",
    "Det.limit_type": "max",
    "Det.limit_side_len": 2000,
}
# Words in one OCR line further apart than this many line heights are separate items (toolbars).
_ITEM_GAP = 0.9
# A menu bar: the window's first line, at its left edge, of capitalised words ("File Edit View"), read
# as one line because its gaps can be as narrow as a space (Tk's).
_MENU_ROW_HEIGHTS = 1.0   # from the window's top, in line heights
_MENU_LEFT_HEIGHTS = 2.0  # from its left edge


@dataclass(frozen=True, slots=True, kw_only=True)
class _Glyphs:
    """Character x-extents of one OCR line (spaces removed), from rapidocr's word boxes."""

    chars: str
    lefts: tuple[float, ...]
    rights: tuple[float, ...]


class TextReader:
    def __init__(self, *, threads: int | None = None) -> None:
        self._threads = threads or min(4, os.cpu_count() or 1)
        self._engine = None
        self._lock = threading.Lock()

    def _ocr(self):
        with self._lock:
            if self._engine is None:
                from rapidocr import RapidOCR  # lazy: loading the models takes ~0.5 s

                params = dict(_ENGINE_PARAMS)
                params["Det.model_path"] = str(models.resolve("pp-ocrv6-det-small").path)
                params["Rec.model_path"] = str(models.resolve("pp-ocrv6-rec-small").path)
                params["EngineConfig.onnxruntime.intra_op_num_threads"] = self._threads
                params["EngineConfig.onnxruntime.inter_op_num_threads"] = 1
                self._engine = RapidOCR(params=params)
            return self._engine

    def read(self, image: np.ndarray, *, at_window_top: bool = True) -> list[Element]:
        """TEXT elements of `image` (BGR), one per line or per separated item of a line; a menu bar's
        line is one item per word, looked for only when the image's top is its window's
        (`at_window_top`)."""
        if image.size == 0 or min(image.shape[:2]) < 8:
            return []
        out = self._ocr()(image, return_word_box=True)
        if out.txts is None or out.boxes is None:
            return []
        glyphs = _align_words(out.txts, out.word_results)
        boxes = [_quad_to_rect(quad) for quad in out.boxes]
        elements: list[Element] = []
        for text, score, box, glyph in zip(out.txts, out.scores, boxes, glyphs):
            menu = at_window_top and _menu_row(text, box) and _first_line(box, boxes)
            for item_text, item_box in _split_items(_ascii_forms(text), box, glyph, every_word=menu):
                elements.append(Element(role=Role.TEXT, box=item_box, text=item_text,
                                        confidence=float(score), source="ocr"))
        return elements


    def recognize(self, images: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        """Each image (BGR) read as one line by the text model alone, no detection: (text, score)."""
        if not images:
            return []
        out = self._ocr().recognize_txt(list(images))
        return [(_ascii_forms(text), float(score)) for text, score in zip(out.txts, out.scores)]


def _ascii_forms(text: str) -> str:
    """Full-width forms (U+FF01-FF5E: the model's "，" for a comma) and the ideographic full stop as ASCII;
    nothing else changes ("x²" stays)."""
    return text.translate(_FULL_WIDTH)


_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3002: ord(".")}


def _quad_to_rect(quad: np.ndarray) -> Rect:
    xs, ys = quad[:, 0], quad[:, 1]
    return Rect.from_corners(int(np.floor(xs.min())), int(np.floor(ys.min())),
                             int(np.ceil(xs.max())), int(np.ceil(ys.max())))


def _align_words(texts: Sequence[str], word_results) -> list[_Glyphs | None]:
    """rapidocr drops empty word groups, so groups are matched to lines by their text."""
    groups = list(word_results or ())
    aligned: list[_Glyphs | None] = []
    index = 0
    for text in texts:
        wanted = "".join(text.split())
        glyph = None
        if index < len(groups):
            glyph = _glyphs(groups[index])
            if glyph is not None and glyph.chars == wanted:
                index += 1
            else:
                glyph = None
        aligned.append(glyph)
    return aligned


def _glyphs(group) -> _Glyphs | None:
    chars, lefts, rights = [], [], []
    for word in group:
        if len(word) != 3 or word[2] is None:
            return None
        text, _score, quad = word
        text = "".join(str(text).split())
        if not text:
            continue
        xs = [p[0] for p in quad]
        left, right = float(min(xs)), float(max(xs))
        step = (right - left) / len(text)
        for i, ch in enumerate(text):
            chars.append(ch)
            lefts.append(left + i * step)
            rights.append(left + (i + 1) * step)
    return _Glyphs(chars="".join(chars), lefts=tuple(lefts), rights=tuple(rights))


def _menu_row(text: str, box: Rect) -> bool:
    words = text.split()
    return (len(words) >= 2 and all(w[0].isupper() for w in words)
            and box.top <= _MENU_ROW_HEIGHTS * box.height and box.left <= _MENU_LEFT_HEIGHTS * box.height)


def _first_line(box: Rect, boxes: Sequence[Rect]) -> bool:
    """No other line lies above this one (a toolbar's words under a menu bar are not a menu bar)."""
    return not any(other.bottom <= box.center.y for other in boxes)


def _split_items(text: str, box: Rect, glyph: _Glyphs | None, *,
                 every_word: bool = False) -> list[tuple[str, Rect]]:
    """Split a line where the gap between two words is wider than `_ITEM_GAP` line heights, or between
    every two words (`every_word`)."""
    words = text.split()
    if glyph is None or len(words) < 2:
        return [(text, box)]
    spans, pos = [], 0
    for word in words:
        spans.append((word, glyph.lefts[pos], glyph.rights[pos + len(word) - 1]))
        pos += len(word)
    items: list[list[tuple[str, float, float]]] = [[spans[0]]]
    for span in spans[1:]:
        gap = span[1] - items[-1][-1][2]
        if every_word or gap > _ITEM_GAP * box.height:
            items.append([span])
        else:
            items[-1].append(span)
    if len(items) == 1:
        return [(text, box)]
    return [(" ".join(w for w, _, _ in item),
             Rect.from_corners(int(item[0][1]), box.top, int(np.ceil(item[-1][2])), box.bottom))
            for item in items]
