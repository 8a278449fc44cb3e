"""Policy view: the default applies, errors show their place, Apply needs valid text, edits apply."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel, QPushButton

from desktop_agent.core.values import Decision
from desktop_agent.safety.policy import default_policy_path, load_policy
from ui.code_edit import CodeEdit
from ui.policy_view import PolicyView

STRICT = """\
version: 1
default: confirm
limits: {max_steps: 5, max_actions_per_minute: 10}
rules:
  - decision: deny
    actions: [launch]
    reason: no programs
"""


@pytest.fixture
def view(qtbot) -> PolicyView:
    widget = PolicyView()
    qtbot.addWidget(widget)
    widget.resize(800, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def text_of(view: PolicyView) -> CodeEdit:
    return view.findChild(CodeEdit, "policyText")


def label(view: PolicyView, name: str) -> QLabel:
    return view.findChild(QLabel, name)


def button(view: PolicyView, name: str) -> QPushButton:
    return view.findChild(QPushButton, name)


def test_the_default_loads_and_applies(view, qtbot):
    with qtbot.waitSignal(view.policyApplied) as applied:
        view.load(None)
    default = load_policy(None)
    assert applied.args[0] is view.policy()
    assert view.policy().default is default.default and len(view.policy().rules) == len(default.rules)
    assert view.path is None
    assert text_of(view).toPlainText() == default_policy_path().read_text(encoding="utf-8")
    assert label(view, "state").text() == (
        "Applied — default allow · 15 rules · 4 denied window patterns · max 200 steps, 60 actions/min")
    assert not button(view, "apply").isEnabled() and label(view, "dirty").isHidden()


def test_malformed_yaml_shows_the_line_and_apply_stays_off(view, qtbot):
    before = view.policy()
    text_of(view).setPlainText("version: 1\ndefault: [allow\nlimits:\n  max_steps: 3\n")
    error = label(view, "error")
    qtbot.waitUntil(error.isVisible)
    assert error.text().splitlines()[:2] == ["YAML syntax error: expected ',' or ']', but got ':'",
                                             "at line 3, column 7"]
    assert "   3 │ limits:" in error.text()
    assert not button(view, "apply").isEnabled() and not view.apply()
    assert view.policy() is before
    button(view, "validate").click()  # an explicit Validate goes to the problem
    cursor = text_of(view).textCursor()
    assert (cursor.blockNumber() + 1, cursor.positionInBlock() + 1) == (3, 7)


def test_an_unknown_key_shows_where_and_its_yaml_line(view, qtbot):
    text_of(view).setPlainText(STRICT + "    colour: red\n")
    error = label(view, "error")
    qtbot.waitUntil(error.isVisible)
    lines = error.text().splitlines()
    assert lines[0].startswith("unknown key 'colour'")
    assert lines[1:3] == ["at rules[0].colour", "   8 │     colour: red"]
    assert not button(view, "apply").isEnabled()


def test_a_valid_edit_applies_and_emits_the_new_policy(view, qtbot):
    text_of(view).setPlainText(STRICT)
    assert label(view, "dirty").isVisible()  # unapplied edits are marked at once
    qtbot.waitUntil(button(view, "apply").isEnabled)
    assert label(view, "state").text().startswith("Valid — default confirm · 1 rule ·")
    with qtbot.waitSignal(view.policyApplied) as applied:
        button(view, "apply").click()
    policy = applied.args[0]
    assert policy is view.policy()
    assert policy.default is Decision.CONFIRM and policy.limits.max_steps == 5
    assert [r.reason for r in policy.rules] == ["no programs"]
    assert label(view, "dirty").isHidden() and not button(view, "apply").isEnabled()
    assert label(view, "state").text() == (
        "Applied — default confirm · 1 rule · 0 denied window patterns · max 5 steps, 10 actions/min")


def test_save_as_writes_the_text_and_load_reads_it_back(view, qtbot, tmp_path):
    text_of(view).setPlainText(STRICT)
    path = tmp_path / "strict.yaml"
    view.save_as(path)
    assert path.read_text(encoding="utf-8") == STRICT
    assert view.policy().default is Decision.ALLOW and view.path is None  # saving doesn't apply
    assert view.apply() and view.path == path and view.policy().source == str(path)
    other = PolicyView()
    qtbot.addWidget(other)
    with qtbot.waitSignal(other.policyApplied):
        assert other.load(path)
    assert other.path == path and other.policy().source == str(path)
    assert other.policy().default is Decision.CONFIRM


def test_a_file_that_does_not_validate_is_shown_but_not_applied(view, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("default: maybe\n", encoding="utf-8")
    before = view.policy()
    assert not view.load(path)
    assert text_of(view).toPlainText() == "default: maybe\n" and label(view, "dirty").isVisible()
    assert view.policy() is before and view.path is None  # still the applied default
    assert label(view, "error").text().splitlines() == [
        "unknown decision 'maybe'; expected one of: allow, confirm, deny", "at default",
        "   1 │ default: maybe", "     │          ^"]


def test_an_unreadable_file_changes_nothing(view, tmp_path):
    before, text = view.policy(), text_of(view).toPlainText()
    assert not view.load(tmp_path / "missing.yaml")
    assert view.policy() is before and view.path is None and text_of(view).toPlainText() == text
    assert label(view, "error").text().startswith("cannot read the policy")
    assert label(view, "state").text() == "Could not load missing.yaml; the applied policy is unchanged"


def test_read_only_blocks_edits_and_apply(view, qtbot):
    view.set_read_only(True)
    qtbot.keyClicks(text_of(view), "xyz")
    assert text_of(view).toPlainText() == default_policy_path().read_text(encoding="utf-8")
    assert not any(button(view, name).isEnabled() for name in ("validate", "apply", "saveAs"))
    view.set_read_only(False)
    assert button(view, "validate").isEnabled() and button(view, "saveAs").isEnabled()
