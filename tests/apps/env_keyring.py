"""A keyring backend for tests: reads secrets from $DESKTOP_AGENT_TEST_KEYRING (JSON {"service/user": "…"}),
so agent processes started by a test see the same "system keyring" as the test itself. Select it with
PYTHON_KEYRING_BACKEND=tests.apps.env_keyring.EnvKeyring (and the repository on PYTHONPATH)."""
from __future__ import annotations

import json
import os

from keyring.backend import KeyringBackend
from keyring.errors import PasswordSetError

VARIABLE = "DESKTOP_AGENT_TEST_KEYRING"


class EnvKeyring(KeyringBackend):
    priority = 1

    def get_password(self, service: str, username: str) -> str | None:
        return json.loads(os.environ.get(VARIABLE, "{}")).get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise PasswordSetError("the test keyring is read-only")

    def delete_password(self, service: str, username: str) -> None:
        raise PasswordSetError("the test keyring is read-only")
