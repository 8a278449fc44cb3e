"""`desktop-agent mcp`: serve the six tools to an MCP client over stdio, or with `--http` over
streamable HTTP on 127.0.0.1 (registered as a CLI plugin through the `desktop_agent.commands` entry
point, like `gui`).

The whole session is one run named `--name`, under `--trace-dir`, judged by `--policy`. Over stdio it
ends when the client closes the connection; stdout carries the protocol only (the SDK points file
descriptor 1 at stderr while serving, so nothing a library prints can break it). Over HTTP it ends on
ctrl+c or SIGTERM; the URL and the bearer token are printed once, to stderr. The step log is not printed.
"""
from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from desktop_agent.cli.exit_codes import EXIT_OK
from desktop_agent.compose import brakes
from desktop_agent.safety.policy import load_policy
from desktop_agent.safety.stop import STOP_HOTKEY
from desktop_agent.serve.opening import Serving, opener


def add_command(subparsers: argparse._SubParsersAction) -> None:
    mcp = subparsers.add_parser("mcp", help="serve observe/ground/act/run_task/rollback/memory_search to an "
                                            "MCP client (stdio, or --http): every action guarded, verified, "
                                            "audited")
    mcp.add_argument("--http", action="store_true",
                     help="serve streamable HTTP on 127.0.0.1 with a bearer token (printed once to stderr) "
                          "instead of stdio")
    mcp.add_argument("--port", type=int, default=0, help="with --http: the port (default: any free one)")
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
    serving = Serving(policy=load_policy(args.policy),  # a malformed policy stops here, before anything is served
                      trace_root=args.trace_dir.resolve(), base_dir=Path.cwd(), name=args.name,
                      workspace=tuple(path.resolve() for path in args.workspace),
                      find_timeout_s=args.find_timeout, remember=not args.no_memory, memory_path=args.memory_db)
    open_session = opener(serving, brakes=lambda runner: brakes(runner, hotkey=args.stop_hotkey))
    if not args.http:
        from desktop_agent.serve.stdio import serve_stdio  # the SDK loads only for this command

        serve_stdio(open_session)
        return EXIT_OK
    from desktop_agent.serve.http import Endpoint, HttpServer

    server = HttpServer(open_session, port=args.port)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: server.stop())

    def ready(endpoint: Endpoint) -> None:
        print(f"desktop-agent mcp: serving MCP (streamable HTTP) at {endpoint.url}\n"
              f"  send the header  Authorization: {endpoint.authorization}\n"
              "  (shown once: the token lasts until this server stops; ctrl+c stops it)",
              file=sys.stderr, flush=True)

    server.serve(ready)
    return EXIT_OK
