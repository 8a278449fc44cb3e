"""Run a task by name from memory: the best match for some words, with the steps it is known by (its
consolidated skill's canonical steps, or the steps it was last run with) and the parameter values of
its newest successful run.

Guaranteed: a masked (secret) parameter value is never offered — it must be given again, and the step
parser says so by name; parameters given now override remembered ones. Not guaranteed: that the steps
still fit the screen (they are grounded again like any task).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from desktop_agent.core.actions import Plan
from desktop_agent.core.errors import AgentError
from desktop_agent.core.results import RunStatus
from desktop_agent.language.steps import plan_from_steps
from desktop_agent.memory.skills import skill
from desktop_agent.memory.store import MemoryStore, TaskRecord
from desktop_agent.safety.vault import MASK


@dataclass(frozen=True, slots=True, kw_only=True)
class RememberedTask:
    task: TaskRecord
    steps: tuple[str, ...]
    params: dict[str, str]
    source: str  # "skill" or "last run"

    def describe(self) -> str:
        rate = self.task.success_rate
        runs = f"{self.task.runs} run(s)" + (f", {rate:.0%} succeeded" if rate is not None else "")
        lines = [f'remembered task #{self.task.id} "{self.task.name}" ({runs}; steps from its {self.source}):']
        lines += [f"  {n}. {text}" for n, text in enumerate(self.steps, 1)]
        lines += [f"  param {name} = {value}" for name, value in sorted(self.params.items())]
        return "\n".join(lines)


def recall_task(store: MemoryStore, query: str) -> RememberedTask:
    """The remembered task that best matches `query`; AgentError when nothing does."""
    matches = store.search(query, limit=1)
    if not matches:
        raise AgentError(f'nothing remembered matches "{query}" (see: desktop-agent memory list)')
    task = matches[0].task
    detail = store.task(task.id)
    succeeded = [run for run in detail.runs if run.status == RunStatus.SUCCEEDED.value]
    params = {name: value for name, value in (succeeded or detail.runs)[0].params.items()
              if MASK not in value} if detail.runs else {}
    found = skill(store, task.id)
    steps, source = (found.steps, "skill") if found is not None else (task.steps, "last run")
    return RememberedTask(task=task, steps=steps, params=params, source=source)


def remembered_plan(remembered: RememberedTask, params: Mapping[str, str]) -> Plan:
    plan = plan_from_steps(remembered.steps, params={**remembered.params, **params})
    return replace(plan, name=remembered.task.name)
