"""A run whose steps come one at a time — an MCP session is one — instead of from a plan parsed up front.

Each step goes through exactly the path a task's step takes (`Runner.step`: checkpoint, find, authorize
by the guard, act, settle, verify, roll back and retry once), as step N of one run: one trace folder,
one audit chain, one ledger entry, one guard whose limits (steps, actions per minute) count across the
whole run. A step that failed or was denied does not end the run — the caller decides what comes next —
but it does decide the status the run finishes with (`runner.run_status`).

Guaranteed: `finish` ends the run once (report, memory, ledger), whatever is asked after; no step runs
after it. Not guaranteed: that the caller's steps were parsed before the first one acted (they come
one by one); what the steps before an interruption did is in the ledger, as for any run.
"""
from __future__ import annotations

import time
from collections.abc import Generator
from pathlib import Path

from desktop_agent.core.actions import Plan, Step
from desktop_agent.core.errors import AgentError
from desktop_agent.core.events import Event, RunFinished, RunStarted
from desktop_agent.core.results import StepResult
from desktop_agent.core.values import Target, TargetSpec
from desktop_agent.perception.senses import Look
from desktop_agent.run.runner import Runner, run_status


class RunFinishedError(AgentError):
    """The run has finished: nothing more runs in it."""


class OpenRun:
    def __init__(self, runner: Runner, *, name: str, workspace: tuple[Path, ...] = ()) -> None:
        """Starts the run (`started`); `workspace`: paths checkpointed before every acting step."""
        self.runner = runner
        self.name = name
        self.workspace = workspace
        self._steps: list[Step] = []
        self._results: list[StepResult] = []
        self._clock = time.monotonic()
        self._finished: RunFinished | None = None
        self.started: RunStarted = runner.begin(Plan(name=name, steps=()))

    @property
    def results(self) -> tuple[StepResult, ...]:
        return tuple(self._results)

    @property
    def next_index(self) -> int:
        """The index the next step gets (0-based; its number in reports is one more)."""
        return len(self._steps)

    @property
    def finished(self) -> RunFinished | None:
        return self._finished

    def step(self, step: Step, *, workspace: tuple[Path, ...] = ()) -> Generator[Event, None, StepResult]:
        """Run `step` as the run's next step (also checkpointing `workspace`, e.g. a task file's):
        its events, then its result (the generator's return value)."""
        self._refuse_if_finished()
        index = len(self._steps)
        self._steps.append(step)
        plan = Plan(name=self.name, steps=tuple(self._steps), workspace=(*self.workspace, *workspace))
        result = yield from self.runner.step(plan, index, step)
        self._results.append(result)
        return result

    def look(self) -> Look:
        """The screen as the run's steps see it now (the agent's own windows left out)."""
        self._refuse_if_finished()
        return self.runner.senses.look()

    def ground(self, spec: TargetSpec) -> tuple[Target, Look]:
        """Where `spec` is on the screen now, found as the next step would find it (memory and words);
        acts on nothing. GroundingError when it is not found exactly once."""
        look = self.look()
        return self.runner.finder.grounder(spec, look.screen, self.next_index + 1), look

    def undo(self, *, to_step: int | None = None) -> list[tuple[int, str]]:
        """Take back the last verified step, or every verified step from number `to_step` (1-based) on,
        newest first: (step number, what was and wasn't restored) for each. AgentError when there is
        nothing to take back there (the runner keeps the last `options.undo_depth` verified steps)."""
        self._refuse_if_finished()
        undoable = self.runner.undoable
        if to_step is not None and not 1 <= to_step <= len(self._steps):
            raise AgentError(f"no step {to_step} in this run: it has {len(self._steps)} step(s)")
        chosen = [i for i in undoable if i >= to_step - 1] if to_step is not None else list(undoable[-1:])
        if not chosen:
            raise AgentError("nothing to roll back: " + (
                f"no verified step from step {to_step} on is kept for undoing (the last "
                f"{self.runner.options.undo_depth} verified steps are; a failed step was rolled back when "
                "it failed)" if to_step is not None
                else "no step of this run acted and was verified since the last rollback"))
        return [(index + 1, self.runner.undo(index)) for index in reversed(chosen)]

    def report(self) -> Path:
        """Write the run's report as it stands now (replaced when it finishes) and return its path."""
        return self.runner.trace.write_report(title=self.name, status=run_status(self._results),
                                              results=self._results)

    def finish(self, *, stopped: bool = False) -> RunFinished:
        """End the run (once; later calls return the same): its status from its steps' results."""
        if self._finished is None:
            plan = Plan(name=self.name, steps=tuple(self._steps), workspace=self.workspace)
            self._finished = self.runner.end(plan, self._results, time.monotonic() - self._clock,
                                             stopped=stopped)
        return self._finished

    def _refuse_if_finished(self) -> None:
        if self._finished is not None:
            raise RunFinishedError(f"run {self.runner.trace.folder.name} has finished "
                                   f"({self._finished.status.value}): nothing more runs in it")
