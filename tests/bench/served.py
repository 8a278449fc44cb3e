"""Per-call latency of `observe` and `act` over MCP — the SDK's stdio client driving `desktop-agent mcp`,
and its streamable-HTTP client driving `desktop-agent mcp --http` — next to the same calls on an
in-process session (the baseline), same bench run, same form.

In-process: a `serve.session.Session` on the bench's shared senses, called directly. Over MCP: a fresh
server process per transport (its models warmed up by calls not counted). An act's engine time varies
with the step, so its overhead is compared as the call's wall time minus the step's own timed phases
(`timings_ms.total`); an observe's as its wall time. The protocol's share is the difference from the
baseline: JSON-RPC over a pipe or HTTP on loopback (with the token check), the SDK on both ends, the
engine thread hand-off.
"""
from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from desktop_agent.compose import AgentConfig, build_runner, open_run
from desktop_agent.perception.senses import Senses
from desktop_agent.safety.stop import StopToken
from desktop_agent.serve.confirm import Confirmations
from desktop_agent.serve.session import Session
from desktop_agent.serve.tools import ActStep, Observe
from tests.bench.form import FORM_ONLY_POLICY, HOME, BenchError, form_policy, open_forms
from tests.bench.stats import median

CALLS = 30  # per kind of call and transport: enough for a steady p50 on a busy machine
STEPS = ('type "Ada" into the "Email" field', 'type "Grace" into the "Email" field')
BAR_MS = 10.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Calls:
    observe: list[float]  # ms, whole call
    listing: list[float]  # ms, tools/list: the protocol's floor (nothing reaches the engine); MCP only
    act: list[float]      # ms, whole call
    act_outside: list[float]  # ms, whole call minus the step's timed phases


@dataclass(frozen=True, slots=True, kw_only=True)
class McpLatency:
    in_process: Calls
    stdio: Calls
    http: Calls


def measure(senses: Senses, tmp: Path) -> McpLatency:
    policy = tmp / "mcp-bench-policy.yaml"
    policy.write_text(FORM_ONLY_POLICY, encoding="utf-8")
    with open_forms(senses, HOME):
        in_process = _in_process(senses, tmp / "mcp-in-process")
        stdio = asyncio.run(_over_mcp(lambda: _stdio(tmp / "mcp-over-stdio", policy)))
        http = asyncio.run(_over_mcp(lambda: _http(tmp / "mcp-over-http", policy)))
    return McpLatency(in_process=in_process, stdio=stdio, http=http)


def _server_args(root: Path, policy: Path) -> list[str]:
    return ["-m", "desktop_agent.cli.main", "mcp", "--trace-dir", str(root), "--policy", str(policy), "--no-memory"]


@asynccontextmanager
async def _stdio(root: Path, policy: Path) -> AsyncIterator[ClientSession]:
    server = StdioServerParameters(command=sys.executable, args=_server_args(root, policy),
                                   env={"DISPLAY": os.environ["DISPLAY"]})
    with (root.parent / "mcp-stdio-server.stderr").open("w") as errlog:
        async with stdio_client(server, errlog=errlog) as (read, write):
            async with ClientSession(read, write, read_timeout_seconds=120) as client:
                await client.initialize()
                yield client


@asynccontextmanager
async def _http(root: Path, policy: Path) -> AsyncIterator[ClientSession]:
    errlog = root.parent / "mcp-http-server.stderr"
    with errlog.open("w") as err:
        server = subprocess.Popen([sys.executable, *_server_args(root, policy), "--http"], stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + 120
        while not (found := re.search(r"at (http://\S+)\n.*Bearer (\S+)", errlog.read_text())):
            if server.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"mcp --http did not start: {errlog.read_text()}")
            await asyncio.sleep(0.1)
        async with (create_mcp_http_client(headers={"Authorization": f"Bearer {found[2]}"}) as http,
                    streamable_http_client(found[1], http_client=http) as (read, write),
                    ClientSession(read, write, read_timeout_seconds=120) as client):
            await client.initialize()
            yield client
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def _in_process(senses: Senses, root: Path) -> Calls:
    confirmations = Confirmations()
    config = AgentConfig(policy=form_policy(), trace_root=root, run_name="bench in-process",
                         approver=confirmations, remember=False)
    session = Session(open_run(config, build=lambda c: build_runner(c, stop=StopToken(), senses=senses)),
                      confirmations)
    observe, act, outside = [], [], []
    try:
        session.observe(Observe())
        for _ in range(CALLS):
            started = time.perf_counter()
            session.observe(Observe())
            observe.append((time.perf_counter() - started) * 1000)
        for i in range(CALLS):
            started = time.perf_counter()
            acted = session.act(ActStep(step=STEPS[i % 2]))
            wall = (time.perf_counter() - started) * 1000
            if acted.result.status.value != "succeeded":
                raise BenchError(f"in-process act failed: {acted.result.error}")
            act.append(wall)
            outside.append(wall - acted.result.timings.total_ms)
    finally:
        session.close()
    return Calls(observe=observe, listing=[], act=act, act_outside=outside)


async def _over_mcp(connect: Callable[[], AbstractAsyncContextManager[ClientSession]]) -> Calls:
    observe, listing, act, outside = [], [], [], []
    async with connect() as client:
        for step in ("observe", *STEPS):  # warm-up: the server loads its models
            await (client.call_tool("observe", {}) if step == "observe"
                   else client.call_tool("act", {"step": step}))
        for _ in range(CALLS):
            started = time.perf_counter()
            await client.list_tools()
            listing.append((time.perf_counter() - started) * 1000)
        for _ in range(CALLS):
            started = time.perf_counter()
            await client.call_tool("observe", {})
            observe.append((time.perf_counter() - started) * 1000)
        for i in range(CALLS):
            started = time.perf_counter()
            result = await client.call_tool("act", {"step": STEPS[i % 2]})
            wall = (time.perf_counter() - started) * 1000
            if result.is_error:
                raise BenchError(f"act over MCP failed: {result.content[0].text}")
            act.append(wall)
            outside.append(wall - result.structured_content["timings_ms"]["total"])
    return Calls(observe=observe, listing=listing, act=act, act_outside=outside)


def report(result: McpLatency) -> list[str]:
    local = result.in_process
    lines = [f"MCP (stdio, streamable HTTP) vs in-process, same form, {CALLS} warm calls each (observe: unchanged "
             "screen; act: type into a field); p50 ms, overhead = p50 minus the in-process p50, ratio = p50 / "
             "in-process p50",
             f"{'ms':<24} {'in-process':>10} {'stdio':>7} {'overhead':>9} {'ratio':>6} {'HTTP':>7} {'overhead':>9} "
             f"{'ratio':>6}"]
    worst = {"stdio": 0.0, "HTTP": 0.0}
    for name, pick in (("observe", lambda c: c.observe), ("act, whole call", lambda c: c.act),
                       ("act, outside the step", lambda c: c.act_outside)):
        base = median(pick(local))
        cells = []
        for transport, calls in (("stdio", result.stdio), ("HTTP", result.http)):
            here = median(pick(calls))
            if name != "act, whole call":  # an act's own phases vary: its overhead is the part outside them
                worst[transport] = max(worst[transport], here - base)
            cells.append(f"{here:>7.1f} {here - base:>9.1f} {here / base if base > 0 else float('nan'):>6.2f}")
        lines.append(f"{name:<24} {base:>10.1f} {' '.join(cells)}")
    lines.append(f"{'tools/list (floor)':<24} {'':>10} {median(result.stdio.listing):>7.1f} {'':>16} "
                 f"{median(result.http.listing):>7.1f}")
    for transport, overhead in worst.items():
        lines.append(f"{transport} overhead p50 per call: at most {overhead:.1f} ms (bar: <= {BAR_MS:g} ms: "
                     f"{'met' if overhead <= BAR_MS else 'NOT met'})")
    return lines
