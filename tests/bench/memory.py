"""The second run of a task versus its first, with the local memory on (issue "Local memory").

Two tasks on the sample order form: "fill" types a customer into the field right of "Customer name" and
clicks "Submit order"; "submit" only clicks "Submit order". Each repetition runs CASES in order, each on
fresh forms; cases naming the same memory share one fresh memory file of that repetition
(AgentConfig(memory_path=..., remember=True)). A screen has one form, or two — the second on top, so every
target's words match twice (ambiguous). There the words fail; a place remembered from an earlier run on
one form may resolve it ("remembered": its crop must be found, unique, near the same spot in a window of
the same application — recall.py), in the topmost form.

A case passes when it ends as expected and the forms agree: success means the agent succeeded, the top
form printed the expected submit and no other form did; an expected failure must fail with grounding's
ambiguity ("matches N elements") and no form may have submitted.
Measured per case: wall time (building the runner to RunFinished), steps grounded by memory, outcome,
and the memory's count of remembered places that failed their check (misses, cumulative per memory).
Not measured: model loading (the senses come in warm); each fresh form is read in full on its first step.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from desktop_agent.core.actions import Plan, target_specs
from desktop_agent.core.results import RunStatus
from desktop_agent.core.values import Point, Window
from desktop_agent.language.steps import plan_from_steps
from desktop_agent.memory.places import Places
from desktop_agent.memory.store import MemoryStore
from desktop_agent.perception.senses import Senses
from tests.bench.form import HOME, AgentRun, open_forms, run_agent
from tests.bench.stats import median

REPEATS = 5
PLACES = (HOME, Point(x=1100, y=500))  # the forms of a screen, launched in this order (the last on top)
SUBMIT_WAIT_S = 2.0
QUIET_S = 0.5          # how long a form that should not submit is watched
CUSTOMER = "Ada Lovelace"


@dataclass(frozen=True, slots=True, kw_only=True)
class Task:
    steps: tuple[str, ...]
    customer: str          # what the form's submit must carry


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    label: str             # cases with one label are one row (their trials pooled)
    task: Task
    forms: int             # 1, or 2 (ambiguous)
    memory: str            # the memory file, within one repetition
    expect_success: bool


FIRST, SECOND = "fill   run 1, one form", "fill   run 2, one form"
FILL = Task(steps=(f'type "{CUSTOMER}" into the field right of "Customer name"',
                      'click "Submit order"'), customer=CUSTOMER)
SUBMIT = Task(steps=('click "Submit order"',), customer="")
CASES = (
    Case(label=FIRST, task=FILL, forms=1, memory="a", expect_success=True),
    Case(label=SECOND, task=FILL, forms=1, memory="a", expect_success=True),
    Case(label=FIRST, task=FILL, forms=1, memory="b", expect_success=True),
    Case(label="fill   run 2, two forms", task=FILL, forms=2, memory="b", expect_success=True),
    Case(label="fill   run 1, two forms", task=FILL, forms=2, memory="c", expect_success=False),
    Case(label="submit run 1, one form", task=SUBMIT, forms=1, memory="d", expect_success=True),
    Case(label="submit run 2, two forms", task=SUBMIT, forms=2, memory="d", expect_success=True),
    Case(label="submit run 1, two forms", task=SUBMIT, forms=2, memory="e", expect_success=False),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Trial:
    case: Case
    run: AgentRun
    passed: bool
    missed: int    # remembered places of the task's targets that failed their check, so far in this memory

    @property
    def by_memory(self) -> int:
        return sum(s.startswith("remembered") for s in self.run.strategies)


def measure(senses: Senses, tmp: Path) -> list[Trial]:
    return [_trial(senses, tmp / f"memory-{n}", case) for n in range(REPEATS) for case in CASES]


def _trial(senses: Senses, folder: Path, case: Case) -> Trial:
    plan, memory = plan_from_steps(case.task.steps), folder / f"memory-{case.memory}.sqlite3"
    with open_forms(senses, *PLACES[:case.forms]) as forms:
        run = run_agent(senses, plan, trace_root=folder / "traces", memory_path=memory)
        succeeded = run.status is RunStatus.SUCCEEDED
        *below, top = forms
        top_submitted = top.submitted(case.task.customer, wait_s=SUBMIT_WAIT_S if succeeded else QUIET_S)
        below_submitted = any(form.submitted(case.task.customer, wait_s=QUIET_S) for form in below)
    if case.expect_success:
        passed = succeeded and top_submitted and not below_submitted
    else:
        ambiguous = re.search(r"matches \d+ elements", run.error) is not None  # grounding's wording
        passed = not succeeded and ambiguous and not (top_submitted or below_submitted)
    return Trial(case=case, run=run, passed=passed, missed=_misses(memory, top.window, plan))


def _misses(memory: Path, window: Window, plan: Plan) -> int:
    with MemoryStore.open(memory) as store:
        places = Places(store)
        return sum(place.misses for step in plan.steps for spec in target_specs(step.action)
                   for place in places.places(window.wm_class, window.title, spec.describe()))


def report(trials: list[Trial]) -> list[str]:
    rows = {trial.case.label: [t for t in trials if t.case.label == trial.case.label] for trial in trials}
    lines = [(f"memory: second run vs first ({REPEATS} repetitions; fresh forms and memory files; "
             "two forms = the same targets twice on screen)"),
             (f"{'task   run':<25} {'wall p50 ms':>11} {'by memory':>9} {'succeeded':>9} {'expected':>8} "
             f"{'verdict':>7} {'misses':>6}  strategies (last run)")]
    for label, row in rows.items():
        case, last = row[0].case, row[-1].run
        verdict = "PASS" if all(t.passed for t in row) else f"FAIL {sum(not t.passed for t in row)}x"
        lines.append(f"{label:<25} {median([t.run.wall_ms for t in row]):>11.0f} "
                     f"{median([t.by_memory for t in row]):>5.0f}/{len(case.task.steps):<3} "
                     f"{sum(t.run.status is RunStatus.SUCCEEDED for t in row):>5}/{len(row):<3} "
                     f"{'success' if case.expect_success else 'failure':>8} {verdict:>7} "
                     f"{median([t.missed for t in row]):>6.0f}  "
                     f"{', '.join(last.strategies)}")
    first, second = (median([t.run.wall_ms for t in rows[label]]) for label in (FIRST, SECOND))
    lines.append(f"fill on one form, second run / first run (wall p50): {second / first:.2f}x")
    for label, row in rows.items():
        if error := row[-1].run.error:
            lines.append(f"{label}: {error}")
    return lines
