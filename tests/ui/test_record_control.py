"""Record from the main window with a scripted recorder and perceiver: the task is named by the real
`describe`, written by the real writer and opened in the editor; the app's own indicator is neither
perceived nor recorded; cancelling, failures and closing mid-recording leave nothing behind."""
from __future__ import annotations

import os
import time
from contextlib import nullcontext
from dataclasses import replace

import numpy as np
import pytest
from fake_engine import FakeRuns
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox, QPushButton

from desktop_agent.core.actions import MouseButton
from desktop_agent.core.values import Element, Frame, Point, Rect, Role, Screen, Window
from desktop_agent.recording.events import KeyDown, MousePress, MouseRelease, Snapshot
from desktop_agent.recording.listener import RecorderUnavailable
from ui.main_window import MainWindow
from ui.settings import Mode, Settings, save_settings

TIMEOUT_MS = 5000
APP = Window(id=1, title="Orders", wm_class="Orders", box=Rect(left=100, top=100, width=400, height=300),
             pid=4242)
OURS = Window(id=2, title="Desktop Agent — recording", wm_class="desktop-agent",
              box=Rect(left=300, top=0, width=200, height=40), pid=os.getpid())
SUBMIT = Element(role=Role.BUTTON, box=Rect(left=200, top=300, width=80, height=30), text="Submit",
                 window_id=1)


def snapshot() -> Snapshot:
    image = np.full((600, 800, 3), 40, np.uint8)
    image[100:400, 100:500] = 200
    image[300:330, 200:280] = 120  # the button
    image[150:190, 150:190] = np.random.default_rng(7).integers(0, 255, (40, 40, 3), dtype=np.uint8)
    return Snapshot(frame=Frame(image=image, region=Rect(left=0, top=0, width=800, height=600)),
                    windows=(APP, OURS), focused=APP, time=1.0)


def click(x: int, y: int, at: float, before: Snapshot) -> list:
    point = Point(x=x, y=y)
    return [MousePress(point=point, button=MouseButton.LEFT, time=at, before=before),
            MouseRelease(point=point, button=MouseButton.LEFT, time=at + 0.05)]


def the_task() -> list:
    """Submit clicked, a featureless-but-unique spot (no words: an image step and a note), then the
    indicator's Stop, which must not end up in the task."""
    shot = snapshot()
    return [*click(240, 315, 2.0, shot), *click(170, 170, 3.0, shot), *click(400, 20, 4.0, shot)]


class FakeRecorder:
    """`InputRecorder`'s interface over scripted events; `by_hotkey` ends it as the stop hotkey would."""

    def __init__(self, events: list, *, by_hotkey: bool = False, problem: Exception | None = None) -> None:
        self._events, self.by_hotkey, self.problem = events, by_hotkey, problem
        self.hotkey = ""
        self.started = self.stopped = False

    def __call__(self, hotkey: str) -> FakeRecorder:  # the factory
        self.hotkey = hotkey
        return self

    def start(self) -> None:
        if self.problem is not None:
            raise self.problem
        self.started = True

    def stop(self) -> None:
        self.stopped = True

    def wait(self, timeout_s: float) -> bool:
        if self.by_hotkey:
            return True
        time.sleep(min(timeout_s, 0.02))
        return False

    def events(self) -> list:
        return list(self._events)


class FakePerceiver:
    """Sees the Submit button in the app's window; remembers which windows it was told to skip."""

    def __init__(self) -> None:
        self.skipped: list[frozenset[int]] = []

    def __call__(self) -> FakePerceiver:  # the factory
        return self

    def perceive(self, frame, windows, *, skip=frozenset()) -> Screen:
        self.skipped.append(skip)
        return Screen(frame=frame, elements=(SUBMIT,), windows=tuple(windows))

    def read_texts(self, image) -> list[Element]:
        return [replace(SUBMIT, role=Role.TEXT, window_id=None)]


@pytest.fixture
def perceiver() -> FakePerceiver:
    return FakePerceiver()


@pytest.fixture
def make_window(qtbot, tmp_path, perceiver):
    def make(recorder: FakeRecorder) -> MainWindow:
        store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        save_settings(store, Settings(mode=Mode.AUTONOMOUS, trace_root=tmp_path / "traces"))
        window = MainWindow(factory=FakeRuns(), brakes=lambda runner, hotkey: nullcontext(), store=store,
                            tray=False, memory_path=tmp_path / "memory.sqlite3", recorder=recorder,
                            perceiver=perceiver)
        qtbot.addWidget(window)
        window.show()
        return window
    return make


def save_as(monkeypatch, path) -> list:
    """The file dialog answers `path` (None: cancelled); returns the list of dialogs asked."""
    asked = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *args, **kwargs: asked.append(args) or (str(path) if path else "", ""))
    return asked


def messages(window: MainWindow) -> list[str]:
    return [f"{box.text()}\n{box.informativeText()}" for box in window.findChildren(QMessageBox)
            if box.isVisible()]


def test_the_recorded_task_is_written_and_opened_in_the_editor(qtbot, make_window, perceiver, tmp_path,
                                                               monkeypatch):
    recorder = FakeRecorder(the_task())
    window = make_window(recorder)
    path = tmp_path / "order.yaml"
    save_as(monkeypatch, path)
    indicator = window.recorder.indicator
    with qtbot.waitSignal(window.recorder.busyChanged, timeout=TIMEOUT_MS,
                          check_params_cb=lambda busy: not busy):
        window._record.trigger()
        assert window.recorder.busy and not window.isVisible() and indicator.isVisible()
        assert not window._run.isEnabled() and not window._record.isEnabled()
        assert indicator.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
        qtbot.waitUntil(lambda: "Recording…" in indicator.text, timeout=TIMEOUT_MS)
        qtbot.mouseClick(indicator.findChild(QPushButton, "stopRecording"), Qt.MouseButton.LeftButton)
    assert window.isVisible() and not indicator.isVisible() and not window.recorder.busy
    assert recorder.hotkey == "<ctrl>+<alt>+r" and recorder.stopped
    assert path.is_file() and (tmp_path / "order.assets").is_dir()
    assert window.editor.path == path and window._run.isEnabled()
    steps = [step.text for step in window.editor.plan().steps]
    assert len(steps) == 2 and steps[0] == 'click "Submit"'  # the indicator's Stop is not a step
    assert "image:" in steps[1] or steps[1].startswith("click at")
    assert perceiver.skipped and all(skip == frozenset({OURS.id}) for skip in perceiver.skipped)
    (note,) = messages(window)
    assert "Recorded 2 steps" in note and "step 2:" in note
    assert "Recorded 2 steps into" in window.statusBar().currentMessage()


def test_the_stop_hotkey_ends_the_recording_too(qtbot, make_window, tmp_path, monkeypatch):
    window = make_window(FakeRecorder(click(240, 315, 2.0, snapshot()), by_hotkey=True))
    save_as(monkeypatch, tmp_path / "submit")  # no suffix given: .yaml added
    with qtbot.waitSignal(window.recorder.recorded, timeout=TIMEOUT_MS) as recorded:
        window._record.trigger()
    assert recorded.args[0] == tmp_path / "submit.yaml"
    assert recorded.args[1].steps == ('click "Submit"',) and recorded.args[1].notes == ()
    qtbot.waitUntil(lambda: not window.recorder.busy, timeout=TIMEOUT_MS)
    assert window.editor.path == tmp_path / "submit.yaml" and messages(window) == []


def test_cancelling_the_file_dialog_does_nothing(qtbot, make_window, monkeypatch):
    recorder = FakeRecorder(the_task())
    window = make_window(recorder)
    asked = save_as(monkeypatch, None)
    window._record.trigger()
    assert asked and recorder.hotkey == "" and not recorder.started
    assert not window.recorder.busy and window.isVisible() and not window.recorder.indicator.isVisible()


@pytest.mark.parametrize(("recorder", "expected"), [
    (FakeRecorder([], problem=RecorderUnavailable("no global input hook: no X RECORD extension")),
     "no X RECORD extension"),
    (FakeRecorder([], by_hotkey=True), "nothing was recorded"),
    (FakeRecorder([KeyDown(key="f20", char=None, time=1.0)], by_hotkey=True), "nothing was recorded"),
])
def test_a_failure_is_shown_and_nothing_is_written(qtbot, make_window, tmp_path, monkeypatch, recorder,
                                                   expected):
    window = make_window(recorder)
    window.editor.set_task(name="mine", steps=['click "OK"'])
    path = tmp_path / "order.yaml"
    save_as(monkeypatch, path)
    with qtbot.waitSignal(window.recorder.busyChanged, timeout=TIMEOUT_MS,
                          check_params_cb=lambda busy: not busy):
        window._record.trigger()
    (message,) = messages(window)
    assert "not saved" in message and expected in message
    assert not path.exists() and not (tmp_path / "order.assets").exists()
    assert window.isVisible() and window.editor.plan().name == "mine" and window._run.isEnabled()


def test_a_stray_assets_folder_is_refused_before_recording(qtbot, make_window, tmp_path, monkeypatch):
    recorder = FakeRecorder(the_task())
    window = make_window(recorder)
    (tmp_path / "order.assets").mkdir()
    save_as(monkeypatch, tmp_path / "order.yaml")
    window._record.trigger()
    (message,) = messages(window)
    assert "order.assets already exists" in message and not recorder.started and not window.recorder.busy


def test_closing_the_window_while_recording_drops_the_recording(qtbot, make_window, tmp_path, monkeypatch):
    recorder = FakeRecorder(the_task())
    window = make_window(recorder)
    save_as(monkeypatch, tmp_path / "order.yaml")
    window._record.trigger()
    qtbot.waitUntil(lambda: "Recording…" in window.recorder.indicator.text, timeout=TIMEOUT_MS)
    window.close()  # returns once the recorder's thread has ended (the autouse fixture checks)
    qtbot.wait(50)  # what the worker reported before it ended is ignored: the window stays closed
    assert recorder.stopped and not window.isVisible() and not window.recorder.indicator.isVisible()
    assert not (tmp_path / "order.yaml").exists()
