"""The desktop app's composition root: `desktop-agent gui [TASK]` builds the QApplication, the settings
store and the main window wired to the real engine (`Engine`: compose.build_runner on senses kept for the
app's life; the global stop hotkey and the corner fail-safe), and returns the app's exit code.

Qt is imported only when the window is built: the CLI loads this module for every command.
"""
from __future__ import annotations

import argparse
import signal
import sys
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_agent import compose
from desktop_agent.core.errors import AgentError
from desktop_agent.perception.senses import Senses
from desktop_agent.run.runner import Runner
from desktop_agent.safety.stop import StopHotkey, StopToken
from ui.platform_check import display_problem

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings

    from ui.main_window import MainWindow

APP_NAME = "desktop-agent"


def add_command(commands: argparse._SubParsersAction) -> None:
    gui = commands.add_parser("gui", help="open the desktop app")
    gui.add_argument("task", nargs="?", type=Path, help="task file to open (default: the last one)")
    gui.set_defaults(handler=_open)


class Engine:
    """Runners for the app's runs sharing one set of senses for the app's life: the models load once,
    and each run's perceiver starts from what the last one saw (only what changed since is read)."""

    def __init__(self) -> None:
        self._senses: Senses | None = None

    def build_runner(self, config: compose.AgentConfig) -> Runner:
        if self._senses is None:
            self._senses = compose.build_senses(display=config.display, own_pids=config.own_pids)
        return compose.build_runner(config, stop=StopToken(), senses=self._senses)


def desktop_brakes(runner: Runner, hotkey: str) -> AbstractContextManager[StopHotkey | None]:
    return compose.brakes(runner, hotkey=hotkey)


def build_main_window(store: QSettings) -> MainWindow:
    """The main window on the real engine; `store` is the QSettings it reads and writes."""
    from ui.main_window import MainWindow

    return MainWindow(factory=Engine().build_runner, brakes=desktop_brakes, store=store)


def _open(args: argparse.Namespace) -> int:
    problem = display_problem()
    if problem is not None:
        raise AgentError(problem)
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from ui.task_files import LAST_TASK

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(APP_NAME)
    app.setApplicationName(APP_NAME)
    store = QSettings()
    window = build_main_window(store)
    last = store.value(LAST_TASK, "")
    task = args.task or (Path(last) if last and Path(last).is_file() else None)
    if task is not None:
        window.open_task(task)
    geometry = store.value("window/geometry")
    if geometry is not None:
        window.restoreGeometry(geometry)
    window.show()
    # Ctrl+C in the terminal closes the window like the close button: a run is stopped, not cut off.
    signal.signal(signal.SIGINT, lambda *_: window.close())
    wake = QTimer(interval=200, timeout=lambda: None)  # lets Python run its signal handlers
    wake.start()
    return app.exec()
