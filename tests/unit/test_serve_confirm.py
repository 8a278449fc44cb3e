"""A policy's confirm over MCP: approved only by an explicit yes from the person, refused with the reason
otherwise — also when the client can't ask."""
from __future__ import annotations

import pytest

from desktop_agent.core.actions import Click
from desktop_agent.core.errors import AgentError
from desktop_agent.core.values import Decision, Point, Rect, Target, TargetSpec, Verdict, Window
from desktop_agent.safety.approvals import Approval, Proposal
from desktop_agent.safety.policy import ActionRequest
from desktop_agent.serve.confirm import SCHEMA, Confirmations, question

WINDOW = Window(id=1, title="Orders", wm_class="Orders", box=Rect(left=0, top=0, width=400, height=300))
PROPOSAL = Proposal(
    request=ActionRequest(action=Click(target=TargetSpec(text="Submit")), step_text='click "Submit"',
                          target=Target(box=Rect(left=10, top=20, width=60, height=20), point=Point(x=40, y=30),
                                        strategy="text-exact", why='exact text "Submit"'),
                          window=WINDOW),
    verdict=Verdict(decision=Decision.CONFIRM, reason="it sends the order"),
    reason_for_asking="the policy asks for confirmation: it sends the order")


def test_the_question_names_the_step_the_place_the_window_and_the_policy():
    text = question(PROPOSAL)
    assert 'wants to: click "Submit"' in text and "text-exact at (40,30)" in text
    assert 'Window: "Orders"' in text and "Policy: confirm — it sends the order" in text


@pytest.mark.parametrize(("action", "content", "approval", "why"), [
    ("accept", {"approve": True}, Approval.APPROVE, None),
    ("accept", {"approve": False}, Approval.SKIP, "the person answered no"),
    ("accept", {"approve": "true"}, Approval.SKIP, "the person answered no"),  # only a real yes
    ("accept", None, Approval.SKIP, "the person answered no"),
    ("decline", None, Approval.SKIP, "the person declined"),
    ("cancel", None, Approval.SKIP, "the person cancelled"),
])
def test_only_an_explicit_yes_approves(action, content, approval, why):
    confirmations = Confirmations()
    asked = []

    def ask(message, schema):
        asked.append((message, schema))
        return action, content

    with confirmations.asking(ask):
        assert confirmations(PROPOSAL) is approval
    assert asked == [(question(PROPOSAL), SCHEMA)]
    refusal = confirmations.take_refusal()
    assert (refusal is None) if why is None else (why in refusal and "it sends the order" in refusal)
    assert confirmations.take_refusal() is None  # taken once


def test_without_elicitation_a_confirm_is_refused_with_the_reason():
    confirmations = Confirmations()
    with confirmations.asking(None):
        assert confirmations(PROPOSAL) is Approval.SKIP
    assert "does not support elicitation" in confirmations.take_refusal()
    assert confirmations(PROPOSAL) is Approval.SKIP  # outside a call nobody can be asked either


def test_a_question_that_fails_is_a_refusal():
    def ask(message, schema):
        raise AgentError("the client went away")

    confirmations = Confirmations()
    with confirmations.asking(ask):
        assert confirmations(PROPOSAL) is Approval.SKIP
    assert "asking the person failed (the client went away)" in confirmations.take_refusal()
