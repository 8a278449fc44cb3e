"""Timeline: rows follow the steps, details hold what was set, the report button needs a report."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QLabel, QListWidget, QPushButton

from ui.timeline import StepView, Timeline

TEXTS = ['type "Ada" into the "Name" field', 'click "Submit order"', 'wait for "Saved" to appear']


@pytest.fixture
def timeline(qtbot) -> Timeline:
    widget = Timeline()
    qtbot.addWidget(widget)
    widget.resize(560, 640)
    widget.reset(TEXTS)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def shot(tmp_path: Path) -> Path:
    path = tmp_path / "step001-after.png"
    cv2.imwrite(str(path), np.full((540, 960, 3), 200, np.uint8))
    return path


def test_reset_makes_one_pending_row_per_step(timeline):
    assert timeline.findChild(QListWidget).count() == 3
    assert [timeline.details(i) for i in range(3)] == [
        StepView(index=i, text=text, status="pending") for i, text in enumerate(TEXTS)]
    assert timeline.row_text(1) == '2  click "Submit order"  pending'
    assert timeline.details(3) is None and timeline.details(-1) is None
    timeline.reset(TEXTS[:1])
    assert timeline.findChild(QListWidget).count() == 1 and timeline.details(1) is None


def test_update_shows_status_time_and_thumbnail(timeline, shot):
    view = StepView(index=0, text=TEXTS[0], status="succeeded", total_ms=123.4, thumbnail=shot,
                    before=shot, after=shot, why='label "Name" -> field')
    timeline.update_step(view)
    assert timeline.row_text(0) == '1  type "Ada" into the "Name" field  succeeded  123 ms'
    assert timeline.details(0) == view
    thumbs = [label.pixmap() for label in timeline.findChildren(QLabel, "thumb")]
    assert sorted(p.width() for p in thumbs) == [0, 0, 96]  # 960 x 540 scaled to 96 x 54
    timeline.update_step(StepView(index=2, text=TEXTS[2], status="running"))
    assert timeline.row_text(2).endswith("running")


def test_bad_views_are_refused(timeline):
    with pytest.raises(ValueError, match="unknown step status"):
        StepView(index=0, text="x", status="done")
    with pytest.raises(IndexError):
        timeline.update_step(StepView(index=3, text="x", status="failed"))


def test_clicking_a_row_selects_it_and_shows_details(timeline, qtbot, shot):
    error = 'no element matches "Submit order"; closest: "Submit"'
    timeline.update_step(StepView(index=1, text=TEXTS[1], status="failed", total_ms=3012.0,
                                  before=shot, why="tried text tiers", error=error))
    steps = timeline.findChild(QListWidget)
    error_label = timeline.findChild(QLabel, "error")
    assert not error_label.isVisible()
    with qtbot.waitSignal(timeline.stepSelected) as selected:
        qtbot.mouseClick(steps.viewport(), Qt.MouseButton.LeftButton,
                         pos=steps.visualItemRect(steps.item(1)).center())
    assert selected.args == [1]
    assert error_label.isVisible() and error_label.text() == error
    shots = timeline.findChildren(QLabel, "shot")
    assert [s.pixmap().isNull() for s in shots] == [False, True]  # before set, after missing
    assert shots[1].text() == "no screenshot"
    timeline.update_step(StepView(index=1, text=TEXTS[1], status="failed", error="changed"))
    assert error_label.text() == "changed"  # the details follow updates of the selected step


def test_why_a_step_was_tried_again_is_in_its_details(timeline, qtbot, shot):
    timeline.update_step(StepView(index=0, text=TEXTS[0], status="succeeded", before=shot,
                                  retried_because="verification failed: nothing on screen changed"))
    steps = timeline.findChild(QListWidget)
    qtbot.mouseClick(steps.viewport(), Qt.MouseButton.LeftButton, pos=steps.visualItemRect(steps.item(0)).center())
    retried = timeline.findChild(QLabel, "retried")
    assert retried.isVisible()
    assert retried.text() == "Tried again because: verification failed: nothing on screen changed"


class _Opened(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


def test_report_button_needs_a_report(timeline, qtbot, tmp_path: Path):
    button = timeline.findChild(QPushButton, "openReport")
    assert not button.isEnabled()
    report = tmp_path / "report.html"
    timeline.set_report(report)
    assert button.isEnabled()
    opened = _Opened()
    QDesktopServices.setUrlHandler("file", opened, "open")
    try:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert opened.urls == [QUrl.fromLocalFile(str(report))]
    timeline.set_report(None)
    assert not button.isEnabled()
    timeline.set_report(report)
    timeline.reset(TEXTS)
    assert not button.isEnabled()  # a new run has no report yet
