"""A one-field Qt (PySide6) window for end-to-end typing tests: prints the field's text as one JSON
line when Enter is pressed in it, then quits."""
import json
import sys

from PySide6.QtWidgets import QApplication, QFormLayout, QLineEdit, QWidget


def main() -> int:
    app = QApplication(sys.argv)
    window = QWidget()
    window.setWindowTitle("Qt Form")
    layout = QFormLayout(window)
    field = QLineEdit()
    field.setMinimumWidth(420)
    layout.addRow("Name", field)

    def submit() -> None:
        print(json.dumps({"name": field.text()}, ensure_ascii=False), flush=True)
        app.quit()

    field.returnPressed.connect(submit)
    window.move(int(sys.argv[1]) if len(sys.argv) > 1 else 100, 100)
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
