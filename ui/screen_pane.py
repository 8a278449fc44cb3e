"""The middle of the main window: what the agent sees for the current step (a caption, the live view and
its view tools) above the approval panel, which shows only while a run can ask."""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QSplitter, QToolButton, QVBoxLayout, QWidget

from ui.approval_panel import ApprovalPanel
from ui.live_view import LiveView
from ui.style import label


class ScreenPane(QSplitter):
    def __init__(self, live_view: LiveView, approval: ApprovalPanel, tools: Sequence[QAction]) -> None:
        super().__init__(Qt.Orientation.Vertical)
        header = QHBoxLayout()
        header.setContentsMargins(12, 8, 8, 6)
        header.setSpacing(10)
        title = QLabel("Screen")
        title.setObjectName("paneTitle")
        title.setToolTip("What the agent saw for the current step; its target is outlined in magenta")
        self.caption = label("nothing yet", "muted")
        self.caption.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        header.addWidget(title)
        header.addWidget(self.caption, 1)
        for action in tools:
            button = QToolButton()
            button.setDefaultAction(action)
            button.setAutoRaise(True)
            header.addWidget(button)
        screen = QWidget()
        column = QVBoxLayout(screen)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addLayout(header)
        column.addWidget(live_view, 1)
        self.approval_frame = QWidget()
        self.approval_frame.setObjectName("approvalFrame")
        self.approval_frame.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        frame = QVBoxLayout(self.approval_frame)
        frame.setContentsMargins(0, 0, 0, 0)
        frame.addWidget(approval)
        self.addWidget(screen)
        self.addWidget(self.approval_frame)
        self.setStretchFactor(0, 1)
        self.setChildrenCollapsible(False)
        self.setSizes([520, 340])
