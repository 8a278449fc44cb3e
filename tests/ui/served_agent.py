"""An agent on another thread: the MCP SDK's streamable-HTTP client, with its own event loop, calling
the app's server while the test's thread runs Qt's event loop."""
from __future__ import annotations

import asyncio
import concurrent.futures
import threading

import mcp_types as types
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from desktop_agent.serve.http import Endpoint


class Agent:
    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="test agent")
        self._thread.start()
        self._session: concurrent.futures.Future[ClientSession] = concurrent.futures.Future()
        self._leave = asyncio.Event()
        self._connected = self._submit(self._connected_until_closed())
        self._session.result(timeout=30)

    def call(self, tool: str, arguments: dict) -> concurrent.futures.Future[types.CallToolResult]:
        return self._submit(self._session.result().call_tool(tool, arguments))

    def close(self) -> None:
        """Leave (ending the MCP session); again: nothing."""
        if self._loop.is_closed():
            return
        try:
            self._loop.call_soon_threadsafe(self._leave.set)
            self._connected.result(timeout=30)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()

    async def _connected_until_closed(self) -> None:
        try:
            async with (create_mcp_http_client(headers={"Authorization": self.endpoint.authorization}) as http,
                        streamable_http_client(self.endpoint.url, http_client=http) as (read, write),
                        ClientSession(read, write) as session):
                await session.initialize()
                self._session.set_result(session)
                await self._leave.wait()
        except BaseException as exc:
            if not self._session.done():
                self._session.set_exception(exc)
            raise

    def _submit(self, coroutine) -> concurrent.futures.Future:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)
