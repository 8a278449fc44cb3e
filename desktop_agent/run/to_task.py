"""Save a finished run as a task file that replays it: its name, its step texts as they were written
(with their `{param}`s and the values this run used), and the fallback locators it kept for every
verified step (`<trace>/assets`, see trace.py), copied next to the new task file.

Guaranteed: the assets are copied before the task file is written, and the task file is written
atomically; an existing task file is only replaced when asked. A secret the trace masked never comes
back: a step that typed one gets a `{secret:stepN}` placeholder instead, filled at replay from the
keyring or by asking. Not guaranteed: that a step a person corrected by pointing replays as corrected
(the task keeps its words; the local memory keeps the correction).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from desktop_agent.core.errors import AgentError
from desktop_agent.language.task_file import save_task
from desktop_agent.run.trace import ASSETS
from desktop_agent.safety.vault import MASK

EVENTS = "events.jsonl"


def save_run_as_task(trace_folder: Path, output: Path, *, overwrite: bool = False) -> Path:
    """Write `output` (and `<stem>.assets/`) from the run in `trace_folder`; returns the task path."""
    if output.exists() and not overwrite:
        raise AgentError(f"{output} exists; pass --overwrite to replace it")
    started = _run_started(trace_folder)
    steps = [_unmasked(text, number) for number, text in enumerate(started["steps"], 1)]
    params = {name: value for name, value in started.get("params", {}).items() if MASK not in value}
    source = trace_folder / ASSETS
    assets = output.with_name(f"{output.stem}.assets") if source.is_dir() else None
    if assets is not None:
        shutil.copytree(source, assets, dirs_exist_ok=overwrite)
    save_task(output, name=started["name"], steps=steps, params=params, assets=assets)
    return output


def _run_started(folder: Path) -> dict:
    path = folder / EVENTS
    try:
        with path.open(encoding="utf-8") as events:
            for line in events:
                event = json.loads(line)
                if event.get("kind") == "run_started":
                    return event
    except (OSError, json.JSONDecodeError) as exc:
        raise AgentError(f"cannot read the run's events {path}: {exc}") from exc
    raise AgentError(f"{path} has no run_started event: not a run's trace")


def _unmasked(text: str, number: int) -> str:
    return text.replace(MASK, f"{{secret:step{number}}}")
