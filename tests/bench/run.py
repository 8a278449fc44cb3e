"""`make bench`: per-step latency of the agent on a fixed 1920x1080 scene, next to a baseline measured
in the same run.

Scene: a fresh Xvfb with the sample order form, xcalc and a yad dialog. The agent runs ROUNDS rounds of
the same four steps on the form (type, type, check, click Clear — Clear resets the form). The first
round is cold (model load, first full read) and reported apart; the rest are warm.

Baseline: what an agent without our perception would spend — full-frame RapidOCR with its default
settings on every step (measured on the very frame the step starts from), plus the same capture,
grounding, action and settle times.
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory

from desktop_agent.compose import AgentConfig, build_runner, build_senses
from desktop_agent.demo.__main__ import launch_sample_app
from desktop_agent.demo.display import display_env, end_process, start_virtual_display
from desktop_agent.policy import load_policy
from desktop_agent.runner import RunOptions, StepFinished, StepStarted
from desktop_agent.steps import plan_from_steps
from desktop_agent.stop import StopToken

ROUNDS = 6
STEPS = [
    'type "Grace Hopper" into the field right of "Customer name"',
    'type "grace@example.org" into the "Email" field',
    'check "Newsletter"',
    'click "Clear"',
]
PHASES = ("capture", "perceive", "ground", "act", "settle")  # capture: both looks of a step


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _row(name: str, ours: list[float], base: list[float] | None) -> str:
    line = f"{name:<10} {statistics.median(ours):>9.1f} {_percentile(ours, 0.95):>9.1f}"
    if base:
        line += f" {statistics.median(base):>11.1f} {_percentile(base, 0.95):>11.1f}"
    return line


def _time_captures(senses, count: int = 50) -> list[float]:
    """Milliseconds of single 1920x1080 captures (the step table's capture is two plus a window list)."""
    times = []
    for _ in range(count):
        started = time.perf_counter()
        senses.grab()
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> int:
    import os

    from rapidocr import RapidOCR

    with start_virtual_display() as display, TemporaryDirectory() as tmp:
        os.environ["DISPLAY"] = display.name
        env = display_env(display.name)
        others = [subprocess.Popen(["xcalc", "-geometry", "+1300+120"], env=env),
                  subprocess.Popen(["yad", "--form", "--title", "Preferences", "--field", "Server",
                                    "--field", "Port", "--geometry", "+1250+650"], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
        app, _output = launch_sample_app(geometry="+300+180")
        try:
            time.sleep(1.5)
            baseline_ocr = RapidOCR()  # the library's default settings
            senses = build_senses()
            plan = plan_from_steps(STEPS * ROUNDS)
            config = AgentConfig(policy=load_policy(None), trace_root=Path(tmp), run_name="bench",
                                 options=RunOptions(find_timeout_s=5.0))
            runner = build_runner(config, stop=StopToken(), senses=senses)
            ours: dict[str, list[float]] = {p: [] for p in (*PHASES, "step")}
            baseline_perceive: list[float] = []
            cold: float | None = None
            for event in runner.run(plan):
                if isinstance(event, StepStarted) and event.index >= len(STEPS):
                    frame = senses.grabber.grab()
                    started = time.perf_counter()
                    baseline_ocr(frame.image)
                    baseline_perceive.append((time.perf_counter() - started) * 1000)
                if isinstance(event, StepFinished):
                    result, t = event.result, event.result.timings
                    if result.status.value != "succeeded":
                        print(f"step {event.index + 1} {result.status.value}: {result.error}")
                        return 1
                    step_ms = t.capture_ms + t.perceive_ms + t.ground_ms + t.act_ms + t.settle_ms
                    if event.index < len(STEPS):
                        cold = (cold or 0.0) + step_ms
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
    print(f"desktop-agent bench: Xvfb 1920x1080, 3 windows, {len(ours['step'])} warm steps "
          f"({ROUNDS - 1} rounds of {len(STEPS)}), first round cold: {cold:.0f} ms for {len(STEPS)} steps")
    print(f"{'ms':<10} {'ours p50':>9} {'ours p95':>9} {'base p50':>11} {'base p95':>11}")
    for phase in (*PHASES, "step"):
        shared = phase not in ("perceive", "step")
        print(_row(phase, ours[phase], None if shared else baseline[phase])
              + ("   (same actions: shared)" if shared else ""))
    ratio = statistics.median(baseline["step"]) / statistics.median(ours["step"])
    perceive_ratio = statistics.median(baseline["perceive"]) / statistics.median(ours["perceive"])
    print(f"warm step p50 {statistics.median(ours['step']):.0f} ms; {ratio:.1f}x faster than the "
          f"baseline step; perception {perceive_ratio:.1f}x faster; one full-screen capture p50 "
          f"{statistics.median(single_capture):.1f} ms (p95 {_percentile(single_capture, 0.95):.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
