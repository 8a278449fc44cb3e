"""Recording a task by doing it once, from the app: ask where to save it, get out of the way while the
person does the task, then name the steps and save them (`recording.session.save_actions`).

While recording, the main window is hidden and a small always-on-top indicator of our own ("Recording…
Stop") is shown instead; it never takes the keyboard focus. The recorder listens in a worker thread until
the indicator's Stop or the global stop hotkey; naming the steps (OCR, seconds) happens in the same
thread, with the main window back. Guaranteed: the GUI thread never waits for the recorder except in
`close()`; what the person did to the agent's own windows (the indicator's Stop included) is left out
of the task; every failure (no global input hook, nothing recorded, an unwritable file) is shown in a
message and leaves the editor as it was; `close()` drops a recording still listening (nothing is
written) and returns once the worker thread has ended.
Not guaranteed: that the task file is free when the recording ends if something else writes it
meanwhile — the writer then refuses, and says so.
"""
from __future__ import annotations

import functools
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, QPoint, Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication, QMouseEvent
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

from desktop_agent.compose import build_perceiver
from desktop_agent.recording.describe import Recording
from desktop_agent.recording.events import RawEvent
from desktop_agent.recording.listener import DEFAULT_STOP_HOTKEY, InputRecorder
from desktop_agent.recording.session import SnapshotPerceiver, save_actions
from desktop_agent.recording.synthesize import synthesize
from desktop_agent.recording.writer import existing_output
from ui.background import Job, Say
from ui.settings import hotkey_label

_POLL_S = 0.2  # how soon the worker notices the indicator's Stop
_LISTENING, _NAMING = "listening", "naming"  # what the worker says, in this order
_INDICATOR_STYLE = """
QWidget#recordingIndicator { background: #1f2328; border: 1px solid #cf222e; border-radius: 6px; }
QLabel { color: white; font-weight: 600; }
QPushButton { color: white; background: #cf222e; border: none; border-radius: 4px; padding: 4px 10px; }
QPushButton:hover { background: #a40e26; }
"""


class Recorder(Protocol):
    """What records the person's input (`recording.listener.InputRecorder`)."""

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def wait(self, timeout_s: float) -> bool: ...
    def events(self) -> list[RawEvent]: ...


RecorderFactory = Callable[[str], Recorder]  # given the stop hotkey; not started yet
PerceiverFactory = Callable[[], SnapshotPerceiver]


def input_recorder(hotkey: str) -> Recorder:
    """The real recorder, on $DISPLAY."""
    return InputRecorder(stop_hotkey=hotkey)


class RecordingIndicator(QWidget):
    """"● Recording… [Stop (Ctrl+Alt+R)]": a frameless, always-on-top little window at the top centre of
    the screen that never takes the keyboard focus; drag it to move it."""

    stopClicked = Signal()

    def __init__(self, hotkey: str) -> None:
        super().__init__(None, Qt.WindowType.Tool | Qt.WindowType.FramelessWindowHint
                         | Qt.WindowType.WindowStaysOnTopHint | Qt.WindowType.WindowDoesNotAcceptFocus)
        self.setObjectName("recordingIndicator")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setWindowTitle("Desktop Agent — recording")
        self.setStyleSheet(_INDICATOR_STYLE)
        self._label = QLabel()
        self._stop = QPushButton(f"Stop ({hotkey_label(hotkey)})")
        self._stop.setObjectName("stopRecording")
        self._stop.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._stop.setToolTip("End the recording and name its steps; the hotkey works anywhere")
        self._stop.clicked.connect(self.stopClicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 6, 6)
        layout.setSpacing(12)
        layout.addWidget(self._label)
        layout.addWidget(self._stop)
        self._drag: QPoint | None = None
        self.set_listening(False)

    @property
    def text(self) -> str:
        return self._label.text()

    def set_listening(self, listening: bool) -> None:
        self._label.setText("<span style='color:#ff6b6b'>●</span> Recording…" if listening else "Starting…")
        self._stop.setEnabled(listening)

    def show_on_top(self) -> None:
        self.adjustSize()
        screen = QGuiApplication.primaryScreen()
        if screen is not None:
            area = screen.availableGeometry()
            self.move(area.center().x() - self.width() // 2, area.top() + 8)
        self.show()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._drag = event.globalPosition().toPoint() - self.pos()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None:
            self.move(event.globalPosition().toPoint() - self._drag)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag = None


class RecordControl(QObject):
    busyChanged = Signal(bool)         # True from the start of a recording until it is saved or failed
    recorded = Signal(object, object)  # the task file's Path and the Recording written to it
    status = Signal(str)               # a sentence for the status bar

    def __init__(self, *, window: QWidget, secret_fields: Callable[[], re.Pattern[str]],
                 recorder: RecorderFactory = input_recorder, perceiver: PerceiverFactory = build_perceiver,
                 own_pids: frozenset[int] = frozenset({os.getpid()}), hotkey: str = DEFAULT_STOP_HOTKEY,
                 parent: QObject | None = None) -> None:
        """`window`: hidden while recording, the parent of dialogs; `secret_fields`: the applied policy's
        pattern, read when a recording starts; `own_pids`: whose windows are the agent's own."""
        super().__init__(parent)
        self._window, self._secret_fields = window, secret_fields
        self._recorder, self._perceiver, self._own_pids, self._hotkey = recorder, perceiver, own_pids, hotkey
        self._stop, self._drop = threading.Event(), threading.Event()
        self._job: Job | None = None
        self._path: Path | None = None
        self._closed = False  # the window is gone: what the worker still reports is ignored
        self.indicator = RecordingIndicator(hotkey)
        self.indicator.stopClicked.connect(self.stop)

    @property
    def busy(self) -> bool:
        return self._job is not None

    def record(self, start_dir: Path) -> bool:
        """Ask where to save the task, then start recording; False (nothing started) when the person
        cancelled, the file is taken, or a recording is already going."""
        if self._job is not None:
            return False
        chosen, _ = QFileDialog.getSaveFileName(self._window, "Record a task — save it as", str(start_dir),
                                                "Task (*.yaml *.yml)")
        if not chosen:
            return False
        path = Path(chosen) if Path(chosen).suffix in (".yaml", ".yml") else Path(f"{chosen}.yaml")
        overwrite = path == Path(chosen) and path.exists()  # the dialog asked whether to replace it
        if not overwrite and (existing := existing_output(path)) is not None:
            self._show(QMessageBox.Icon.Warning, f"{existing} already exists; choose another name.")
            return False
        work = functools.partial(_record, recorder=self._recorder, perceiver=self._perceiver,
                                 stop=self._stop, drop=self._drop, hotkey=self._hotkey, path=path,
                                 secret_fields=self._secret_fields(), own_pids=self._own_pids,
                                 overwrite=overwrite)
        job = Job(work, name=f"record {path.name}")
        job.progress.connect(self._on_progress)
        job.succeeded.connect(self._on_recorded)
        job.failed.connect(self._on_failed)
        job.thread.finished.connect(self._on_finished)
        self._stop.clear()
        self._drop.clear()
        self._job, self._path = job, path
        self.busyChanged.emit(True)
        self._window.hide()  # the person records on the desktop, not on us
        self.indicator.set_listening(False)
        self.indicator.show_on_top()
        job.start()
        return True

    @Slot()
    def stop(self) -> None:
        """End the recording (the steps are still named and saved)."""
        self._stop.set()

    def close(self) -> None:
        """Drop the recording if it is still listening (steps already being named are saved), and wait
        for its thread."""
        self._closed = True
        job = self._job
        if job is not None:
            self._drop.set()
            self.stop()
            job.wait()
        self.indicator.close()

    # ------------------------------------------------------------ the worker's signals
    @Slot(str)
    def _on_progress(self, what: str) -> None:
        if self._closed:
            return
        if what == _LISTENING:
            self.indicator.set_listening(True)
        elif what == _NAMING:
            self._come_back()
            self.status.emit("Naming the recorded steps…")

    @Slot(object)
    def _on_recorded(self, recording: Recording | None) -> None:
        if recording is None or self._closed:  # dropped: nothing was written
            return
        self._come_back()
        count = len(recording.steps)
        self.recorded.emit(self._path, recording)
        self.status.emit(f"Recorded {count} step{'s' * (count != 1)} into {self._path}")
        if recording.notes:
            self._show(QMessageBox.Icon.Information, f"Recorded {count} step{'s' * (count != 1)}. "
                       "Worth a look before running it:", "\n".join(recording.notes))

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        if self._closed:
            return
        self._come_back()
        self.status.emit("The recording was not saved")
        self._show(QMessageBox.Icon.Warning, f"The recording was not saved: {message}")

    @Slot()
    def _on_finished(self) -> None:
        if self._job is not None:
            self._job.wait()  # `finished` is emitted just before the thread's very end
        self._job = None
        if not self._closed:
            self._come_back()
            self.busyChanged.emit(False)

    def _come_back(self) -> None:
        self.indicator.hide()
        self._window.show()

    def _show(self, icon: QMessageBox.Icon, text: str, details: str = "") -> None:
        box = QMessageBox(icon, "Record a task", text, QMessageBox.StandardButton.Close, self._window)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if details:
            box.setInformativeText(details)
        box.open()


def _record(say: Say, *, recorder: RecorderFactory, perceiver: PerceiverFactory, stop: threading.Event,
            drop: threading.Event, hotkey: str, path: Path, secret_fields: re.Pattern[str],
            own_pids: frozenset[int], overwrite: bool) -> Recording | None:
    """The worker's part: listen until `stop` or the hotkey, then name and save the steps (None, nothing
    written, when `drop` was set). Touches no widget."""
    listening = recorder(hotkey)
    listening.start()  # RecorderUnavailable: no display, no X RECORD extension
    try:
        say(_LISTENING)
        while not listening.wait(_POLL_S) and not stop.is_set():
            pass
    finally:
        listening.stop()
    if drop.is_set():
        return None
    say(_NAMING)
    return save_actions(synthesize(listening.events()), perceiver(), path=path, name=path.stem,
                        secret_fields=secret_fields, own_pids=own_pids, overwrite=overwrite)
