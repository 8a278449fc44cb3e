"""The app's "Serve agents": the MCP server over streamable HTTP (`desktop_agent.serve.http`) in a
QThread of its own, which runs the server's event loop; the engine works on the server's engine thread.

Every step an agent sends comes out as the same events a task run gives (`event`), and a policy's
`confirm` the client can't ask itself (no elicitation) comes out as `approvalNeeded`, answered from the
approval panel like a run's — the agent gets the person's answer as the tool's result.

Guaranteed: `stop()` ends serving from any thread — a question open in the panel is answered QUIT (its
step stops), a step in flight is stopped at its next check, the run finishes, the port is closed —
and then the thread ends (`done`); nothing of it is left running after `wait()`. The endpoint (URL and
token) is emitted once (`ready`) and kept nowhere here.
"""
from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from PySide6.QtCore import Signal

from desktop_agent.compose import AgentConfig
from desktop_agent.run.runner import Runner
from desktop_agent.safety.stop import StopHotkey
from desktop_agent.serve.http import HttpServer
from desktop_agent.serve.opening import Serving, opener
from ui.worker import EngineWorker, GuiApprover


class ServeWorker(EngineWorker):
    ready = Signal(object)  # the serve.http.Endpoint clients connect to, once

    def __init__(self, serving: Serving, *, build: Callable[[AgentConfig], Runner],
                 brakes: Callable[[Runner], AbstractContextManager[StopHotkey | None]], port: int = 0) -> None:
        approver = GuiApprover()
        super().__init__(name="serve agents", approver=approver)
        self._brakes = brakes
        self._server = HttpServer(opener(serving, brakes=self._held, fallback=approver, watch=self.event.emit,
                                         build=build), port=port)

    def stop(self, reason: str = "stopped from the app") -> None:
        self._approver.cancel()
        self._server.stop(reason)

    def _engine(self) -> None:
        self._server.serve(self.ready.emit)

    def _held(self, runner: Runner) -> AbstractContextManager[Any]:
        return self._braking(self._brakes(runner))
