"""The `record` and `parametrize` subcommands of `desktop-agent` (added to its parser by `add_commands`).

`record -o task.yaml` listens to the real mouse and keyboard until the stop hotkey (or Ctrl-C), then
names every action in the step language on the screen the person saw and writes the task file and its
assets folder. `parametrize task.yaml NAME=VALUE...` turns typed values of a saved task into parameters.

Exit codes: 0 saved; 1 nothing was recorded (nothing written); 2 bad input — an existing output file,
a bad policy or `--param`, no usable display — with nothing written.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

from desktop_agent.cli.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from desktop_agent.compose import build_perceiver
from desktop_agent.core.errors import AgentError
from desktop_agent.language.task_file import parse_params
from desktop_agent.recording.events import RecordedChord
from desktop_agent.recording.listener import DEFAULT_STOP_HOTKEY, InputRecorder
from desktop_agent.recording.session import NothingRecorded, save_actions
from desktop_agent.recording.synthesize import synthesize
from desktop_agent.recording.writer import assets_folder, existing_output, parametrize
from desktop_agent.safety.policy import load_policy

_POLL_S = 0.2


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    record = subparsers.add_parser("record", help="record a task by doing it once")
    record.add_argument("-o", "--output", type=Path, required=True, metavar="PATH",
                        help="task file to write (its crops go to <stem>.assets/ beside it)")
    record.add_argument("--name", help="the task's name (default: the file's stem)")
    record.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="typed text equal to VALUE is saved as {NAME} (repeatable)")
    record.add_argument("--stop-hotkey", default=DEFAULT_STOP_HOTKEY,
                        help=f"ends the recording (pynput syntax, default {DEFAULT_STOP_HOTKEY})")
    record.add_argument("--policy", type=Path, help="policy whose secret_fields mark secret fields")
    record.add_argument("--overwrite", action="store_true", help="replace an existing task file")
    record.add_argument("--json", action="store_true", help="print one JSON object at the end")
    record.set_defaults(handler=_record)

    params = subparsers.add_parser("parametrize", help="turn typed values of a task file into parameters")
    params.add_argument("task", type=Path, help="task file (YAML)")
    params.add_argument("values", nargs="+", metavar="NAME=VALUE")
    params.set_defaults(handler=_parametrize)


def _record(args: argparse.Namespace) -> int:
    try:
        return _record_or_raise(args)
    except AgentError as exc:
        print(f"desktop-agent record: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _record_or_raise(args: argparse.Namespace) -> int:
    params = parse_params(args.param)
    policy = load_policy(args.policy)
    output: Path = args.output
    folder = assets_folder(output)
    if not args.overwrite and (existing := existing_output(output)) is not None:  # before the person acts
        raise AgentError(f"{existing} already exists; pass --overwrite")
    with InputRecorder(stop_hotkey=args.stop_hotkey) as recorder:  # listening once this returns
        print(f"recording… press {re.sub(r'[<>]', '', args.stop_hotkey)} to stop", file=sys.stderr,
              flush=True)
        interrupted = False
        try:
            while not recorder.wait(_POLL_S):
                pass
        except KeyboardInterrupt:  # Ctrl-C in the terminal ends the recording like the hotkey
            interrupted = True
    actions = synthesize(recorder.events())
    if interrupted and actions and actions[-1] == RecordedChord(keys=("ctrl", "c")):
        actions.pop()  # the Ctrl-C that stopped the recording is not part of the task
    try:
        recording = save_actions(actions, build_perceiver(), path=output, name=args.name or output.stem,
                                 secret_fields=policy.secret_fields, own_pids=frozenset({os.getpid()}),
                                 params=params, overwrite=args.overwrite)
    except NothingRecorded as exc:
        print(f"desktop-agent record: {exc}", file=sys.stderr)
        for note in exc.notes:
            print(f"  note: {note}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print(json.dumps({"task": str(output), "assets": str(folder), "steps": list(recording.steps),
                          "notes": list(recording.notes)}, indent=2, ensure_ascii=False),
              file=args.stdout)
        return EXIT_OK
    for number, step in enumerate(recording.steps, 1):
        print(f"{number:>3}  {step}")
    for note in recording.notes:
        print(f"note: {note}")
    print(f"task: {output}\nassets: {folder}")
    return EXIT_OK


def _parametrize(args: argparse.Namespace) -> int:
    try:
        steps = parametrize(args.task, parse_params(args.values))
    except AgentError as exc:
        print(f"desktop-agent parametrize: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for step in steps:
        print(step)
    return EXIT_OK
