"""Qt's own (non-native) file dialog at 1100x860 on a folder of 40 files, for the accessibility bench:
prints the chosen path and quits. Argument: the folder."""
import sys

from PySide6.QtWidgets import QApplication, QFileDialog


def main() -> int:
    app = QApplication(sys.argv)
    dialog = QFileDialog(None, "Open File", sys.argv[1])
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    dialog.resize(1100, 860)
    dialog.move(100, 60)
    dialog.fileSelected.connect(lambda path: print(path, flush=True))
    dialog.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
