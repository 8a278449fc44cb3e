"""Entry point of the desktop app (placeholder until the GUI lands): registers `desktop-agent gui`."""
from __future__ import annotations

import argparse


def add_command(commands: argparse._SubParsersAction) -> None:
    gui = commands.add_parser("gui", help="open the desktop app")
    gui.set_defaults(handler=_open)


def _open(_args: argparse.Namespace) -> int:
    raise SystemExit("the desktop app is not built yet")
