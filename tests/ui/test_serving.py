"""The app's "Serve agents" over the real engine loop on a scripted desktop and the real HTTP server:
an agent (the SDK's streamable-HTTP client) acts, its steps appear in the timeline as they happen, a
policy `confirm` its client can't ask stops at the approval panel, and the agent gets the person's
answer as the tool's result; stopping or closing the window ends serving with no thread left."""
from __future__ import annotations

from contextlib import nullcontext

import pytest
from fake_engine import DELETE, OK, FakeRuns
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QPushButton
from served_agent import Agent

from desktop_agent.core.actions import MouseClick
from desktop_agent.core.results import RunStatus
from ui.main_window import MainWindow
from ui.settings import Mode, Settings, save_settings

TIMEOUT_MS = 10000


@pytest.fixture
def runs() -> FakeRuns:
    return FakeRuns()


@pytest.fixture
def window(qtbot, tmp_path, runs) -> MainWindow:
    store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    save_settings(store, Settings(mode=Mode.AUTONOMOUS, trace_root=tmp_path / "traces"))
    window = MainWindow(factory=runs, brakes=lambda runner, hotkey: nullcontext(), store=store, tray=False)
    qtbot.addWidget(window)
    window.show()
    return window


@pytest.fixture
def agent(qtbot, window):
    """Serving from the app's toggle, and an agent connected to it; serving ends after the test."""
    with qtbot.waitSignal(window.control.endpointReady, timeout=TIMEOUT_MS) as ready:
        window._serve.trigger()
    client = Agent(ready.args[0])
    yield client
    client.close()
    if window.control.running:
        with qtbot.waitSignal(window.control.runFinished, timeout=TIMEOUT_MS):
            window._serve.trigger()


def result(qtbot, future):
    qtbot.waitUntil(future.done, timeout=TIMEOUT_MS)
    return future.result()


def shown(qtbot, window: MainWindow, statuses: list[str]) -> None:
    """The timeline hears of a step through the GUI's event queue, the agent through HTTP: either may be
    first, so the rows are awaited, not read the moment the reply arrives."""
    def rows() -> list[str | None]:
        return [view.status if (view := window.timeline.details(i)) else None for i in range(len(statuses))]
    qtbot.waitUntil(lambda: rows() == statuses, timeout=TIMEOUT_MS)


def press(qtbot, window: MainWindow, button: str) -> None:
    qtbot.waitUntil(lambda: window.approval.asking, timeout=TIMEOUT_MS)
    qtbot.mouseClick(window.approval.findChild(QPushButton, button), Qt.MouseButton.LeftButton)


def test_the_toggle_serves_on_loopback_and_shows_the_token_once(qtbot, window):
    with qtbot.waitSignal(window.control.endpointReady, timeout=TIMEOUT_MS) as ready:
        window._serve.trigger()
    endpoint = ready.args[0]
    assert endpoint.url.startswith("http://127.0.0.1:") and endpoint.url.endswith("/mcp")
    dialog = window.endpoint_dialog
    assert dialog.isVisible() and dialog.url.text() == endpoint.url
    assert dialog.header.text() == f"Authorization: Bearer {endpoint.token}" and len(endpoint.token) >= 40
    assert endpoint.token not in repr(endpoint)
    assert window._serve.isChecked() and not window._run.isEnabled() and not window._pause.isEnabled()
    with qtbot.waitSignal(window.control.runFinished, timeout=TIMEOUT_MS) as finished:
        window._serve.trigger()
    assert finished.args[0].status is RunStatus.SUCCEEDED and finished.args[0].results == ()
    assert not window._serve.isChecked() and window._serve.isEnabled() and not window.control.running


def test_an_agents_steps_show_and_a_confirm_is_answered_at_the_panel(qtbot, window, runs, agent):
    clicked = result(qtbot, agent.call("act", {"step": 'click "OK"'}))
    assert not clicked.is_error and clicked.structured_content["status"] == "succeeded"
    shown(qtbot, window, ["succeeded"])
    assert 'click "OK"' in window.timeline.row_text(0)
    assert runs.operations == [MouseClick(point=OK.box.center)]

    asked = agent.call("act", {"step": 'click "Delete"'})  # the shipped policy confirms deleting
    qtbot.waitUntil(lambda: window.approval.asking, timeout=TIMEOUT_MS)
    assert not asked.done() and window.timeline.details(1).status == "running"
    assert runs.operations == [MouseClick(point=OK.box.center)]  # nothing until the person answers
    press(qtbot, window, "approve")
    approved = result(qtbot, asked)
    assert approved.structured_content["status"] == "succeeded", approved.content[0].text
    assert runs.operations[-1] == MouseClick(point=DELETE.box.center)

    refused = agent.call("act", {"step": 'click "Delete"'})
    press(qtbot, window, "skip")
    skipped = result(qtbot, refused)
    assert skipped.is_error and skipped.structured_content["status"] == "skipped"
    assert "the person skipped it in the desktop app" in skipped.structured_content["error"]
    assert len(runs.operations) == 2
    shown(qtbot, window, ["succeeded", "succeeded", "skipped"])


def test_stop_at_the_panel_stops_the_step_and_ends_serving(qtbot, window, runs, agent):
    asked = agent.call("act", {"step": 'click "Delete"'})
    with qtbot.waitSignal(window.control.runFinished, timeout=TIMEOUT_MS) as finished:
        press(qtbot, window, "stop")
    stopped = result(qtbot, asked)
    assert stopped.is_error and stopped.structured_content["status"] == "stopped"
    assert finished.args[0].status is RunStatus.STOPPED and runs.operations == []
    assert not window._serve.isChecked() and not window.control.running


def test_closing_the_window_while_an_agent_waits_ends_serving(qtbot, window, runs, agent):
    asked = agent.call("act", {"step": 'click "Delete"'})
    qtbot.waitUntil(lambda: window.approval.asking, timeout=TIMEOUT_MS)
    window.close()  # returns once serving has ended (the autouse fixture checks no thread is left)
    assert not window.isVisible() and runs.operations == []
    assert result(qtbot, asked).structured_content["status"] == "stopped"


def test_an_agent_that_goes_away_while_asked_at_the_panel_has_its_question_withdrawn(qtbot, window, runs,
                                                                                    agent):
    agent.call("act", {"step": 'click "Delete"'})
    qtbot.waitUntil(lambda: window.approval.asking, timeout=TIMEOUT_MS)
    agent.close()  # the client ends its MCP session while the person is asked
    qtbot.waitUntil(lambda: not window.approval.asking, timeout=TIMEOUT_MS)
    shown(qtbot, window, ["stopped"])
    assert "disconnected" in window.timeline.details(0).error and runs.operations == []
    assert window.control.serving  # the others go on being served
    other = Agent(agent.endpoint)
    try:
        clicked = result(qtbot, other.call("act", {"step": 'click "OK"'}))
        assert clicked.structured_content["status"] == "succeeded" and clicked.structured_content["number"] == 2
    finally:
        other.close()
    assert runs.operations == [MouseClick(point=OK.box.center)]


def test_while_serving_pause_and_the_mode_are_off_with_the_reason_shown(qtbot, window, agent):
    assert not window._pause.isEnabled() and "while serving there is nothing to hold" in window._pause.toolTip()
    assert not window._mode_box.isEnabled() and "Serving agents runs their steps as Autonomous" in \
        window._mode_box.toolTip()
    window._serve.trigger()
    qtbot.waitUntil(lambda: not window.control.running, timeout=TIMEOUT_MS)
    assert window._pause.toolTip().startswith("Hold the run") and window._mode_box.isEnabled()
    assert window._mode_box.toolTip() == "How the next run treats its steps"


@pytest.mark.parametrize("mode", [Mode.APPROVE, Mode.DRY_RUN])
def test_serving_in_another_mode_is_refused_with_the_reason(qtbot, window, mode):
    window.mode = mode
    window._serve.trigger()
    assert not window.control.running and not window._serve.isChecked()
    assert f"choose Autonomous to serve ({mode.label} is for task runs)" in window.statusBar().currentMessage()
