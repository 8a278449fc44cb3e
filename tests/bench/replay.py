"""Replaying a recorded task versus blind coordinate replay (issue "Record a task once, replay it
robustly": ours at most 1.5x blind on an unchanged layout; with the window moved, blind fails and ours
passes).

The task is recorded once with the real recorder: `desktop-agent record` as a subprocess while xdotool
clicks the form's "Customer name" field, types a name and clicks "Submit order". Then, on a fresh form
each time, interleaved:
- ours: the Runner on the recorded task (words first, the recording's locators as fallbacks, a policy
  that allows only the form, the local memory on as in `desktop-agent replay`), timed from building the
  runner to RunFinished — every step is captured, perceived, grounded, guarded, acted, settled and
  verified;
- blind: pyautogui clicks at the absolute points the recording clicked and `xdotool type` for the text
  (as our actuator types, same key delay), timed the same way; it checks nothing.
Either passes when the form itself printed a submit of the expected customer. Measured: REPEATS pairs
with the form where it was recorded, then REPEATS with it moved (medians, ratios, passes, ours per phase).
Not measured: the recording; model loading (the senses come in warm from the latency bench) — but each
fresh form is a new window, so ours reads it in full on its first step every time.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from desktop_agent.demo.display import end_process
from desktop_agent.senses import Senses
from desktop_agent.steps import load_task
from desktop_agent.types import Point, RunStatus
from tests.bench.form import (
    CUSTOMER,
    HOME,
    PHASES,
    SUBMIT,
    AgentRun,
    BenchError,
    Form,
    open_forms,
    run_agent,
    xdotool,
)
from tests.bench.stats import median

REPEATS = 7             # per layout
MOVED = Point(x=1100, y=500)
RECORDED_NAME, REPLAYED_NAME = "Grace Hopper", "Ada Lovelace"
KEY_DELAY_MS = 8        # DesktopActuator's default, so both type alike
RECORD_PAUSE_S = 0.3    # between the recording's input events, as tests/e2e/test_record.py
SUBMIT_WAIT_S = 2.0     # how long a form is watched for its submit after a replay ended
BAR = 1.5


@dataclass(frozen=True, slots=True, kw_only=True)
class Recording:
    task: Path
    clicks: tuple[Point, Point]   # absolute points the recording clicked: the field, then Submit


@dataclass(frozen=True, slots=True, kw_only=True)
class Blind:
    ms: float
    passed: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Ours:
    run: AgentRun
    passed: bool   # the agent succeeded and the form printed the submit


@dataclass(frozen=True, slots=True, kw_only=True)
class Layout:
    name: str
    place: Point          # where the form opened (it was recorded at HOME)
    ours: list[Ours]
    blind: list[Blind]

    @property
    def ratio(self) -> float:
        return median([t.run.wall_ms for t in self.ours]) / median([t.ms for t in self.blind])


def measure(senses: Senses, tmp: Path) -> list[Layout]:
    recording = record(senses, tmp / "recording")
    return [_layout(senses, recording, tmp, name, place) for name, place in (("unchanged", HOME),
                                                                            ("moved", MOVED))]


def _layout(senses: Senses, recording: Recording, tmp: Path, name: str, place: Point) -> Layout:
    ours: list[Ours] = []
    blind: list[Blind] = []
    for _ in range(REPEATS):
        ours.append(_ours(senses, recording, tmp, place))
        blind.append(_blind(senses, recording, place))
    return Layout(name=name, place=place, ours=ours, blind=blind)


def record(senses: Senses, folder: Path) -> Recording:
    """`desktop-agent record` while xdotool fills in a form at HOME; the user data folder is `folder`."""
    folder.mkdir(parents=True)
    task = folder / "order.yaml"
    with open_forms(senses, HOME) as (form,):
        recorder = subprocess.Popen(
            [sys.executable, "-m", "desktop_agent.cli", "record", "-o", str(task),
             "--param", f"customer={RECORDED_NAME}"],
            cwd=folder, env={**os.environ, "XDG_DATA_HOME": str(folder)}, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            _drive_recording(recorder, form)
            _, err = recorder.communicate(timeout=120)
        finally:
            end_process(recorder)
    if recorder.returncode != 0:
        raise BenchError(f"record exited {recorder.returncode}: {err}")
    return Recording(task=task, clicks=(form.point(CUSTOMER), form.point(SUBMIT)))


def _drive_recording(recorder: subprocess.Popen, form: Form) -> None:
    first = recorder.stderr.readline()
    if "press ctrl+alt+r to stop" not in first:
        raise BenchError(f"record did not start listening: {first}")
    field, submit = form.point(CUSTOMER), form.point(SUBMIT)
    xdotool("mousemove", str(field.x), str(field.y), "sleep", "0.1", "click", "1")
    time.sleep(RECORD_PAUSE_S)
    xdotool("type", "--delay", "40", RECORDED_NAME)
    time.sleep(RECORD_PAUSE_S)
    xdotool("mousemove", str(submit.x), str(submit.y), "sleep", "0.1", "click", "1")
    if not form.submitted(RECORDED_NAME, wait_s=10):
        raise BenchError("the form did not submit while recording")
    time.sleep(RECORD_PAUSE_S)
    xdotool("key", "ctrl+alt+r")


def _ours(senses: Senses, recording: Recording, tmp: Path, place: Point) -> Ours:
    plan = load_task(recording.task, params={"customer": REPLAYED_NAME})
    with open_forms(senses, place) as (form,):
        run = run_agent(senses, plan, trace_root=tmp / "replay", memory_path=tmp / "replay-memory.sqlite3",
                        assets=plan.assets)
        submitted = form.submitted(REPLAYED_NAME, wait_s=SUBMIT_WAIT_S)
    return Ours(run=run, passed=run.status is RunStatus.SUCCEEDED and submitted)


def _blind(senses: Senses, recording: Recording, place: Point) -> Blind:
    with open_forms(senses, place) as (form,):
        ms = blind_replay(recording.clicks, REPLAYED_NAME)
        return Blind(ms=ms, passed=form.submitted(REPLAYED_NAME, wait_s=SUBMIT_WAIT_S))


def blind_replay(clicks: tuple[Point, Point], text: str) -> float:
    """Click the field, type `text`, click Submit — at the recorded points, checking nothing; ms."""
    import pyautogui  # lazy: it opens the display at import

    pyautogui.PAUSE, pyautogui.FAILSAFE = 0, False  # the actuator sets its own again when it next acts
    field, submit = clicks
    started = time.perf_counter()
    pyautogui.click(field.x, field.y)
    xdotool("type", "--delay", str(KEY_DELAY_MS), "--", text)
    pyautogui.click(submit.x, submit.y)
    return (time.perf_counter() - started) * 1000


def _passes(trials: list[Ours] | list[Blind]) -> int:
    return sum(t.passed for t in trials)


def _verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def report(layouts: list[Layout]) -> list[str]:
    unchanged, moved = layouts
    lines = [(f"replay vs blind coordinate replay: recorded task (click field, type, click Submit), "
              f"{REPEATS} interleaved pairs per layout, a fresh form each"),
             (f"{'layout':<22} {'ours p50 ms':>11} {'blind p50 ms':>12} {'ours/blind':>10} "
              f"{'ours passed':>11} {'blind passed':>12}")]
    for layout in layouts:
        lines.append(f"{f'{layout.name} (+{layout.place.x}+{layout.place.y})':<22} "
                     f"{median([t.run.wall_ms for t in layout.ours]):>11.0f} "
                     f"{median([t.ms for t in layout.blind]):>12.0f} {layout.ratio:>9.2f}x "
                     f"{_passes(layout.ours):>7}/{REPEATS:<3} {_passes(layout.blind):>8}/{REPEATS:<3}")
    lines += [(f"bar: ours <= {BAR}x blind on the unchanged layout: {_verdict(unchanged.ratio <= BAR)} "
               f"({unchanged.ratio:.2f}x); moved window: blind fails every time "
               f"{_verdict(_passes(moved.blind) == 0)}, ours passes every time "
               f"{_verdict(_passes(moved.ours) == REPEATS)}"),
              f"ours on the moved form grounded by: {', '.join(moved.ours[-1].run.strategies)}"]
    lines += [f"ours {layout.name} per run, p50 ms: " + ", ".join(
        f"{phase} {median([t.run.phase_ms(phase) for t in layout.ours]):.0f}" for phase in (*PHASES, "other"))
        for layout in layouts]
    lines += [f"ours {layout.name} failed: {t.run.error}" for layout in layouts for t in layout.ours
              if not t.passed]
    return lines
