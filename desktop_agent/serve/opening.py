"""What a serving session is given, and how its run is opened — the one way for the command line
(`desktop-agent mcp`, stdio or HTTP) and the desktop app's "Serve agents" alike.

A session's confirms go to its client first (elicitation); `fallback` is who asks the person when the
client can't (the desktop app's approval panel), and without one they are refused with the reason.
"""
from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from typing import Any

from desktop_agent.compose import AgentConfig, open_run
from desktop_agent.core.values import frozen
from desktop_agent.run.runner import Runner, RunOptions
from desktop_agent.safety.policy import Policy
from desktop_agent.serve.confirm import AppApprover, Confirmations
from desktop_agent.serve.session import Session, Watch

UNDO_DEPTH = 10  # verified steps `rollback` can take back on screen (each keeps the screen it acted on)


@frozen
class Serving:
    policy: Policy
    trace_root: Path         # the session's run folder and the ledger go here
    base_dir: Path           # relative task files are found from here
    name: str = "mcp session"
    workspace: tuple[Path, ...] = ()  # checkpointed before every acting step, put back by `rollback`
    find_timeout_s: float = 3.0
    remember: bool = True
    memory_path: Path | None = None


def opener(serving: Serving, *, brakes: Callable[[Runner], AbstractContextManager[Any]],
           fallback: AppApprover | None = None, watch: Watch | None = None,
           build: Callable[[AgentConfig], Runner] | None = None) -> Callable[[ExitStack], Session]:
    """What opens the session on the engine thread: its run (from `build`, default
    `compose.build_runner`), finished at the latest when `brakes` (held for the session) come off."""
    confirmations = Confirmations(fallback=fallback)
    config = AgentConfig(policy=serving.policy, trace_root=serving.trace_root, run_name=serving.name,
                         approver=confirmations, remember=serving.remember, memory_path=serving.memory_path,
                         options=RunOptions(find_timeout_s=serving.find_timeout_s, base_dir=serving.base_dir,
                                            undo_depth=UNDO_DEPTH))

    def open_session(stack: ExitStack) -> Session:
        run = open_run(config, workspace=serving.workspace, build=build)
        stack.callback(run.finish)
        stack.enter_context(brakes(run.runner))
        return Session(run, confirmations, memory_path=serving.memory_path, watch=watch)

    return open_session
