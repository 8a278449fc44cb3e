"""The perceiver every front end uses: the applications' accessibility trees (AT-SPI2 on Linux), PP-OCR
text, OpenCV widget proposals fused with it and ordered into strips (tabs, linked buttons), icon-only
buttons named by the icon reader, and buttons of one glyph read directly. Nothing loads or connects until the first perception (the models are lazy)."""
from __future__ import annotations

import sys
from collections.abc import Sequence

from desktop_agent.accessibility.atspi.reader import AtspiReader
from desktop_agent.core.values import Element
from desktop_agent.perception import strips, widget_text, widgets
from desktop_agent.perception.glyphs import GlyphReader
from desktop_agent.perception.icon_names import IconNamer
from desktop_agent.perception.ocr import TextReader
from desktop_agent.perception.perceiver import Perceiver


def build_perceiver(reader: TextReader | None = None) -> Perceiver:
    reader = reader or TextReader()
    return Perceiver(reader=reader, detect_widgets=widgets.detect_widgets, attach_text=fuse,
                     glyphs=GlyphReader(reader.recognize), icons=IconNamer(),
                     accessibility=AtspiReader() if sys.platform.startswith("linux") else None)


def fuse(found: Sequence[Element], texts: Sequence[Element]) -> list[Element]:
    """Widgets and text of one image as its elements."""
    return strips.find_strips(widget_text.attach_text(found, texts))
