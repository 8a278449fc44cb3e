"""Per-step latency of the agent on a fixed 1920x1080 scene, next to a baseline measured in the same run.

Scene: the sample order form, xcalc and a yad dialog on the bench's display. The agent runs ROUNDS rounds
of the same four steps on the form (type, type, check, click Clear — Clear resets the form). The first
round is cold (model load, first full read) and reported apart; the rest are warm.

Baseline: what an agent without our perception would spend — full-frame RapidOCR with its default
settings on every step (measured on the very frame the step starts from), plus the same capture,
grounding, action and settle times.
"""
from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from desktop_agent.compose import AgentConfig, build_runner
from desktop_agent.core.events import StepFinished, StepStarted
from desktop_agent.demo.__main__ import launch_sample_app
from desktop_agent.demo.display import end_process
from desktop_agent.language.steps import plan_from_steps
from desktop_agent.perception.senses import Senses
from desktop_agent.run.runner import RunOptions
from desktop_agent.safety.policy import load_policy
from desktop_agent.safety.stop import StopToken
from tests.bench.form import BenchError
from tests.bench.stats import median, percentile

ROUNDS = 6
STEPS = [
    'type "Grace Hopper" into the field right of "Customer name"',
    'type "grace@example.org" into the "Email" field',
    'check "Newsletter"',
    'click "Clear"',
]
PHASES = ("capture", "perceive", "ground", "act", "settle")  # capture: both looks of a step


@dataclass(frozen=True, slots=True, kw_only=True)
class Latency:
    ours: dict[str, list[float]]       # per phase and "step", warm steps only
    baseline: dict[str, list[float]]   # the same, with full-frame default RapidOCR as perception
    cold_ms: float                     # the first round, all steps
    single_capture: list[float]        # one full-screen capture each


def measure(senses: Senses, tmp: Path) -> Latency:
    from rapidocr import RapidOCR  # lazy: it loads its models

    others = [subprocess.Popen(["xcalc", "-geometry", "+1300+120"]),
              subprocess.Popen(["yad", "--form", "--title", "Preferences", "--field", "Server",
                                "--field", "Port", "--geometry", "+1250+650"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    app, _output = launch_sample_app(geometry="+300+180")
    try:
        time.sleep(1.5)
        baseline_ocr = RapidOCR()  # the library's default settings
        config = AgentConfig(policy=load_policy(None), trace_root=tmp / "latency", run_name="bench",
                             memory_path=tmp / "latency-memory.sqlite3",
                             options=RunOptions(find_timeout_s=5.0))
        runner = build_runner(config, stop=StopToken(), senses=senses)
        ours: dict[str, list[float]] = {p: [] for p in (*PHASES, "step")}
        baseline_perceive: list[float] = []
        cold = 0.0
        for event in runner.run(plan_from_steps(STEPS * ROUNDS)):
            if isinstance(event, StepStarted) and event.index >= len(STEPS):
                frame = senses.grabber.grab()
                started = time.perf_counter()
                baseline_ocr(frame.image)
                baseline_perceive.append((time.perf_counter() - started) * 1000)
            if isinstance(event, StepFinished):
                result, t = event.result, event.result.timings
                if result.status.value != "succeeded":
                    raise BenchError(f"latency step {event.index + 1} {result.status.value}: {result.error}")
                step_ms = t.capture_ms + t.perceive_ms + t.ground_ms + t.act_ms + t.settle_ms
                if event.index < len(STEPS):
                    cold += step_ms
                    continue
                for phase in PHASES:
                    ours[phase].append(getattr(t, f"{phase}_ms"))
                ours["step"].append(step_ms)
        single_capture = _time_captures(senses)
    finally:
        for process in (app, *others):
            end_process(process)
    baseline = {p: list(ours[p]) for p in PHASES}
    baseline["perceive"] = baseline_perceive
    baseline["step"] = [sum(baseline[p][i] for p in PHASES) for i in range(len(baseline_perceive))]
    return Latency(ours=ours, baseline=baseline, cold_ms=cold, single_capture=single_capture)


def _time_captures(senses: Senses, count: int = 50) -> list[float]:
    """Milliseconds of single 1920x1080 captures (the step table's capture is two plus a window list)."""
    times = []
    for _ in range(count):
        started = time.perf_counter()
        senses.grab()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _row(name: str, ours: list[float], base: list[float] | None) -> str:
    line = f"{name:<10} {median(ours):>9.1f} {percentile(ours, 0.95):>9.1f}"
    if base:
        line += f" {median(base):>11.1f} {percentile(base, 0.95):>11.1f}"
    return line


def report(result: Latency) -> list[str]:
    ours, baseline = result.ours, result.baseline
    lines = [(f"desktop-agent bench: Xvfb 1920x1080, 3 windows, {len(ours['step'])} warm steps "
             f"({ROUNDS - 1} rounds of {len(STEPS)}), first round cold: {result.cold_ms:.0f} ms for "
             f"{len(STEPS)} steps"),
             f"{'ms':<10} {'ours p50':>9} {'ours p95':>9} {'base p50':>11} {'base p95':>11}"]
    for phase in (*PHASES, "step"):
        shared = phase not in ("perceive", "step")
        lines.append(_row(phase, ours[phase], None if shared else baseline[phase])
                     + ("   (same actions: shared)" if shared else ""))
    ratio = median(baseline["step"]) / median(ours["step"])
    perceive_ratio = median(baseline["perceive"]) / median(ours["perceive"])
    lines.append(f"warm step p50 {median(ours['step']):.0f} ms; {ratio:.1f}x faster than the "
                 f"baseline step; perception {perceive_ratio:.1f}x faster; one full-screen capture p50 "
                 f"{median(result.single_capture):.1f} ms (p95 {percentile(result.single_capture, 0.95):.1f})")
    return lines
