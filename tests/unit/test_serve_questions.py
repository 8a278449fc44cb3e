"""A confirm asked as `input_required` (2026-07-28): the step waits on the engine thread until the
client's next call answers it, and a call that doesn't answer withdraws the question."""
from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from types import SimpleNamespace

import mcp_types as types
import pytest

from desktop_agent.core.errors import AgentError
from desktop_agent.serve import replies
from desktop_agent.serve.questions import Questions

MODERN = SimpleNamespace(session=SimpleNamespace(
    client_capabilities=types.ClientCapabilities(elicitation=types.ElicitationCapability()), can_send_request=False))


def engine_job(ask) -> concurrent.futures.Future[replies.Reply]:
    """On a thread of its own, as the engine runs a step: ask once, reply with the answer or the refusal."""
    job: concurrent.futures.Future[replies.Reply] = concurrent.futures.Future()

    def work() -> None:
        try:
            action, content = ask("Approve?", {"type": "object"})
            job.set_result(replies.Reply(structured={"action": action, "content": content}, text=""))
        except AgentError as exc:
            job.set_result(replies.Reply(structured={"refused": str(exc)}, text="", is_error=True))

    threading.Thread(target=work, daemon=True).start()
    return job


def retry(state: str | None, action: str = "accept", content: dict | None = None) -> types.CallToolRequestParams:
    responses = {"confirm": types.ElicitResult(action=action, content=content)} if state is not None else None
    return types.CallToolRequestParams(name="act", arguments={}, input_responses=responses, request_state=state)


def test_the_question_goes_out_as_input_required_and_the_retry_answers_it():
    async def scenario() -> None:
        questions = Questions(asyncio.get_running_loop())
        ask = questions.asker(MODERN)
        job = engine_job(ask)
        first = await questions.outcome(job)
        assert isinstance(first, types.InputRequiredResult)
        request = first.input_requests["confirm"]
        assert request.method == "elicitation/create" and request.params.message == "Approve?"
        resumed = await questions.resume(retry(first.request_state, content={"approve": True}))
        assert resumed is job
        reply = await questions.outcome(resumed)
        assert reply.structured == {"action": "accept", "content": {"approve": True}}

    asyncio.run(scenario())


@pytest.mark.parametrize("state", [None, "not-the-state"])
def test_a_call_that_does_not_answer_withdraws_the_question(state):
    async def scenario() -> None:
        questions = Questions(asyncio.get_running_loop())
        job = engine_job(questions.asker(MODERN))
        assert isinstance(await questions.outcome(job), types.InputRequiredResult)
        assert await questions.resume(retry(state, content={"approve": True})) is None  # a new call
        assert "the question was withdrawn" in job.result(timeout=5).structured["refused"]

    asyncio.run(scenario())


def test_a_client_without_elicitation_is_not_asked():
    plain = SimpleNamespace(session=SimpleNamespace(client_capabilities=types.ClientCapabilities(),
                                                    can_send_request=True))
    loop = asyncio.new_event_loop()
    try:
        assert Questions(loop).asker(plain) is None
    finally:
        loop.close()
