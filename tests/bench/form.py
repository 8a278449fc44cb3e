"""The sample order form as the replay and memory benches use it: fresh instances at given places, the
agent run on them, and what each instance itself printed on Submit. Two applications of it: the Tk
sample (no accessibility tree: the agent sees it by vision) and its Qt twin, tests/apps/qt_order_form.py
(the agent reads its tree).

The only evidence of success these benches trust is the form's own stdout (a JSON line with
"event": "submit" and the customer's name); the agent's own verdict is reported next to it.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from desktop_agent.accessibility.atspi.reader import AtspiReader
from desktop_agent.compose import AgentConfig, build_runner
from desktop_agent.core.actions import Plan
from desktop_agent.core.events import RunFinished
from desktop_agent.core.results import RunStatus, StepResult
from desktop_agent.core.values import Point, Window
from desktop_agent.demo.__main__ import launch_collecting, launch_sample_app
from desktop_agent.demo.display import end_process
from desktop_agent.perception.senses import Senses
from desktop_agent.run.runner import RunOptions
from desktop_agent.run.verify import visibly_changed
from desktop_agent.safety.policy import Policy, parse_policy
from desktop_agent.safety.stop import StopToken
from tests.apps import qt_order_form

HOME = Point(x=420, y=200)                                  # where the form opens by default
WINDOW_TIMEOUT_S = 15.0
FIRST_LAYOUT_S = 0.5   # Tk maps the window before it has drawn its widgets: waited for, then watched
FORM_ONLY_POLICY = """\
version: 1
default: deny
rules:
  - decision: allow
    actions: [type, click]
    window_title: '^(Sample Order Form|Qt Order Form)$'
    reason: "the bench's own order forms"
"""
PHASES = ("capture", "perceive", "ground", "act", "settle", "verify")


class BenchError(Exception):
    """The bench could not set up what it measures (a tool, the recorder, a form that never opened)."""


def xdotool(*args: str) -> str:
    """Run xdotool on the current display; its stdout."""
    tool = shutil.which("xdotool")
    if tool is None:
        raise BenchError("xdotool is not installed; run installer/install.sh")
    done = subprocess.run([tool, *args], capture_output=True, text=True, timeout=30, check=False)
    if done.returncode != 0:
        raise BenchError(f"xdotool {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def form_policy() -> Policy:
    return parse_policy(FORM_ONLY_POLICY, source="bench: the order form only")


@dataclass(frozen=True, slots=True, kw_only=True)
class FormApp:
    """An application of the order form: how it is started at a place and where its two controls are."""

    name: str
    title: str
    customer: Point  # the "Customer name" field, window-relative
    submit: Point    # the "Submit order" button
    launch: Callable[[str], tuple[subprocess.Popen, list[str]]]  # "+X+Y" -> the process, its stdout lines
    tree: bool       # it has an accessibility tree (waited for before the form counts as open)


TK = FormApp(name="Tk, vision", title="Sample Order Form", customer=Point(x=300, y=106),
             submit=Point(x=95, y=382), launch=lambda geometry: launch_sample_app(geometry=geometry),
             tree=False)
QT = FormApp(name="Qt, tree", title=qt_order_form.TITLE,
             customer=Point(x=qt_order_form.FIELD[0] + 40, y=qt_order_form.FIELD[1] + 14),
             submit=Point(x=qt_order_form.SUBMIT[0] + 70, y=qt_order_form.SUBMIT[1] + 16),
             launch=lambda geometry: launch_collecting([sys.executable, "-m", "tests.apps.qt_order_form",
                                                        "--geometry", geometry]), tree=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class Form:
    """One running form; `lines` is its stdout, filled by a reader thread."""

    app: FormApp
    process: subprocess.Popen
    lines: list[str]
    window: Window

    def point(self, relative: Point) -> Point:
        return Point(x=self.window.box.left + relative.x, y=self.window.box.top + relative.y)

    @property
    def customer(self) -> Point:
        return self.point(self.app.customer)

    @property
    def submit(self) -> Point:
        return self.point(self.app.submit)

    def submitted(self, customer: str, *, wait_s: float) -> bool:
        """Whether the form printed a submit of `customer`, waiting up to `wait_s` for it."""
        deadline = time.monotonic() + wait_s
        while not any(event.get("event") == "submit" and event.get("customer") == customer
                      for event in _events(self.lines)):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True


def _events(lines: list[str]) -> list[dict]:
    return [json.loads(line) for line in list(lines) if line.strip()]


@contextmanager
def open_forms(senses: Senses, *places: Point, app: FormApp = TK) -> Iterator[tuple[Form, ...]]:
    """Fresh forms of `app` at `places`, launched in this order (so the last one is on top), drawn and,
    for an app with a tree, answering on the accessibility bus; ended on exit."""
    with ExitStack() as cleanup:
        forms = []
        for place in places:
            known = {window.id for window in senses.list_windows()}
            process, lines = app.launch(f"+{place.x}+{place.y}")
            cleanup.callback(end_process, process)
            window = _new_form_window(senses, app.title, known, place)
            forms.append(Form(app=app, process=process, lines=lines, window=window))
        for form in forms:
            _wait_until_drawn(senses, form.window)
            if app.tree:
                _wait_registered(form)
        yield tuple(forms)


def _wait_registered(form: Form) -> None:
    reader = AtspiReader()
    try:
        if not reader.wait_registered(form.process.pid, timeout_s=WINDOW_TIMEOUT_S):
            raise BenchError(f'"{form.app.title}" did not answer on the accessibility bus '
                             f"in {WINDOW_TIMEOUT_S:g} s")
    finally:
        reader.close()


def _wait_until_drawn(senses: Senses, window: Window) -> None:
    """Tk maps a window before it has drawn its widgets (longer on a cold start: fonts load): wait
    `FIRST_LAYOUT_S`, then until two captures of the window `FIRST_LAYOUT_S` apart agree."""
    deadline = time.monotonic() + WINDOW_TIMEOUT_S
    time.sleep(FIRST_LAYOUT_S)
    shown = senses.grab(window.box, allow_blank=True)
    while time.monotonic() < deadline:
        time.sleep(FIRST_LAYOUT_S)
        now = senses.grab(window.box, allow_blank=True)
        if not visibly_changed(shown, now):
            return
        shown = now
    raise BenchError(f'"{window.title}" kept changing for {WINDOW_TIMEOUT_S:g} s after it opened')


def _new_form_window(senses: Senses, title: str, known: set[int], place: Point) -> Window:
    """The new form's window once it is at `place` (Tk may map it elsewhere first, then move it)."""
    deadline = time.monotonic() + WINDOW_TIMEOUT_S
    while time.monotonic() < deadline:
        for window in senses.list_windows():
            if (window.title == title and window.id not in known
                    and (window.box.left, window.box.top) == (place.x, place.y)):
                return window
        time.sleep(0.05)
    raise BenchError(f'no new "{title}" window at +{place.x}+{place.y} within {WINDOW_TIMEOUT_S:g} s')


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentRun:
    """One run of the agent: its outcome, wall time and what each step reported."""

    status: RunStatus
    wall_ms: float
    results: tuple[StepResult, ...]

    @property
    def strategies(self) -> tuple[str, ...]:
        return tuple(r.target.strategy if r.target else "-" for r in self.results)

    @property
    def error(self) -> str:
        return next((r.error for r in self.results if r.error), "")

    def phase_ms(self, phase: str) -> float:
        """Milliseconds of `phase` over all steps; "other" is the wall time no phase accounts for
        (building the runner, the pauses between looks, screenshots, trace, ledger, memory, report)."""
        if phase == "other":
            return self.wall_ms - sum(self.phase_ms(p) for p in PHASES)
        return sum(getattr(r.timings, f"{phase}_ms") for r in self.results)


def run_agent(senses: Senses, plan: Plan, *, trace_root: Path, memory_path: Path,
              assets: Path | None = None, find_timeout_s: float = 3.0) -> AgentRun:
    """Run `plan` with the form-only policy; timed from building the runner to RunFinished."""
    config = AgentConfig(policy=form_policy(), trace_root=trace_root, run_name=plan.name,
                         memory_path=memory_path, assets=assets,
                         options=RunOptions(find_timeout_s=find_timeout_s))
    started = time.perf_counter()
    finished: RunFinished | None = None
    for event in build_runner(config, stop=StopToken(), senses=senses).run(plan):
        if isinstance(event, RunFinished):
            finished = event
    wall_ms = (time.perf_counter() - started) * 1000
    return AgentRun(status=finished.status, wall_ms=wall_ms, results=finished.results)
