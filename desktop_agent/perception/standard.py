"""The perceiver every front end uses: PP-OCR text, OpenCV widget proposals fused with it, and buttons of
one glyph read directly. Nothing loads until the first perception (the models are lazy)."""
from __future__ import annotations

from desktop_agent.perception import widget_text, widgets
from desktop_agent.perception.glyphs import GlyphReader
from desktop_agent.perception.ocr import TextReader
from desktop_agent.perception.perceiver import Perceiver


def build_perceiver(reader: TextReader | None = None) -> Perceiver:
    reader = reader or TextReader()
    return Perceiver(reader=reader, detect_widgets=widgets.detect_widgets, attach_text=widget_text.attach_text,
                     glyphs=GlyphReader(reader.recognize))
