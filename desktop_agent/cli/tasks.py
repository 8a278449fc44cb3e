"""`run` and `replay`: a task file, --step lines or a remembered task, carried out on the desktop."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from desktop_agent.cli.run_command import add_run_arguments, run_plan
from desktop_agent.compose import RunGiven
from desktop_agent.core.actions import Plan
from desktop_agent.core.errors import AgentError
from desktop_agent.language.steps import load_task, plan_from_steps
from desktop_agent.language.task_file import parse_params
from desktop_agent.memory.remembered import recall_task, remembered_plan
from desktop_agent.memory.store import MemoryStore
from desktop_agent.safety.policy import load_policy


def add_commands(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser("run", help="run a task file or --step lines on the desktop")
    run.add_argument("task", nargs="?", type=Path, help="task file (YAML)")
    run.add_argument("--step", action="append", default=[], metavar="TEXT",
                     help='one step, e.g. --step \'click "OK"\' (repeatable)')
    run.add_argument("--remembered", metavar="WORDS",
                     help="run the remembered task that best matches WORDS, with its last parameters")
    add_run_arguments(run, handler=_run)
    replay = commands.add_parser("replay", help="replay a recorded task: every target found again, "
                                                "with the recording's locators as fallbacks")
    replay.add_argument("task", type=Path, help="task file written by `desktop-agent record`")
    replay.add_argument("--speed", type=float, default=1.0, metavar="FACTOR",
                        help="below 1 gives a slow application more time to show targets and settle "
                             "(0.5: twice the time); default 1")
    replay.set_defaults(step=[], remembered=None)
    add_run_arguments(replay, handler=_run)



def _plan(args: argparse.Namespace) -> Plan:
    params = parse_params(args.param)
    if sum(map(bool, (args.task, args.step, args.remembered))) > 1:
        raise AgentError("give one of: a task file, --step lines, --remembered WORDS")
    if args.remembered:
        with MemoryStore.open(args.memory_db) as memory:
            remembered = recall_task(memory, args.remembered)
        print(remembered.describe(), file=sys.stderr)
        plan = remembered_plan(remembered, params)
    elif args.task:
        plan = load_task(args.task, params=params)
    elif args.step:
        plan = plan_from_steps(args.step, params=params)
    else:
        raise AgentError("nothing to run: give a task file, --step lines or --remembered WORDS")
    return plan


def _run(args: argparse.Namespace) -> int:
    plan = _plan(args)  # parsed and validated in full before anything acts
    policy = load_policy(args.policy or plan.policy)
    if args.command == "replay" and plan.assets is None:
        print(f"desktop-agent: {args.task} is not a recording (it names no `assets:`): it runs as a plain"
              " run, its targets found by their words alone", file=sys.stderr)
    remembered = bool(args.remembered)  # resumed as the steps it was run with
    given = RunGiven(task=args.task, params=plan.params if remembered else parse_params(args.param),
                     steps=tuple(s.text for s in plan.steps) if remembered else tuple(args.step))
    return run_plan(args, plan, policy=policy, given=given,
                    base_dir=args.task.parent if args.task else Path.cwd())
