"""`desktop-agent mcp` driven by the MCP SDK's own client over stdio, against the sample order form on
Xvfb. What the agent achieved is read from the application's own stdout (the JSON line it prints on
Submit or Delete), never from the agent's OCR; the session's run is read from `desktop-agent runs`."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import mcp_types as types
import pytest
from mcp import Client
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.shared.exceptions import MCPError

from tests.conftest import QUIET_S

pytestmark = pytest.mark.e2e

POLICY = """\
version: 1
default: allow
rules:
  - decision: deny
    actions: [click]
    target_text: '(?i)delete'
    reason: the test forbids deleting drafts
  - decision: confirm
    actions: [click]
    target_text: '(?i)submit'
    reason: submitting sends the order
"""
CALL_TIMEOUT_S = 120  # a first call loads the models on a busy 2-core box


class Person:
    """Answers the server's elicitation requests from a list of yes/no, and keeps every question."""

    def __init__(self) -> None:
        self.answers: list[bool] = []
        self.asked: list[str] = []

    async def __call__(self, context: object, params: types.ElicitRequestParams) -> types.ElicitResult:
        self.asked.append(params.message)
        if not self.answers:
            return types.ElicitResult(action="cancel")
        return types.ElicitResult(action="accept", content={"approve": self.answers.pop(0)})


@asynccontextmanager
async def mcp_session(desktop, *args: str, person: Callable | None = None,
                      policy: str | None = POLICY) -> AsyncIterator[ClientSession]:
    """The server as a client starts it, with the test's policy (None: the shipped one) and `args`."""
    if policy is not None:
        path = desktop.tmp_path / "policy.yaml"
        path.write_text(policy, encoding="utf-8")
        args = ("--policy", str(path), *args)
    server = StdioServerParameters(
        command=sys.executable,
        args=["-m", "desktop_agent.cli.main", "mcp", "--trace-dir", str(desktop.trace_dir), *args],
        env={"DISPLAY": desktop.display, "XDG_DATA_HOME": os.environ["XDG_DATA_HOME"]}, cwd=desktop.tmp_path)
    with (desktop.tmp_path / "server.stderr").open("w") as errlog:
        async with stdio_client(server, errlog=errlog) as (read, write):
            async with ClientSession(read, write, elicitation_callback=person,
                                     read_timeout_seconds=CALL_TIMEOUT_S) as session:
                await session.initialize()
                yield session


async def call(session: ClientSession, tool: str, arguments: dict) -> types.CallToolResult:
    return await session.call_tool(tool, arguments)


def runs(desktop) -> list[dict]:
    return desktop.agent("runs", "--trace-dir", str(desktop.trace_dir), "--json").json


def submitted(app) -> list[dict]:
    return [e for e in app.events() if e["event"] == "submit"]


def field_id(observation: dict, label: str) -> str:
    (found,) = [e["id"] for e in observation["elements"] if e["role"] == "field" and e.get("label") == label]
    return found


def test_a_session_observes_acts_asks_is_denied_rolls_back_and_runs_a_task(desktop):
    app = desktop.sample_app()
    person = Person()

    async def scenario() -> None:
        async with mcp_session(desktop, person=person) as session:
            tools = await session.list_tools()
            assert {t.name for t in tools.tools} == {"observe", "ground", "act", "run_task", "rollback",
                                                     "memory_search"}
            seen = (await call(session, "observe", {"screenshot": True}))
            assert not seen.is_error
            observation = seen.structured_content
            assert "untrusted" in observation["untrusted"] and "UNTRUSTED" in seen.content[0].text
            assert [w["title"] for w in observation["windows"]] == ["Sample Order Form"]
            shot = observation["screenshot"]
            assert seen.content[1].type == "image" and shot["width"] <= 1280 and 0 < shot["scale"] <= 1

            # act on an element id from the observation
            typed = await call(session, "act", {"element": field_id(observation, "Customer name"),
                                                "action": "type", "text": "Ada Lovelace"})
            assert not typed.is_error, typed.content[0].text
            assert typed.structured_content["status"] == "succeeded" and typed.structured_content["verified"]

            # act by the step language
            email = await call(session, "act", {"step": 'fill the "Email" field with "ada@example.org"'})
            assert email.structured_content["status"] == "succeeded", email.content[0].text

            # a confirm answered no: nothing reaches the form
            person.answers = [False]
            refused = await call(session, "act", {"step": 'click "Submit order"'})
            assert refused.is_error and refused.structured_content["status"] == "skipped"
            assert refused.structured_content["verdict"]["decision"] == "confirm"
            assert "answered no" in refused.structured_content["error"]
            assert 'click "Submit order"' in person.asked[-1] and "submitting sends the order" in person.asked[-1]
            app.assert_quiet()

            # ... and yes: the order goes out with what was typed
            person.answers = [True]
            sent = await call(session, "act", {"step": 'click "Submit order"'})
            assert sent.structured_content["status"] == "succeeded", sent.content[0].text
            order = app.wait_for_output(lambda out: '"submit"' in out) and submitted(app)[-1]
            assert (order["customer"], order["email"]) == ("Ada Lovelace", "ada@example.org")

            # a denied action: nothing reaches the form
            denied = await call(session, "act", {"step": 'click "Delete draft"'})
            assert denied.is_error and denied.structured_content["status"] == "denied"
            assert denied.structured_content["error"].startswith("the test forbids deleting drafts")
            printed = app.output
            time.sleep(QUIET_S)
            assert app.output == printed  # no "delete" line

            # rollback of a typed field: the name typed over comes back
            over = await call(session, "act", {"step": 'type "Grace Hopper" into the field right of "Customer name"'})
            assert over.structured_content["status"] == "succeeded", over.content[0].text
            undone = await call(session, "rollback", {})
            assert not undone.is_error, undone.content[0].text
            assert [u["step"] for u in undone.structured_content["undone"]] == [over.structured_content["number"]]

            # a whole task in the same session; its Submit asks again
            person.answers = [True]
            task = await call(session, "run_task", {"steps": ['check "Newsletter"', 'click "{button}"'],
                                                    "params": {"button": "Submit order"}})
            assert task.structured_content["status"] == "succeeded", task.content[0].text
            assert [s["status"] for s in task.structured_content["steps"]] == ["succeeded", "succeeded"]
            app.wait_for_output(lambda out: out.count('"submit"') == 2)
            order = submitted(app)[-1]
            assert (order["customer"], order["newsletter"]) == ("Ada Lovelace", True)  # rolled back to Ada
            assert Path(task.structured_content["report"]).is_file()

    asyncio.run(scenario())
    (run,) = runs(desktop)
    assert run["name"] == "mcp session" and run["status"] == "denied"  # its one denied step decides
    assert run["steps_acted"] >= 6 and run["unknown"] == []
    trace = Path(run["trace"])
    assert (trace / "report.html").is_file()
    assert desktop.agent("audit", "verify", str(trace / "audit.jsonl")).code == 0


def test_bad_inputs_get_clear_errors_and_the_session_goes_on(desktop):
    app = desktop.sample_app()

    async def scenario() -> None:
        async with mcp_session(desktop) as session:
            malformed = await call(session, "act", {"step": 'clik "Submit order"'})
            assert malformed.is_error and malformed.structured_content["column"] == 1
            assert 'unknown verb "clik"' in malformed.content[0].text and 'did you mean "click"' in malformed.content[0].text

            with pytest.raises(MCPError, match="unknown tool 'screenshot'"):
                await call(session, "screenshot", {})
            with pytest.raises(MCPError, match="`step`: 42 is not of type 'string'"):
                await call(session, "act", {"step": 42})
            with pytest.raises(MCPError, match="either `step`, or `element`"):
                await call(session, "act", {"step": 'click "Clear"', "element": "o1.e1", "action": "click"})

            first = (await call(session, "observe", {})).structured_content
            name = field_id(first, "Customer name")
            await call(session, "observe", {})
            stale = await call(session, "act", {"element": name, "action": "type", "text": "Ada"})
            assert stale.is_error and "is from observation 1, not the latest (2)" in stale.content[0].text

            latest = (await call(session, "observe", {})).structured_content
            desktop.xdotool("windowmove", app.window, "300", "120")
            moved = await call(session, "act", {"element": field_id(latest, "Customer name"), "action": "type",
                                                "text": "Ada"})
            assert moved.is_error and "moved to" in moved.content[0].text

            lost = await call(session, "ground", {"target": '"No such button"'})
            assert lost.is_error and "No such button" in lost.content[0].text

            # a confirm with a client that cannot ask the person: refused with the reason
            refused = await call(session, "act", {"step": 'click "Submit order"'})
            assert refused.structured_content["status"] == "skipped"
            assert "does not support elicitation" in refused.structured_content["error"]

            # and the session still works
            typed = await call(session, "act", {"step": 'type "Ada" into the field right of "Customer name"'})
            assert typed.structured_content["status"] == "succeeded", typed.content[0].text
            found = await call(session, "ground", {"target": 'the field right of "Email"'})
            assert not found.is_error and found.structured_content["strategy"]
        app.assert_quiet()

    asyncio.run(scenario())
    desktop.click(app.point(95, 382))  # Submit by hand: the name typed through MCP is in the form
    app.wait_for_output(lambda out: '"submit"' in out)
    assert submitted(app)[-1]["customer"] == "Ada"


def test_a_client_that_goes_away_mid_step_stops_the_step_and_the_run_ends_stopped(desktop):
    desktop.sample_app()

    async def scenario() -> None:
        async with mcp_session(desktop) as session:
            await call(session, "observe", {})  # the models are loaded: the wait below starts at once
            waiting = asyncio.create_task(call(session, "act", {"step": 'wait for "Never shown" up to 60 s'}))
            await asyncio.sleep(1.5)
            waiting.cancel()
        # leaving the session closed the server's stdin (and the SDK escalates to SIGTERM after 2 s)

    started = time.monotonic()
    asyncio.run(scenario())
    assert time.monotonic() - started < 30
    (run,) = runs(desktop)
    assert run["status"] == "stopped" and run["finished_at"] is not None and run["unknown"] == []
    events = [json.loads(line) for line in (Path(run["trace"]) / "events.jsonl").read_text().splitlines()]
    (finished,) = [e for e in events if e["kind"] == "step_finished"]
    assert finished["result"]["status"] == "stopped"
    assert "the MCP client disconnected" in finished["result"]["error"]


def test_sigterm_ends_the_session_as_a_closed_connection_does(desktop):
    desktop.sample_app()

    async def scenario() -> None:
        async with mcp_session(desktop) as session:
            await call(session, "act", {"step": 'type "Ada" into the field right of "Customer name"'})
            (run,) = runs(desktop)
            assert run["status"] == "running"
            os.kill(run["pid"], signal.SIGTERM)
            deadline = time.monotonic() + 15
            while runs(desktop)[0]["status"] == "running" and time.monotonic() < deadline:
                await asyncio.sleep(0.1)

    asyncio.run(scenario())
    (run,) = runs(desktop)
    assert run["status"] == "succeeded" and run["steps_acted"] == 1


def test_rollback_puts_the_workspace_back_after_an_approved_terminal_command(desktop, tmp_path,
                                                                             open_terminal):
    home = tmp_path / "home"
    home.mkdir()
    notes = home / "notes.txt"
    notes.write_text("original\n")
    terminal = open_terminal(home)
    person = Person()

    async def scenario() -> None:
        async with mcp_session(desktop, "--workspace", str(home), person=person, policy=None) as session:
            typed = await call(session, "act", {"step": 'type "echo changed > notes.txt"'})
            assert typed.structured_content["status"] == "succeeded", typed.content[0].text
            person.answers = [True]  # the shipped policy asks before a terminal runs a line
            entered = await call(session, "act", {"step": "press enter"})
            assert entered.structured_content["verdict"]["decision"] == "confirm", entered.content[0].text
            assert "echo changed > notes.txt" in person.asked[-1]
            terminal.wait_for_log(lambda text: terminal.prompts(text) >= 2)
            assert notes.read_text() == "changed\n"
            undone = await call(session, "rollback", {"to_step": 1})
            assert [u["step"] for u in undone.structured_content["undone"]] == [2, 1], undone.content[0].text
            assert notes.read_text() == "original\n"
            assert "workspace:" in undone.content[0].text

    asyncio.run(scenario())


def test_the_step_limit_holds_for_the_whole_session(desktop):
    app = desktop.sample_app()
    limited = POLICY.replace("default: allow\n", "default: allow\nlimits: {max_steps: 2}\n")

    async def scenario() -> None:
        async with mcp_session(desktop, policy=limited) as session:
            for name in ("Ada", "Grace"):
                typed = await call(session, "act", {"step": f'type "{name}" into the "Email" field'})
                assert typed.structured_content["status"] == "succeeded", typed.content[0].text
            third = await call(session, "run_task", {"steps": ['type "Edsger" into the "Email" field']})
            assert third.structured_content["status"] == "denied"
            assert "step limit reached: more than 2 steps" in third.structured_content["steps"][0]["error"]

    asyncio.run(scenario())
    desktop.click(app.point(95, 382))  # Submit by hand: the third name never reached the form
    app.wait_for_output(lambda out: '"submit"' in out)
    assert submitted(app)[-1]["email"] == "Grace"


def test_a_call_cancelled_while_the_person_is_asked_withdraws_the_question(desktop):
    app = desktop.sample_app()
    asked = asyncio.Event()

    async def never_answers(context: object, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.set()
        await asyncio.sleep(3600)
        raise AssertionError("never answered")

    async def scenario() -> None:
        async with mcp_session(desktop, person=never_answers) as session:
            pending = asyncio.create_task(call(session, "act", {"step": 'click "Submit order"'}))
            await asyncio.wait_for(asked.wait(), 60)
            pending.cancel()
            after = await asyncio.wait_for(call(session, "observe", {}), 30)  # the engine is free again
            assert not after.is_error

    asyncio.run(scenario())
    app.assert_quiet()
    events = [json.loads(line) for line in next(desktop.trace_dir.glob("*/events.jsonl")).read_text().splitlines()]
    (finished,) = [e for e in events if e["kind"] == "step_finished"]
    assert finished["result"]["status"] == "skipped"


def test_a_2026_client_confirms_through_input_required(desktop):
    """The SDK's `Client` speaks the 2026-07-28 protocol, where the server can't send it requests: a
    confirm comes back as `input_required` and the client's elicitation answer arrives with its retry."""
    app = desktop.sample_app()
    person = Person()
    server = StdioServerParameters(
        command=sys.executable, args=["-m", "desktop_agent.cli.main", "mcp", "--trace-dir", str(desktop.trace_dir)],
        env={"DISPLAY": desktop.display, "XDG_DATA_HOME": os.environ["XDG_DATA_HOME"]}, cwd=desktop.tmp_path)

    async def scenario() -> None:
        async with Client(server, elicitation_callback=person, read_timeout_seconds=CALL_TIMEOUT_S) as client:
            assert client.session.protocol_version == "2026-07-28"
            seen = await client.call_tool("observe", {"screenshot": True})
            assert not seen.is_error and seen.structured_content["windows"][0]["title"] == "Sample Order Form"
            person.answers = [False]
            refused = await client.call_tool("act", {"step": 'click "Submit order"'})
            assert refused.structured_content["status"] == "skipped"
            assert "the person answered no" in refused.structured_content["error"]
            app.assert_quiet()
            person.answers = [True]
            sent = await client.call_tool("act", {"step": 'click "Submit order"'})
            assert sent.structured_content["status"] == "succeeded", sent.content[0].text
            assert len(person.asked) == 2 and 'click "Submit order"' in person.asked[-1]

    asyncio.run(scenario())
    app.wait_for_output(lambda out: '"submit"' in out)
    assert len(submitted(app)) == 1


def test_a_finished_session_is_remembered_and_its_steps_can_be_run_again(desktop):
    app = desktop.sample_app()

    async def first() -> None:
        async with mcp_session(desktop) as session:
            seen = (await call(session, "observe", {})).structured_content
            typed = await call(session, "act", {"element": field_id(seen, "Customer name"), "action": "type",
                                                "text": "Ada Lovelace"})
            assert typed.structured_content["status"] == "succeeded", typed.content[0].text

    async def second() -> None:
        async with mcp_session(desktop) as session:
            found = await call(session, "memory_search", {"query": "mcp session"})
            (task,) = found.structured_content["tasks"]
            assert task["name"] == "mcp session" and task["runs"] == 1 and task["success_rate"] == 1.0
            (step,) = task["steps"]
            assert step.startswith('type "Ada Lovelace" into at ')  # the element act, as its step line
            cleared = await call(session, "act", {"step": 'clear the field right of "Customer name"'})
            assert cleared.structured_content["status"] == "succeeded", cleared.content[0].text
            again = await call(session, "run_task", {"steps": task["steps"]})
            assert again.structured_content["status"] == "succeeded", again.content[0].text

    asyncio.run(first())
    asyncio.run(second())
    desktop.click(app.point(95, 382))  # Submit by hand
    app.wait_for_output(lambda out: '"submit"' in out)
    assert submitted(app)[-1]["customer"] == "Ada Lovelace"
