"""`desktop-agent memory search|list|show|forget|learned|unlearn|export|import|consolidate`: the local
memory from the command line. Each takes `--json` (one JSON document on stdout) and `--db FILE` (default: the memory in
the user data folder). Reading commands never create a memory file; `import` does.

Errors (an unknown task, a missing file, a refused archive) are raised as AgentError with a message
naming what and where; the caller (`cli.main`) prints them and exits with its bad-input code.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

from desktop_agent.core.errors import AgentError
from desktop_agent.core.jsonable import to_jsonable
from desktop_agent.memory.feedback import task_feedback
from desktop_agent.memory.places import Lesson, Places
from desktop_agent.memory.skills import KEEP_RUNS, STALE_AFTER, Skill, consolidate, skill, skills
from desktop_agent.memory.store import MemoryStore, TaskRecord, default_path
from desktop_agent.memory.transfer import TransferReport, export_memory, import_memory

_OK = 0  # the exit code of a command that did what it was asked (cli.EXIT_OK)
_SUBCOMMANDS = (("search", "tasks matching words, best first"), ("list", "every task (or --skills)"),
                ("show", "one task with its runs, skill and feedback"),
                ("forget", "remove a task, its runs and the screenshots only they used"),
                ("learned", "the places remembered and the proposals rejected for targets"),
                ("unlearn", "forget the places and rejections learned for one target"),
                ("export", "write the whole memory to one archive file"),
                ("import", "merge an exported archive into the memory"),
                ("consolidate", "turn successful runs into skills and prune stale entries"))


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add the `memory` command and its subcommands to `subparsers` (the handler returns an exit code)."""
    memory = subparsers.add_parser("memory", help="search, list, show or forget remembered tasks; review"
                                                  " or unlearn what grounding learned; export, import,"
                                                  " consolidate")
    commands = memory.add_subparsers(dest="memory_command", required=True)
    for name, helptext in _SUBCOMMANDS:
        sub = commands.add_parser(name, help=helptext)
        match name:
            case "search":
                sub.add_argument("query")
                sub.add_argument("--limit", type=int, default=10)
            case "list":
                sub.add_argument("--skills", action="store_true", help="list skills instead of tasks")
            case "show" | "forget":
                sub.add_argument("id", type=int)
            case "learned":
                sub.add_argument("words", nargs="?", default="", help="only targets containing these")
            case "unlearn":
                sub.add_argument("target", help="the target exactly as `memory learned` shows it")
                sub.add_argument("--app", help="only in windows of this class")
                sub.add_argument("--window", help="only in windows with this title")
                sub.add_argument("--only", choices=("place", "rejection"), help="only this kind")
            case "export" | "import":
                sub.add_argument("file", type=Path, help="the archive (a zip file)")
            case "consolidate":
                sub.add_argument("--keep-runs", type=int, default=KEEP_RUNS, metavar="N",
                                 help=f"runs to keep per task (default {KEEP_RUNS})")
                sub.add_argument("--stale-days", type=float, default=STALE_AFTER.days, metavar="D",
                                 help=f"drop failing places and rejections unused this long"
                                      f" (default {STALE_AFTER.days})")
        sub.add_argument("--json", action="store_true")
        sub.add_argument("--db", type=Path, help="memory file (default: the user data dir)")
        sub.set_defaults(handler=run_memory_command)


def run_memory_command(args: argparse.Namespace) -> int:
    """Carry out one parsed `memory` subcommand on `--db`."""
    path = args.db or default_path()
    if not path.exists() and args.memory_command != "import":  # reading never creates a memory file
        if args.memory_command == "search" or (args.memory_command == "list" and not args.skills):
            return _print_tasks(args, [], [])
        if args.memory_command == "list":
            return _print_skills(args, [])
        if args.memory_command == "learned":
            return _print_lessons(args, [])
        raise AgentError(f"no memory file {path}", details={"path": str(path)})
    with MemoryStore.open(path) as memory:
        match args.memory_command:
            case "search":
                matches = memory.search(args.query, limit=args.limit)
                return _print_tasks(args, [m.task for m in matches], [m.snippet for m in matches])
            case "list" if args.skills:
                return _print_skills(args, skills(memory))
            case "list":
                return _print_tasks(args, memory.tasks(), [])
            case "show":
                return _show(args, memory)
            case "forget":
                removed = memory.forget(args.id)
                _print(args, {"forgotten": args.id, "runs_removed": removed},
                       f"forgot task {args.id} and {removed} run(s)")
                return _OK
            case "learned":
                return _print_lessons(args, Places(memory).lessons(args.words))
            case "unlearn":
                return _unlearn(args, Places(memory))
            case "export":
                report = export_memory(memory, args.file)
                _print(args, _transfer_row(args.file, report),
                       f"exported {_counts(report)} from {path} to {args.file}")
                return _OK
            case "import":
                report = import_memory(memory, args.file)
                _print(args, _transfer_row(args.file, report),
                       f"imported {_counts(report)} from {args.file} into {path}" if report.changed
                       else f"nothing new in {args.file}")
                return _OK
            case "consolidate":
                return _consolidate(args, memory)
    raise AssertionError(args.memory_command)


def _show(args: argparse.Namespace, memory: MemoryStore) -> int:
    detail = memory.task(args.id)
    learnt, feedback = skill(memory, args.id), task_feedback(memory, args.id)
    if args.json:
        row = {**_task_row(detail.task), "runs": [to_jsonable(r) for r in detail.runs],
               "last_steps": [to_jsonable(s) for s in detail.last_steps],
               "skill": _skill_row(learnt) if learnt else None,
               "feedback": [to_jsonable(f) for f in feedback]}
        print(json.dumps(row, indent=2, ensure_ascii=False), file=args.stdout)
        return _OK
    _print_tasks(args, [detail.task], [])
    for step in detail.task.steps:
        print(f"    {step}")
    if learnt is not None:
        print(f"  skill: {_skill_text(learnt)}")
    for run in detail.runs:
        params = ", ".join(f"{k}={v}" for k, v in run.params.items())
        print(f"  run {run.id}  {run.status}  {run.duration_ms / 1000:.1f} s  {run.trace_folder}"
              + (f"  [{params}]" if params else ""))
    for given in feedback:
        where = f"step {given.step_index + 1}" + (f" of run {given.run_id}" if given.run_id else "")
        print(f"  {given.kind.value}: {where}" + (f" — {given.detail}" if given.detail else ""))
    return _OK


def _print_lessons(args: argparse.Namespace, lessons: Sequence[Lesson]) -> int:
    if args.json:
        print(json.dumps([to_jsonable(lesson) for lesson in lessons], indent=2, ensure_ascii=False),
              file=args.stdout)
        return _OK
    if not lessons:
        print("nothing learned" + (f' for targets containing "{args.words}"' if args.words else ""))
    for lesson in lessons:
        where = f'"{lesson.window_title}" ({lesson.app})' if lesson.app else "the desktop"
        print(f"{lesson.kind:<9}  {lesson.target}  in {where}: {lesson.detail}  [{lesson.when}]")
    return _OK


def _unlearn(args: argparse.Namespace, places: Places) -> int:
    forgotten = places.unlearn(target=args.target, app=args.app, window_title=args.window, kind=args.only)
    if not forgotten:
        raise AgentError(f'nothing learned for target "{args.target}"'
                         + "".join(f" {flag} {value!r}" for flag, value in (("--app", args.app),
                                   ("--window", args.window), ("--only", args.only)) if value)
                         + "; `desktop-agent memory learned` lists what is", details={"target": args.target})
    _print(args, {"target": args.target, "forgotten": forgotten},
           f'forgot {forgotten} place(s) and rejection(s) learned for "{args.target}"')
    return _OK


def _consolidate(args: argparse.Namespace, memory: MemoryStore) -> int:
    done = consolidate(memory, keep_runs=args.keep_runs, stale_after=dt.timedelta(days=args.stale_days))
    pruned = {"runs": done.runs_pruned, "places": done.places_pruned, "rejections": done.rejections_pruned,
              "blobs": done.blobs_pruned}
    if args.json:
        print(json.dumps({"merged": [_skill_row(s) for s in done.merged], "pruned": pruned}, indent=2,
                         ensure_ascii=False), file=args.stdout)
        return _OK
    for merged in done.merged:
        print(f"merged task {merged.task_id} {merged.name}: {_skill_text(merged)}")
    print(f"{len(done.merged)} skill(s) updated; pruned "
          + ", ".join(f"{count} {what}" for what, count in pruned.items()))
    return _OK


def _print(args: argparse.Namespace, row: dict[str, object], text: str) -> None:
    print(json.dumps(row, ensure_ascii=False) if args.json else text, file=args.stdout)


def _transfer_row(file: Path, report: TransferReport) -> dict[str, object]:
    return {"file": str(file), "rows": dict(report.rows), "blobs": report.blobs}


def _counts(report: TransferReport) -> str:
    parts = [f"{count} {table}" for table, count in report.rows.items() if count]
    return ", ".join([*parts, f"{report.blobs} blob(s)"])


def _task_row(task: TaskRecord) -> dict[str, object]:
    return {"id": task.id, "name": task.name, "steps": list(task.steps), "created_at": task.created_at,
            "last_run_at": task.last_run_at, "runs": task.runs, "succeeded": task.succeeded,
            "success_rate": task.success_rate}


def _skill_row(learnt: Skill) -> dict[str, object]:
    return {"task_id": learnt.task_id, "name": learnt.name, "steps": list(learnt.steps),
            "params": list(learnt.params), "runs": learnt.runs, "succeeded": learnt.succeeded,
            "success_rate": learnt.success_rate, "median_ms": learnt.median_ms,
            "consolidated_at": learnt.consolidated_at}


def _skill_text(learnt: Skill) -> str:
    params = f", params: {', '.join(learnt.params)}" if learnt.params else ""
    return (f"{learnt.succeeded} of {learnt.runs} run(s) succeeded ({learnt.success_rate:.0%}), typically"
            f" {learnt.median_ms / 1000:.1f} s, {len(learnt.steps)} step(s){params}")


def _print_skills(args: argparse.Namespace, learnt: Sequence[Skill]) -> int:
    if args.json:
        print(json.dumps([_skill_row(s) for s in learnt], indent=2, ensure_ascii=False),
              file=args.stdout)
        return _OK
    if not learnt:
        print("no skills yet (`desktop-agent memory consolidate` makes them)")
    for one in learnt:
        print(f"{one.task_id:>4}  {one.name}  {_skill_text(one)}")
    return _OK


def _print_tasks(args: argparse.Namespace, tasks: Sequence[TaskRecord], snippets: Sequence[str]) -> int:
    rows = [_task_row(task) for task in tasks]
    for row, snippet in zip(rows, snippets, strict=False):
        row["snippet"] = snippet
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False), file=args.stdout)
        return _OK
    if not rows:
        print("no tasks remembered")
    for row in rows:
        rate = "-" if row["success_rate"] is None else f"{row['success_rate']:.0%}"
        print(f"{row['id']:>4}  {row['name']}  {row['runs']} run(s), {rate} succeeded"
              + (f"  — {row['snippet']}" if row.get("snippet") else ""))
    return _OK
