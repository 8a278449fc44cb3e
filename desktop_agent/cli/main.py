"""`desktop-agent` command line: run a task, ground a target, verify an audit log, roll a workspace back.

Exit codes: 0 succeeded; 1 the run failed, was stopped or denied; 2 bad input (task, policy, arguments)
— in that case nothing was executed.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points, version
from pathlib import Path
from typing import TypedDict

import cv2
import numpy as np

from desktop_agent.cli import record as recording_commands
from desktop_agent.cli import reporting
from desktop_agent.cli import resume as resume_command
from desktop_agent.cli.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from desktop_agent.cli.memory import add_memory_command
from desktop_agent.cli.run_command import add_run_arguments, run_plan
from desktop_agent.compose import RunGiven, build_perceiver
from desktop_agent.core.actions import Plan
from desktop_agent.core.errors import AgentError, GroundingError
from desktop_agent.core.values import Frame, Rect
from desktop_agent.durability.ledger import Ledger, RunRecord, default_path
from desktop_agent.durability.restore import describe as describe_restore
from desktop_agent.durability.restore import restore
from desktop_agent.durability.snapshots import WorkspaceStore
from desktop_agent.grounding.resolve import ground
from desktop_agent.language.steps import load_task, parse_target, plan_from_steps
from desktop_agent.language.task_file import parse_params
from desktop_agent.memory.remembered import recall_task, remembered_plan
from desktop_agent.memory.store import MemoryStore
from desktop_agent.perception import templates
from desktop_agent.run.to_task import save_run_as_task
from desktop_agent.safety.audit import verify_audit
from desktop_agent.safety.policy import load_policy

# Other packages add subcommands here without the engine importing them: each entry point is a
# function that gets the argparse subparsers and adds its command (its handler returns an exit code).
COMMAND_PLUGINS = "desktop_agent.commands"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        with reporting.stdout_kept_for(args.json) as args.stdout:
            return args.handler(args)
    except AgentError as exc:
        print(f"desktop-agent: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("desktop-agent: interrupted", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:  # the reader went away (`desktop-agent runs | head`): nothing left to say
        with contextlib.suppress(AttributeError, OSError, ValueError):  # no more writes at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="desktop-agent", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('desktop-agent')}")
    parser.set_defaults(json=False)  # commands that print one JSON document add --json
    commands = parser.add_subparsers(dest="command", required=True)

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

    ground_cmd = commands.add_parser("ground", help="resolve one target and act on nothing")
    ground_cmd.add_argument("target", help='e.g. \'the field right of "Name"\'')
    ground_cmd.add_argument("--image", type=Path, help="a screenshot (PNG) instead of the live screen")
    ground_cmd.add_argument("--json", action="store_true")
    ground_cmd.set_defaults(handler=_ground)

    audit = commands.add_parser("audit", help="check an audit log's hash chain")
    audit.add_argument("action", choices=["verify"])
    audit.add_argument("log", type=Path)
    audit.set_defaults(handler=_audit)

    runs = commands.add_parser("runs", help="list recent runs from the run ledger")
    runs.add_argument("--trace-dir", type=Path, default=Path("traces"), help="where run folders go")
    runs.add_argument("--limit", type=int, default=20, help="how many runs (default 20)")
    runs.add_argument("--json", action="store_true")
    runs.set_defaults(handler=_runs)

    rollback = commands.add_parser("rollback", help="put a run's workspace back as it was before a step")
    rollback.add_argument("run", help="a run folder, or its name under --trace-dir")
    rollback.add_argument("--to", type=int, metavar="STEP",
                          help="the checkpoint taken before step STEP (default: before the run)")
    rollback.add_argument("--dry-run", action="store_true", help="show what would change, change nothing")
    rollback.add_argument("--trace-dir", type=Path, default=Path("traces"), help="where run folders are")
    rollback.set_defaults(handler=_rollback)
    save_run = commands.add_parser("save-run", help="save a finished run as a task file that replays it")
    save_run.add_argument("run", help="a run folder, or its name under --trace-dir")
    save_run.add_argument("-o", "--output", type=Path, required=True, help="the task file to write")
    save_run.add_argument("--overwrite", action="store_true", help="replace an existing task file")
    save_run.add_argument("--trace-dir", type=Path, default=Path("traces"), help="where run folders are")
    save_run.set_defaults(handler=_save_run)
    add_memory_command(commands)
    recording_commands.add_commands(commands)
    resume_command.add_command(commands)
    for plugin in entry_points(group=COMMAND_PLUGINS):  # e.g. `gui`, registered by the ui package
        plugin.load()(commands)
    return parser


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


def _ground(args: argparse.Namespace) -> int:
    spec = parse_target(args.target)
    perceiver = build_perceiver()
    if args.image:
        image = _read_image(args.image)
        height, width = image.shape[:2]
        frame = Frame(image=image, region=Rect(left=0, top=0, width=width, height=height))
        screen = perceiver.perceive(frame, ())
    else:
        from desktop_agent.compose import build_senses

        screen = build_senses(perceiver=perceiver).look().screen
    try:
        target = ground(spec, screen, match_template=templates.match_template, base_dir=Path.cwd())
    except GroundingError as exc:
        if args.json:
            print(json.dumps({"error": exc.message, "candidates": list(exc.candidates)}, indent=2),
                  file=args.stdout)
        else:
            print(f"not grounded: {exc}")
        return EXIT_FAILED
    if args.json:
        print(json.dumps(reporting.target_json(target), indent=2), file=args.stdout)
    else:
        print(f"{target.strategy}: point ({target.point.x},{target.point.y}) box "
              f"{reporting.box_text(target.box)} — {target.why}")
    return EXIT_OK


def _read_image(path: Path) -> np.ndarray:
    """The image at `path`, or an AgentError saying which path and why (OpenCV's own warnings for a
    missing file never reach the terminal: the file is read here and only decoded by OpenCV)."""
    try:
        data = np.fromfile(path, np.uint8)
    except OSError as exc:
        raise AgentError(f"cannot read image {path}: {exc.strerror or exc}") from exc
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise AgentError(f"cannot read image {path}: not an image file (PNG, JPEG, BMP …) OpenCV can decode")
    return image


def _audit(args: argparse.Namespace) -> int:
    if not args.log.is_file():
        raise AgentError(f"no audit log at {args.log} ({'a folder' if args.log.exists() else 'missing'})")
    check = verify_audit(args.log)
    print(f"{args.log}: {'ok' if check.ok else 'BROKEN'}, {check.entries} entries"
          + (f" — {check.problem}" if check.problem else ""))
    return EXIT_OK if check.ok else EXIT_FAILED


def _runs(args: argparse.Namespace) -> int:
    """Recent runs, newest first; for an interrupted run, the action whose effect is unknown."""
    path = default_path(args.trace_dir)
    rows: list[_RunRow] = []
    if path.exists():  # listing never creates a ledger
        with Ledger.open(path) as ledger:
            rows = [_run_row(ledger, run) for run in ledger.runs(limit=args.limit)]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False), file=args.stdout)
        return EXIT_OK
    if not rows:
        print(f"no runs recorded in {path}")
    for row in rows:
        print(f"{row['id']}  {row['status']}  {row['steps_acted']} step(s) acted  {row['name']}"
              + (f"  (resumes {row['resumes']})" if row["resumes"] else ""))
        for action in row["unknown"]:
            print(f"    outcome unknown: step {action['step_index']} \"{action['step_text']}\" — "
                  f"{json.dumps(action['operation'], ensure_ascii=False)}")
    return EXIT_OK


class _RunRow(TypedDict):
    id: str
    name: str
    trace: str
    started_at: str
    finished_at: str | None
    status: str
    steps_acted: int
    pid: int | None
    resumes: str | None
    resumed_by: str | None
    unknown: list[dict[str, object]]


def _run_row(ledger: Ledger, run: RunRecord) -> _RunRow:
    unknown = ledger.unknown_outcomes(run.id) if run.interrupted else []
    return {"id": run.id, "name": run.name, "trace": str(run.trace_folder), "started_at": run.started_at,
            "finished_at": run.finished_at, "status": run.status, "steps_acted": run.steps_acted,
            "pid": run.owner.pid if run.owner else None, "resumes": run.resumes, "resumed_by": run.resumed_by,
            "unknown": [{"seq": a.seq, "step_index": a.step_index, "step_text": a.step_text,
                         "operation": a.operation} for a in unknown]}


def _run_folder(args: argparse.Namespace) -> Path:
    folder = Path(args.run) if Path(args.run).is_dir() else args.trace_dir / args.run
    if not folder.is_dir():
        raise AgentError(f"no run folder {args.run} (nor {folder})")
    return folder


def _save_run(args: argparse.Namespace) -> int:
    task = save_run_as_task(_run_folder(args), args.output, overwrite=args.overwrite)
    print(f"task: {task}")
    return EXIT_OK


def _rollback(args: argparse.Namespace) -> int:
    store = WorkspaceStore(_run_folder(args) / "workspace")
    report = restore(store, store.before_step(args.to), dry_run=args.dry_run)
    print(describe_restore(report))
    return EXIT_OK if report.complete else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
