"""The main window over the real engine loop on a scripted desktop: modes reach the runner's config,
approvals go through the approval panel's buttons, edit-by-click through the live view, and pause, stop
and closing the window end runs cleanly."""
from __future__ import annotations

import json
import os
from contextlib import nullcontext

import pytest
from fake_engine import DELETE, OK, FakeRuns
from PySide6.QtCore import QPointF, QSettings, Qt
from PySide6.QtWidgets import QInputDialog, QLineEdit, QPushButton

from desktop_agent.core.actions import MouseClick
from desktop_agent.core.results import RunStatus, StepStatus
from desktop_agent.durability.ledger import Ledger
from desktop_agent.durability.owner import Owner
from desktop_agent.durability.resume import plan_resume
from desktop_agent.run.trace import Trace
from ui.main_window import MainWindow
from ui.settings import (
    Mode,
    Settings,
    SettingsDialog,
    hotkey_label,
    hotkey_problem,
    load_settings,
    save_settings,
)

TIMEOUT_MS = 5000


@pytest.fixture
def store(tmp_path) -> QSettings:
    store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    save_settings(store, Settings(mode=Mode.APPROVE, trace_root=tmp_path / "traces"))
    return store


@pytest.fixture
def runs() -> FakeRuns:
    return FakeRuns()


@pytest.fixture
def window(qtbot, store, runs) -> MainWindow:
    window = MainWindow(factory=runs, brakes=lambda runner, hotkey: nullcontext(), store=store, tray=False)
    qtbot.addWidget(window)  # closed at the end of the test: a run still going is stopped
    window.show()
    return window


def run(qtbot, window: MainWindow, steps: list[str], *, mode: Mode | None = None, answers=()):
    """Start `steps`, press the approval panel's buttons named in `answers` in turn; the RunFinished."""
    window.editor.set_task(name="test", steps=steps)
    if mode is not None:
        window.mode = mode
    with qtbot.waitSignal(window.control.runFinished, timeout=TIMEOUT_MS) as finished:
        assert window.start_run()
        for answer in answers:
            press(qtbot, window, answer)
    return finished.args[0]


def press(qtbot, window: MainWindow, button: str) -> None:
    qtbot.waitUntil(lambda: window.approval.asking, timeout=TIMEOUT_MS)
    qtbot.mouseClick(window.approval.findChild(QPushButton, button), Qt.MouseButton.LeftButton)


def statuses(window: MainWindow, count: int) -> list[str]:
    return [window.timeline.details(i).status for i in range(count)]


@pytest.mark.parametrize(("mode", "every_step", "dry_run"), [(Mode.AUTONOMOUS, False, False),
                                                            (Mode.APPROVE, True, False),
                                                            (Mode.DRY_RUN, False, True)])
def test_the_mode_decides_the_runners_config(qtbot, window, runs, mode, every_step, dry_run):
    answers = ["approve"] if mode is Mode.APPROVE else []
    finished = run(qtbot, window, ['click "OK"'], mode=mode, answers=answers)
    assert finished.status is RunStatus.SUCCEEDED
    (config,) = runs.configs
    assert (config.approve_every_step, config.options.dry_run) == (every_step, dry_run)
    assert config.approver is not None  # confirm steps can always ask
    assert runs.operations == ([] if dry_run else [MouseClick(point=OK.box.center)])


def test_a_confirm_step_asks_even_in_autonomous_mode(qtbot, window, runs):
    finished = run(qtbot, window, ['click "OK"', 'click "Delete"'], mode=Mode.AUTONOMOUS,
                   answers=["skip"])
    assert [r.status for r in finished.results] == [StepStatus.SUCCEEDED, StepStatus.SKIPPED]
    assert runs.operations == [MouseClick(point=OK.box.center)]
    assert statuses(window, 2) == ["succeeded", "skipped"]


def test_approve_and_skip_from_the_panel(qtbot, window, runs):
    finished = run(qtbot, window, ['click "Delete"', 'click "OK"'], answers=["skip", "approve"])
    assert [r.status for r in finished.results] == [StepStatus.SKIPPED, StepStatus.SUCCEEDED]
    assert runs.operations == [MouseClick(point=OK.box.center)]
    view = window.timeline.details(1)
    assert view.status == "succeeded" and view.total_ms > 0 and view.before.is_file()
    assert "OK" in view.why
    assert window.timeline.details(0).after is None  # a skipped step did nothing
    assert not window.approval.asking and window.editor.valid


def test_edit_by_clicking_on_the_screen_retargets_the_step(qtbot, window, runs):
    window.editor.set_task(name="test", steps=['click "OK"'])
    with qtbot.waitSignal(window.control.runFinished, timeout=TIMEOUT_MS) as finished:
        assert window.start_run()
        qtbot.waitUntil(lambda: window.approval.asking, timeout=TIMEOUT_MS)
        window.approval.pick_action.trigger()
        assert window.live_view.picking
        # the fake screen's pixels are its points; aim at the middle of the pixel, the view is zoomed
        where = window.live_view.mapFromScene(QPointF(DELETE.box.center.x + 0.5, DELETE.box.center.y + 0.5))
        qtbot.mouseClick(window.live_view.viewport(), Qt.MouseButton.LeftButton, pos=where)
        press(qtbot, window, "approve")  # the corrected step is proposed again
    (result,) = finished.args[0].results
    picked = result.target.point  # where the click landed on the zoomed view, to a pixel
    assert result.status is StepStatus.SUCCEEDED and result.target.box == DELETE.box
    assert abs(picked.x - DELETE.box.center.x) <= 1 and abs(picked.y - DELETE.box.center.y) <= 1
    assert runs.operations == [MouseClick(point=picked)]
    assert f"corrected to at {picked.x},{picked.y}" in window.timeline.details(0).text
    events = [json.loads(line) for line in (finished.args[0].trace / "events.jsonl").read_text().splitlines()]
    (correction,) = [e for e in events if e["kind"] == "correction"]
    assert correction["proposed"]["box"]["left"] == OK.box.left


@pytest.mark.parametrize("where", ["toolbar", "panel"])
def test_stop_during_an_approval_ends_the_run_stopped(qtbot, window, runs, where):
    window.editor.set_task(name="test", steps=['click "OK"', 'click "OK"'])
    with qtbot.waitSignal(window.control.runFinished, timeout=TIMEOUT_MS) as finished:
        window.start_run()
        if where == "toolbar":
            qtbot.waitUntil(lambda: window.approval.asking, timeout=TIMEOUT_MS)
            window._stop.trigger()
        else:
            press(qtbot, window, "stop")
    assert finished.args[0].status is RunStatus.STOPPED and runs.operations == []
    assert statuses(window, 2) == ["stopped", "pending"]
    assert not window.control.running and window._run.isEnabled() and not window._stop.isEnabled()


def test_pause_holds_the_run_between_steps_and_resume_continues(qtbot, window, runs):
    window.editor.set_task(name="test", steps=['click "OK"', 'click "OK"'])
    with qtbot.waitSignal(window.control.runFinished, timeout=TIMEOUT_MS) as finished:
        window.start_run()
        qtbot.waitUntil(lambda: window.approval.asking, timeout=TIMEOUT_MS)
        window._pause.trigger()
        press(qtbot, window, "approve")
        qtbot.waitUntil(lambda: window._state.text() == "Paused before step 2", timeout=TIMEOUT_MS)
        qtbot.wait(300)
        assert statuses(window, 2) == ["succeeded", "pending"] and not window.approval.asking
        window._pause.trigger()
        press(qtbot, window, "approve")
    assert finished.args[0].status is RunStatus.SUCCEEDED and len(runs.operations) == 2


def test_closing_the_window_mid_run_stops_it_cleanly(qtbot, window, runs, tmp_path):
    window.editor.set_task(name="test", steps=['click "OK"', 'click "OK"'])
    window.start_run()
    qtbot.waitUntil(lambda: window.approval.asking, timeout=TIMEOUT_MS)
    window.close()  # returns once the run's thread has ended (the autouse fixture checks no thread is left)
    assert not window.isVisible() and runs.operations == []
    (events,) = (tmp_path / "traces").glob("*/events.jsonl")
    last = json.loads(events.read_text().splitlines()[-1])
    assert last["kind"] == "run_finished" and last["status"] == "stopped"


def test_a_task_with_a_problem_does_not_start(qtbot, window, runs):
    window.editor.set_task(name="test", steps=['clik "OK"'])
    assert not window.start_run()
    assert not window._run.isEnabled() and runs.configs == []


def test_an_engine_error_is_shown_and_the_window_is_ready_again(qtbot, store):
    from tests.unit.fakes import FakeDesktop

    runs = FakeRuns(FakeDesktop([], error=RuntimeError("boom")))
    window = MainWindow(factory=runs, brakes=lambda runner, hotkey: nullcontext(), store=store, tray=False)
    qtbot.addWidget(window)
    window.editor.set_task(name="test", steps=['click "OK"'])
    with qtbot.waitSignal(window.control.crashed, timeout=TIMEOUT_MS) as crash:
        window.start_run()
    assert "RuntimeError: boom" in crash.args[0]
    qtbot.waitUntil(lambda: not window.control.running, timeout=TIMEOUT_MS)
    assert window._run.isEnabled() and window._state.text() == "The run ended with an error"


def test_settings_survive_a_restart(qtbot, store, tmp_path):
    settings = Settings(mode=Mode.DRY_RUN, policy_file=tmp_path / "p.yaml", trace_root=tmp_path / "t",
                        hotkey="<ctrl>+<shift>+x")
    save_settings(store, settings)
    assert load_settings(QSettings(store.fileName(), QSettings.Format.IniFormat)) == settings
    window = MainWindow(factory=FakeRuns(), brakes=lambda runner, hotkey: nullcontext(), store=store,
                        tray=False)
    qtbot.addWidget(window)
    assert window.mode is Mode.DRY_RUN


def test_unknown_stored_values_fall_back_to_the_defaults(store):
    store.setValue("run/mode", "reckless")
    store.setValue("control/stop_hotkey", "")
    settings = load_settings(store)
    assert settings.mode is Settings().mode and settings.hotkey == Settings().hotkey


def test_the_settings_dialog_edits_a_copy_and_checks_the_hotkey(qtbot, tmp_path):
    settings = Settings(mode=Mode.AUTONOMOUS, policy_file=tmp_path / "p.yaml", trace_root=tmp_path / "t",
                        hotkey="<ctrl>+<shift>+x")
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    assert dialog.settings() == settings
    assert hotkey_problem("<ctrl>+<alt>+q") == "" and hotkey_label("<ctrl>+<alt>+q") == "Ctrl+Alt+Q"
    assert hotkey_problem("ctrl+alt+q") != ""  # named keys need angle brackets
    assert hotkey_problem("<ctrl>++q") != ""


@pytest.fixture
def no_keyring(monkeypatch):
    monkeypatch.setattr("keyring.get_password", lambda service, name: None)


def test_a_secret_is_asked_for_and_only_the_run_gets_it(qtbot, window, runs, monkeypatch, no_keyring):
    asked = []
    monkeypatch.setattr(QInputDialog, "getText", lambda parent, title, label, echo: asked.append(
        (label, echo)) or ("s3cret", True))
    finished = run(qtbot, window, ['type "{secret:pin}"'], mode=Mode.AUTONOMOUS, answers=["approve"])
    assert asked == [("Secret {secret:pin} — not stored", QLineEdit.EchoMode.Password)]
    # Typed at the focus, into no field: there are no mask marks to count, so it can't be seen to work.
    assert finished.status is RunStatus.UNVERIFIED
    assert [getattr(op, "text", None) for op in runs.operations] == ["s3cret"]
    assert window.editor.plan().steps[0].text == 'type "{secret:pin}"'  # the editor keeps the placeholder
    assert "s3cret" not in window.timeline.details(0).text


def test_declining_a_secret_starts_nothing(qtbot, window, runs, monkeypatch, no_keyring):
    monkeypatch.setattr(QInputDialog, "getText", lambda *args: ("", False))
    window.editor.set_task(name="test", steps=['type "{secret:pin}"', 'click "OK"'])
    assert not window.start_run()
    assert runs.configs == [] and not window.control.running
    assert "no value was given for {secret:pin}" in window.statusBar().currentMessage()


def test_a_dry_run_asks_for_no_secret(qtbot, window, runs, monkeypatch, no_keyring):
    monkeypatch.setattr(QInputDialog, "getText", lambda *args: pytest.fail("asked for a secret"))
    finished = run(qtbot, window, ['type "{secret:pin}"'], mode=Mode.DRY_RUN)
    assert finished.status is RunStatus.SUCCEEDED and runs.operations == []


def _resumed_after_a_crash(source, steps: list[str], tmp_path):
    """The plan `desktop-agent resume` rebuilds from what the app's run kept, had it crashed in step 1."""
    trace = Trace(tmp_path / "crashed" / "app-run")
    with Ledger.open(tmp_path / "crashed" / "ledger.sqlite3") as ledger:
        ledger.start_run("app-run", "test", trace.folder, source=source, owner=Owner(pid=os.getpid(), started="-1"))
        trace.event("run_started", name="test", steps=steps, start=0, unsure=False)
        return plan_resume(ledger, "app-run", params={}).plan


def test_an_app_run_keeps_what_resumes_it_the_steps_as_edited(qtbot, window, runs, tmp_path):
    run(qtbot, window, ['click "OK"', 'click "OK"'], mode=Mode.AUTONOMOUS)
    (config,) = runs.configs
    assert config.source is not None and config.source.task is None
    plan = _resumed_after_a_crash(config.source, ['click "OK"', 'click "OK"'], tmp_path)
    assert [step.text for step in plan.steps] == ['click "OK"', 'click "OK"']


def test_an_app_run_of_a_saved_task_file_is_resumed_from_that_file(qtbot, window, runs, tmp_path):
    task = tmp_path / "ok.yaml"
    task.write_text('name: ok\nsteps:\n  - click "{what}"\nparams:\n  what: OK\n')
    window.files.open(task)
    with qtbot.waitSignal(window.control.runFinished, timeout=TIMEOUT_MS):
        window.mode = Mode.AUTONOMOUS
        assert window.start_run()
    (config,) = runs.configs
    assert config.source.task == task.absolute() and config.source.params == {"what": "OK"}
    plan = _resumed_after_a_crash(config.source, ['click "{what}"'], tmp_path)
    assert [step.action.target.text for step in plan.steps] == ["OK"]
