"""What agents connect to, shown once when serving starts: the URL, the Authorization header with the
token, and a client configuration to paste — each copyable. The dialog deletes itself when closed, so
the token is held by nothing of the app's afterwards (it lasts until serving stops)."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

if TYPE_CHECKING:
    from desktop_agent.serve.http import Endpoint


def client_config(endpoint: Endpoint) -> str:
    """The `mcpServers` entry most clients read, for this endpoint."""
    return json.dumps({"mcpServers": {"desktop": {"type": "http", "url": endpoint.url,
                                                  "headers": {"Authorization": endpoint.authorization}}}},
                      indent=2)


class EndpointDialog(QDialog):
    def __init__(self, endpoint: Endpoint, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Serving agents")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        intro = QLabel("Agents on this computer can now use the desktop over MCP (streamable HTTP, only from "
                       "this machine). Every step they send is judged by your policy, verified, shown here "
                       "and, when the policy says confirm, asked of you.\n\nThe token is shown only now and "
                       "works until you stop serving. Give it only to the agent you mean.")
        intro.setWordWrap(True)
        self.url = _field(endpoint.url)
        self.header = _field(f"Authorization: {endpoint.authorization}")
        self.config = QPlainTextEdit(client_config(endpoint))
        self.config.setReadOnly(True)
        self.config.setObjectName("config")
        self.config.setFixedHeight(200)
        grid = QGridLayout(self)
        grid.addWidget(intro, 0, 0, 1, 3)
        for row, (label, text, value) in enumerate((("URL", self.url, endpoint.url),
                                                    ("Header", self.header, endpoint.authorization))):
            grid.addWidget(QLabel(label), row + 1, 0)
            grid.addWidget(text, row + 1, 1)
            grid.addWidget(_copy("Copy", value), row + 1, 2)
        grid.addWidget(QLabel("Client configuration"), 3, 0, 1, 3)
        grid.addWidget(self.config, 4, 0, 1, 2)
        grid.addWidget(_copy("Copy", self.config.toPlainText()), 4, 2, Qt.AlignmentFlag.AlignTop)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        grid.addWidget(buttons, 5, 0, 1, 3)
        self.resize(640, self.sizeHint().height())


def _field(text: str) -> QLineEdit:
    field = QLineEdit(text)
    field.setReadOnly(True)
    field.setCursorPosition(0)
    return field


def _copy(label: str, value: str) -> QPushButton:
    button = QPushButton(label)
    button.clicked.connect(lambda: QGuiApplication.clipboard().setText(value))
    return button
