"""save_recording / parametrize, and the `record` / `parametrize` commands' argument handling."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from desktop_agent.cli.record import add_commands
from desktop_agent.core.errors import AgentError
from desktop_agent.core.values import Element, Frame, Point, Rect, Role, Screen, Window
from desktop_agent.grounding.locators import load_locators
from desktop_agent.language.steps import load_task
from desktop_agent.language.task_file import read_task, save_task
from desktop_agent.recording.describe import Recording, describe
from desktop_agent.recording.events import RecordedClick, RecordedTyping, Snapshot
from desktop_agent.recording.writer import assets_folder, parametrize, save_recording
from desktop_agent.safety.policy import load_policy

SECRET = "correct horse battery staple"


def recorded() -> Recording:
    """Customer name typed, a password typed, Submit clicked — on a hand-built screen."""
    image = np.random.default_rng(7).integers(0, 255, (300, 500, 3), dtype=np.uint8)
    window = Window(id=1, title="Order", wm_class="order", box=Rect(left=0, top=0, width=500, height=300))
    shot = Snapshot(frame=Frame(image=image, region=Rect(left=0, top=0, width=500, height=300)),
                    windows=(window,), focused=window, time=0.0)

    def row(name: str, top: int) -> tuple[Element, Element]:
        return (Element(role=Role.TEXT, box=Rect(left=10, top=top, width=120, height=20), text=name, window_id=1),
                Element(role=Role.FIELD, box=Rect(left=150, top=top - 4, width=300, height=28), label=name,
                        window_id=1))

    screen = Screen(frame=shot.frame, windows=(window,), elements=(
        *row("Customer name", 20), *row("Password", 60),
        Element(role=Role.BUTTON, box=Rect(left=10, top=200, width=120, height=30), text="Submit order",
                label="Submit order", window_id=1)))
    actions = [RecordedClick(point=Point(x=200, y=30), before=shot), RecordedTyping(text="Ada Lovelace", before=shot),
               RecordedClick(point=Point(x=200, y=70), before=shot), RecordedTyping(text=SECRET, before=shot),
               RecordedClick(point=Point(x=60, y=215), before=shot)]
    return describe(actions, lambda _: screen, secret_fields=load_policy(None).secret_fields,
                    assets="order.assets")


def every_byte(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_save_writes_assets_then_a_task_file_that_loads(tmp_path):
    recording = recorded()
    path = save_recording(tmp_path / "order.yaml", name="Order", recording=recording, params={"customer": "Ada"})
    assert path == tmp_path / "order.yaml"
    plan = load_task(path)
    assert [step.text for step in plan.steps] == [
        'type "Ada Lovelace" into the field right of "Customer name"',
        'type "{secret:password}" into the field right of "Password"',
        'click "Submit order"']
    assert plan.params == {"customer": "Ada"} and plan.assets == tmp_path / "order.assets"
    assert "assets: order.assets\n" in path.read_text()  # relative to the task file
    assert load_locators(plan.assets) == list(recording.locators)
    for name, pixels in recording.crops.items():
        assert np.array_equal(cv2.imread(str(plan.assets / name)), pixels)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["order.assets", "order.yaml"]  # no leftovers


def test_the_typed_secret_is_in_no_written_byte(tmp_path):
    save_recording(tmp_path / "order.yaml", name="Order", recording=recorded(), params={})
    written = every_byte(tmp_path)
    assert b"{secret:password}" in written
    assert SECRET.encode() not in written and b"horse" not in written


def test_a_withheld_param_is_not_written(tmp_path):
    good = recorded()
    withheld = Recording(steps=good.steps, locators=good.locators, crops=good.crops, secrets=good.secrets,
                         notes=good.notes, withheld_params=("pw",))
    save_recording(tmp_path / "order.yaml", name="Order", recording=withheld,
                   params={"pw": SECRET, "customer": "Ada"})
    assert read_task(tmp_path / "order.yaml").params == {"customer": "Ada"}
    assert SECRET.encode() not in every_byte(tmp_path)


def test_an_existing_task_file_is_not_replaced_without_overwrite(tmp_path):
    path = tmp_path / "order.yaml"
    path.write_text("name: mine\nsteps: [press enter]\n")
    with pytest.raises(AgentError, match="already exists"):
        save_recording(path, name="Order", recording=recorded(), params={})
    assert path.read_text() == "name: mine\nsteps: [press enter]\n"
    assert not assets_folder(path).exists()
    save_recording(path, name="Order", recording=recorded(), params={}, overwrite=True)
    assert read_task(path).name == "Order"


def test_a_stray_assets_folder_is_not_replaced_without_overwrite(tmp_path):
    (tmp_path / "order.assets").mkdir()
    (tmp_path / "order.assets" / "mine.txt").write_text("keep")
    with pytest.raises(AgentError, match="order.assets already exists"):
        save_recording(tmp_path / "order.yaml", name="Order", recording=recorded(), params={})
    assert (tmp_path / "order.assets" / "mine.txt").read_text() == "keep"


def test_overwrite_replaces_the_whole_assets_folder(tmp_path):
    path = tmp_path / "order.yaml"
    save_recording(path, name="Order", recording=recorded(), params={})
    (assets_folder(path) / "step099.png").write_bytes(b"stale")
    save_recording(path, name="Order again", recording=recorded(), params={}, overwrite=True)
    assert not (assets_folder(path) / "step099.png").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["order.assets", "order.yaml"]


def test_a_failed_crop_write_leaves_the_old_task_and_assets_alone(tmp_path):
    path = tmp_path / "order.yaml"
    save_recording(path, name="Order", recording=recorded(), params={})
    before_task, before_assets = path.read_bytes(), every_byte(assets_folder(path))
    good = recorded()
    broken = Recording(steps=good.steps, locators=good.locators, secrets=good.secrets, notes=good.notes,
                       crops={**good.crops, "step003.png": np.zeros((0, 0, 3), np.uint8)})
    with pytest.raises((AgentError, cv2.error)):
        save_recording(path, name="Broken", recording=broken, params={}, overwrite=True)
    assert path.read_bytes() == before_task and every_byte(assets_folder(path)) == before_assets
    assert sorted(p.name for p in tmp_path.iterdir()) == ["order.assets", "order.yaml"]


def test_nothing_recorded_is_refused(tmp_path):
    empty = Recording(steps=(), locators=(), crops={}, secrets=(), notes=())
    with pytest.raises(AgentError, match="nothing was recorded"):
        save_recording(tmp_path / "t.yaml", name="T", recording=empty, params={})
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- parametrize
def task(tmp_path: Path) -> Path:
    path = tmp_path / "order.yaml"
    (tmp_path / "order.assets").mkdir()
    save_task(path, name="Order", assets=tmp_path / "order.assets", params={"email": "ada@example.org"}, steps=[
        'type "Ada Lovelace" into the field right of "Customer name"',
        "# a comment step stays",
        'type "{email}" into the "Email" field',
        'type "{secret:password}" into the "Password" field',
        'type "Dear Ada Lovelace, \\"thanks\\"" into the "Notes" field',
        'click "Submit order"'])
    return path


def test_parametrize_replaces_quoted_occurrences_and_adds_the_params(tmp_path):
    path = task(tmp_path)
    os.chmod(path, 0o600)
    steps = parametrize(path, {"customer": "Ada Lovelace"})
    assert steps == (
        'type "{customer}" into the field right of "Customer name"',
        "# a comment step stays",
        'type "{email}" into the "Email" field',
        'type "{secret:password}" into the "Password" field',
        'type "Dear {customer}, \\"thanks\\"" into the "Notes" field',
        'click "Submit order"')
    plan = load_task(path)
    assert plan.params == {"email": "ada@example.org", "customer": "Ada Lovelace"}
    assert plan.steps[3].action.text == 'Dear Ada Lovelace, "thanks"'
    assert plan.assets == tmp_path / "order.assets"
    assert path.stat().st_mode & 0o777 == 0o600


def test_parametrize_never_rewrites_inside_a_placeholder(tmp_path):
    path = task(tmp_path)
    with pytest.raises(AgentError, match='"password" occurs in no quoted text'):
        parametrize(path, {"pw": "password"})


def test_parametrize_names_a_value_that_occurs_nowhere_and_changes_nothing(tmp_path):
    path = task(tmp_path)
    before = path.read_bytes()
    with pytest.raises(AgentError, match='"Grace Hopper" occurs in no quoted text'):
        parametrize(path, {"customer": "Ada Lovelace", "other": "Grace Hopper"})
    assert path.read_bytes() == before
    assert parametrize(path, {"customer": "Ada Lovelace", "sign": "thanks"})[4] == \
        'type "Dear {customer}, \\"{sign}\\"" into the "Notes" field'
    before = path.read_bytes()
    for values, message in (({"email": "x"}, "already has a parameter"), ({"9x": "Ada"}, "bad parameter name"),
                            ({"c": ""}, "non-empty")):
        with pytest.raises(AgentError, match=message):
            parametrize(path, values)
    assert path.read_bytes() == before


# ---------------------------------------------------------------- the commands' argument handling
def cli(*args: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(args)


def test_parametrize_command_exit_codes(tmp_path, capsys):
    path = task(tmp_path)
    args = cli("parametrize", str(path), "customer=Ada Lovelace")
    assert args.handler(args) == 0
    assert 'type "{customer}" into the field right of "Customer name"' in capsys.readouterr().out
    args = cli("parametrize", str(path), "nobody=Grace")
    assert args.handler(args) == 2
    assert '"Grace" occurs in no quoted text' in capsys.readouterr().err
    args = cli("parametrize", str(path), "no-equals-sign")
    assert args.handler(args) == 2


def test_record_refuses_an_existing_output_before_listening(tmp_path, capsys):
    path = tmp_path / "order.yaml"
    path.write_text("name: mine\nsteps: [press enter]\n")
    args = cli("record", "-o", str(path))
    assert args.stop_hotkey == "<ctrl>+<alt>+r" and not args.overwrite
    assert args.handler(args) == 2
    assert "already exists; pass --overwrite" in capsys.readouterr().err
    args = cli("record", "-o", str(tmp_path / "new.yaml"), "--param", "broken")
    assert args.handler(args) == 2
    assert "NAME=VALUE" in capsys.readouterr().err
