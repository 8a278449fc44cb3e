"""Where to carry on an interrupted run: its plan rebuilt from the ledger's `RunSource`, the first step to
run again and whether that step's last action may already have happened.

`run_source` decides what a run keeps when it starts; `plan_resume` reads it back. The step comes from
the ledger and the run's trace: the step of the last action whose outcome is unknown (unsure: it may or
may not have happened); otherwise the first step the trace does not show as finished (succeeded or
skipped), unsure only when the ledger shows it had already acted.

Guaranteed: no secret-looking param value is kept, nor --step lines that have a secret written into
them (secret-looking: the param's name, or the text typed, into a field the step names like the
policy's `secret_fields` — judged by the step's own words, as no target has been grounded yet; keyring
placeholders `{secret:NAME}` are kept as written and filled again when the run resumes); a run
that is still running, finished, already resumed or unknown is refused, and so is one whose task file
changed (sha256) or whose rebuilt plan has a different number of steps than the trace. Not guaranteed:
that the screen is where the run left it — the runner checks what it can see for the unsure step only.
The sha256 is taken after the plan was read, so an edit in between shows as a change at resume.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from desktop_agent.core.actions import Plan, TypeText
from desktop_agent.core.errors import AgentError
from desktop_agent.core.results import StepStatus
from desktop_agent.durability.ledger import INTERRUPTED, RESUMED, RUNNING, Ledger, RunRecord, RunSource
from desktop_agent.language.steps import load_task, plan_from_steps
from desktop_agent.safety.policy import ActionRequest, Policy, is_secret_entry
from desktop_agent.safety.vault import PLACEHOLDER

_FINISHED = frozenset({StepStatus.SUCCEEDED.value, StepStatus.UNVERIFIED.value, StepStatus.SKIPPED.value})


@dataclass(frozen=True, slots=True, kw_only=True)
class ResumePoint:
    run: str  # the interrupted run's id
    source: RunSource  # what the resuming run records as its own source
    plan: Plan
    start: int  # 0-based index of the first step to run
    unsure: bool  # that step's last action may or may not have happened
    why: str


def run_source(plan: Plan, *, task: Path | None, steps: Sequence[str], params: Mapping[str, str],
               policy: Policy) -> RunSource | None:
    """What a run started from `task` (or the --step `steps`) with the command-line `params` keeps so it
    can be resumed; None when its --step lines have a secret written into them."""
    # What is typed into secret fields; a keyring placeholder ({secret:NAME}, see vault.py) is no secret.
    secrets = [typed for step in plan.steps
               if isinstance(step.action, TypeText)
               and is_secret_entry(policy, ActionRequest(action=step.action, target=None, window=None))
               and (typed := PLACEHOLDER.sub("", step.action.text))]
    withheld = tuple(sorted(name for name, value in params.items()
                            if policy.secret_fields.search(name) or value in secrets))
    kept = {name: value for name, value in params.items() if name not in withheld}
    if task is not None:
        task = task.absolute()
        return RunSource(task=task, task_sha256=_sha256(task), params=kept, withheld=withheld)
    if any(secret in text for text in steps for secret in secrets):
        return None
    return RunSource(steps=tuple(steps), params=kept, withheld=withheld)


def plan_resume(ledger: Ledger, run_id: str, *, params: Mapping[str, str]) -> ResumePoint:
    """Where to resume run `run_id`; `params` are the ones given now (every withheld one is required,
    and one the run kept may not be given a different value). Raises AgentError saying why not."""
    run = ledger.run(run_id)
    if run is None:
        raise AgentError(f"no run {run_id!r} in the run ledger {ledger.path}", details={"run": run_id})
    source = _resumable(run)
    plan = _rebuild(run, source, params)
    total, done = _progress(run)
    if total != len(plan.steps):
        raise AgentError(f"run {run.id} had {total} steps, its rebuilt plan has {len(plan.steps)}; "
                         "resuming would run a different plan", details={"run": run.id})
    unknown = [(a.step_index, a) for a in ledger.unknown_outcomes(run.id) if a.step_index is not None]
    if unknown:
        start, last = unknown[-1]
        unsure = True
        why = (f'step {start + 1} ("{last.step_text}") was acting when the run ended: its '
               f"{last.operation.get('type', 'action')} may or may not have happened")
    else:
        start = next((i for i in range(total) if i not in done), total)
        unsure = start in {a.step_index for a in ledger.actions(run.id)}
        if start == total:
            why = "every step had finished; the run ended before it was recorded as finished"
        elif unsure:
            why = f'step {start + 1} ("{plan.steps[start].text}") had acted, and was not checked yet'
        else:
            why = (f'the run ended before step {start + 1} ("{plan.steps[start].text}") acted'
                   + (f"; steps 1-{start} had finished" if start else ""))
    return ResumePoint(run=run.id, source=source, plan=plan, start=start, unsure=unsure, why=why)


def _resumable(run: RunRecord) -> RunSource:
    if run.status == RUNNING:
        assert run.owner is not None  # a run reads as running only while its owner is alive
        raise AgentError(f"run {run.id} is still running (process {run.owner.pid}); stop it first")
    if run.status == RESUMED:
        raise AgentError(f"run {run.id} was already resumed by run {run.resumed_by}")
    if run.status != INTERRUPTED:
        raise AgentError(f"run {run.id} finished ({run.status}): there is nothing to resume; "
                         "start it again with `desktop-agent run`")
    if run.source is None:
        raise AgentError(f"run {run.id} kept nothing to rebuild its plan from (it was recorded by an "
                         "older desktop-agent, its steps came one at a time from an MCP client, or a "
                         "secret was written into its --step lines: give secrets with --param to make a "
                         "run resumable)")
    return run.source


def _rebuild(run: RunRecord, source: RunSource, params: Mapping[str, str]) -> Plan:
    missing = [name for name in source.withheld if name not in params]
    if missing:
        raise AgentError(f"run {run.id} was started with --param {', '.join(missing)}, which look secret "
                         f"and were not kept: give them again, e.g. --param {missing[0]}=VALUE",
                         details={"missing": missing})
    changed = [name for name, value in params.items() if source.params.get(name, value) != value]
    if changed:
        raise AgentError(f"--param {', '.join(changed)} differs from the value run {run.id} started with; "
                         "resuming must rebuild the same plan", details={"changed": changed})
    merged = {**source.params, **params}
    if source.task is None:
        return plan_from_steps(source.steps, params=merged)
    if _sha256(source.task) != source.task_sha256:
        raise AgentError(f"task file {source.task} changed since run {run.id} started; resuming would run "
                         "a different plan (start it again with `desktop-agent run`)",
                         details={"task": str(source.task)})
    return load_task(source.task, params=merged)


def _progress(run: RunRecord) -> tuple[int, frozenset[int]]:
    """From the run's trace: how many steps its plan had, and the indexes of the steps it finished
    (those before its own start, when it was itself a resumed run, included)."""
    path = run.trace_folder / "events.jsonl"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise AgentError(f"cannot read the trace of run {run.id}: {path}: {exc}",
                         details={"path": str(path)}) from exc
    total: int | None = None
    done: set[int] = set()
    for line in lines:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:  # a line cut short by the kill
            continue
        if event.get("kind") == "run_started" and total is None:
            total = len(event["steps"])
            done.update(range(event.get("start", 0)))
        elif event.get("kind") == "step_finished" and event["result"]["status"] in _FINISHED:
            done.add(event["index"])
    if total is None:
        raise AgentError(f"run {run.id} ended before its trace recorded the plan ({path})",
                         details={"path": str(path)})
    return total, frozenset(done)


def _sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise AgentError(f"cannot read task file {path}: {exc.strerror}",
                         details={"path": str(path)}) from exc
