"""A Qt (PySide6) settings dialog for end-to-end tests: tabs General, Appearance, Network, Advanced;
prints {"tab": TITLE} as one JSON line each time the current tab changes."""
import json
import sys

from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QFormLayout,
    QLineEdit,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)


def main() -> int:
    app = QApplication(sys.argv)
    dialog = QDialog()
    dialog.setWindowTitle("Settings")
    tabs = QTabWidget()
    for title in ("General", "Appearance", "Network", "Advanced"):
        page = QWidget()
        form = QFormLayout(page)
        form.addRow(f"{title} name", QLineEdit())
        form.addRow(QCheckBox(f"Enable {title.lower()} options"))
        tabs.addTab(page, title)
    tabs.currentChanged.connect(
        lambda index: print(json.dumps({"tab": tabs.tabText(index)}), flush=True))
    layout = QVBoxLayout(dialog)
    layout.addWidget(tabs)
    dialog.resize(520, 320)
    dialog.move(300, 200)
    dialog.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
