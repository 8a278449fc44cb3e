"""`make screenshots`: pictures of the main window — idle, waiting for an approval, after a run, the
Memory tab with that run remembered — what grounding learned from it, and the indicator shown while
recording, written to build/screenshots/ as PNGs.

Everything in them is real: the bundled sample app on a fresh Xvfb, the demo task run on it by the
engine in "Approve each step" mode, each approval given through the approval panel's button. The window
itself is rendered offscreen (QT_QPA_PLATFORM=offscreen), so it is not on the display the agent sees.
The run is remembered in a temporary user data folder, never in the person's own memory.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QListWidget, QPushButton, QTableWidget, QTabWidget, QWidget

from desktop_agent.demo.display import start_virtual_display
from desktop_agent.recording.listener import DEFAULT_STOP_HOTKEY
from desktop_agent.safety.approvals import Proposal
from ui.app import build_main_window
from ui.learned_dialog import LearnedDialog
from ui.record_control import RecordingIndicator
from ui.settings import Mode, Settings, save_settings

TASK = Path(__file__).resolve().parents[1] / "desktop_agent" / "demo" / "order_task.yaml"
OUT = Path("build/screenshots")
SIZE = (1440, 900)
SHOW_AT = 'click "Submit order"'  # the approval pictured: the step the shipped policy confirms
DETAILS_OF = 4  # the step whose details are open in the last picture (0-based)
PAUSE_MS = 400  # let a new state paint before it is pictured


def main() -> int:
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    OUT.mkdir(parents=True, exist_ok=True)
    with ExitStack() as cleanup:
        work = Path(cleanup.enter_context(tempfile.TemporaryDirectory()))
        os.environ["XDG_DATA_HOME"] = str(work / "data")
        display = cleanup.enter_context(start_virtual_display())
        os.environ["DISPLAY"] = display.name
        sample = subprocess.Popen([sys.executable, "-m", "desktop_agent.demo.sample_app", "--geometry",
                                   "+420+200", "--save-path", str(work / "order.json")],
                                  stdout=subprocess.DEVNULL)
        cleanup.callback(sample.wait)
        cleanup.callback(sample.terminate)
        app = QApplication(sys.argv[:1])
        store = QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)
        save_settings(store, Settings(mode=Mode.APPROVE, trace_root=work / "traces"))
        window = build_main_window(store)
        window.open_task(TASK)
        window.resize(*SIZE)
        window.show()

        pictured: list[Path] = []

        def save(widget: QWidget, name: str) -> None:
            path = OUT / f"{name}.png"
            widget.grab().save(str(path))
            pictured.append(path)
            print(path)

        def picture(name: str) -> None:
            save(window, name)

        def approve() -> None:
            window.approval.findChild(QPushButton, "approve").click()

        def asked(proposal: Proposal) -> None:
            if proposal.request.step_text == SHOW_AT:
                QTimer.singleShot(PAUSE_MS, lambda: (picture("2-approval"), approve()))
            else:
                QTimer.singleShot(100, approve)

        def finished(_result: object) -> None:
            window.timeline.findChild(QListWidget).setCurrentRow(DETAILS_OF)
            QTimer.singleShot(PAUSE_MS, lambda: (picture("3-after-run"), show_memory()))

        def show_memory() -> None:
            window.findChild(QTabWidget).setCurrentWidget(window.memory_panel)  # it reads when shown
            QTimer.singleShot(PAUSE_MS, lambda: (
                window.memory_panel.findChild(QTableWidget, "memoryTasks").selectRow(0),
                QTimer.singleShot(PAUSE_MS, memory_shown)))

        def memory_shown() -> None:
            picture("4-memory")
            window.memory_panel.findChild(QPushButton, "learnedButton").click()
            QTimer.singleShot(PAUSE_MS, learned_shown)

        def learned_shown() -> None:
            save(window.memory_panel.findChild(LearnedDialog), "5-learned")
            indicator = RecordingIndicator(DEFAULT_STOP_HOTKEY)
            indicator.set_listening(True)
            indicator.show_on_top()
            QTimer.singleShot(PAUSE_MS, lambda: (save(indicator, "6-recording"), indicator.close(),
                                                 window.close()))

        def start() -> None:
            picture("1-idle")
            if not window.start_run():
                print(window.statusBar().currentMessage(), file=sys.stderr)
                window.close()

        window.control.approvalRequested.connect(asked)
        window.control.runFinished.connect(finished)
        QTimer.singleShot(1500, start)  # the sample app maps and paints meanwhile
        app.exec()
    return 0 if len(pictured) == 6 else 1


if __name__ == "__main__":
    sys.exit(main())
