"""A monospace plain-text editor with line numbers, a current-line highlight and problem marks.

Shared by the task editor and the policy view. Marks are wavy red underlines plus a dot in the gutter;
they are display only and say nothing about validity.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QTextCharFormat,
    QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import QFrame, QPlainTextEdit, QTextEdit, QWidget

GUTTER_BG, GUTTER_FG, GUTTER_CURRENT = QColor("#f4f5f7"), QColor("#a0a6b0"), QColor("#3c4250")
CURRENT_LINE, ERROR = QColor("#eef3fb"), QColor("#d93025")


@dataclass(frozen=True, slots=True, kw_only=True)
class Mark:
    """A problem span: 1-based line, 0-based columns [start, end) within that line."""

    line: int
    start: int
    end: int


def mark_token(line: int, text: str, column: int) -> Mark:
    """Mark the token at 1-based `column` of `text` (line `line`): a quoted string through its closing
    quote, a `{name}` through its brace, else up to the next space or `+` (chord keys); past the end of
    the text, its last character."""
    start = column - 1
    if start >= len(text):
        return Mark(line=line, start=max(0, len(text) - 1), end=len(text))
    close = {'"': '"', "'": "'", "{": "}"}.get(text[start])
    if close is not None:
        end = text.find(close, start + 1)
        return Mark(line=line, start=start, end=len(text) if end < 0 else end + 1)
    end = start + 1
    while end < len(text) and not text[end].isspace() and text[end] != "+":
        end += 1
    return Mark(line=line, start=start, end=end)


def monospace(point_size: int = 10) -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSize(point_size)
    return font


class CodeEdit(QPlainTextEdit):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._marks: tuple[Mark, ...] = ()
        self._gutter = _Gutter(self)
        self.setFont(monospace())
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabStopDistance(4 * self.fontMetrics().horizontalAdvance(" "))
        self.document().setDocumentMargin(6)
        self.blockCountChanged.connect(self._fit_gutter)
        self.updateRequest.connect(self._scroll_gutter)
        self.cursorPositionChanged.connect(self._refresh_selections)
        self._fit_gutter()
        self._refresh_selections()

    def set_marks(self, marks: Sequence[Mark]) -> None:
        self._marks = tuple(marks)
        self._refresh_selections()
        self._gutter.update()

    def go_to(self, line: int, column: int) -> None:
        """Put the cursor at a 1-based line and column (clamped to the text) and focus the editor."""
        block = self.document().findBlockByNumber(max(0, line - 1))
        if not block.isValid():
            block = self.document().lastBlock()
        cursor = QTextCursor(block)
        cursor.setPosition(block.position() + min(max(0, column - 1), block.length() - 1))
        self.setTextCursor(cursor)
        self.ensureCursorVisible()
        self.setFocus()

    # ------------------------------------------------------------ selections
    def _refresh_selections(self) -> None:
        selections = []
        if not self.isReadOnly():
            line = QTextCharFormat()
            line.setBackground(CURRENT_LINE)
            line.setProperty(QTextFormat.Property.FullWidthSelection, True)
            cursor = self.textCursor()
            cursor.clearSelection()
            selections.append(_selection(cursor, line))
        wavy = QTextCharFormat()
        wavy.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        wavy.setUnderlineColor(ERROR)
        for mark in self._marks:
            block = self.document().findBlockByNumber(mark.line - 1)
            if not block.isValid():
                continue
            cursor, last = QTextCursor(block), block.length() - 1
            cursor.setPosition(block.position() + min(mark.start, last))
            cursor.setPosition(block.position() + min(mark.end, last), QTextCursor.MoveMode.KeepAnchor)
            selections.append(_selection(cursor, wavy))
        self.setExtraSelections(selections)

    def setReadOnly(self, on: bool) -> None:
        super().setReadOnly(on)
        self._refresh_selections()

    # ------------------------------------------------------------ gutter
    def gutter_width(self) -> int:
        digits = len(str(max(1, self.blockCount())))
        return 22 + self.fontMetrics().horizontalAdvance("9") * max(2, digits)

    def _fit_gutter(self) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _scroll_gutter(self, rect: QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        area = self.contentsRect()
        self._gutter.setGeometry(QRect(area.left(), area.top(), self.gutter_width(), area.height()))

    def paint_gutter(self, event: QPaintEvent) -> None:
        painter = QPainter(self._gutter)
        painter.fillRect(event.rect(), GUTTER_BG)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        marked = {mark.line for mark in self._marks}
        current = self.textCursor().blockNumber()
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = self.fontMetrics().height()
        while block.isValid() and top <= event.rect().bottom():
            bottom = top + round(self.blockBoundingRect(block).height())
            if block.isVisible() and bottom >= event.rect().top():
                number = block.blockNumber()
                painter.setPen(GUTTER_CURRENT if number == current else GUTTER_FG)
                painter.drawText(0, top, self._gutter.width() - 8, height,
                                 Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, str(number + 1))
                if number + 1 in marked:
                    painter.setPen(Qt.PenStyle.NoPen)
                    painter.setBrush(ERROR)
                    painter.drawEllipse(5, top + height // 2 - 3, 6, 6)
            block, top = block.next(), bottom


def _selection(cursor: QTextCursor, fmt: QTextCharFormat) -> QTextEdit.ExtraSelection:
    selection = QTextEdit.ExtraSelection()
    selection.cursor, selection.format = cursor, fmt
    return selection


class _Gutter(QWidget):
    def __init__(self, editor: CodeEdit) -> None:
        super().__init__(editor)
        self._editor = editor
        editor.cursorPositionChanged.connect(self.update)

    def sizeHint(self) -> QSize:
        return QSize(self._editor.gutter_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        self._editor.paint_gutter(event)
