"""`desktop-agent mcp --http` as a person starts it, driven by the MCP SDK's own streamable-HTTP client
against the sample order form on Xvfb. What the agent achieved is read from the application's own
stdout (the JSON line it prints on Submit); the session's run from `desktop-agent runs`."""
from __future__ import annotations

import asyncio
import errno
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import pytest
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from desktop_agent.durability.ledger import ActionRecord, Ledger, default_path
from desktop_agent.serve.server import CLIENT_GONE
from tests.e2e.test_mcp import CALL_TIMEOUT_S, POLICY, Person, field_id, runs, submitted

pytestmark = pytest.mark.e2e

REPO = Path(__file__).parents[2]

INITIALIZE = (b'{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25", '
              b'"capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}}')


@contextmanager
def http_server(desktop) -> Iterator[tuple[str, str, subprocess.Popen]]:
    """The server as a person starts it; the URL and token it printed once to stderr."""
    policy = desktop.tmp_path / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    errlog = desktop.tmp_path / "server.stderr"
    with errlog.open("w") as err:
        server = subprocess.Popen([sys.executable, "-m", "desktop_agent.cli.main", "mcp", "--http",
                                   "--trace-dir", str(desktop.trace_dir), "--policy", str(policy)],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                  cwd=desktop.tmp_path, env={**os.environ, "DISPLAY": desktop.display})
    try:
        deadline = time.monotonic() + CALL_TIMEOUT_S
        while not (found := re.search(r"at (http://\S+)\n.*Bearer (\S+)", errlog.read_text())):
            assert server.poll() is None and time.monotonic() < deadline, errlog.read_text()
            time.sleep(0.1)
        yield found[1], found[2], server
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


@asynccontextmanager
async def client(url: str, token: str, *, person: Callable | None = None) -> AsyncIterator[ClientSession]:
    async with (create_mcp_http_client(headers={"Authorization": f"Bearer {token}"}) as http,
                streamable_http_client(url, http_client=http) as (read, write),
                ClientSession(read, write, elicitation_callback=person, read_timeout_seconds=CALL_TIMEOUT_S)
                as session):
        await session.initialize()
        yield session


def status_of(url: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=INITIALIZE, method="POST", headers={
        "Content-Type": "application/json", "Accept": "application/json, text/event-stream", **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        assert exc.status != 401 or exc.headers["WWW-Authenticate"].startswith("Bearer")
        return exc.status


def test_an_http_session_acts_asks_and_submits_the_form(desktop):
    app = desktop.sample_app()
    person = Person()
    with http_server(desktop) as (url, token, server):
        async def scenario() -> None:
            async with client(url, token, person=person) as session:
                seen = (await session.call_tool("observe", {})).structured_content
                typed = await session.call_tool("act", {"element": field_id(seen, "Customer name"),
                                                        "action": "type", "text": "Ada Lovelace"})
                assert typed.structured_content["status"] == "succeeded", typed.content[0].text
                email = await session.call_tool("act", {"step": 'fill the "Email" field with "ada@example.org"'})
                assert email.structured_content["status"] == "succeeded", email.content[0].text

                person.answers = [False]
                refused = await session.call_tool("act", {"step": 'click "Submit order"'})
                assert refused.structured_content["status"] == "skipped" and "answered no" in \
                    refused.structured_content["error"]
                app.assert_quiet()
                person.answers = [True]
                sent = await session.call_tool("act", {"step": 'click "Submit order"'})
                assert sent.structured_content["status"] == "succeeded", sent.content[0].text
                assert "submitting sends the order" in person.asked[-1]

        asyncio.run(scenario())
        app.wait_for_output(lambda out: '"submit"' in out)
        order = submitted(app)[-1]
        assert (order["customer"], order["email"]) == ("Ada Lovelace", "ada@example.org")
        (run,) = runs(desktop)
        assert run["status"] == "running"  # the session outlives its client: serving goes on
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
    (run,) = runs(desktop)
    assert run["status"] == "succeeded"  # a step the person said no to is skipped, not failed
    assert run["steps_acted"] == 3 and run["unknown"] == [] and run["finished_at"] is not None
    assert (desktop.tmp_path / "server.stderr").read_text().count(token) == 1  # shown once
    trace = Path(run["trace"])
    assert all(token not in path.read_text(errors="replace") for path in trace.rglob("*") if path.is_file()
               and path.suffix in (".jsonl", ".json", ".html", ".txt", ".log"))


def test_without_the_token_or_with_a_wrong_one_the_answer_is_401_and_only_loopback_listens(desktop):
    with http_server(desktop) as (url, token, _):
        assert status_of(url, {}) == 401
        assert status_of(url, {"Authorization": f"Bearer {token[:-1]}x"}) == 401
        assert status_of(url, {"Authorization": token}) == 401  # not as a bearer token
        assert status_of(url, {"Authorization": f"Bearer {token}"}) == 200
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        listening = [line.split()[1] for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
                     if line.split()[3] == "0A" and int(line.split()[1].split(":")[1], 16) == port]
        assert listening == ["0100007F:%04X" % port]  # 127.0.0.1, nothing else
        assert not any(int(line.split()[1].rsplit(":", 1)[1], 16) == port
                       for line in Path("/proc/net/tcp6").read_text().splitlines()[1:])
        with socket.socket() as probe:  # another loopback address, as any other interface: refused
            assert probe.connect_ex(("127.0.0.2", port)) == errno.ECONNREFUSED


def test_a_client_that_leaves_mid_step_has_its_step_stopped_and_the_server_serves_the_next(desktop):
    app = desktop.sample_app()
    with http_server(desktop) as (url, token, server):
        async def leave_mid_step() -> None:
            async with client(url, token) as session:
                await session.call_tool("observe", {})  # the models are loaded: the wait starts at once
                waiting = asyncio.create_task(session.call_tool("act", {"step": 'wait for "Never shown" up to 60 s'}))
                await asyncio.sleep(1.0)
                waiting.cancel()  # ... and the client's connection closes with the session

        async def next_client() -> None:
            async with client(url, token) as session:
                typed = await session.call_tool("act", {"step": 'type "Ada" into the field right of "Customer name"'})
                assert typed.structured_content["status"] == "succeeded", typed.content[0].text
                assert typed.structured_content["number"] == 2

        started = time.monotonic()
        asyncio.run(leave_mid_step())
        assert server.poll() is None
        asyncio.run(next_client())
        assert time.monotonic() - started < 60  # the 60 s wait did not run out: it was stopped
        desktop.click(app.point(95, 382))  # Submit by hand: the name typed by the second client is there
        app.wait_for_output(lambda out: '"submit"' in out)
        assert submitted(app)[-1]["customer"] == "Ada"
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
    (run,) = runs(desktop)
    assert run["status"] == "stopped" and run["unknown"] == []  # its first step was stopped
    (first, second) = [e["result"] for e in trace_events(run) if e["kind"] == "step_finished"]
    assert first["status"] == "stopped" and CLIENT_GONE in first["error"]
    assert second["status"] == "succeeded"


# A client the test kills: it connects, sends one step and waits for its reply.
KILLED_CLIENT = """
import asyncio, sys
from tests.e2e.test_mcp_http import client

async def main():
    async with client(sys.argv[1], sys.argv[2]) as session:
        await session.call_tool("act", {"step": sys.argv[3]})

asyncio.run(main())
"""
LONG_NAME = "Ada Lovelace " * 150  # ~2000 keys: many seconds of typing


def test_a_client_killed_while_its_step_types_has_the_typing_stopped_and_others_go_on(desktop):
    app = desktop.launch([sys.executable, "-m", "tests.apps.fault_form", "--geometry", "+300+200",
                          "--save-path", str(desktop.tmp_path / "saved.json")], title="Fault Form", name="fault-form")
    time.sleep(0.3)  # let Tk finish its first layout
    ledger = default_path(desktop.trace_dir)
    with http_server(desktop) as (url, token, server):
        agent = subprocess.Popen([sys.executable, "-c", KILLED_CLIENT, url, token,
                                  f'type "{LONG_NAME}" into the field right of "Customer name"'],
                                 cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        try:
            app.wait_for_output(lambda out: '"widget": "name"' in out, timeout_s=CALL_TIMEOUT_S)
        finally:
            agent.kill()  # no cancel, no DELETE: its connections just close
            agent.wait(timeout=30)
        typing = wait_for_outcome(ledger, step_index=0, timeout_s=CALL_TIMEOUT_S)
        assert typing.outcome == f"unknown: cut off part-way: stopped: {CLIENT_GONE}", typing.outcome
        app.settled()  # the keys already on their way have landed, and no more came
        keys = name_keys(app)
        assert 0 < len(keys) < len(LONG_NAME) and LONG_NAME.startswith(keys)  # cut off part-way

        async def next_client() -> None:
            async with client(url, token) as session:
                typed = await session.call_tool("act", {"step": 'type "gift" into the field right of "Notes"'})
                assert typed.structured_content["status"] == "succeeded", typed.content[0].text
                assert typed.structured_content["number"] == 2

        asyncio.run(next_client())
        assert name_keys(app) == keys
        assert "".join(e["char"] for e in app.events() if e["event"] == "key" and e["widget"] == "notes") == "gift"
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
    (run,) = runs(desktop)
    assert run["status"] == "stopped" and run["finished_at"] is not None
    assert [(a["step_index"], a["why"]) for a in run["unknown"]] == [(0, typing.outcome)]  # the cut-off typing
    (stopped, typed) = [e["result"] for e in trace_events(run) if e["kind"] == "step_finished"]
    assert stopped["status"] == "stopped" and CLIENT_GONE in stopped["error"]
    assert typed["status"] == "succeeded"


def trace_events(run: dict) -> list[dict]:
    return [json.loads(line) for line in (Path(run["trace"]) / "events.jsonl").read_text().splitlines()]


def name_keys(app) -> str:
    return "".join(e["char"] for e in app.events() if e["event"] == "key" and e["widget"] == "name")


def wait_for_outcome(ledger: Path, *, step_index: int, timeout_s: float) -> ActionRecord:
    """The step's typing, once the ledger (read by another connection, as `runs` reads it) has its outcome."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with Ledger.open(ledger) as book:
            (run,) = book.runs()
            done = [a for a in book.actions(run.id) if a.step_index == step_index and a.outcome is not None
                    and a.operation["type"] == "KeyText"]
        if done:
            return done[0]
        time.sleep(0.05)
    pytest.fail(f"step {step_index + 1}'s typing had no outcome within {timeout_s:g} s")
