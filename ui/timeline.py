"""The run's steps as a list: status, time and a thumbnail per step, and the details of the selected one
(before/after screenshots, the grounding explanation, the error).

Rows are numbered from 1 on screen; `StepView.index` and `stepSelected` use the runner's 0-based index.
"""
from __future__ import annotations

import functools
import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices, QPainter, QPainterPath, QPen, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ui.images import fitted, load_pixmap
from ui.style import label

STATUSES = ("pending", "running", "succeeded", "unverified", "failed", "skipped", "denied", "stopped")
STATUS_COLOURS = {"pending": "#8c959f", "running": "#0969da", "succeeded": "#1a7f37", "unverified": "#9a6700",
                  "failed": "#cf222e", "denied": "#cf222e", "skipped": "#9a6700", "stopped": "#9a6700"}
_FINISHED = frozenset(STATUSES) - {"pending", "running"}
_PROBLEMS = ("unverified", "failed", "denied", "stopped")
_THUMB = QSize(96, 56)
_ROW_HEIGHT = 66
_MUTED = "#6e7781"
_STYLE = f"""
QLabel#title {{ font-size: 11pt; font-weight: 600; }}
QLabel#muted, QLabel#number, QLabel#ms {{ color: {_MUTED}; }}
QLabel#caption {{ color: {_MUTED}; font-size: 8pt; font-weight: 600; letter-spacing: 1px; }}
QLabel#thumb {{ background: #eaeef2; border-radius: 3px; color: #afb8c1; font-size: 7pt; }}
QLabel#shot {{ background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 4px; color: #8c959f; }}
QLabel#error {{ color: #cf222e; }}
QListWidget {{ border: 1px solid #d0d7de; border-radius: 4px; outline: none; }}
QListWidget::item {{ border-bottom: 1px solid #eaeef2; }}
QListWidget::item:selected {{ background: #ddf4ff; }}
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class StepView:
    """What the timeline shows for one step (index is the runner's, from 0)."""

    index: int
    text: str
    status: str  # one of STATUSES
    total_ms: float | None = None
    thumbnail: Path | None = None
    before: Path | None = None
    after: Path | None = None
    why: str = ""
    error: str | None = None
    retried_because: str | None = None  # why a second attempt was made

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown step status {self.status!r}; expected one of {', '.join(STATUSES)}")
        if self.index < 0:
            raise ValueError(f"step index must be >= 0, got {self.index}")


class Timeline(QWidget):
    stepSelected = Signal(int)  # the selected row's step index (by click or arrow keys)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(_STYLE)
        self._views: list[StepView] = []
        self._report: Path | None = None
        self._summary = label("", "muted")
        self._open = QPushButton("Open report")
        self._open.setObjectName("openReport")
        self._open.setToolTip("Open the run's HTML report in the browser")
        self._open.clicked.connect(self._open_report)
        header = QHBoxLayout()
        header.setSpacing(10)
        header.addWidget(label("Steps", "title"))
        header.addWidget(self._summary)
        header.addStretch(1)
        header.addWidget(self._open)
        self._list = QListWidget()
        self._list.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self._list.currentRowChanged.connect(self._selected)
        self._details = _Details()
        split = QSplitter(Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)
        split.addWidget(self._list)
        split.addWidget(self._details)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 12)
        layout.setSpacing(8)
        layout.addLayout(header)
        layout.addWidget(split, 1)
        self.reset(())

    # ------------------------------------------------------------ API
    def reset(self, texts: Sequence[str]) -> None:
        """One pending row per step; forgets the previous run's details and report."""
        self._list.blockSignals(True)
        self._list.clear()
        self._list.blockSignals(False)
        self._views = []
        for text in texts:
            self._add_row(text)
        self._details.hide()
        self.set_report(None)
        self._update_summary()

    def append(self, text: str) -> None:
        """One more pending row (a served session's steps come one at a time)."""
        self._add_row(text)
        self._update_summary()

    def update_step(self, view: StepView) -> None:
        """Show `view` in its row (IndexError for an index reset() did not create)."""
        if not 0 <= view.index < len(self._views):
            raise IndexError(f"no step {view.index}: the timeline has {len(self._views)} steps")
        self._views[view.index] = view
        item = self._list.item(view.index)
        self._show_row(item, view)
        if view.status == "running":
            self._list.scrollToItem(item)
        if self._list.currentRow() == view.index:
            self._details.show_view(view)
        self._update_summary()

    def set_report(self, path: Path | None) -> None:
        self._report = path
        self._open.setEnabled(path is not None)
        self._open.setToolTip(str(path) if path else "The report is written when the run ends")

    def details(self, index: int) -> StepView | None:
        return self._views[index] if 0 <= index < len(self._views) else None

    def row_text(self, index: int) -> str:
        """What row `index` says, as plain text ("2  click "OK"  succeeded  120 ms")."""
        return self._list.item(index).data(Qt.ItemDataRole.AccessibleTextRole)

    # ------------------------------------------------------------ internals
    def _add_row(self, text: str) -> None:
        view = StepView(index=len(self._views), text=text, status="pending")
        self._views.append(view)
        item = QListWidgetItem()
        item.setSizeHint(QSize(0, _ROW_HEIGHT))
        self._list.addItem(item)
        self._list.setItemWidget(item, _Row(view))
        self._show_row(item, view)

    def _show_row(self, item: QListWidgetItem, view: StepView) -> None:
        self._list.itemWidget(item).show_view(view)
        words = [str(view.index + 1), view.text, view.status]
        if view.total_ms is not None:
            words.append(f"{view.total_ms:,.0f} ms")
        item.setData(Qt.ItemDataRole.AccessibleTextRole, "  ".join(words))

    def _selected(self, row: int) -> None:
        view = self.details(row)
        if view is None:
            self._details.hide()
            return
        self._details.show_view(view)
        self._details.show()
        self.stepSelected.emit(row)

    def _open_report(self) -> None:
        if self._report is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._report)))

    def _update_summary(self) -> None:
        done = sum(v.status in _FINISHED for v in self._views)
        text = f"{done} of {len(self._views)} done" if self._views else "No run yet"
        problems = [f"{n} {s}" for s in _PROBLEMS if (n := sum(v.status == s for v in self._views))]
        self._summary.setText(" · ".join([text, *problems]))


class _Row(QWidget):
    """One step: status icon, number, text over a coloured status line, time, thumbnail."""

    def __init__(self, view: StepView) -> None:
        super().__init__()
        self._icon = QLabel()
        self._icon.setFixedSize(18, 18)
        self._number = label(f"{view.index + 1}", "number")
        self._number.setFixedWidth(22)
        self._number.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._text = _ElidedLabel()
        self._status = QLabel()
        self._problem = _ElidedLabel()
        self._problem.setObjectName("muted")
        self._ms = label("", "ms")
        self._ms.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._ms.setMinimumWidth(60)
        self._thumb = label("", "thumb")
        self._thumb.setFixedSize(_THUMB)
        self._thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lines = QVBoxLayout()
        lines.setSpacing(2)
        lines.addStretch(1)
        lines.addWidget(self._text)
        status = QHBoxLayout()
        status.setSpacing(6)
        status.addWidget(self._status)
        status.addWidget(self._problem, 1)
        lines.addLayout(status)
        lines.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(10)
        layout.addWidget(self._icon)
        layout.addWidget(self._number)
        layout.addLayout(lines, 1)
        layout.addWidget(self._ms)
        layout.addWidget(self._thumb)

    def show_view(self, view: StepView) -> None:
        colour = STATUS_COLOURS[view.status]
        self._icon.setPixmap(status_icon(view.status))
        self._text.set_full_text(view.text)
        self._status.setText(view.status)
        self._status.setStyleSheet(f"color: {colour}; font-weight: 600;")
        self._problem.set_full_text(view.error.splitlines()[0] if view.error else "")
        self._ms.setText(f"{view.total_ms:,.0f} ms" if view.total_ms is not None else "")
        pixmap = load_pixmap(view.thumbnail)
        if pixmap is None:  # setText drops any earlier picture
            self._thumb.setText("no shot" if view.status in _FINISHED else "")
        else:
            self._thumb.setPixmap(fitted(pixmap, _THUMB))


class _Details(QFrame):
    """The selected step: title, before/after side by side, why, why it was tried again, error."""

    def __init__(self) -> None:
        super().__init__()
        self._title = label("", "title")
        self._title.setTextFormat(Qt.TextFormat.RichText)  # the status in its colour; text escaped
        self._title.setWordWrap(True)
        self._before, self._after = _Shot(), _Shot()
        self._why = label("", "")
        self._why.setWordWrap(True)
        self._why.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._retried = label("", "retried")
        self._retried.setWordWrap(True)
        self._retried.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._error = label("", "error")
        self._error.setWordWrap(True)
        self._error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        shots = QGridLayout()
        shots.setHorizontalSpacing(10)
        shots.setVerticalSpacing(4)
        for column, (name, shot) in enumerate((("BEFORE", self._before), ("AFTER", self._after))):
            shots.addWidget(label(name, "caption"), 0, column)
            shots.addWidget(shot, 1, column)
            shots.setColumnStretch(column, 1)
        shots.setRowStretch(1, 1)
        self._why_caption = label("WHY THIS TARGET", "caption")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self._title)
        layout.addLayout(shots, 1)
        layout.addWidget(self._why_caption)
        layout.addWidget(self._why)
        layout.addWidget(self._retried)
        layout.addWidget(self._error)

    def show_view(self, view: StepView) -> None:
        colour = STATUS_COLOURS[view.status]
        timing = f" · {view.total_ms:,.0f} ms" if view.total_ms is not None else ""
        self._title.setText(f'{view.index + 1}. {html.escape(view.text)}  <span style="color:{colour}; '
                            f'font-size:9pt">{view.status}{timing}</span>')
        self._before.set_path(view.before)
        self._after.set_path(view.after)
        self._why.setText(view.why)
        self._why.setVisible(bool(view.why))
        self._why_caption.setVisible(bool(view.why))
        self._retried.setText(f"Tried again because: {view.retried_because}" if view.retried_because else "")
        self._retried.setVisible(bool(view.retried_because))
        self._error.setText(view.error or "")
        self._error.setVisible(bool(view.error))


class _Shot(QLabel):
    """A screenshot scaled to fit the label as it resizes."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("shot")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setMinimumSize(120, 90)
        self._pixmap: QPixmap | None = None

    def set_path(self, path: Path | None) -> None:
        self._pixmap = load_pixmap(path)
        self.setToolTip(str(path) if path else "")
        if self._pixmap is None:  # setText drops any earlier picture
            self.setText("screenshot missing" if path else "no screenshot")
        self._rescale()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._rescale()

    def _rescale(self) -> None:
        if self._pixmap is not None:
            inner = self.contentsRect().size() - QSize(4, 4)
            self.setPixmap(self._pixmap.scaled(inner, Qt.AspectRatioMode.KeepAspectRatio,
                                               Qt.TransformationMode.SmoothTransformation))


class _ElidedLabel(QLabel):
    """One line of text shortened with "…" to the width it gets; the full text is the tooltip."""

    def __init__(self) -> None:
        super().__init__()
        self._full = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight,
                                                   max(self.width(), 40)))


@functools.cache
def status_icon(status: str) -> QPixmap:
    """A 16 px disc in the status colour with a white mark; pending is a hollow ring."""
    colour = QColor(STATUS_COLOURS[status])
    pixmap = QPixmap(32, 32)  # drawn at 2x, shown at 16 px
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    disc = QRectF(3, 3, 26, 26)
    if status == "pending":
        painter.setPen(QPen(colour, 3))
        painter.drawEllipse(disc)
    else:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawEllipse(disc)
        painter.setPen(QPen(QColor("white"), 3.2, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                            Qt.PenJoinStyle.RoundJoin))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(_MARKS[status]())
    painter.end()
    pixmap.setDevicePixelRatio(2)
    return pixmap


def _path(*strokes: Sequence[tuple[float, float]]) -> QPainterPath:
    path = QPainterPath()
    for stroke in strokes:
        path.moveTo(*stroke[0])
        for point in stroke[1:]:
            path.lineTo(*point)
    return path


def _running_mark() -> QPainterPath:
    path = QPainterPath()
    path.addEllipse(QPointF(16, 16), 3.5, 3.5)
    return path


_MARKS = {
    "running": _running_mark,
    "succeeded": lambda: _path(((10, 16.5), (14.5, 21), (22.5, 11.5))),
    "unverified": lambda: _path(((16, 9), (16, 18)), ((16, 22), (16, 23))),
    "failed": lambda: _path(((11, 11), (21, 21)), ((21, 11), (11, 21))),
    "denied": lambda: _path(((10, 16), (22, 16))),
    "skipped": lambda: _path(((10, 11), (15, 16), (10, 21)), ((17, 11), (22, 16), (17, 21))),
    "stopped": lambda: _path(((12, 12), (20, 12), (20, 20), (12, 20), (12, 12))),
}
