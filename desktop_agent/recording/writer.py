"""Save a recording as a task file with its assets folder; turn typed values of a saved one into parameters.

`save_recording` writes `<stem>.assets/` (the crops as PNG, `locators.json`, `seen.json`) first, into a
fresh folder that replaces any old one by rename, and the task file LAST (atomically, `task_file.save_task`), with
`assets:` naming the folder: a task file on disk always has its whole assets folder beside it.
`parametrize` rewrites an existing task file's steps atomically and leaves its assets alone.

Guaranteed: an existing task file (or a stray assets folder) is never replaced without `overwrite=True`;
what is written is the Recording's steps, crops and locators and the params given, nothing else — no
typed secrets: the Recording holds none, and a param whose value was typed into a secret field
(`Recording.withheld_params`) is left out. Not guaranteed: that the old assets folder is gone if the
process dies between the folder swap and its removal (a hidden `.<stem>.assets-old-*` folder may be
left behind).
"""
from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import cv2
import yaml

from desktop_agent.core.errors import AgentError
from desktop_agent.grounding.locators import save_locators
from desktop_agent.language.phrases import Line, tokenize
from desktop_agent.language.task_file import read_task, save_task
from desktop_agent.perception.seen import SeenWindow, save_seen
from desktop_agent.recording.describe import Recording

_PARAM_NAME = re.compile(r"[A-Za-z_][\w-]*")  # as task files allow
_PLACEHOLDER = re.compile(r"(\{\{|\}\}|\{[^{}]*\})")  # `{{`, `}}`, `{name}`, `{secret:NAME}`


def assets_folder(task: Path) -> Path:
    """The assets folder that belongs to a task file: `orders.yaml` -> `orders.assets`."""
    return task.with_name(f"{task.stem}.assets")


def existing_output(path: Path) -> Path | None:
    """What writing task file `path` would replace: the file itself, else a stray assets folder, else None."""
    folder = assets_folder(path)
    return path if path.exists() else folder if folder.exists() else None


def save_recording(path: Path, *, name: str, recording: Recording, params: Mapping[str, str],
                   overwrite: bool = False, seen: Sequence[SeenWindow] = ()) -> Path:
    """Write the assets folder, then the task file; returns the task file's path."""
    folder = assets_folder(path)
    if not overwrite and (existing := existing_output(path)) is not None:
        raise AgentError(f"{existing} already exists; choose another name or overwrite it",
                         details={"path": str(existing)})
    if not recording.steps:
        raise AgentError("nothing was recorded: no steps to save")
    path.absolute().parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(dir=path.absolute().parent, prefix=f".{folder.name}-new-"))
    try:
        for file_name, pixels in recording.crops.items():
            if not cv2.imwrite(str(fresh / file_name), pixels):
                raise AgentError(f"cannot write {fresh / file_name}")
        save_locators(fresh, recording.locators)
        if seen:
            save_seen(fresh, seen)
        _swap_in(fresh, folder)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    try:
        kept = {key: value for key, value in params.items() if key not in recording.withheld_params}
        save_task(path, name=name, steps=recording.steps, params=kept, assets=folder.absolute())
    except ValueError as exc:  # a bad name or parameter: refused before the file was touched
        raise AgentError(f"cannot save {path}: {exc}") from exc
    return path


def parametrize(path: Path, values: Mapping[str, str]) -> tuple[str, ...]:
    """Replace each value where it occurs inside a quoted string of a step with `{name}` and add it to the
    file's params; returns the new steps. Raises AgentError naming a value that occurs in no step, a bad
    or existing parameter name; the file is unchanged then."""
    task = read_task(path)  # every problem in the file is reported here, at its line
    steps = [str(step) for step in yaml.safe_load(path.read_text(encoding="utf-8"))["steps"]
             if str(step).strip()]
    known = {**task.params, **values}  # a step may already use a parameter added just before
    for name, value in values.items():
        if not _PARAM_NAME.fullmatch(name):
            raise AgentError(f'bad parameter name "{name}": use letters, digits, "_" and "-"')
        if name in task.params:
            raise AgentError(f"{path} already has a parameter {{{name}}}")
        if not value or "{" in value or "}" in value:
            raise AgentError(f"parameter {{{name}}}: the value must be non-empty text without braces")
        replaced = [_replace_quoted(step, value, name, known, path) for step in steps]
        if replaced == steps:
            raise AgentError(f'"{value}" occurs in no quoted text of {path}; nothing to turn into {{{name}}}')
        steps = replaced
    save_task(path, name=task.name, steps=steps, params=known, policy=task.policy,
              workspace=task.workspace, assets=task.assets)
    return tuple(steps)


def _swap_in(fresh: Path, folder: Path) -> None:
    """Put `fresh` where `folder` is, the old one renamed away first and then removed."""
    old = None
    if folder.exists():
        old = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-old-")) / "assets"
        folder.rename(old)
    fresh.rename(folder)
    if old is not None:
        shutil.rmtree(old.parent, ignore_errors=True)


def _replace_quoted(step: str, value: str, name: str, params: Mapping[str, str], path: Path) -> str:
    """`step` with `value` replaced by `{name}` in its quoted strings (not inside existing placeholders);
    the rest of the line stays as written."""
    if step.lstrip().startswith("#"):
        return step
    out, last = [], 0
    for token in tokenize(Line(source=str(path), number=1, text=step, params=params)):
        if not token.quoted:
            continue
        parts = _PLACEHOLDER.split(token.literal)
        new = "".join(part if i % 2 else part.replace(value, f"{{{name}}}") for i, part in enumerate(parts))
        if new != token.literal:
            out.append(step[last:token.column - 1] + _requote(new, step[token.column - 1]))
            last = token.end - 1
    return "".join(out) + step[last:]


def _requote(literal: str, quote: str) -> str:
    """A quoted string whose value (before parameters) is `literal`."""
    escaped = literal.replace("\\", "\\\\").replace(quote, "\\" + quote)
    escaped = escaped.replace("\n", "\\n").replace("\t", "\\t")
    return f"{quote}{escaped}{quote}"
