"""`make demo`: start a virtual display if there is none, launch the bundled sample order form, run the
sample task on it end to end, and print the step log, what the application itself printed, and the
report's path. The form is Tk, which has no accessibility tree: the agent sees it by vision (OCR and
widgets). Then it fills a GTK dialog (yad), whose every target it finds in its accessibility tree —
the step log says which (`a11y`, `ocr`, `widget`) found each target.

The shipped policy asks for confirmation before "Submit order"; the demo has no person at the keyboard,
so it answers that one question itself and says so on the log.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from desktop_agent.accessibility.atspi.reader import AtspiReader
from desktop_agent.cli import reporting
from desktop_agent.compose import AgentConfig, RunGiven, start_run
from desktop_agent.core.events import RunFinished
from desktop_agent.core.results import RunStatus
from desktop_agent.demo.display import end_process, start_virtual_display
from desktop_agent.language.steps import load_task, plan_from_steps
from desktop_agent.run.runner import RunOptions
from desktop_agent.safety.approvals import Approval, Proposal
from desktop_agent.safety.policy import load_policy
from desktop_agent.safety.stop import STOP_HOTKEY

TASK = Path(__file__).with_name("order_task.yaml")
DIALOG = ["yad", "--form", "--title", "Shipping", "--field=Recipient", "--field=Signature required:CHK",
          "--geometry=+1300+200"]
DIALOG_STEPS = ['type "Ada Lovelace" into the "Recipient" field', 'check "Signature required"', 'click "OK"']


def _display_reachable() -> bool:
    if not os.environ.get("DISPLAY"):
        return False
    return subprocess.run(["xdpyinfo"], capture_output=True).returncode == 0


def _demo_approver(proposal: Proposal) -> Approval:
    print(f"    demo approves: {proposal.verdict.reason}", flush=True)
    return Approval.APPROVE


def launch_sample_app(*, geometry: str = "+420+200") -> tuple[subprocess.Popen, list[str]]:
    """Start the sample app; its stdout lines are collected in the returned list."""
    return launch_collecting([sys.executable, "-m", "desktop_agent.demo.sample_app",
                              "--geometry", geometry, "--save-path", "traces/demo-order.json"])


def launch_collecting(argv: list[str]) -> tuple[subprocess.Popen, list[str]]:
    """Start `argv`; its stdout lines are collected in the returned list."""
    app = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    lines: list[str] = []
    output = app.stdout
    assert output is not None  # stdout=PIPE
    threading.Thread(target=lambda: lines.extend(output), daemon=True).start()
    return app, lines


def main() -> int:
    with ExitStack() as cleanup:
        if not _display_reachable():
            display = cleanup.enter_context(start_virtual_display())
            os.environ["DISPLAY"] = display.name
            print(f"started a virtual display {display.name} (Xvfb 1920x1080)")
        app, app_output = launch_sample_app()
        cleanup.callback(end_process, app)
        time.sleep(1.0)  # the runner also waits for its first target; this just avoids a noisy retry
        plan = load_task(TASK)
        config = AgentConfig(policy=load_policy(plan.policy), trace_root=Path("traces"),
                             run_name=plan.name, approver=_demo_approver,
                             options=RunOptions(find_timeout_s=10.0))
        print(f"stop at any time: {STOP_HOTKEY} or the pointer into a screen corner")
        finished = _run(start_run(plan, config, hotkey=STOP_HOTKEY, given=RunGiven(task=TASK)).events())
        time.sleep(0.3)
        print("\nthe sample application printed:")
        for line in app_output:
            print(f"    {line.rstrip()}")
        print(f"\nreport: {finished.report.resolve()}")
        if finished.status is not RunStatus.SUCCEEDED:
            return 1
        return 0 if _gtk_dialog(config) else 1


def _run(events) -> RunFinished:
    finished: RunFinished | None = None
    for event in events:
        reporting.print_event(event, sys.stdout)
        if isinstance(event, RunFinished):
            finished = event
    assert finished is not None  # a run's events end with RunFinished
    return finished


def _gtk_dialog(config: AgentConfig) -> bool:
    """The second part: a GTK dialog found through its accessibility tree (vision, without one)."""
    print("\nnext, a GTK dialog (yad): its targets come from its accessibility tree")
    dialog = subprocess.Popen(DIALOG, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        reader = AtspiReader()
        if not reader.wait_registered(dialog.pid, timeout_s=10.0):
            print("    (no accessibility bus here: the dialog is seen by vision)")
        reader.close()
        plan = replace(plan_from_steps(DIALOG_STEPS), name="shipping dialog")
        finished = _run(start_run(plan, replace(config, run_name=plan.name), hotkey=STOP_HOTKEY,
                                  given=RunGiven(steps=tuple(DIALOG_STEPS))).events())
        output, _ = dialog.communicate(timeout=10) if finished.status is RunStatus.SUCCEEDED else ("", "")
        print(f"\nthe dialog printed: {output.strip()!r}\nreport: {finished.report.resolve()}")
        return finished.status is RunStatus.SUCCEEDED
    finally:
        end_process(dialog)


if __name__ == "__main__":
    sys.exit(main())
