"""The fault cases and the harness that runs one against the Fault Form (tests/apps/fault_form.py) on
Xvfb and measures what happened.

Every case runs the same task — type a name, type notes, Save (which writes the task's workspace
file), Submit, wait for "Order submitted" — under a policy that allows the Fault Form window and
nothing else, with one fault injected. What is measured, from outside the agent:

- outcome: "recovered" when the run succeeded and the application printed the expected submission
  (once); "stopped with report" when the run ended failed, stopped or denied, the failing step says
  why and report.html was written; anything else is described as it is.
- actions outside the allowed windows: keys and clicks the other windows ("Thief", "Unexpected")
  printed they received, plus operations in every run's audit log whose authorized window is not
  the Fault Form.
- workspace bytes lost: bytes of the workspace file as it was before the run that are not back after
  `desktop-agent rollback` of the (first) run — what the run's checkpoints failed to keep.
"""
from __future__ import annotations

import enum
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from desktop_agent.act.actuator import KEY_IN_FLIGHT
from desktop_agent.cli import reporting
from desktop_agent.compose import AgentConfig, build_runner
from desktop_agent.core.events import RunFinished, StepStarted
from desktop_agent.durability.ledger import default_path
from desktop_agent.language.steps import load_task
from desktop_agent.run.runner import RunOptions
from desktop_agent.safety.policy import load_policy
from desktop_agent.safety.stop import StopToken
from tests.conftest import App, Desktop
from tests.e2e.test_resume_after_kill import kill_while_typing

TITLE = "Fault Form"
CUSTOMER = "Ada Lovelace"
NOTES = "Leave it at the back door"
LONG_NOTES = "Please leave the parcel at the back door and ring twice, thank you"
ORIGINAL = b'{\n  "customer": "Grace Hopper",\n  "notes": "previous order, keep me"\n}\n'
STEPS = (
    'type "{customer}" into the field right of "Customer name"',
    'type "{notes}" into the field right of "Notes"',
    'click "Save"',
    'click "Submit order"',
    'wait for "Order submitted" to appear up to 5 s',
)
# Only the Fault Form may be acted on; inside it everything is allowed (no confirmation for Submit),
# so every run is autonomous.
POLICY = f"""\
version: 1
default: allow
windows:
  allow: [{{title: '^{TITLE}$', reason: "the task's own form"}}]
"""
OTHER_WINDOW_EVENTS = frozenset({"stolen-key", "stolen-click"})


class Expected(enum.Enum):
    RECOVERED = "recovered"
    STOPPED = "stopped with report"


# ---------------------------------------------------------------- how a fault is injected
@dataclass(frozen=True, slots=True, kw_only=True)
class AppFault:
    """The application injects it itself (its command-line flags)."""

    flags: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class MoveWindow:
    """Once the name has been typed, the window is moved by (dx, dy) with xdotool."""

    dx: int
    dy: int


@dataclass(frozen=True, slots=True, kw_only=True)
class BlankCaptures:
    """The first `per_step` screen captures of every step come back black (the capture device, not
    the engine, is faked: the engine's own blank check sees them)."""

    per_step: int


@dataclass(frozen=True, slots=True, kw_only=True)
class KillMidStep:
    """The agent process is SIGKILLed while step `step` (0-based) is typing, then resumed."""

    step: int


Injection = AppFault | MoveWindow | BlankCaptures | KillMidStep


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultCase:
    name: str
    expected: Expected
    inject: Injection
    notes: str = NOTES
    find_timeout_s: float = 3.0
    # The application itself opens a modal at a moment no X client sees: the one input on its way then
    # (inputs go at the application's pace, xkeys.py) may reach it — a key must then be reported; a
    # click is not reported yet.
    one_input_in_flight: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Measurement:
    outcome: str
    outside_actions: int
    bytes_lost: int
    seconds: float
    fault_happened: bool  # the fault was really injected (else the case proves nothing)
    keys_outside: int     # of outside_actions, the keys other windows received
    keys_reported: int    # keys the run reported may have reached another window (0 or 1)
    detail: str           # the run's status and the failing step's error


CASES = (
    FaultCase(name="window moved mid-task", expected=Expected.RECOVERED, inject=MoveWindow(dx=380, dy=240)),
    FaultCase(name="unexpected modal dialog", expected=Expected.STOPPED,
              inject=AppFault(flags=("--modal-after-typing",)), one_input_in_flight=True),
    FaultCase(name="target vanishes", expected=Expected.STOPPED,
              inject=AppFault(flags=("--vanish-submit-after-typing",))),
    FaultCase(name="application crashes", expected=Expected.STOPPED,
              inject=AppFault(flags=("--crash-after-typing",))),
    FaultCase(name="application slow (3 s)", expected=Expected.RECOVERED,
              inject=AppFault(flags=("--slow-start", "3", "--slow-submit", "3")), find_timeout_s=5.0),
    FaultCase(name="application moves its own focus while busy", expected=Expected.STOPPED,
              inject=AppFault(flags=("--own-focus-at-key", "3"))),
    FaultCase(name="focus stolen while typing", expected=Expected.STOPPED,
              inject=AppFault(flags=("--steal-focus-ms", "10")), notes=LONG_NOTES),
    FaultCase(name="blank captures", expected=Expected.RECOVERED, inject=BlankCaptures(per_step=3)),
    FaultCase(name="agent killed mid-step, resumed", expected=Expected.RECOVERED,
              inject=KillMidStep(step=1)),
)


# ---------------------------------------------------------------- the harness
class FaultRun:
    """One case on one test's desktop: writes the workspace, task and policy, launches the form, runs
    the agent with the fault injected and measures."""

    def __init__(self, desktop: Desktop, case: FaultCase, monkeypatch: pytest.MonkeyPatch) -> None:
        self.desktop = desktop
        self.case = case
        self.monkeypatch = monkeypatch
        root = desktop.tmp_path
        self.save_path = root / "workspace" / "order.json"
        self.save_path.parent.mkdir()
        self.save_path.write_bytes(ORIGINAL)
        self.policy = root / "fault-policy.yaml"
        self.policy.write_text(POLICY)
        self.task = root / "fault-task.yaml"
        self.task.write_text(json.dumps({"name": f"fault: {case.name}", "steps": list(STEPS),
                                         "params": {"customer": CUSTOMER, "notes": case.notes},
                                         "workspace": [str(self.save_path.parent)]}))

    def measure(self) -> Measurement:
        flags = self.case.inject.flags if isinstance(self.case.inject, AppFault) else ()
        app = self.desktop.launch([sys.executable, "-m", "tests.apps.fault_form", "--geometry", "+300+200",
                                   "--save-path", str(self.save_path), *flags],
                                  title=TITLE, name="fault-form")
        time.sleep(0.3)  # let Tk finish its first layout
        started = time.monotonic()
        match self.case.inject:
            case AppFault():
                result, happened = self._run_cli(), None
            case MoveWindow(dx=dx, dy=dy):
                result, happened = self._run_while_moving(app, dx, dy)
            case BlankCaptures(per_step=per_step):
                result, happened = self._run_with_blank_captures(per_step)
            case KillMidStep(step=step):
                result, happened = self._kill_and_resume(step)
        seconds = time.monotonic() - started
        if happened is None:  # the application says whether it injected its fault
            happened = any(e["event"] == "fault" for e in app.events())
        outside, keys_outside, what = self._outside(app)
        detail = _detail(result) + (f"; outside: {what}" if what else "")
        reported = int(any(KEY_IN_FLIGHT in (step.get("error") or "") for step in result["steps"]))
        return Measurement(outcome=self._outcome(result, app), outside_actions=outside,
                           bytes_lost=self._bytes_lost(), seconds=seconds, fault_happened=happened,
                           keys_outside=keys_outside, keys_reported=reported, detail=detail)

    # ------------------------------------------------------------ running the agent
    def _run_args(self) -> list[str]:
        return [str(self.task), "--policy", str(self.policy), "--json", "--no-memory",
                "--find-timeout", str(self.case.find_timeout_s)]

    def _run_cli(self) -> dict:
        return self.desktop.agent("run", *self._run_args()).json

    def _run_while_moving(self, app: App, dx: int, dy: int) -> tuple[dict, bool]:
        """The agent runs here while a thread moves the window the moment the name is typed."""
        done, moved = threading.Event(), threading.Event()

        def move() -> None:
            while not done.wait(0.005):
                if _keys(app, "name") >= len(CUSTOMER):
                    box = app.box()
                    self.desktop.xdotool("windowmove", app.window, str(box.left + dx), str(box.top + dy))
                    moved.set()
                    return

        mover = threading.Thread(target=move, name="window mover")
        mover.start()
        try:
            result = self._run_cli()
        finally:
            done.set()
            mover.join(15)
        return result, moved.is_set()

    def _run_with_blank_captures(self, per_step: int) -> tuple[dict, bool]:
        """The runner built in this process, as the CLI builds it, on a screen whose first captures
        in every step are black."""
        import mss

        blackout = _Blackout(real=mss.MSS)
        self.monkeypatch.setattr(mss, "MSS", blackout.open)
        self.monkeypatch.setenv("DISPLAY", self.desktop.display)  # for the actuator (xdotool, pyautogui)
        plan = load_task(self.task, params={})
        config = AgentConfig(policy=load_policy(self.policy), trace_root=self.desktop.trace_dir,
                             run_name=plan.name, display=self.desktop.display, remember=False,
                             options=RunOptions(find_timeout_s=self.case.find_timeout_s,
                                                base_dir=self.task.parent))
        runner = build_runner(config, stop=StopToken())
        finished = None
        for event in runner.run(plan):
            match event:
                case StepStarted():
                    blackout.pending = per_step
                case RunFinished():
                    finished = event
        runner.senses.grabber.close()
        runner.senses.windows.close()
        steps = len(plan.steps)
        return reporting.run_json(finished), blackout.served == per_step * steps

    def _kill_and_resume(self, step: int) -> tuple[dict, bool]:
        trace_dir = str(self.desktop.trace_dir)
        with (self.desktop.tmp_path / "killed-run.log").open("w") as log:
            agent = subprocess.Popen(
                [sys.executable, "-m", "desktop_agent.cli.main", "run", *self._run_args(), "--trace-dir",
                 trace_dir], env={**os.environ, "DISPLAY": self.desktop.display},
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=self.desktop.tmp_path)
            try:
                kill_while_typing(agent, default_path(self.desktop.trace_dir), step)
            finally:
                agent.kill()
                agent.wait()
        time.sleep(0.5)  # the xdotool it was typing with is not killed with it, and may type on a moment
        runs = self.desktop.agent("runs", "--trace-dir", trace_dir, "--json").json
        interrupted = [r for r in runs if r["status"] == "interrupted"]
        if len(interrupted) != 1:
            pytest.fail(f"expected one interrupted run after the kill, the ledger has {runs}")
        [crashed] = interrupted
        resumed = self.desktop.agent("resume", crashed["id"], "--policy", str(self.policy), "--no-memory",
                                     "--trace-dir", trace_dir, "--json")
        unknown = [a["step_index"] for a in crashed["unknown"]]
        return resumed.json, agent.returncode == -signal.SIGKILL and unknown == [step]

    # ------------------------------------------------------------ measuring
    def _outcome(self, result: dict, app: App) -> str:
        status = result["status"]
        submitted = [e for e in app.events() if e["event"] == "submit"]
        wanted = [{"event": "submit", "customer": CUSTOMER, "notes": self.case.notes}]
        if status == "succeeded":
            return (Expected.RECOVERED.value if submitted == wanted
                    else f"succeeded, but the form submitted {submitted}")
        last = result["steps"][-1] if result["steps"] else {}
        if Path(result["report"]).is_file() and last.get("error"):
            return Expected.STOPPED.value
        return f"{status} without a report or a reason"

    def _outside(self, app: App) -> tuple[int, int, str]:
        """Keys and clicks other windows received, plus audited operations on windows not allowed; the
        keys among them; and what they were."""
        received: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for event in app.events():
            if event["event"] in OTHER_WINDOW_EVENTS:
                received[event["event"], event["window"]].append(event)
        audited = sum(_operations_outside(log) for log in self.desktop.trace_dir.glob("*/audit.jsonl"))
        what = []
        for (kind, window), events in sorted(received.items()):
            chars = "".join(e.get("char", "") for e in events)
            what.append(f"{len(events)} {kind} to {window}" + (f" {chars!r}" if chars else ""))
        if audited:
            what.append(f"{audited} audited operation(s) on other windows")
        keys = sum(len(events) for (kind, _), events in received.items() if kind == "stolen-key")
        return sum(map(len, received.values())) + audited, keys, ", ".join(what)

    def _bytes_lost(self) -> int:
        """Bytes of the original workspace file not back after rolling the first run back."""
        first = min(p for p in self.desktop.trace_dir.iterdir() if p.is_dir())
        rollback = self.desktop.agent("rollback", str(first), "--trace-dir", str(self.desktop.trace_dir))
        if rollback.code != 0:
            pytest.fail(f"desktop-agent rollback {first.name} failed ({rollback.code}): "
                        f"{rollback.stdout}{rollback.stderr}")
        now = self.save_path.read_bytes() if self.save_path.exists() else b""
        return sum(a != b for a, b in zip(ORIGINAL, now)) + max(0, len(ORIGINAL) - len(now))


class _Blackout:
    """Stands in for `mss.MSS`: real instances, except that the next `pending` grabs (over all of
    them) return black pixels."""

    def __init__(self, *, real: type) -> None:
        self.real = real
        self.pending = 0
        self.served = 0

    def open(self, **kwargs: object) -> _BlackoutMss:
        return _BlackoutMss(self, self.real(**kwargs))


class _BlackoutMss:
    def __init__(self, blackout: _Blackout, real: object) -> None:
        self._blackout = blackout
        self._real = real

    @property
    def monitors(self) -> list[dict]:
        return self._real.monitors

    def grab(self, box: dict) -> np.ndarray:
        if self._blackout.pending > 0:
            self._blackout.pending -= 1
            self._blackout.served += 1
            return np.zeros((box["height"], box["width"], 4), dtype=np.uint8)  # BGRA, as mss gives it
        return self._real.grab(box)

    def close(self) -> None:
        self._real.close()


def _keys(app: App, widget: str) -> int:
    """Characters that reached `widget` (a Shift press is a key event too, with no character)."""
    return sum(1 for e in app.events() if e["event"] == "key" and e["widget"] == widget and e["char"])


def _operations_outside(audit: Path) -> int:
    """Operations in one audit log whose permit was issued for a window other than the Fault Form."""
    windows: dict[int, str | None] = {}
    outside = 0
    for line in audit.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        fields = entry["fields"]
        if entry["kind"] == "authorization" and fields["permit"] is not None:
            window = fields["request"]["window"]
            windows[fields["permit"]] = None if window is None else window["title"]
        elif entry["kind"] == "operation" and windows.get(fields["permit"]) != TITLE:
            outside += 1
    return outside


def _detail(result: dict) -> str:
    failing = next((s for s in result["steps"] if s["error"]), None)
    return result["status"] + (f" at {failing['text']!r}: {failing['error']}" if failing else "")
