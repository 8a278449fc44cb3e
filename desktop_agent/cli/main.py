"""`desktop-agent` command line: run a task, ground a target, verify an audit log, roll a workspace back.

Exit codes: 0 succeeded; 1 the run failed, was stopped or denied; 2 bad input (task, policy, arguments)
— in that case nothing was executed.

Each command lives in its own module, imported only when that command runs (or for --help): `ground`
on a screenshot pays for perception and grounding, not for the runner, the memory or the GUI.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points, version

from desktop_agent.cli import reporting
from desktop_agent.cli.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from desktop_agent.core.errors import AgentError

# Other packages add subcommands here without the engine importing them: each entry point, named after
# its command, is a function that gets the argparse subparsers and adds it (its handler returns an exit code).
COMMAND_PLUGINS = "desktop_agent.commands"
# command -> the module whose add_commands(subparsers) adds it
COMMANDS = {
    "run": "desktop_agent.cli.tasks", "replay": "desktop_agent.cli.tasks",
    "ground": "desktop_agent.cli.ground",
    "audit": "desktop_agent.cli.runs", "runs": "desktop_agent.cli.runs",
    "rollback": "desktop_agent.cli.runs", "save-run": "desktop_agent.cli.runs",
    "memory": "desktop_agent.cli.memory",
    "record": "desktop_agent.cli.record", "parametrize": "desktop_agent.cli.record",
    "resume": "desktop_agent.cli.resume",
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser(argv).parse_args(argv)
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


def _parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The parser with the command `argv` names, or with every command when it names none it knows
    (help, a misspelling: argparse then lists them all)."""
    parser = argparse.ArgumentParser(prog="desktop-agent", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('desktop-agent')}")
    parser.set_defaults(json=False)  # commands that print one JSON document add --json
    commands = parser.add_subparsers(dest="command", required=True)
    named = next((arg for arg in argv if not arg.startswith("-")), None)
    plugins = {plugin.name: plugin for plugin in entry_points(group=COMMAND_PLUGINS)}  # e.g. `gui`, `mcp`
    if named in COMMANDS:
        importlib.import_module(COMMANDS[named]).add_commands(commands)
    elif named in plugins:
        plugins[named].load()(commands)
    elif "--version" not in argv:
        for module in dict.fromkeys(COMMANDS.values()):
            importlib.import_module(module).add_commands(commands)
        for plugin in plugins.values():
            plugin.load()(commands)
    return parser


if __name__ == "__main__":
    sys.exit(main())
