"""What runs left behind: `runs` (the ledger), `audit verify`, `rollback` (workspace files) and
`save-run` (a finished run as a task file)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TypedDict

from desktop_agent.cli.exit_codes import EXIT_FAILED, EXIT_OK
from desktop_agent.core.errors import AgentError
from desktop_agent.durability.ledger import Ledger, RunRecord, default_path
from desktop_agent.durability.restore import describe as describe_restore
from desktop_agent.durability.restore import restore
from desktop_agent.durability.snapshots import WorkspaceStore
from desktop_agent.run.to_task import save_run_as_task
from desktop_agent.safety.audit import verify_audit


def add_commands(commands: argparse._SubParsersAction) -> None:
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
                  f"{json.dumps(action['operation'], ensure_ascii=False)} ({action['why']})")
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
    # Running: its last action may be in flight. Resumed: the run that resumed it dealt with them.
    unknown = ledger.unknown_outcomes(run.id) if run.interrupted or run.finished_at is not None else []
    return {"id": run.id, "name": run.name, "trace": str(run.trace_folder), "started_at": run.started_at,
            "finished_at": run.finished_at, "status": run.status, "steps_acted": run.steps_acted,
            "pid": run.owner.pid if run.owner else None, "resumes": run.resumes, "resumed_by": run.resumed_by,
            "unknown": [{"seq": a.seq, "step_index": a.step_index, "step_text": a.step_text,
                         "operation": a.operation, "why": a.outcome or "the run's process ended"}
                        for a in unknown]}


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
