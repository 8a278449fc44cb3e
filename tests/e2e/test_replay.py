"""Record the sample order form once (real X input from xdotool), then replay it on a changed desktop:
the same layout, the window moved, resized, bigger fonts, partly covered, far off on a wider screen,
and with its targets gone. What the replay did is read from the application's own Submit output.
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from test_record import SECRET, fill_in_the_order, finish, start_recording
from test_run_sample_app import FORM_ONLY_POLICY

from desktop_agent.demo.display import start_virtual_display
from desktop_agent.durability.ledger import Ledger, default_path
from desktop_agent.grounding.locators import load_locators
from desktop_agent.language.steps import load_task
from tests.apps.env_keyring import VARIABLE, EnvKeyring
from tests.conftest import Desktop

pytestmark = pytest.mark.e2e

REPOSITORY = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def recorded(xdisplay: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The task file of one recording: customer name (a parameter), the password, Submit."""
    folder = tmp_path_factory.mktemp("recording")
    patch = pytest.MonkeyPatch()
    desktop = Desktop(display=xdisplay, tmp_path=folder, monkeypatch=patch)
    task = folder / "order.yaml"
    try:
        app = desktop.sample_app()
        recording = start_recording(desktop, "-o", str(task), "--param", "customer=Grace Hopper")
        fill_in_the_order(desktop, app)
        code, _, err = finish(recording)
        assert code == 0, err
    finally:
        desktop.close()
        patch.undo()
    yield task


@pytest.fixture(autouse=True)
def system_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The recorded password is in the "system keyring" — for this process and the ones it starts."""
    monkeypatch.setenv(VARIABLE, json.dumps({"desktop-agent/password": SECRET}))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.apps.env_keyring.EnvKeyring")
    monkeypatch.setenv("PYTHONPATH", str(REPOSITORY))
    previous = keyring.get_keyring()
    keyring.set_keyring(EnvKeyring())
    yield
    keyring.set_keyring(previous)


def replay(desktop: Desktop, task: Path, *args: str, process: bool = False) -> tuple[int, dict]:
    """`desktop-agent replay` on the desktop's display (`process`: as a process of its own)."""
    policy = desktop.tmp_path / "form-only.yaml"
    policy.write_text(FORM_ONLY_POLICY)
    argv = ("replay", str(task), "--policy", str(policy), "--json", "--find-timeout", "5", *args)
    run = desktop.agent_process(*argv) if process else desktop.agent(*argv)
    assert run.stdout, run.stderr
    return run.code, json.loads(run.stdout)


def submitted(app) -> dict:
    app.wait_for_output(lambda out: '"submit"' in out)
    return [e for e in app.events() if e["event"] == "submit"][-1]


def assert_replayed(app, code: int, result: dict, customer: str = "Grace Hopper") -> list[str]:
    assert code == 0, json.dumps(result, indent=1)
    order = submitted(app)
    assert order["customer"] == customer and order["password_length"] == len(SECRET)
    return [step["strategy"] for step in result["steps"]]


def test_the_recording_reads_as_steps(recorded):
    assert [s.text for s in load_task(recorded).steps] == [
        'type "{customer}" into the field right of "Customer name"',
        'type "{secret:password}" into the field right of "Password"',
        'click "Submit order"']
    assert SECRET.encode() not in b"".join(p.read_bytes() for p in recorded.parent.rglob("*") if p.is_file())


def test_unchanged_layout_with_another_parameter_value(desktop, recorded):
    app = desktop.sample_app()
    code, result = replay(desktop, recorded, "--param", "customer=Ada Lovelace")
    strategies = assert_replayed(app, code, result, customer="Ada Lovelace")
    assert not any(s.startswith("recorded") for s in strategies)  # the words were enough


def test_window_moved(desktop, recorded):
    app = desktop.sample_app(at=(1150, 560))
    assert_replayed(app, *replay(desktop, recorded))


def test_window_resized(desktop, recorded):
    app = desktop.sample_app()
    desktop.xdotool("windowsize", app.window, "900", "640")
    time.sleep(0.5)
    assert app.box().width == 900
    assert_replayed(app, *replay(desktop, recorded))


def test_bigger_font(desktop, recorded):
    app = desktop.sample_app(font_scale=1.3)
    assert_replayed(app, *replay(desktop, recorded))


def test_another_window_partly_on_top(desktop, recorded):
    app = desktop.sample_app()
    box = app.box()
    desktop.launch(["xterm", "-geometry", f"30x12+{box.left + 400}+{box.top + 60}", "-T", "Other window"],
                   title="Other window")
    strategies = assert_replayed(app, *replay(desktop, recorded))
    assert len(strategies) == 3


def test_far_off_on_a_wider_screen(desktop, recorded):
    """Where a second monitor would be: the right half of a 3840-wide screen (Xvfb has one RANDR
    monitor; what is checked is that nothing assumes the window is near where it was recorded)."""
    with start_virtual_display(width=3840, height=1080) as wide:
        patch = pytest.MonkeyPatch()
        other = Desktop(display=wide.name, tmp_path=desktop.tmp_path, monkeypatch=patch)
        try:
            app = other.sample_app(at=(2600, 300))
            code, result = replay(other, recorded, process=True)  # pyautogui keeps its first display
            assert_replayed(app, code, result)
            assert all(step["target"]["point"][0] > 2600 for step in result["steps"])
        finally:
            other.close()
            patch.undo()


def test_targets_gone_stops_with_a_report_and_does_nothing(desktop, recorded):
    desktop.launch(["xterm", "-geometry", "60x20+300+200", "-T", "Sample Order Form"],
                   title="Sample Order Form")  # the title matches; the form is not there
    code, result = replay(desktop, recorded, "--find-timeout", "1")
    assert code == 1 and result["status"] == "failed"
    first = result["steps"][0]
    assert first["status"] == "failed" and len(result["steps"]) == 1
    assert "recorded-template" in first["error"] and "recorded-anchor" in first["error"]
    assert Path(result["report"]).is_file()
    with Ledger.open(default_path(desktop.trace_dir)) as ledger:
        assert ledger.actions(Path(result["trace"]).name) == []


def test_a_finished_agent_run_saved_as_a_task_replays_on_a_moved_window(desktop, tmp_path):
    first = desktop.sample_app()
    policy = tmp_path / "form-only.yaml"
    policy.write_text(FORM_ONLY_POLICY)
    run = desktop.agent("run", "--step", 'type "Ada Lovelace" into the field right of "Customer name"',
                        "--step", 'click "Submit order"', "--policy", str(policy), "--json")
    assert run.code == 0, run.stderr
    assert submitted(first)["customer"] == "Ada Lovelace"
    first.stop()
    saved = desktop.agent("save-run", json.loads(run.stdout)["trace"], "-o", str(tmp_path / "again.yaml"))
    assert saved.code == 0, saved.stderr
    assert len(load_locators(tmp_path / "again.assets")) == 2

    moved = desktop.sample_app(at=(1100, 520))
    code, result = replay(desktop, tmp_path / "again.yaml")
    assert code == 0 and submitted(moved)["customer"] == "Ada Lovelace"
