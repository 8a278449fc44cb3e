"""The MCP server over stdio: the session lasts as long as the client's connection.

When the client goes away (stdin closes, or SIGTERM comes) the session's run ends (`close_session`: a
step in flight is stopped and the run finishes `stopped`), then the process exits.
"""
from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from contextlib import ExitStack

import anyio
from mcp.server.stdio import stdio_server

from desktop_agent.cli.exit_codes import EXIT_OK
from desktop_agent.serve.questions import Questions
from desktop_agent.serve.server import EngineThread, build_server, close_session, open_on_engine
from desktop_agent.serve.session import Session


def serve_stdio(open_session: Callable[[ExitStack], Session]) -> None:
    """Build the session on the engine thread, then serve MCP over stdin/stdout until the client goes.
    An AgentError while building is raised here, before anything is served."""
    engine, session, stack = open_on_engine(open_session)
    anyio.run(_serve, session, engine, stack)


async def _serve(session: Session, engine: EngineThread, stack: ExitStack) -> None:
    loop = asyncio.get_running_loop()
    questions = Questions(loop)
    server = build_server(session, engine, questions)
    closing: asyncio.Future[None] | None = None

    def close() -> asyncio.Future[None]:
        nonlocal closing
        if closing is None:
            closing = asyncio.ensure_future(close_session(session, engine, stack, questions,
                                                          why="the MCP client disconnected"))
        return closing

    async def terminated() -> None:
        await close()
        # The transport's stdin reader is a thread blocked in read(): nothing can wake it, so the
        # process leaves at once now that the run is finished (the client is gone either way).
        os._exit(EXIT_OK)

    # A client's shutdown closes stdin, then sends SIGTERM: both end the session's run the same way.
    loop.add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(terminated()))
    try:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())
    finally:
        await close()
