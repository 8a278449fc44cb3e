"""ApprovalPanel: each way of answering gives exactly one decision, and nothing else answers."""
from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton

from desktop_agent.core.values import Decision, Point, Rect, Target, Verdict, Window
from desktop_agent.language.steps import parse_step
from desktop_agent.safety.approvals import Approval, Correction, Proposal
from desktop_agent.safety.command_line import CommandLine
from desktop_agent.safety.policy import ActionRequest
from ui.approval_panel import ApprovalPanel

STEP = 'click "Submit order"'


def proposal(text: str = STEP, decision: Decision = Decision.CONFIRM) -> Proposal:
    step = parse_step(text)
    target = Target(box=Rect(left=320, top=565, width=151, height=35), point=Point(x=395, y=582),
                    strategy="text-exact", why='exact text "Submit order" (button); 1 candidate')
    request = ActionRequest(action=step.action, target=target, step_text=step.text,
                            window=Window(id=5, title="Sample Order Form", wm_class="Tk",
                                          box=Rect(left=300, top=200, width=560, height=494)))
    return Proposal(request=request, verdict=Verdict(decision=decision, reason="outward-facing button"),
                    reason_for_asking="the policy asks for confirmation: outward-facing button")


@pytest.fixture
def panel(qtbot) -> ApprovalPanel:
    widget = ApprovalPanel()
    qtbot.addWidget(widget)
    widget.show()
    widget.activateWindow()
    qtbot.waitActive(widget)
    return widget


@pytest.fixture
def decisions(panel) -> list:
    answers: list = []
    panel.decided.connect(answers.append)
    return answers


def button(panel, name: str) -> QPushButton:
    return panel.findChild(QPushButton, name)


def key(qtbot, key: Qt.Key) -> None:
    qtbot.keyClick(QApplication.focusWidget(), key)


def test_idle_until_asked(panel, decisions, qtbot):
    assert not panel.asking and not button(panel, "approve").isEnabled()
    qtbot.keyClick(panel, Qt.Key.Key_Return)
    panel.picked(10, 10)
    assert decisions == []


def test_enter_approves(panel, decisions, qtbot):
    panel.ask(proposal())
    assert panel.asking and button(panel, "approve").isEnabled()
    assert panel.isAncestorOf(QApplication.focusWidget())  # ask took the focus
    with qtbot.waitSignal(panel.decided) as answer:
        key(qtbot, Qt.Key.Key_Return)
    assert answer.args == [Approval.APPROVE]
    assert not panel.asking and not button(panel, "approve").isEnabled()


def test_escape_quits(panel, decisions, qtbot):
    panel.ask(proposal())
    with qtbot.waitSignal(panel.decided) as answer:
        key(qtbot, Qt.Key.Key_Escape)
    assert answer.args == [Approval.QUIT]


def test_skip(panel, qtbot):
    panel.ask(proposal())
    with qtbot.waitSignal(panel.decided) as answer:
        qtbot.mouseClick(button(panel, "skip"), Qt.MouseButton.LeftButton)
    assert answer.args == [Approval.SKIP]


def test_pick_on_screenshot(panel, decisions, qtbot):
    panel.ask(proposal())
    with qtbot.waitSignal(panel.pickRequested):
        panel.pick_action.trigger()
    assert decisions == []  # asking for a pick is not an answer
    with qtbot.waitSignal(panel.decided) as answer:
        panel.picked(1150, 600)
    assert answer.args == [Correction(point=Point(x=1150, y=600))]


def test_rewrite_invalid_then_valid(panel, decisions, qtbot):
    panel.ask(proposal())
    panel.rewrite_action.trigger()
    editor = panel.findChild(QLineEdit, "rewrite")
    problem = panel.findChild(QLabel, "problem")
    assert editor.isVisible() and editor.text() == STEP and editor.hasFocus()
    editor.clear()
    qtbot.keyClicks(editor, 'clik "Submit order"')
    assert problem.text().startswith("Column 1:") and "did you mean" in problem.text()
    assert not button(panel, "use").isEnabled()
    key(qtbot, Qt.Key.Key_Return)  # neither confirms the bad rewrite nor approves the proposal
    assert decisions == [] and panel.asking
    editor.setText('click the "Submit order" button')
    assert problem.text() == "✓ Valid step"
    with qtbot.waitSignal(panel.decided) as answer:
        key(qtbot, Qt.Key.Key_Return)
    assert answer.args == [Correction(step_text='click the "Submit order" button')]
    assert not editor.isVisible()


def test_escape_leaves_rewrite_then_stops(panel, decisions, qtbot):
    panel.ask(proposal())
    panel.rewrite_action.trigger()
    key(qtbot, Qt.Key.Key_Escape)
    assert decisions == [] and panel.asking
    assert not panel.findChild(QLineEdit, "rewrite").isVisible()
    with qtbot.waitSignal(panel.decided) as answer:
        key(qtbot, Qt.Key.Key_Escape)
    assert answer.args == [Approval.QUIT]


def test_one_decision_per_ask(panel, decisions, qtbot):
    panel.ask(proposal())
    qtbot.mouseClick(button(panel, "approve"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(button(panel, "skip"), Qt.MouseButton.LeftButton)
    panel.picked(1, 2)
    panel.rewrite_action.trigger()
    assert decisions == [Approval.APPROVE]
    panel.ask(proposal())
    panel.picked(3, 4)
    panel.picked(5, 6)
    assert decisions == [Approval.APPROVE, Correction(point=Point(x=3, y=4))]


def test_confirm_verdict_is_prominent(panel):
    panel.ask(proposal(decision=Decision.CONFIRM))
    texts = [label.text() for label in panel.findChildren(QLabel) if label.isVisible()]
    assert "CONFIRM" in texts
    assert any("The policy asks you to confirm" in text for text in texts)
    assert STEP in texts and "outward-facing button" in texts and "Sample Order Form" in texts
    panel.clear()
    panel.ask(proposal(decision=Decision.ALLOW))
    texts = [label.text() for label in panel.findChildren(QLabel) if label.isVisible()]
    assert "ALLOW" in texts and not any("asks you to confirm" in text for text in texts)


def test_no_pick_for_a_step_without_target(panel):
    panel.ask(proposal("press ctrl+s"))
    assert not panel.pick_action.isEnabled() and panel.rewrite_action.isEnabled()
    panel.ask(proposal())
    assert panel.pick_action.isEnabled()


def test_a_command_line_is_shown_exactly_and_a_line_not_all_typed_is_flagged(panel):
    base = proposal("press enter")
    command = CommandLine(lines=("find victim -delete",), on_screen="$ rm -r x; find victim -delete",
                          typed_all=False)
    panel.ask(replace(base, request=replace(base.request, command=command)))
    shown = panel.findChild(QLabel, "command")
    assert shown.isVisibleTo(panel)
    assert shown.text().startswith("find victim -delete")
    assert "on screen: $ rm -r x; find victim -delete" in shown.text()
    panel.ask(proposal())
    assert not shown.isVisibleTo(panel)
