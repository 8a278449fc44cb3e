"""The sample order form's Qt (PySide6) twin, for the replay bench on an application with an accessibility
tree: a "Customer name" field and a "Submit order" button at fixed places, and on Submit the same JSON
line the Tk sample prints ({"event": "submit", "customer": ...}). Arguments: --geometry +X+Y."""
import argparse
import json
import sys

from PySide6.QtCore import QLoggingCategory
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton, QWidget

TITLE = "Qt Order Form"
FIELD = (150, 24, 240, 28)    # window-relative x, y, width, height
SUBMIT = (20, 110, 140, 32)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--geometry", default="+100+100")
    _, x, y = parser.parse_args().geometry.split("+")
    app = QApplication(sys.argv[:1])
    QLoggingCategory.setFilterRules("qt.accessibility.atspi=false")  # it names each event it can't send
    window = QWidget()
    window.setWindowTitle(TITLE)
    window.setFixedSize(420, 170)
    label = QLabel("Customer name", window)
    label.setGeometry(20, 28, 120, 20)
    field = QLineEdit(window)
    field.setGeometry(*FIELD)
    label.setBuddy(field)
    submit = QPushButton("Submit order", window)
    submit.setGeometry(*SUBMIT)
    submit.clicked.connect(lambda: print(json.dumps({"event": "submit", "customer": field.text()},
                                                    ensure_ascii=False), flush=True))
    window.move(int(x), int(y))
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
