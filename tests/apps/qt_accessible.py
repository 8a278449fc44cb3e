"""A Qt (PySide6) window whose accessibility tree the end-to-end tests ground on: a menu bar (File >
Export prints {"menu": "Export"}), an icon-only toolbar button whose accessible name is "Save" (prints
{"toolbar": "Save"}), one-glyph keys "7", "%" and "÷" (print {"key": ...}), a form with Name, a
Nickname field that drops every "q" typed into it (an injected fault: the application loses a
character), a Code field a click can't give the keyboard focus to, a "Gift wrap" checkbox, and Apply (prints the form as one JSON line). A status line shows
what was last done, as an application shows its effect. Arguments: x y."""
import json
import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QIcon, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QToolBar,
    QWidget,
)


class LosingField(QLineEdit):
    """Drops the letter q, as an application under load might drop a key."""

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.text().lower() == "q":
            return
        super().keyPressEvent(event)


def main() -> int:
    app = QApplication(sys.argv)
    status = QLabel("Ready")

    def say(**what: object) -> None:
        status.setText(" ".join(f"{key}: {value}" for key, value in what.items()))
        print(json.dumps(what, ensure_ascii=False), flush=True)

    window = QMainWindow()
    window.setWindowTitle("Qt Accessible")
    export = QAction("Export", window)
    export.triggered.connect(lambda: say(menu="Export"))
    file_menu = window.menuBar().addMenu("File")
    file_menu.addAction(QAction("Open", window))
    file_menu.addAction(export)
    window.menuBar().addMenu("Help")

    tools = QToolBar("Tools")
    pixmap = QPixmap(22, 22)
    pixmap.fill("#3465a4")
    save = QAction(QIcon(pixmap), "", window)  # an icon only: its name is for the accessibility tree
    save.setToolTip("Save")
    save.triggered.connect(lambda: say(toolbar="Save"))
    tools.addAction(save)
    window.addToolBar(tools)
    save_button = tools.widgetForAction(save)
    save_button.setAccessibleName("Save")

    body = QWidget()
    form = QFormLayout(body)
    name, nickname = QLineEdit(), LosingField()
    form.addRow("Name", name)
    form.addRow("Nickname", nickname)
    code = QLineEdit()
    code.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    form.addRow("Code", code)
    gift = QCheckBox("Gift wrap")
    form.addRow(gift)
    keys = QHBoxLayout()
    for glyph in ("7", "%", "÷"):
        key = QPushButton(glyph)
        key.setFixedWidth(40)
        key.clicked.connect(lambda _=False, g=glyph: say(key=g))
        keys.addWidget(key)
    form.addRow(keys)
    submit = QPushButton("Apply")
    submit.clicked.connect(lambda: say(name=name.text(), nickname=nickname.text(), code=code.text(),
                                       gift=gift.isChecked()))
    form.addRow(submit)
    form.addRow(status)
    window.setCentralWidget(body)
    window.resize(460, 320)
    window.move(int(sys.argv[1]) if len(sys.argv) > 2 else 100, int(sys.argv[2]) if len(sys.argv) > 2 else 100)
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
