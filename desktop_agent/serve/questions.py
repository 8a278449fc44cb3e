"""How a confirm reaches the person through the MCP client, on either kind of connection:

- handshake era (`initialize`; the SDK's `ClientSession`): an `elicitation/create` request to the
  client while the tool call is open;
- 2026-07-28 (per-request envelopes; the SDK's `Client` by default), where the server can't send the
  client requests: the tool call returns `input_required` carrying the same elicitation, and the
  client answers by calling the tool again with its response and the echoed `request_state`.

Either way the step waits on the engine thread, in the guard's authorization, for the answer. Only one
question is ever open (one tool call runs at a time).

Guaranteed: a question nobody will answer never holds the engine — a cancelled call, the client going
away, or (2026-07-28) a different call instead of the answer withdraws it, and the step ends refused
(`skipped`); an answer counts only when it carries the open question's `request_state`. Not guaranteed:
the reply of a call whose question was withdrawn reaches anyone (the step's result is in the run).
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import anyio
import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPError
from pydantic import ValidationError

from desktop_agent.core.errors import AgentError
from desktop_agent.serve import replies
from desktop_agent.serve.confirm import Ask

_KEY = "confirm"  # the one input request a question is sent as
Answer = tuple[str, Mapping[str, Any] | None]  # the client's action (accept | decline | cancel), its content


@dataclass(frozen=True, slots=True, kw_only=True)
class _Question:
    message: str
    schema: Mapping[str, Any]
    answer: concurrent.futures.Future[Answer]  # set on the loop, waited for on the engine thread


@dataclass(frozen=True, slots=True, kw_only=True)
class _Waiting:
    """A question sent as `input_required`: the client's next call should answer it."""

    state: str
    answer: concurrent.futures.Future[Answer]
    job: concurrent.futures.Future[replies.Reply]


class Questions:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._pending: set[concurrent.futures.Future[Any]] = set()  # answers the engine waits for
        self._sink: asyncio.Future[_Question] | None = None  # where the open call takes a question
        self._waiting: _Waiting | None = None

    def asker(self, ctx: ServerRequestContext[Any]) -> Ask | None:
        """How this call's client is asked (None when it declared no elicitation)."""
        capabilities = ctx.session.client_capabilities
        if capabilities is None or capabilities.elicitation is None:
            return None
        return self._request(ctx) if ctx.session.can_send_request else self._input_required

    async def resume(self, params: types.CallToolRequestParams) -> concurrent.futures.Future[replies.Reply] | None:
        """If a question is waiting for this call to answer it: the answer handed over and the job
        that asked (to be awaited again with `outcome`). Any other call withdraws the question first
        (and waits for that step to end refused); then None."""
        waiting, self._waiting = self._waiting, None
        if waiting is None:
            return None
        response = (params.input_responses or {}).get(_KEY)
        if params.request_state == waiting.state and isinstance(response, types.ElicitResult):
            waiting.answer.set_result((response.action, response.content))
            return waiting.job
        waiting.answer.cancel()  # moved on without answering
        await asyncio.wrap_future(waiting.job)
        return None

    async def outcome(self, job: concurrent.futures.Future[replies.Reply]) -> replies.Reply | types.InputRequiredResult:
        """The job's reply — or, when it asks a question this call can only return (2026-07-28), the
        `input_required` result carrying it."""
        sink: asyncio.Future[_Question] = self._loop.create_future()
        self._sink = sink
        done = asyncio.wrap_future(job)
        try:
            await asyncio.wait((done, sink), return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            self.cancel_all()  # the call was cancelled: its question will never be answered
            raise
        finally:
            self._sink = None
        if done.done():
            return done.result()
        question = sink.result()
        state = secrets.token_urlsafe(16)
        self._waiting = _Waiting(state=state, answer=question.answer, job=job)
        request = types.ElicitRequest(params=types.ElicitRequestFormParams(
            message=question.message, requested_schema=dict(question.schema)))
        return types.InputRequiredResult(input_requests={_KEY: request}, request_state=state)

    def cancel_all(self) -> None:
        """Withdraw every open question (the client went away)."""
        self._waiting = None
        for future in list(self._pending):
            future.cancel()

    # ------------------------------------------------------------ on the engine thread
    def _request(self, ctx: ServerRequestContext[Any]) -> Ask:
        def ask(message: str, schema: Mapping[str, Any]) -> Answer:
            future = asyncio.run_coroutine_threadsafe(
                ctx.session.elicit_form(message, dict(schema), related_request_id=ctx.request_id), self._loop)
            result = self._wait(future)
            return result.action, result.content

        return ask

    def _input_required(self, message: str, schema: Mapping[str, Any]) -> Answer:
        answer: concurrent.futures.Future[Answer] = concurrent.futures.Future()
        self._loop.call_soon_threadsafe(self._post, _Question(message=message, schema=schema, answer=answer))
        return self._wait(answer)

    def _post(self, question: _Question) -> None:
        if self._sink is None or self._sink.done():
            question.answer.cancel()  # no open call to carry it
        else:
            self._sink.set_result(question)

    def _wait(self, future: concurrent.futures.Future[Any]) -> Any:
        self._pending.add(future)
        try:
            return future.result()
        except concurrent.futures.CancelledError as exc:
            raise AgentError("the question was withdrawn: the call was cancelled, the client went away "
                             "or called again without answering") from exc
        except (MCPError, ValidationError, anyio.ClosedResourceError, anyio.BrokenResourceError) as exc:
            raise AgentError(f"the client could not answer: {exc}") from exc
        finally:
            self._pending.discard(future)
