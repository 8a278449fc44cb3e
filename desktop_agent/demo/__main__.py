"""`make demo`: start a virtual display if there is none, launch the bundled sample order form, run the
sample task on it end to end, and print the step log, what the application itself printed, and the
report's path.

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
from pathlib import Path

from desktop_agent.cli import reporting
from desktop_agent.compose import AgentConfig, RunGiven, start_run
from desktop_agent.core.events import RunFinished
from desktop_agent.core.results import RunStatus
from desktop_agent.demo.display import end_process, start_virtual_display
from desktop_agent.language.steps import load_task
from desktop_agent.run.runner import RunOptions
from desktop_agent.safety.approvals import Approval, Proposal
from desktop_agent.safety.policy import load_policy
from desktop_agent.safety.stop import STOP_HOTKEY

TASK = Path(__file__).with_name("order_task.yaml")


def _display_reachable() -> bool:
    if not os.environ.get("DISPLAY"):
        return False
    return subprocess.run(["xdpyinfo"], capture_output=True).returncode == 0


def _demo_approver(proposal: Proposal) -> Approval:
    print(f"    demo approves: {proposal.verdict.reason}", flush=True)
    return Approval.APPROVE


def launch_sample_app(*, geometry: str = "+420+200") -> tuple[subprocess.Popen, list[str]]:
    """Start the sample app; its stdout lines are collected in the returned list."""
    app = subprocess.Popen([sys.executable, "-m", "desktop_agent.demo.sample_app",
                            "--geometry", geometry, "--save-path", "traces/demo-order.json"],
                           stdout=subprocess.PIPE, text=True)
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
        started = start_run(plan, config, hotkey=STOP_HOTKEY, given=RunGiven(task=TASK))
        print(f"stop at any time: {STOP_HOTKEY} or the pointer into a screen corner")
        finished: RunFinished | None = None
        for event in started.events():
            reporting.print_event(event, sys.stdout)
            if isinstance(event, RunFinished):
                finished = event
        assert finished is not None  # a run's events end with RunFinished
        time.sleep(0.3)
        print("\nthe sample application printed:")
        for line in app_output:
            print(f"    {line.rstrip()}")
        print(f"\nreport: {finished.report.resolve()}")
        return 0 if finished.status is RunStatus.SUCCEEDED else 1


if __name__ == "__main__":
    sys.exit(main())
