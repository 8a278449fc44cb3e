"""One MCP session = one run: every tool call of the session, as values.

Steps an agent sends (`act`, `run_task`, an action on an observed element, written as the step-language
line it means: `click at 412,230`) run as the next steps of the session's one run (`OpenRun`), through
the runner's own path — so the guard judges each, its limits count across the session, and each step
is checkpointed, verified and rolled back when its check fails, in one trace, audit chain and ledger
entry. A step that fails, is denied or was not confirmed ends that call, not the session.

Guaranteed: nothing acts before its whole input parsed (a task's every line); a malformed step raises
TaskSyntaxError with its line and column, a stale or changed element ElementError — both before
anything is done. Not guaranteed: that the session's steps can be resumed after a crash (they were
never written down ahead; the ledger still shows what the last one did).
"""
from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import replace
from pathlib import Path

from desktop_agent.core.actions import Plan
from desktop_agent.core.errors import AgentError
from desktop_agent.core.events import Event, RunFinished
from desktop_agent.core.results import StepResult, StepStatus
from desktop_agent.core.values import Target, frozen
from desktop_agent.language.phrases import quote
from desktop_agent.language.steps import load_task, parse_step, parse_target, plan_from_steps
from desktop_agent.memory.skills import Skill, skill
from desktop_agent.memory.store import MemoryStore, TaskMatch
from desktop_agent.memory.store import default_path as default_memory_path
from desktop_agent.run.open_run import OpenRun
from desktop_agent.run.runner import ENDS_A_TASK, run_status
from desktop_agent.safety.vault import fill_secrets
from desktop_agent.serve.confirm import Confirmations
from desktop_agent.serve.elements import Observation, Observations, still_there
from desktop_agent.serve.tools import (
    ActElement,
    ActStep,
    ElementAction,
    Ground,
    MemorySearch,
    Observe,
    Rollback,
    RunTask,
)


@frozen
class Acted:
    """One step's result, as step `number` of the session's run."""

    number: int
    result: StepResult
    trace: Path


@frozen
class Undone:
    step: int
    restored: str


@frozen
class Remembered:
    match: TaskMatch
    skill: Skill | None


def element_step(action: ElementAction, text: str | None, x: int, y: int) -> str:
    """The step-language line for `action` on the element now at (x, y): what runs, and what the trace,
    the ledger and the memory keep (a remembered session's steps can be run again as a task)."""
    at = f"at {x},{y}"
    match action:
        case ElementAction.TYPE:
            return f"type {quote(text or '')} into {at}"
        case ElementAction.SELECT:
            return f"select {quote(text or '')} in {at}"
        case _:
            return f"{action.value} {at}"


Watch = Callable[[Event], None]
"""Sees the run's events as they happen, on the engine thread: RunStarted, each step's, RunFinished."""


class Session:
    def __init__(self, run: OpenRun, confirmations: Confirmations, *, memory_path: Path | None = None,
                 watch: Watch | None = None) -> None:
        self.run = run
        self.confirmations = confirmations
        self.observations = Observations()
        self._memory_path = memory_path
        self._watch = watch or (lambda event: None)
        self._watch(run.started)

    @property
    def trace(self) -> Path:
        return self.run.runner.trace.folder

    # ------------------------------------------------------------ tools
    def observe(self, call: Observe) -> Observation:
        look = self.run.look()
        senses = self.run.runner.senses
        windows = [w for w in look.screen.windows if not senses.own.owns(w)]
        focused = senses.focused_window(follow_pointer=False)
        return self.observations.record(look.screen, windows=windows,
                                        focused=focused.id if focused is not None else None)

    def ground(self, call: Ground) -> Target:
        target, _ = self.run.ground(parse_target(call.target, source="target"))
        return target

    def act(self, call: ActStep | ActElement) -> Acted:
        if isinstance(call, ActStep):
            text = call.step
        else:
            seen = self.observations.resolve(call.element)
            now = still_there(seen, self.run.look().screen)
            text = element_step(call.action, call.text, now.box.center.x, now.box.center.y)
            self.run.runner.trace.event("element", id=seen.id, element=now, step=text)
        number = self.run.next_index + 1
        step = parse_step(text, line=number, source="step")
        (step,) = fill_secrets(Plan(name=self.run.name, steps=(step,)), ask=None).steps
        return Acted(number=number, result=self._drained(self.run.step(step)), trace=self.trace)

    def run_task(self, call: RunTask) -> RunFinished:
        """The task's steps as the session's next steps, its status as a run of its own would have it
        (stopping at the first that fails or is denied), the report of the session so far."""
        if call.task_file is not None:
            plan = load_task(call.task_file.expanduser().resolve(), params=call.params)
            if plan.policy is not None:
                raise AgentError(f"{call.task_file} names its own policy ({plan.policy}): in an MCP session "
                                 "the session's policy decides every action; start `desktop-agent mcp "
                                 f"--policy {plan.policy}` to use it")
        else:
            plan = plan_from_steps(call.steps, params=call.params)
        plan = fill_secrets(plan, ask=None)  # every line parsed and every secret found before anything acts
        results: list[StepResult] = []
        for step in plan.steps:  # each keeps its line in the task (as `run --json` has it)
            results.append(self._drained(self.run.step(step, workspace=plan.workspace)))
            if results[-1].status in ENDS_A_TASK:
                break
        return RunFinished(status=run_status(results), results=tuple(results), trace=self.trace,
                           report=self.run.report())

    def rollback(self, call: Rollback) -> tuple[Undone, ...]:
        return tuple(Undone(step=number, restored=text) for number, text in self.run.undo(to_step=call.to_step))

    def memory_search(self, call: MemorySearch) -> tuple[Remembered, ...]:
        path = self._memory_path or default_memory_path()
        if not path.exists():  # searching never creates a memory
            return ()
        with MemoryStore.open(path) as memory:
            return tuple(Remembered(match=m, skill=skill(memory, m.task.id))
                         for m in memory.search(call.query, limit=call.limit))

    def close(self, *, stopped: bool = False) -> None:
        if self.run.finished is None:
            self._watch(self.run.finish(stopped=stopped))

    # ------------------------------------------------------------ helpers
    def _drained(self, stepping: Generator[Event, None, StepResult]) -> StepResult:
        """The step's result, its events shown to the watcher as they come; a confirm the person or the
        client refused says why in the result's error."""
        while True:
            try:
                self._watch(next(stepping))
            except StopIteration as done:
                result: StepResult = done.value
                break
        refusal = self.confirmations.take_refusal()
        if result.status is StepStatus.SKIPPED and refusal is not None:
            result = replace(result, error=refusal)
        return result
