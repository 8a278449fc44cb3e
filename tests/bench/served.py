"""Per-call latency of `observe` and `act` over MCP (the SDK's stdio client driving `desktop-agent mcp`)
next to the same calls on an in-process session, same bench run, same form.

In-process: a `serve.session.Session` on the bench's shared senses, called directly. Over MCP: a fresh
`desktop-agent mcp` process (its models warmed up by calls not counted). An act's engine time varies
with the step, so its overhead is compared as the call's wall time minus the step's own timed phases
(`timings_ms.total`); an observe's as its wall time. The protocol's share is the difference between
the two columns: JSON-RPC over a pipe, the SDK on both ends, the engine thread hand-off.
"""
from __future__ import annotations

import asyncio
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from desktop_agent.compose import AgentConfig, build_runner, open_run
from desktop_agent.perception.senses import Senses
from desktop_agent.safety.stop import StopToken
from desktop_agent.serve.confirm import Confirmations
from desktop_agent.serve.session import Session
from desktop_agent.serve.tools import ActStep, Observe
from tests.bench.form import FORM_ONLY_POLICY, HOME, BenchError, form_policy, open_forms
from tests.bench.stats import median, percentile

CALLS = 12
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
    over_mcp: Calls


def measure(senses: Senses, tmp: Path) -> McpLatency:
    with open_forms(senses, HOME):
        in_process = _in_process(senses, tmp / "mcp-in-process")
        over_mcp = asyncio.run(_over_mcp(tmp / "mcp-over-stdio"))
    return McpLatency(in_process=in_process, over_mcp=over_mcp)


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


async def _over_mcp(root: Path) -> Calls:
    policy = root.parent / "mcp-bench-policy.yaml"
    policy.write_text(FORM_ONLY_POLICY, encoding="utf-8")
    server = StdioServerParameters(
        command=sys.executable, args=["-m", "desktop_agent.cli.main", "mcp", "--trace-dir", str(root),
                                      "--policy", str(policy), "--no-memory"],
        env={"DISPLAY": os.environ["DISPLAY"]})
    observe, listing, act, outside = [], [], [], []
    with (root.parent / "mcp-server.stderr").open("w") as errlog:
        async with stdio_client(server, errlog=errlog) as (read, write):
            async with ClientSession(read, write, read_timeout_seconds=120) as client:
                await client.initialize()
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
                    step = result.structured_content
                    if result.is_error:
                        raise BenchError(f"act over MCP failed: {result.content[0].text}")
                    act.append(wall)
                    outside.append(wall - step["timings_ms"]["total"])
    return Calls(observe=observe, listing=listing, act=act, act_outside=outside)


def report(result: McpLatency) -> list[str]:
    ours, local = result.over_mcp, result.in_process
    lines = [f"MCP over stdio vs in-process, same form, {CALLS} warm calls each (observe: unchanged screen; "
             "act: type into a field)",
             f"{'ms':<28} {'in-process p50':>14} {'p95':>7} {'over MCP p50':>13} {'p95':>7} {'overhead p50':>13}"]
    rows = (("observe", local.observe, ours.observe),
            ("act, whole call", local.act, ours.act),
            ("act, outside the step", local.act_outside, ours.act_outside))
    for name, there, here in rows:
        lines.append(f"{name:<28} {median(there):>14.1f} {percentile(there, 0.95):>7.1f} {median(here):>13.1f} "
                     f"{percentile(here, 0.95):>7.1f} {median(here) - median(there):>13.1f}")
    worst = max(median(ours.observe) - median(local.observe), median(ours.act_outside) - median(local.act_outside))
    lines.append(f"{'tools/list (protocol floor)':<28} {'':>14} {'':>7} {median(ours.listing):>13.1f} "
                 f"{percentile(ours.listing, 0.95):>7.1f}")
    lines.append(f"protocol overhead p50 per call: at most {worst:.1f} ms (bar: <= {BAR_MS:g} ms: "
                 f"{'met' if worst <= BAR_MS else 'NOT met'})")
    return lines
