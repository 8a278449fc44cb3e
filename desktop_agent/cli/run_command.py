"""Running a plan from the command line (`run`, `replay`, `resume`): their shared options, and the run
itself with the step log, the terminal approver and the --json object."""
from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from pathlib import Path

from desktop_agent.cli import reporting
from desktop_agent.cli.exit_codes import EXIT_FAILED, EXIT_OK
from desktop_agent.compose import AgentConfig, RunGiven, start_run
from desktop_agent.core.actions import Plan
from desktop_agent.core.errors import AgentError
from desktop_agent.core.results import RunStatus
from desktop_agent.durability.resume import ResumePoint
from desktop_agent.run.runner import RunFinished, RunOptions
from desktop_agent.safety.policy import Policy
from desktop_agent.safety.stop import STOP_HOTKEY


def add_run_arguments(parser: argparse.ArgumentParser, *, handler: Callable[[argparse.Namespace], int]) -> None:
    """The options every command that runs a plan takes (run, replay, resume)."""
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--approve", action="store_true", help="ask before every step")
    parser.add_argument("--policy", type=Path, help="policy file (default: the shipped policy)")
    parser.add_argument("--dry-run", action="store_true", help="ground and annotate, act on nothing")
    parser.add_argument("--json", action="store_true", help="print one JSON object at the end")
    parser.add_argument("--trace-dir", type=Path, default=Path("traces"), help="where run folders go")
    parser.add_argument("--find-timeout", type=float, default=3.0, metavar="S",
                        help="seconds to wait for a target to appear (default 3)")
    parser.add_argument("--stop-hotkey", default=STOP_HOTKEY, help="global stop hotkey (pynput)")
    parser.add_argument("--no-memory", action="store_true",
                        help="do not record this run in the local memory")
    parser.add_argument("--memory-db", type=Path, help="memory file (default: the user data dir)")
    parser.set_defaults(handler=handler, speed=1.0)  # only replay takes --speed


def _ask_secret(name: str) -> str | None:
    return getpass.getpass(f"secret {{secret:{name}}} (not stored): ", stream=sys.stderr) or None


def _speed(args: argparse.Namespace) -> float:
    speed = args.speed
    if not 0.05 <= speed <= 20:
        raise AgentError(f"--speed must be between 0.05 and 20, got {speed:g}")
    return speed


def run_plan(args: argparse.Namespace, plan: Plan, *, policy: Policy, given: RunGiven | ResumePoint,
             base_dir: Path) -> int:
    """Run `plan` with the options `add_run_arguments` parsed into `args` — from where it stopped when
    `given` is a resume point — printing the step log; returns the exit code."""
    interactive = args.approve or sys.stdin.isatty()
    approver = reporting.terminal_approver(sys.stdin, sys.stderr) if interactive else None
    slowness = 1 / _speed(args)
    config = AgentConfig(policy=policy, trace_root=args.trace_dir, run_name=plan.name,
                         approver=approver, approve_every_step=args.approve,
                         remember=not args.no_memory, memory_path=args.memory_db, assets=plan.assets,
                         options=RunOptions(dry_run=args.dry_run, find_timeout_s=args.find_timeout * slowness,
                                            settle_timeout_s=RunOptions().settle_timeout_s * slowness,
                                            base_dir=base_dir))
    started = start_run(plan, config, hotkey=args.stop_hotkey, given=given,
                        ask_secret=_ask_secret if sys.stdin.isatty() else None)
    log = sys.stderr if args.json else sys.stdout
    finished: RunFinished | None = None
    for event in started.events():
        reporting.print_event(event, log)
        if isinstance(event, RunFinished):
            finished = event
    assert finished is not None  # a run's events end with RunFinished
    if args.json:
        print(json.dumps(reporting.run_json(finished), indent=2), file=args.stdout)
    return EXIT_OK if finished.status is RunStatus.SUCCEEDED else EXIT_FAILED
