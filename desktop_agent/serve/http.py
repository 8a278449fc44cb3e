"""The MCP server over streamable HTTP (the SDK's transport, served by uvicorn), on 127.0.0.1 only,
behind a bearer token.

One serving session is one run, from `serve` until `stop`: every client that connects meanwhile (each
an MCP session of the transport) drives the same run, its calls taken one at a time. A client that
goes away mid-call — the connection carrying the call closes before its reply, or it ends its MCP
session (DELETE) — has that call's step stopped at its next check (its question withdrawn, in the
client or at the app's panel; the step ends `stopped`, in the run like any step); the run and the
other clients go on. Serving ends on `stop` (from any thread: the app's toggle, a
signal) or when the run's brake is pulled (stop hotkey, fail-safe corner); then the run ends as a
stdio session's does when its client goes (`close_session`), and the port is closed.

Guaranteed: the socket is bound to 127.0.0.1, never to another address; every HTTP request without
`Authorization: Bearer <token>` or with another token is answered 401 before the SDK sees it (compared
in constant time); the token is random per serving session (256 bits), is handed to `ready` once and
is written nowhere (no log, no trace). Not guaranteed: that nobody else on this machine reads the token
from where the person pastes it.
"""
from __future__ import annotations

import asyncio
import hmac
import secrets
import socket
import threading
import weakref
from collections.abc import Callable
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import field
from typing import Any

import uvicorn
from mcp.server.context import ServerRequestContext
from mcp.server.streamable_http import MCP_SESSION_ID_HEADER
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from desktop_agent.core.errors import AgentError
from desktop_agent.core.values import frozen
from desktop_agent.serve.questions import Questions
from desktop_agent.serve.server import (
    CLOSE_TIMEOUT_S,
    Departure,
    EngineThread,
    build_server,
    close_session,
    open_on_engine,
)
from desktop_agent.serve.session import Session

HOST = "127.0.0.1"
PATH = "/mcp"
_BRAKE_POLL_S = 0.25  # how soon serving notices the brake pulled between calls
_SHUTDOWN_S = 2       # open streams (a client's GET stream) are cut after this
_HANGUP = "desktop_agent.hangup"  # the ASGI scope's key for a request's _Hangup


@frozen
class Endpoint:
    url: str
    token: str = field(repr=False)

    @property
    def authorization(self) -> str:
        """The header value a client sends."""
        return f"Bearer {self.token}"


class BearerToken:
    """ASGI middleware: an HTTP request passes only with the token (anything else: 401)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self._app = app
        self._expected = f"Bearer {token}".encode("ascii")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = [value for name, value in scope["headers"] if name == b"authorization"]
            if len(given) != 1 or not hmac.compare_digest(given[0], self._expected):
                refusal = JSONResponse({"error": "unauthorized",
                                        "error_description": "send Authorization: Bearer <the token shown "
                                                             "when serving started>"},
                                       status_code=401, headers={"WWW-Authenticate": 'Bearer realm="desktop-agent"'})
                await refusal(scope, receive, send)
                return
        await self._app(scope, receive, send)


class _Calls:
    """ASGI middleware: counts the requests being answered (a GET is a client's standing stream, not
    counted), so that serving ends only once each call's reply is out, and ends the standing streams
    when it does; and tells each call when its client has gone (`dropped`): the connection that carried
    it closed before its reply was all sent, or the client ended its MCP session (DELETE)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self.open = 0
        self._sessions: dict[str, weakref.WeakSet[_Hangup]] = {}  # requests by MCP session, while watched
        self._streams: set[_Stream] = set()  # the clients' standing GET streams

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        if scope["method"] == "GET":
            stream = _Stream(receive)
            self._streams.add(stream)
            try:
                await self._app(scope, stream.receive, send)
            finally:
                self._streams.discard(stream)
            return
        session = next((value.decode("latin-1") for name, value in scope["headers"]
                        if name == MCP_SESSION_ID_HEADER.lower().encode("ascii")), None)
        hangup = _Hangup(receive, send)
        scope[_HANGUP] = hangup
        if session is not None:
            self._sessions.setdefault(session, weakref.WeakSet()).add(hangup)
        self.open += 1
        try:
            await self._app(scope, hangup.receive, hangup.send)
        finally:
            self.open -= 1
            hangup.close()
        if scope["method"] == "DELETE" and session is not None and hangup.status == 200:
            for each in self._sessions.pop(session, ()):
                each.gone.set()

    async def answered(self, timeout_s: float) -> None:
        for _ in range(int(timeout_s / 0.01)):
            if not self.open:
                return
            await asyncio.sleep(0.01)

    def hang_up_streams(self) -> None:
        """End every client's standing stream, as if its client had closed it."""
        for stream in self._streams:
            stream.closing.set()


class _Stream:
    """A GET stream's receive, which also says the client went away once `closing` is set."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self.closing = asyncio.Event()

    async def receive(self) -> Message:
        heard, closing = asyncio.ensure_future(self._receive()), asyncio.ensure_future(self.closing.wait())
        try:
            await asyncio.wait((heard, closing), return_when=asyncio.FIRST_COMPLETED)
        finally:
            closing.cancel()
            if not heard.done():
                heard.cancel()
        return heard.result() if heard.done() and not heard.cancelled() else {"type": "http.disconnect"}


class _Hangup:
    """One request's receive and send, watched: `gone` is set when the client closes the connection
    before the last byte of the reply went out (or ends its session: `_Calls`). Once the body is read,
    it listens for that itself (in JSON-response mode nobody else would) and hands the app the same
    message when it asks."""

    def __init__(self, receive: Receive, send: Send) -> None:
        self._receive, self._send = receive, send
        self.gone = asyncio.Event()
        self.status: int | None = None
        self._replied = False
        self._listening: asyncio.Task[Message] | None = None

    async def wait(self) -> None:
        """Return once the client has gone (server.Departure)."""
        await self.gone.wait()

    async def receive(self) -> Message:
        if self._listening is not None:
            return await asyncio.shield(self._listening)
        message = await self._receive()
        if message["type"] == "http.request" and not message.get("more_body", False):
            self._listening = asyncio.create_task(self._listen())
        self._heard(message)
        return message

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            self._replied = True
        await self._send(message)

    def close(self) -> None:
        if self._listening is not None:
            self._listening.cancel()

    async def _listen(self) -> Message:
        message = await self._receive()
        self._heard(message)
        return message

    def _heard(self, message: Message) -> None:
        if message["type"] == "http.disconnect" and not self._replied:
            self.gone.set()


def dropped(ctx: ServerRequestContext[Any]) -> Departure | None:
    """server.Dropped over HTTP: the request that carried the call, watched."""
    scope = getattr(ctx.request, "scope", None)  # the Starlette request the SDK hands each call
    hangup = scope.get(_HANGUP) if isinstance(scope, dict) else None
    return hangup if isinstance(hangup, _Hangup) else None


class _Uvicorn(uvicorn.Server):
    @contextmanager
    def capture_signals(self) -> Any:  # signals belong to whoever runs us (the CLI, the app)
        yield


class HttpServer:
    def __init__(self, open_session: Callable[[ExitStack], Session], *, port: int = 0) -> None:
        """`port` 0: any free one (the endpoint given to `ready` says which)."""
        self._open_session = open_session
        self._port = port
        self._token = secrets.token_urlsafe(32)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._stopping = False
        self._why = "serving stopped"

    def serve(self, ready: Callable[[Endpoint], None]) -> None:
        """Listen, open the session, call `ready` once clients can connect, and serve until `stop` (or
        the brake). AgentError, with nothing left open, when the port can't be had or the session
        can't be opened."""
        listener = _listen(self._port)
        try:
            engine, session, stack = open_on_engine(self._open_session)
        except BaseException:
            listener.close()
            raise
        try:
            asyncio.run(self._serve(listener, session, engine, stack, ready))
        finally:
            listener.close()
            engine.stop(wait_s=CLOSE_TIMEOUT_S)

    def stop(self, why: str = "serving stopped") -> None:
        """End serving (any thread; at once when it has not started; again: nothing); a step in flight
        is stopped with `why`."""
        with self._lock:
            if not self._stopping:
                self._stopping, self._why = True, why
            if self._loop is not None and self._stop is not None:
                self._loop.call_soon_threadsafe(self._stop.set)

    async def _serve(self, listener: socket.socket, session: Session, engine: EngineThread, stack: ExitStack,
                     ready: Callable[[Endpoint], None]) -> None:
        questions = Questions(asyncio.get_running_loop())
        mcp = build_server(session, engine, questions, dropped=dropped)
        calls = _Calls(mcp.streamable_http_app(streamable_http_path=PATH, host=HOST))
        app = BearerToken(calls, self._token)
        server = _Uvicorn(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                                         timeout_graceful_shutdown=_SHUTDOWN_S))
        with self._lock:
            self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
            if self._stopping:
                self._stop.set()
        serving = asyncio.create_task(server.serve(sockets=[listener]))
        try:
            while not (server.started or serving.done() or self._stop.is_set()):
                await asyncio.sleep(0.01)
            if server.started and not self._stop.is_set():
                port = listener.getsockname()[1]
                ready(Endpoint(url=f"http://{HOST}:{port}{PATH}", token=self._token))
            brake = session.run.runner.stop
            while not (serving.done() or self._stop.is_set() or brake.pulled):
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), _BRAKE_POLL_S)
        finally:
            # The run ends while the port is still open, so a call in flight gets its reply; then the
            # clients' open streams close and the server stops (its lifespan ends the MCP sessions).
            await close_session(session, engine, stack, questions, why=self._why)
            await calls.answered(_SHUTDOWN_S)
            calls.hang_up_streams()
            server.should_exit = True
            await serving


def _listen(port: int) -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, port))
        listener.listen(16)
    except OSError as exc:
        listener.close()
        raise AgentError(f"cannot serve on {HOST}:{port}: {exc.strerror or exc}") from exc
    listener.setblocking(False)
    return listener
