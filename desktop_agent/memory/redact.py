"""What of a run the memory must not keep: text typed into secret fields and secret parameter values,
masked as "•••" wherever they appear before anything is written.

Guaranteed: text typed into a field named like a secret (the step's target text, an anchor's text or the
grounded element's label/text matches `secret_fields`) and the value of a parameter whose name matches
`secret_fields` are masked in every text of the run (step texts, target descriptions, element texts,
errors, parameter values, feedback). Not guaranteed: secrets typed without a target into whatever has
focus under a neutral parameter name; secrets already visible on screen in other fields.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import overload

from desktop_agent.core.actions import Action, TypeText, action_name, target_specs
from desktop_agent.core.results import StepResult, StepStatus
from desktop_agent.core.values import TargetSpec
from desktop_agent.safety.vault import MASK, mask

SECRET_FIELDS = re.compile(r"(?i)pass(word|phrase|code)|\bpin\b|secret")


def secret_texts(results: Sequence[StepResult], params: Mapping[str, str],
                 secret_fields: re.Pattern[str]) -> set[str]:
    """The texts to mask in everything recorded about this run (never the empty string)."""
    typed = {_secret_typed(r, secret_fields) for r in results}
    named = {value for name, value in params.items() if secret_fields.search(name)}
    return {text for text in typed | named if text}


@overload
def redact(text: str, secrets: set[str]) -> str: ...
@overload
def redact(text: str | None, secrets: set[str]) -> str | None: ...
def redact(text: str | None, secrets: set[str]) -> str | None:
    return None if text is None else mask(text, secrets)


def param_value(name: str, value: str, secrets: set[str], secret_fields: re.Pattern[str]) -> str:
    """A parameter's value as stored: masked whole when its name is secret-like or it was typed into a
    secret field."""
    return MASK if secret_fields.search(name) or value in secrets else redact(value, secrets)


def step_row(run_id: str, index: int, result: StepResult, secrets: set[str]) -> tuple[object, ...]:
    """The `steps` row of one result, up to (not including) its screenshot."""
    spec = _main_spec(result.step.action)
    element = result.target.element if result.target is not None else None
    return (run_id, index, redact(result.step.text, secrets), action_name(result.step.action),
            redact(spec.describe(), secrets) if spec is not None else None,
            element.role.value if element is not None else None,
            redact(element.label or element.text, secrets) if element is not None else None,
            result.target.strategy if result.target is not None else None,
            result.verdict.decision.value if result.verdict is not None else None,
            StepStatus(result.status).value, redact(result.error, secrets), result.timings.total_ms)


def _main_spec(action: Action) -> TargetSpec | None:
    return next(iter(target_specs(action)), None)


def _spec_texts(spec: TargetSpec | None) -> list[str]:
    texts: list[str] = []
    while spec is not None:
        if spec.text:
            texts.append(spec.text)
        spec = spec.anchor.target if spec.anchor is not None else None
    return texts


def _secret_typed(result: StepResult, secret_fields: re.Pattern[str]) -> str | None:
    """The text `result`'s step types, when it types into a field named like a secret (by the step or on
    screen)."""
    action = result.step.action
    if not isinstance(action, TypeText):
        return None
    element = result.target.element if result.target is not None else None
    names = [element.label, element.text] if element is not None else []
    names.extend(_spec_texts(action.target))
    return action.text if any(secret_fields.search(name) for name in names if name) else None
