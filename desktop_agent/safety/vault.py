"""Secrets a task names as `{secret:NAME}` (a recorded password, say): filled in just before a run from
the system keyring (service "desktop-agent", user NAME) or by asking the person, and never written.

Guaranteed: the step texts keep the placeholder, so traces, reports, the ledger and the memory only
ever see `{secret:NAME}`; typing into a step with a placeholder counts as secret whatever the field is
called (see `policy.is_secret_entry`); a secret that can't be found stops the run before anything acts,
naming it and saying how to store it. Not guaranteed: that the keyring itself keeps it safe.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import replace

from desktop_agent.core.actions import Plan, TypeText
from desktop_agent.core.errors import AgentError

SERVICE = "desktop-agent"
MASK = "•••"  # what a secret is written as, everywhere the agent writes (audit, trace, ledger, memory)
PLACEHOLDER = re.compile(r"\{secret:([A-Za-z_][\w-]*)\}")

Ask = Callable[[str], str | None]
"""Asks the person for secret NAME; None when they decline."""


def mask(text: str, secrets: Iterable[str], *, as_written: Callable[[str], str] = str) -> str:
    """`text` with every secret in it written as MASK, longest first (a secret containing another is
    masked whole). `as_written`: how a secret appears in `text` (escaped for JSON or HTML, say)."""
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        text = text.replace(as_written(secret), MASK)
    return text


def mask_data(value: object, secrets: Iterable[str]) -> object:
    """JSON data (str, dict, list, scalars) with `mask` applied to every string in it."""
    secrets = tuple(secrets)
    match value:
        case str():
            return mask(value, secrets)
        case dict():
            return {key: mask_data(item, secrets) for key, item in value.items()}
        case list():
            return [mask_data(item, secrets) for item in value]
    return value


def secret_names(plan: Plan) -> list[str]:
    """The secrets the plan types, in order of first use."""
    found: dict[str, None] = {}
    for step in plan.steps:
        if isinstance(step.action, TypeText):
            found.update(dict.fromkeys(PLACEHOLDER.findall(step.action.text)))
    return list(found)


def fill_secrets(plan: Plan, *, ask: Ask | None, keyring_lookup: Callable[[str], str | None] | None = None) -> Plan:
    """The plan with every `{secret:NAME}` in its typed text replaced by the secret's value (the keyring
    first, then `ask`); AgentError when one is found nowhere."""
    lookup = keyring_lookup or _from_keyring
    values: dict[str, str] = {}
    for name in secret_names(plan):
        value = lookup(name) or (ask(name) if ask is not None else None)
        if not value:
            raise AgentError(f"secret {{secret:{name}}} is not in the system keyring and nobody was asked "
                             f"for it; store it with: keyring set {SERVICE} {name}")
        values[name] = value
    if not values:
        return plan
    return replace(plan, steps=tuple(
        replace(step, action=replace(step.action, text=PLACEHOLDER.sub(lambda m: values[m[1]],
                                                                         step.action.text)))
        if isinstance(step.action, TypeText) else step for step in plan.steps))


def _from_keyring(name: str) -> str | None:
    import keyring  # lazily: it probes for backends when imported
    from keyring.errors import KeyringError

    try:
        return keyring.get_password(SERVICE, name)
    except KeyringError:  # no usable backend here: ask instead
        return None
