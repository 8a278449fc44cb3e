"""`desktop-agent mcp`: serve the six tools over stdio to an MCP client (registered as a CLI plugin
through the `desktop_agent.commands` entry point, like `gui`).

The whole session is one run named `--name`, under `--trace-dir`, judged by `--policy`; it ends when
the client closes the connection. Stdout carries the protocol only (the SDK points file descriptor 1
at stderr while serving, so nothing a library prints can break it); the step log is not printed.
"""
from __future__ import annotations

import argparse
from contextlib import ExitStack
from pathlib import Path

from desktop_agent.cli.exit_codes import EXIT_OK
from desktop_agent.compose import AgentConfig, brakes, open_run
from desktop_agent.run.runner import RunOptions
from desktop_agent.safety.policy import load_policy
from desktop_agent.safety.stop import STOP_HOTKEY
from desktop_agent.serve.confirm import Confirmations
from desktop_agent.serve.session import Session

UNDO_DEPTH = 10  # verified steps `rollback` can take back on screen (each keeps the screen it acted on)


def add_command(subparsers: argparse._SubParsersAction) -> None:
    mcp = subparsers.add_parser("mcp", help="serve observe/ground/act/run_task/rollback/memory_search to an "
                                            "MCP client over stdio: every action guarded, verified, audited")
    mcp.add_argument("--policy", type=Path, help="policy file (default: the shipped policy)")
    mcp.add_argument("--trace-dir", type=Path, default=Path("traces"),
                     help="where the session's run folder and the ledger go (default ./traces)")
    mcp.add_argument("--workspace", type=Path, action="append", default=[], metavar="PATH",
                     help="a path the session may change: checkpointed before every acting step (repeatable)")
    mcp.add_argument("--name", default="mcp session", help="the session's run name (default 'mcp session')")
    mcp.add_argument("--find-timeout", type=float, default=3.0, metavar="S",
                     help="seconds to wait for a target to appear (default 3)")
    mcp.add_argument("--stop-hotkey", default=STOP_HOTKEY, help="global stop hotkey (pynput)")
    mcp.add_argument("--no-memory", action="store_true", help="do not record the session in the local memory")
    mcp.add_argument("--memory-db", type=Path, help="memory file (default: the user data dir)")
    mcp.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    from desktop_agent.serve.server import serve_stdio  # the SDK loads only for this command

    policy = load_policy(args.policy)  # a malformed policy stops here, before anything is served
    confirmations = Confirmations()
    config = AgentConfig(policy=policy, trace_root=args.trace_dir.resolve(), run_name=args.name,
                         approver=confirmations,
                         remember=not args.no_memory, memory_path=args.memory_db,
                         options=RunOptions(find_timeout_s=args.find_timeout, base_dir=Path.cwd(),
                                            undo_depth=UNDO_DEPTH))
    workspace = tuple(path.resolve() for path in args.workspace)

    def open_session(stack: ExitStack) -> Session:
        run = open_run(config, workspace=workspace)
        stack.callback(run.finish)  # finished at the latest when the brakes come off
        stack.enter_context(brakes(run.runner, hotkey=args.stop_hotkey))
        return Session(run, confirmations, memory_path=args.memory_db)

    serve_stdio(open_session)
    return EXIT_OK
