"""Rollback after a failed check: the inverse action through the guard, the workspace files put back, the
window compared with its checkpoint — and a report of what was and wasn't restored."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest
from fakes import FakeDesktop
from test_runner import NAME_FIELD, NAME_LABEL, OK, run, screen

from desktop_agent.core.actions import (
    Check,
    Clear,
    Click,
    Drag,
    KeyChord,
    KeyText,
    MouseClick,
    Plan,
    Press,
    Scroll,
    ScrollDirection,
    Select,
    TypeText,
)
from desktop_agent.core.results import RunStatus
from desktop_agent.core.values import Element, Point, Rect, Role, Target, TargetSpec, Window
from desktop_agent.language.steps import parse_steps
from desktop_agent.run.interactions import Grounded
from desktop_agent.run.inverse import inverse
from desktop_agent.safety.policy import parse_policy

FILLED = replace(NAME_FIELD, text="Grace")
BOX = Element(role=Role.CHECKBOX, box=Rect(left=200, top=200, width=16, height=16), checked=False, window_id=1)


def grounded(element):
    return Grounded(targets=(Target(box=element.box, point=element.box.center, strategy="t", why="",
                                    element=element),))


def test_each_action_declares_its_inverse():
    here = TargetSpec(point=FILLED.box.center)
    before = screen(NAME_LABEL, FILLED)
    undo = inverse(TypeText(text="Ada", target=TargetSpec(text="Name")), grounded(FILLED), before=before,
                   after=before, secret=False)
    assert undo.action == TypeText(text="Grace", target=here)
    assert inverse(TypeText(text="x"), grounded(FILLED), before=before, after=before, secret=True).action is None
    assert inverse(Clear(target=here), grounded(NAME_FIELD), before=before, after=before,
                   secret=False).action == Clear(target=here)
    tick = inverse(Check(target=TargetSpec(text="Gift")), grounded(BOX), before=before, after=before, secret=False)
    assert tick.action == Check(target=TargetSpec(point=BOX.box.center), checked=False)
    combo = replace(NAME_FIELD, role=Role.COMBO, text="Standard")
    assert inverse(Select(option="Express", target=here), grounded(combo), before=before, after=before,
                   secret=False).action == Select(option="Standard", target=TargetSpec(point=combo.box.center))
    assert inverse(Scroll(direction=ScrollDirection.UP, amount=2), Grounded(targets=()), before=before,
                   after=before, secret=False).action == Scroll(direction=ScrollDirection.DOWN, amount=2)
    dialog = replace(before, windows=(*before.windows, Window(id=9, title="Confirm", wm_class="c",
                                                              box=Rect(left=0, top=0, width=9, height=9))))
    assert inverse(Click(target=here), grounded(OK), before=before, after=dialog,
                   secret=False).action == Press(keys=("escape",))
    assert inverse(Click(target=here), grounded(OK), before=before, after=before, secret=False).action is None
    title_bar = Target(box=Rect(left=150, top=105, width=100, height=10), point=Point(x=200, y=110),
                       strategy="t", why="")
    away = Target(box=title_bar.box, point=Point(x=500, y=410), strategy="t", why="")
    box = before.windows[0].box
    moved_away = replace(before, windows=(replace(before.windows[0], box=Rect(
        left=box.left + 300, top=box.top + 300, width=box.width, height=box.height)),))
    drag = Drag(source=TargetSpec(text="Orders"), destination=TargetSpec(point=away.point))
    back = inverse(drag, Grounded(targets=(title_bar, away)), before=before, after=moved_away, secret=False)
    assert back.action == Drag(source=TargetSpec(point=Point(x=500, y=410)),
                               destination=TargetSpec(point=Point(x=200, y=110)))
    assert inverse(drag, Grounded(targets=(title_bar, away)), before=before, after=before, secret=False).action is None


def test_a_failed_typing_puts_the_fields_earlier_text_back(tmp_path):
    desktop = FakeDesktop([screen(NAME_LABEL, FILLED)], advance=False)  # the typing never shows up
    finished = run(desktop, ['type "Ada" into the "Name" field'], tmp_path=tmp_path)
    assert finished.status is RunStatus.FAILED
    put_back = [MouseClick(point=FILLED.box.center, count=3), KeyText(text="Grace")]
    assert desktop.actuator.operations[2:4] == put_back and desktop.actuator.operations[-2:] == put_back
    assert 'rolled back: type its earlier text "Grace" back; the window matches its checkpoint' \
        in finished.results[0].error


@pytest.mark.parametrize("holding, said", [
    ({":1.4/name"}, 'the keyboard focus is back on field "Name"'),
    (set(), 'the keyboard focus is not back on field "Name", where it was before the step'),
    (None, 'whether the keyboard focus is back on field "Name" could not be read')])
def test_the_element_holding_the_focus_is_checkpointed_and_asked_again_after_the_undo(tmp_path, holding, said):
    focused = replace(FILLED, source="a11y", accessible=":1.4/name", states=frozenset({"focused", "editable"}))
    desktop = FakeDesktop([screen(NAME_LABEL, focused)], advance=False)  # the typing never shows up
    desktop.holding_focus = holding
    finished = run(desktop, ['type "Ada" into the "Name" field'], tmp_path=tmp_path)
    assert finished.status is RunStatus.FAILED and said in finished.results[0].error
    events = [json.loads(line) for line in (finished.trace / "events.jsonl").read_text().splitlines()]
    assert [e["element"] for e in events if e["kind"] == "focus_checkpoint"] == ['field "Name"'] * 2  # 2 tries
    assert [e["focus"] for e in events if e["kind"] == "rollback"] == [said] * 2  # by its label, not its text


def test_no_focus_is_reported_where_no_tree_said_which_element_held_it(tmp_path):
    desktop = FakeDesktop([screen(NAME_LABEL, FILLED)], advance=False)
    desktop.holding_focus = set()
    finished = run(desktop, ['type "Ada" into the "Name" field'], tmp_path=tmp_path)
    assert "keyboard focus" not in finished.results[0].error


def test_an_undo_the_policy_denies_is_reported_not_done(tmp_path):
    policy = parse_policy("version: 1\ndefault: allow\nrules:\n"
                          "  - {decision: deny, actions: [clear], reason: no clearing here}\n", source="test")
    desktop = FakeDesktop([screen(NAME_LABEL, NAME_FIELD)], advance=False)
    finished = run(desktop, ['type "Ada" into the "Name" field'], tmp_path=tmp_path, policy=policy)
    assert KeyChord(keys=("delete",)) not in desktop.actuator.operations
    assert "not undone (no clearing here" in finished.results[0].error


def test_a_window_that_still_differs_after_the_undo_is_reported(tmp_path):
    desktop = FakeDesktop([screen(NAME_LABEL, NAME_FIELD), screen(NAME_LABEL, NAME_FIELD, shade=120)])
    finished = run(desktop, ['type "Ada" into the "Name" field'], tmp_path=tmp_path)
    events = [json.loads(line) for line in (finished.trace / "events.jsonl").read_text().splitlines()]
    first = next(e for e in events if e["kind"] == "rollback")
    assert first["screen"].endswith("but the window still differs from its checkpoint")


def test_the_workspace_is_restored_when_a_step_fails(tmp_path):
    notes = tmp_path / "ws" / "notes.txt"
    notes.parent.mkdir()
    notes.write_text("before")
    desktop = FakeDesktop([screen(OK)], advance=False)
    act = desktop.actuator.execute

    def clicking_spoils_the_file(operation):
        act(operation)
        notes.write_text("spoiled by a click that showed nothing")

    desktop.actuator.execute = clicking_spoils_the_file
    plan = Plan(name="t", steps=parse_steps(['click "OK"']), workspace=(notes.parent,))
    finished = run(desktop, [], tmp_path=tmp_path, plan=plan)
    assert finished.status is RunStatus.FAILED
    assert notes.read_text() == "before"
    assert "not undone: a click can't be undone from the screen" in finished.results[0].error
    assert "workspace: " in finished.results[0].error


def test_typing_cut_off_part_way_is_rolled_back_too(tmp_path):
    from desktop_agent.core.errors import ActionError

    desktop = FakeDesktop([screen(NAME_LABEL, FILLED)], advance=False)
    act = desktop.actuator.execute

    def focus_lost_while_typing(operation):
        if isinstance(operation, KeyText) and operation.text == "Ada":
            raise ActionError("stopped typing: the keyboard focus moved")
        act(operation)

    desktop.actuator.execute = focus_lost_while_typing
    finished = run(desktop, ['type "Ada" into the "Name" field'], tmp_path=tmp_path)
    assert finished.status is RunStatus.FAILED
    assert desktop.actuator.operations[-2:] == [MouseClick(point=FILLED.box.center, count=3),
                                                KeyText(text="Grace")]
    assert finished.results[0].error.startswith("stopped typing: the keyboard focus moved; rolled back: ")


def test_a_clipboard_a_cut_off_key_press_changed_is_put_back(tmp_path, monkeypatch):
    from desktop_agent.core.errors import ActionError
    from desktop_agent.run import rollback as recovery

    clipboard = [b"what the person had copied"]
    monkeypatch.setattr(recovery, "read_clipboard", lambda: clipboard[0])
    monkeypatch.setattr(recovery, "write_clipboard", lambda data: clipboard.__setitem__(0, data) or True)
    desktop = FakeDesktop([screen(OK)], advance=False)

    def cut_then_fail(operation):
        clipboard[0] = b"something else"
        raise ActionError("the key press was cut off")

    desktop.actuator.execute = cut_then_fail
    finished = run(desktop, ["press ctrl+x"], tmp_path=tmp_path)
    assert finished.status is RunStatus.FAILED and "clipboard restored" in finished.results[0].error
    assert clipboard == [b"what the person had copied"]
    events = (finished.trace / "events.jsonl").read_text()
    assert "what the person had copied" not in events and '"screen_checkpoint"' in events
