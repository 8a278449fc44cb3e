"""Replaying a recorded task versus blind coordinate replay (issue "Record a task once, replay it
robustly": ours at most 1.5x blind on an unchanged layout; with the window moved, blind fails and ours
passes; the accessibility issue: at most 1.2x on an application with a tree).

Two applications of the same order form (tests/bench/form.py): the Tk sample, which the agent sees by
vision alone, and its Qt twin, whose accessibility tree the agent reads. Everything below is done for each.

The task is recorded once with the real recorder: `desktop-agent record` as a subprocess while xdotool
clicks the form's "Customer name" field, types a name and clicks "Submit order". Then, on a fresh form
each time, interleaved:
- ours: the Runner on the recorded task (words first, the recording's locators as fallbacks, a policy
  that allows only the form, the local memory on as in `desktop-agent replay`), timed from building the
  runner to RunFinished — every step is captured, perceived, grounded, held still, guarded, acted,
  settled and verified;
- blind: the script a recording becomes in pyautogui — `click` at the recorded field, `write` the
  text, `click` at the recorded Submit — checking nothing, timed the same way. Twice: as pyautogui
  ships (PAUSE 0.1 s after each call, the bar's baseline) and with its pauses off (PAUSE 0), which no
  real application can be relied on to keep up with, printed next to it.
Either passes when the form itself printed a submit of the expected customer. Measured: REPEATS rounds
with the form where it was recorded, then REPEATS with it moved (medians, ratios, passes, ours per phase).
Each replay of ours starts with a perceiver that has seen nothing (as a new `desktop-agent replay`):
what it knows of the form before its first look is what the recording saw (`seen.json`), so it reads
only what differs from that. Not measured: the recording; model loading (the models come in loaded from
the latency bench).
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from desktop_agent.accessibility.atspi.reader import AtspiReader
from desktop_agent.compose import build_perceiver
from desktop_agent.core.results import RunStatus
from desktop_agent.core.values import Point
from desktop_agent.demo.display import end_process
from desktop_agent.language.steps import load_task
from desktop_agent.perception.ocr import TextReader
from desktop_agent.perception.senses import Senses
from tests.bench.form import (
    HOME,
    PHASES,
    QT,
    TK,
    AgentRun,
    BenchError,
    Form,
    FormApp,
    open_forms,
    run_agent,
    xdotool,
)
from tests.bench.stats import median

REPEATS = 7             # per layout
MOVED = Point(x=1100, y=500)
RECORDED_NAME, REPLAYED_NAME = "Grace Hopper", "Ada Lovelace"
RECORD_PAUSE_S = 0.3    # between the recording's input events, as tests/e2e/test_record.py
SUBMIT_WAIT_S = 2.0     # how long a form is watched for its submit after a replay ended
SHIPPED_PAUSE_S = 0.1   # pyautogui.PAUSE as pyautogui ships
BARS = {TK.name: 1.5, QT.name: 1.2}  # ours / blind as pyautogui ships, on the unchanged layout


@dataclass(frozen=True, slots=True, kw_only=True)
class Recording:
    app: FormApp
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
    blind: list[Blind]    # pyautogui as shipped
    bare: list[Blind]     # pyautogui with its pauses off

    def ratio(self, baseline: list[Blind]) -> float:
        return median([t.run.wall_ms for t in self.ours]) / median([t.ms for t in baseline])


@dataclass(frozen=True, slots=True, kw_only=True)
class AppReplays:
    app: FormApp
    unchanged: Layout
    moved: Layout


def measure(senses: Senses, tmp: Path, *, reader: TextReader) -> list[AppReplays]:
    """`reader`: the models `senses` perceives with, shared by the fresh perceiver of each replay."""
    measured = []
    for number, app in enumerate((TK, QT)):
        folder = tmp / f"replay-{number}"
        recording = record(senses, app, folder / "recording")
        unchanged = _layout(senses, reader, recording, folder, "unchanged", HOME)
        moved = _layout(senses, reader, recording, folder, "moved", MOVED)
        measured.append(AppReplays(app=app, unchanged=unchanged, moved=moved))
    return measured


def _layout(senses: Senses, reader: TextReader, recording: Recording, tmp: Path, name: str,
            place: Point) -> Layout:
    ours: list[Ours] = []
    blind: list[Blind] = []
    bare: list[Blind] = []
    for _ in range(REPEATS):
        fresh = _as_new(senses, reader)
        try:
            ours.append(_ours(fresh, recording, tmp, place))
        finally:
            if isinstance(tree := fresh.perceiver.accessibility, AtspiReader):
                tree.close()  # its connection to the accessibility bus, as the process's end would
        blind.append(_blind(senses, recording, place, pause_s=SHIPPED_PAUSE_S))
        bare.append(_blind(senses, recording, place, pause_s=0.0))
    return Layout(name=name, place=place, ours=ours, blind=blind, bare=bare)


def _as_new(senses: Senses, reader: TextReader) -> Senses:
    """The same screen and loaded models with a perceiver that has seen nothing yet, as a new
    `desktop-agent replay` process starts (all it knows of the windows is what its recording saw)."""
    return Senses(grabber=senses.grabber, windows=senses.windows, perceiver=build_perceiver(reader),
                  own=senses.own)


def record(senses: Senses, app: FormApp, folder: Path) -> Recording:
    """`desktop-agent record` while xdotool fills in a form of `app` at HOME; the user data folder is
    `folder`."""
    folder.mkdir(parents=True)
    task = folder / "order.yaml"
    with open_forms(senses, HOME, app=app) as (form,):
        recorder = subprocess.Popen(
            [sys.executable, "-m", "desktop_agent.cli.main", "record", "-o", str(task),
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
    return Recording(app=app, task=task, clicks=(form.customer, form.submit))


def _drive_recording(recorder: subprocess.Popen, form: Form) -> None:
    first = recorder.stderr.readline()
    if "press ctrl+alt+r to stop" not in first:
        raise BenchError(f"record did not start listening: {first}")
    field, submit = form.customer, form.submit
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
    with open_forms(senses, place, app=recording.app) as (form,):
        run = run_agent(senses, plan, trace_root=tmp / "replay", memory_path=tmp / "replay-memory.sqlite3",
                        assets=plan.assets)
        submitted = form.submitted(REPLAYED_NAME, wait_s=SUBMIT_WAIT_S)
    return Ours(run=run, passed=run.status is RunStatus.SUCCEEDED and submitted)


def _blind(senses: Senses, recording: Recording, place: Point, *, pause_s: float) -> Blind:
    with open_forms(senses, place, app=recording.app) as (form,):
        ms = blind_replay(recording.clicks, REPLAYED_NAME, pause_s=pause_s)
        return Blind(ms=ms, passed=form.submitted(REPLAYED_NAME, wait_s=SUBMIT_WAIT_S))


def blind_replay(clicks: tuple[Point, Point], text: str, *, pause_s: float) -> float:
    """Click the field, write `text`, click Submit — pyautogui at the recorded points with `pause_s`
    after each call, checking nothing; ms."""
    import pyautogui  # lazy: it opens the display at import

    saved = pyautogui.PAUSE, pyautogui.FAILSAFE
    pyautogui.PAUSE, pyautogui.FAILSAFE = pause_s, False
    field, submit = clicks
    try:
        started = time.perf_counter()
        pyautogui.click(field.x, field.y)
        pyautogui.write(text)
        pyautogui.click(submit.x, submit.y)
        return (time.perf_counter() - started) * 1000
    finally:
        pyautogui.PAUSE, pyautogui.FAILSAFE = saved


def _passes(trials: list[Ours] | list[Blind]) -> int:
    return sum(t.passed for t in trials)


def _verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def report(replays: list[AppReplays]) -> list[str]:
    lines = [(f"replay vs blind coordinate replay: recorded task (click field, type, click Submit), "
              f"{REPEATS} interleaved rounds per layout, a fresh form each; blind = pyautogui at the "
              f"recorded points, as shipped (PAUSE {SHIPPED_PAUSE_S:g} s) and with pauses off"),
             (f"{'form':<10} {'layout':<22} {'ours p50 ms':>11} {'blind p50 ms':>12} {'ours/blind':>10} "
              f"{'no-pause p50 ms':>15} {'ours/no-pause':>13} {'passed ours':>11} {'blind':>6} "
              f"{'no-pause':>8}")]
    for replay in replays:
        for layout in (replay.unchanged, replay.moved):
            lines.append(f"{replay.app.name:<10} {f'{layout.name} (+{layout.place.x}+{layout.place.y})':<22} "
                         f"{median([t.run.wall_ms for t in layout.ours]):>11.0f} "
                         f"{median([t.ms for t in layout.blind]):>12.0f} {layout.ratio(layout.blind):>9.2f}x "
                         f"{median([t.ms for t in layout.bare]):>15.0f} {layout.ratio(layout.bare):>12.2f}x "
                         f"{_passes(layout.ours):>9}/{REPEATS} {_passes(layout.blind):>4}/{REPEATS} "
                         f"{_passes(layout.bare):>6}/{REPEATS}")
    for replay in replays:
        unchanged, moved, bar = replay.unchanged, replay.moved, BARS[replay.app.name]
        ratio = unchanged.ratio(unchanged.blind)
        lines += [(f"bar ({replay.app.name}): ours <= {bar}x blind on the unchanged layout: "
                   f"{_verdict(ratio <= bar)} ({ratio:.2f}x); moved window: blind fails every time "
                   f"{_verdict(_passes(moved.blind) + _passes(moved.bare) == 0)}, ours passes every time "
                   f"{_verdict(_passes(moved.ours) == REPEATS)}"),
                  f"ours ({replay.app.name}) on the moved form grounded by: "
                  + ", ".join(moved.ours[-1].run.strategies)]
        lines += [f"ours ({replay.app.name}) {layout.name} per run, p50 ms: " + ", ".join(
            f"{phase} {median([t.run.phase_ms(phase) for t in layout.ours]):.0f}"
            for phase in (*PHASES, "other"))
            for layout in (unchanged, moved)]
        lines += [f"ours ({replay.app.name}) {layout.name} failed: {t.run.error}"
                  for layout in (unchanged, moved) for t in layout.ours if not t.passed]
    return lines
