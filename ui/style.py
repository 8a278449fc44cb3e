"""How the main window looks: its style sheet, the colour of each run state, the app's icon, and labels
named for the style sheet."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QLabel

# The status bar's state pill: RunControl's state kinds, RunStatus values included.
STATE_COLOURS = {"idle": "#6e7781", "running": "#0969da", "asking": "#9a6700", "paused": "#9a6700",
                 "stopping": "#cf222e", "succeeded": "#1a7f37", "unverified": "#9a6700", "failed": "#cf222e",
                 "stopped": "#9a6700", "denied": "#cf222e", "crashed": "#cf222e"}
STYLE = """
QToolBar { spacing: 4px; padding: 4px 8px; border: none; border-bottom: 1px solid #d0d7de; }
QToolBar QToolButton { padding: 4px 8px; }
QToolButton#run:enabled { color: #1a7f37; font-weight: 600; }
QToolButton#stop:enabled { color: #cf222e; font-weight: 600; }
QLabel#paneTitle { font-size: 11pt; font-weight: 600; }
QLabel#muted { color: #6e7781; }
QWidget#approvalFrame { border-top: 1px solid #d0d7de; background: #f6f8fa; }
QSplitter::handle { background: #d0d7de; }
QSplitter::handle:horizontal { width: 1px; }
QSplitter::handle:vertical { height: 1px; }
"""


def record_icon() -> QIcon:
    """A red dot, as on a recorder's button."""
    pixmap = QPixmap(32, 32)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#cf222e"))
    painter.drawEllipse(6, 6, 20, 20)
    painter.end()
    return QIcon(pixmap)


def app_icon(acting: bool = False) -> QIcon:
    """A target reticle; red while the agent acts (the tray shows it then)."""
    pixmap = QPixmap(64, 64)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    accent = QColor("#cf222e" if acting else "#0969da")
    painter.setBrush(accent)
    painter.drawRoundedRect(2, 2, 60, 60, 14, 14)
    for colour, inset in ((QColor("white"), 14), (accent, 22)):
        painter.setBrush(colour)
        painter.drawEllipse(inset, inset, 64 - 2 * inset, 64 - 2 * inset)
    painter.end()
    return QIcon(pixmap)


def label(text: str, name: str = "", *, wrap: bool = False) -> QLabel:
    """A label shown as plain text (step text like "<b>" must show as typed), named for the style sheet
    ("muted", "caption", ...)."""
    widget = QLabel(text)
    widget.setObjectName(name)
    widget.setTextFormat(Qt.TextFormat.PlainText)
    widget.setWordWrap(wrap)
    return widget
