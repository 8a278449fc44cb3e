"""`{secret:NAME}` placeholders: filled from the keyring or by asking, never kept in step texts, and
typing them is secret whatever the field is called."""
from __future__ import annotations

import pytest
from fakes import FakeDesktop
from test_runner import NAME_FIELD, NAME_LABEL, masked, run, screen

from desktop_agent.core.actions import KeyText, TypeText
from desktop_agent.core.errors import AgentError
from desktop_agent.language.steps import plan_from_steps
from desktop_agent.safety.approvals import Approval
from desktop_agent.safety.vault import fill_secrets, secret_names

STEPS = ['type "{secret:pin}" into the field right of "Name"', 'type "x{secret:pin}y"', 'click "OK"']


def test_names_are_listed_once_in_order():
    assert secret_names(plan_from_steps([*STEPS, 'type "{secret:otp}"'])) == ["pin", "otp"]


def test_the_keyring_is_asked_first_and_the_step_text_keeps_the_placeholder():
    asked = []
    plan = fill_secrets(plan_from_steps(STEPS), ask=lambda name: asked.append(name) or "nope",
                        keyring_lookup={"pin": "4711"}.get)
    assert [s.action.text for s in plan.steps[:2]] == ["4711", "x4711y"] and asked == []
    assert plan.steps[0].text == STEPS[0]


def test_a_person_is_asked_when_the_keyring_has_nothing():
    plan = fill_secrets(plan_from_steps(STEPS[:1]), ask=lambda name: "2468", keyring_lookup=lambda n: None)
    assert plan.steps[0].action == TypeText(text="2468", target=plan.steps[0].action.target)


def test_a_secret_found_nowhere_stops_before_anything_runs():
    with pytest.raises(AgentError, match=r"\{secret:pin\}.*keyring set desktop-agent pin"):
        fill_secrets(plan_from_steps(STEPS), ask=None, keyring_lookup=lambda n: None)


def test_a_filled_secret_is_typed_but_never_written(tmp_path):
    from dataclasses import replace

    plan = fill_secrets(plan_from_steps(STEPS[:1]), ask=None, keyring_lookup=lambda n: "Zq8#secret")
    typed = replace(NAME_FIELD, text="••••••••••")
    desktop = FakeDesktop([screen(NAME_LABEL, NAME_FIELD), masked(screen(NAME_LABEL, typed), 10)])
    shown = []
    finished = run(desktop, [], tmp_path=tmp_path, plan=plan,  # the default policy asks first
                   approver=lambda proposal: shown.append(proposal.shown_step_text) or Approval.APPROVE)
    assert shown == [STEPS[0]]
    assert KeyText(text="Zq8#secret") in desktop.actuator.operations
    written = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert b"Zq8#secret" not in written and finished.results[0].step.text == STEPS[0]
