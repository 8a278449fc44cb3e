"""`desktop-agent resume RUN`: carry on a run that was interrupted (crashed or killed) where it stopped.

The plan is rebuilt from what the ledger kept (see durability/resume.py) and run from the resume point with the
same options as `run`; the new run is recorded as resuming RUN, which then reads as "resumed" in
`desktop-agent runs`. A step whose last action may already have happened is checked on screen (typing,
ticks, options) or put to a person (`--approve`, a terminal); with nobody to ask, the run stops there.
Not guaranteed: that two `resume` commands racing for the same run both fail cleanly — the ledger lets
only one of them start, and the other ends with the ledger's error.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from desktop_agent.cli.run_command import add_run_arguments, run_plan
from desktop_agent.core.errors import AgentError
from desktop_agent.durability.ledger import Ledger, default_path
from desktop_agent.durability.resume import plan_resume
from desktop_agent.language.task_file import parse_params
from desktop_agent.safety.policy import load_policy


def add_commands(commands: argparse._SubParsersAction) -> None:
    resume = commands.add_parser("resume", help="carry on an interrupted run where it stopped")
    resume.add_argument("run", help="the run's id, as `desktop-agent runs` lists it")
    add_run_arguments(resume, handler=_resume)


def _resume(args: argparse.Namespace) -> int:
    path = default_path(args.trace_dir)
    if not path.exists():  # resuming never creates a ledger
        raise AgentError(f"no run ledger {path}: nothing to resume (is --trace-dir right?)")
    with Ledger.open(path) as ledger:
        point = plan_resume(ledger, args.run, params=parse_params(args.param))
    policy = load_policy(args.policy or point.plan.policy)
    print(f"resuming {point.run} at step {point.start + 1}: {point.why}",
          file=sys.stderr if args.json else sys.stdout, flush=True)
    task = point.source.task
    return run_plan(args, point.plan, policy=policy, given=point, base_dir=task.parent if task else Path.cwd())
