"""The desktop app with a scripted person at it, for the end-to-end tests.

Opens the main window on the real engine exactly as `desktop-agent gui` builds it (ui.app), puts the
given task name and steps in the task editor, runs them in the given mode and answers each approval
with the next scripted answer by pressing that button of the approval panel. Prints one JSON object
per line:

    {"event": "asked", "step": ..., "target": [x, y] | null, "window": title | null,
     "decision": "allow|confirm", "answer": "approve|skip|stop"}
    {"event": "finished", "max_gap_ms": ..., **reporting.run_json(...)}  or {"event": "error", ...}

`max_gap_ms` is the longest the GUI thread went without running its event loop during the run (a
20 ms timer is watched): how long the window was frozen at worst.

and then stays open (showing the finished run) until it is terminated.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QPushButton

from desktop_agent.cli import reporting
from desktop_agent.safety.approvals import Proposal
from desktop_agent.screen.windows import WindowLister
from ui.app import build_main_window
from ui.settings import Mode, Settings, save_settings

ANSWER_DELAY_MS = 300  # the proposal is on screen this long before the button is pressed
TICK_MS = 20


def emit(event: str, **fields: object) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", default="scripted", help="the task's name")
    parser.add_argument("--step", action="append", required=True)
    parser.add_argument("--mode", choices=[m.value for m in Mode], default=Mode.APPROVE.value)
    parser.add_argument("--answer", action="append", default=[], choices=["approve", "skip", "stop"])
    parser.add_argument("--geometry", default="0,0,1000,800", help="X,Y,W,H of the window")
    parser.add_argument("--settings", type=Path, required=True, help="an .ini file for QSettings")
    parser.add_argument("--trace-dir", type=Path, required=True)
    parser.add_argument("--focused", action="store_true",
                        help="the window takes the keyboard focus before the run, as when a person clicks Run")
    args = parser.parse_args()

    app = QApplication(sys.argv[:1])
    store = QSettings(str(args.settings), QSettings.Format.IniFormat)
    save_settings(store, Settings(mode=Mode(args.mode), trace_root=args.trace_dir))
    window = build_main_window(store)
    window.editor.set_task(name=args.name, steps=args.step)
    window.setGeometry(*(int(n) for n in args.geometry.split(",")))
    answers = iter(args.answer)
    ticks = [time.monotonic()]
    gaps = [0.0]

    def tick() -> None:
        now = time.monotonic()
        gaps.append(now - ticks[-1])
        ticks.append(now)

    heartbeat = QTimer(interval=TICK_MS, timeout=tick)

    def asked(proposal: Proposal) -> None:
        answer = next(answers, "stop")
        target = proposal.request.target
        window_title = proposal.request.window.title if proposal.request.window else None
        emit("asked", step=proposal.request.step_text, answer=answer, window=window_title,
             target=[target.point.x, target.point.y] if target else None,
             decision=proposal.verdict.decision.value)
        button = window.approval.findChild(QPushButton, answer)
        QTimer.singleShot(ANSWER_DELAY_MS, button.click)

    def finished(result) -> None:
        heartbeat.stop()
        if result is None:
            emit("error", message="the run ended with an error")
        else:
            emit("finished", max_gap_ms=round(max(gaps) * 1000), **reporting.run_json(result))

    def start() -> None:
        if args.focused and not holds_the_focus():
            window.activateWindow()
            QTimer.singleShot(TICK_MS, start)  # until the X server says the focus is here
            return
        ticks.append(time.monotonic())
        heartbeat.start()
        if not window.start_run():
            emit("error", message=window.statusBar().currentMessage())

    def holds_the_focus() -> bool:
        focus = lister.focused_window(follow_pointer=False)
        return focus is not None and focus.pid == os.getpid()

    lister = WindowLister()

    window.control.approvalRequested.connect(asked)
    window.control.runFinished.connect(finished)
    window.show()
    QTimer.singleShot(500, start)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
