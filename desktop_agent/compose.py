"""Composition root shared by the CLI, the GUI and the demo: builds the engine's objects, wires them
together, and starts a run.

Nothing here runs at import; `build_runner` opens no display until the runner first looks or acts.

May import: core, language, screen, perception, grounding, safety, act, durability, memory, recording, run.
"""
from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from desktop_agent.act.actuator import DesktopActuator
from desktop_agent.core.actions import Plan
from desktop_agent.core.errors import AgentError
from desktop_agent.core.events import Event
from desktop_agent.core.values import OwnWindows
from desktop_agent.durability.ledger import Ledger, RunSource, default_path
from desktop_agent.durability.resume import ResumePoint, run_source
from desktop_agent.grounding.fallbacks import Fallback, Recorded, by_words, in_order
from desktop_agent.grounding.locators import load_locators
from desktop_agent.memory.recall import Recall
from desktop_agent.memory.store import MemoryStore
from desktop_agent.memory.store import default_path as default_memory_path
from desktop_agent.perception import templates
from desktop_agent.perception.perceiver import Perceiver
from desktop_agent.perception.seen import load_seen, prime
from desktop_agent.perception.senses import Senses
from desktop_agent.perception.standard import build_perceiver
from desktop_agent.run.open_run import OpenRun
from desktop_agent.run.runner import Runner, RunOptions
from desktop_agent.run.trace import Trace
from desktop_agent.safety.approvals import Approver
from desktop_agent.safety.audit import AuditLog
from desktop_agent.safety.command_line import screen_line
from desktop_agent.safety.focus import FocusSense
from desktop_agent.safety.guard import Guard
from desktop_agent.safety.policy import Policy
from desktop_agent.safety.stop import CornerWatch, StopHotkey, StopToken
from desktop_agent.safety.vault import fill_secrets
from desktop_agent.screen.capture import Grabber
from desktop_agent.screen.windows import WindowLister


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentConfig:
    policy: Policy
    trace_root: Path
    run_name: str
    options: RunOptions = RunOptions()
    approver: Approver | None = None
    approve_every_step: bool = False
    display: str | None = None
    own_pids: frozenset[int] = frozenset({os.getpid()})
    ledger_path: Path | None = None  # default: <trace_root>/ledger.sqlite3
    remember: bool = True            # record finished (not dry) runs in the local memory
    memory_path: Path | None = None  # default: memory.default_path() (the user data folder)
    assets: Path | None = None       # a recording's fallback locators for the task's targets
    source: RunSource | None = None  # kept in the ledger so the run can be resumed (see durability/resume.py)
    resumes: str | None = None       # the interrupted run this one carries on


def build_senses(*, display: str | None = None, own_pids: frozenset[int] = frozenset({os.getpid()}),
                 perceiver: Perceiver | None = None) -> Senses:
    return Senses(grabber=Grabber(display=display), windows=WindowLister(display=display),
                  perceiver=perceiver or build_perceiver(), own=OwnWindows(pids=own_pids))


def build_runner(config: AgentConfig, *, stop: StopToken, senses: Senses | None = None) -> Runner:
    senses = senses or build_senses(display=config.display, own_pids=config.own_pids)
    recorded = recorded_fallbacks(config)  # a malformed recording stops the run before anything is made
    seen = load_seen(config.assets) if config.assets is not None else []
    # Opened before the trace folder exists, so a foreign ledger file stops the run with nothing made.
    # A dry run acts on nothing, so it has nothing to account for after a crash.
    ledger = None if config.options.dry_run else Ledger.open(
        config.ledger_path or default_path(config.trace_root))
    trace = Trace.create(config.trace_root, config.run_name)
    actuator = DesktopActuator(bounds=senses.grabber.bounds, launch_output=trace.folder / "launched.log",
                               interrupt=lambda: guard.before_input(),  # the guard is made just below
                               input_into=lambda: guard.input_into())
    journal = None
    if ledger is not None:
        ledger.start_run(trace.folder.name, config.run_name, trace.folder, source=config.source,
                         resumes=config.resumes)
        journal = ledger.journal(trace.folder.name)
    focus = FocusSense(keyboard_focus=senses.focused_window, keyboard_focus_id=senses.windows.focused_window_id,
                       input_holder=functools.partial(senses.focused_window, follow_pointer=False),
                       holds_focus=senses.holds_focus, give_focus=lambda window: senses.windows.give_focus(window.id))
    guard = Guard(policy=config.policy, actuator=actuator, audit=AuditLog(trace.folder / "audit.jsonl"),
                  stop=stop, approver=config.approver, approve_every_step=config.approve_every_step,
                  own_pids=config.own_pids, focus=focus,
                  read_line=lambda window: screen_line(senses.look().screen, window), journal=journal)
    memory = _memory(config, trace)
    # A replay starts from what its recording saw: only what differs from it is read again.
    if seen and config.assets is not None:
        prime(senses.perceiver, senses.list_windows(), config.assets, seen)
    recall = None if memory is None else Recall(store=memory, run_id=trace.folder.name,
                                                match_template=templates.match_template, task=config.run_name,
                                                learns=not config.options.dry_run)
    return Runner(senses=senses, guard=guard, stop=stop, trace=trace, options=config.options,
                  grounder=in_order(grounding_order(
                      words=by_words(templates.match_template, config.options.base_dir), recorded=recorded,
                      recall=recall)),
                  memory=memory, recall=recall)


def recorded_fallbacks(config: AgentConfig) -> list[Fallback]:
    """With a recording's assets, the fallbacks its locators give (none without)."""
    if config.assets is None:
        return []
    return Recorded(locators=load_locators(config.assets), assets=config.assets,
                    match_template=templates.match_template).fallbacks()


def grounding_order(*, words: Fallback, recorded: Sequence[Fallback] = (),
                    recall: Recall | None = None) -> list[Fallback]:
    """The order a step's target is looked for in, written here once: what a person pointed at before
    for it (memory), its words, what its recording kept (crop, landmark, point), and where it was found
    for sure before (memory). What a person rejected before for the target is never proposed again."""
    trusted = [words, *recorded]
    if recall is None:
        return trusted
    return [recall.corrected, *(recall.avoiding(fallback) for fallback in trusted), recall.found_before]


def _memory(config: AgentConfig, trace: Trace) -> MemoryStore | None:
    """The memory a run grounds with and is recorded in. A dry run grounds with it alike (it records
    nothing, and creates no memory); an unusable memory file is traced, not a reason not to run."""
    if not config.remember:
        return None
    if config.options.dry_run and not (config.memory_path or default_memory_path()).exists():
        return None
    try:
        return MemoryStore.open(config.memory_path)
    except AgentError as exc:
        trace.event("memory_unavailable", error=str(exc))
        return None


@contextmanager
def brakes(runner: Runner, *, hotkey: str) -> Iterator[StopHotkey]:
    """For the length of a run: the global stop hotkey and the fail-safe corner watch."""
    with StopHotkey(runner.stop, combo=hotkey) as keys, \
            CornerWatch(runner.stop, pointer=runner.senses.windows.pointer,
                        bounds=runner.senses.grabber.bounds()):
        yield keys


@dataclass(frozen=True, slots=True, kw_only=True)
class RunGiven:
    """How a person gave the run: a task file (None when the steps did not come from a saved file), the
    step lines as written, and the parameters they set. Kept (secrets withheld) so the run can be resumed."""

    task: Path | None = None
    steps: tuple[str, ...] = ()
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class StartedRun:
    """A run ready to go: its runner, the plan it runs (secrets filled in) and where it starts."""

    runner: Runner
    plan: Plan
    hotkey: str
    resume: ResumePoint | None = None

    def events(self) -> Iterator[Event]:
        """The run's events, with the stop hotkey and the corner watch on while they come."""
        with brakes(self.runner, hotkey=self.hotkey):
            yield from self.runner.run(self.plan, start=self.resume.start if self.resume else 0,
                                       unsure=self.resume.unsure if self.resume else False)


def start_run(plan: Plan, config: AgentConfig, *, hotkey: str, given: RunGiven | ResumePoint,
              ask_secret: Callable[[str], str | None] | None = None,
              build: Callable[[AgentConfig], Runner] | None = None) -> StartedRun:
    """The one way a front end (CLI, app, demo) starts a run: secrets filled in (not for a dry run —
    nothing is typed), what rebuilds the run kept in the ledger (or, resuming, the run it carries on),
    and a runner from `build` (default `build_runner` with a new stop token)."""
    source: RunSource | None
    if isinstance(given, ResumePoint):
        source, resumes = given.source, given.run
    else:
        source = run_source(plan, task=given.task, steps=given.steps, params=given.params,
                            policy=config.policy)
        resumes = None
    if not config.options.dry_run:
        plan = fill_secrets(plan, ask=ask_secret)
    config = replace(config, source=source, resumes=resumes)
    runner = build(config) if build else build_runner(config, stop=StopToken())
    return StartedRun(runner=runner, plan=plan, hotkey=hotkey,
                      resume=given if isinstance(given, ResumePoint) else None)


def open_run(config: AgentConfig, *, workspace: tuple[Path, ...] = (),
             build: Callable[[AgentConfig], Runner] | None = None) -> OpenRun:
    """The one way a front end starts a run whose steps come one at a time (an MCP session): a runner
    from `build` (default `build_runner` with a new stop token), started, with nothing kept to resume
    it from (its steps were never written down ahead). Hold `brakes(run.runner, ...)` while it is open."""
    runner = build(config) if build else build_runner(config, stop=StopToken())
    return OpenRun(runner, name=config.run_name, workspace=workspace)
