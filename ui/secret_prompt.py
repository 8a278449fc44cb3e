"""Secrets a task types as `{secret:NAME}`, filled in when the app starts a run: from the system keyring,
else asked for in a password box (`vault.fill_secrets`, as the command line does).

Guaranteed: a value is only ever in the plan handed to the run — never in the editor, the settings or a
file (the step texts keep the placeholder); declining any one secret starts nothing. Not guaranteed: how
long the keyring takes to answer (a locked keyring may ask for its own password first).
"""
from __future__ import annotations

from PySide6.QtWidgets import QInputDialog, QLineEdit, QWidget

from desktop_agent.core.actions import Plan
from desktop_agent.core.errors import AgentError
from desktop_agent.safety.vault import fill_secrets


class SecretDeclined(AgentError):
    """The person cancelled the box asking for `name` (or left it empty)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no value was given for {{secret:{name}}}", details={"secret": name})
        self.name = name


def fill_for_run(plan: Plan, parent: QWidget) -> Plan:
    """`plan` with its secrets filled in, asking in a password box for each one the keyring lacks;
    raises SecretDeclined when the person gives none."""
    def ask(name: str) -> str:
        value, accepted = QInputDialog.getText(parent, "Secret for this run",
                                               f"Secret {{secret:{name}}} — not stored",
                                               QLineEdit.EchoMode.Password)
        if not accepted or not value:
            raise SecretDeclined(name)
        return value

    return fill_secrets(plan, ask=ask)
