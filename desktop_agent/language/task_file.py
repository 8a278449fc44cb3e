"""YAML task files: read one and locate each step in it; `steps.load_task` parses the steps. Write one.

Guaranteed: every problem in the file raises `TaskSyntaxError` at its real line and column (from YAML
node marks), and an unreadable file raises `AgentError`. Paths are resolved against the file's folder
but not checked for existence. `dump_task` writes what `read_task` reads back field for field (steps are
not parsed: a draft with a bad step line still saves); `save_task` replaces the file atomically.
"""
from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from desktop_agent.core.errors import AgentError, SourceLocation, TaskSyntaxError
from desktop_agent.language.phrases import Line, did_you_mean, is_blank, parameter_names

_TASK_KEYS = ("name", "steps", "policy", "workspace", "params", "assets")
_STR_TAG, _NULL_TAG = "tag:yaml.org,2002:str", "tag:yaml.org,2002:null"
_PARAM_NAME_RE = re.compile(r"[A-Za-z_][\w-]*")


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskSource:
    """A task file's fields, its steps still text (blank and comment items dropped)."""

    name: str
    steps: tuple[Line, ...]
    policy: Path | None = None
    workspace: tuple[Path, ...] = ()
    params: dict[str, str] = field(default_factory=dict)
    assets: Path | None = None  # a recording's folder of fallback locators (see locators.py)


def read_task(path: Path, *, params: Mapping[str, str] | None = None) -> TaskSource:
    """Read `name`, `steps` (required), `policy`, `workspace`, `params`, `assets` (optional); `params`
    given here override the file's."""
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise AgentError(f"cannot read task file {path}: {reason}", details={"path": str(path)}) from exc
    task = _TaskFile(path=path, lines=tuple(content.splitlines()))
    fields = task.fields(task.compose(content))
    declared = task.params(fields["params"]) if "params" in fields else {}
    used = {name for line in task.lines for name in parameter_names(line)}
    refuse_unknown_params(params or {}, set(declared) | used, where=f"task {path}")
    merged = {**declared, **(params or {})}
    return TaskSource(name=task.name(fields["name"]), steps=task.steps(fields["steps"], merged),
                      policy=task.path_of(fields["policy"], '"policy"') if "policy" in fields else None,
                      workspace=task.paths(fields["workspace"]) if "workspace" in fields else (),
                      params=merged,
                      assets=task.path_of(fields["assets"], '"assets"') if "assets" in fields else None)


def _at(line: int, column: int) -> yaml.Mark:
    """A place in the file (0-based line and column) for errors that YAML itself did not mark."""
    return yaml.Mark("", 0, line, column, None, None)


@dataclass(frozen=True, slots=True, kw_only=True)
class _TaskFile:
    """Reads the composed YAML nodes of one file; every error carries the node's line and column."""

    path: Path
    lines: tuple[str, ...]

    def error(self, message: str, mark: yaml.Mark | None, suggestion: str = "") -> TaskSyntaxError:
        line, column = (mark.line, mark.column) if mark is not None else (0, 0)
        text = self.lines[line] if line < len(self.lines) else ""
        location = SourceLocation(source=str(self.path), line=line + 1, column=column + 1, text=text)
        return TaskSyntaxError(message, location=location, suggestion=suggestion)

    def compose(self, content: str) -> yaml.Node:
        try:
            root = yaml.compose(content, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            raise self.error(f"YAML syntax error: {exc.problem}", exc.problem_mark or exc.context_mark,
                             "check the indentation and quoting around here") from None
        except yaml.YAMLError as exc:  # e.g. a control character, which has no line mark
            raise self.error(f"YAML error: {exc}", None) from None
        if root is None:
            raise self.error("the task file is empty", None, "write name: and steps: keys")
        return root

    def fields(self, root: yaml.Node) -> dict[str, yaml.Node]:
        if not isinstance(root, yaml.MappingNode):
            raise self.error("a task file is a mapping with name: and steps:", root.start_mark)
        found: dict[str, yaml.Node] = {}
        for key, value in root.value:
            name = self.string(key, "a key")
            if name not in _TASK_KEYS:
                raise self.error(f'unknown key "{name}"', key.start_mark, did_you_mean(name, _TASK_KEYS)
                                 or "known keys: " + ", ".join(_TASK_KEYS))
            if name in found:
                raise self.error(f'duplicate key "{name}"', key.start_mark)
            found[name] = value
        for name, example in (("name", "name: Save a note"), ("steps", 'steps: [click "OK"]')):
            if name not in found:
                raise self.error(f'missing key "{name}"', root.start_mark, f"add it, e.g. {example}")
        return found

    def string(self, node: yaml.Node, what: str, suggestion: str = "") -> str:
        if isinstance(node, yaml.ScalarNode) and node.tag == _STR_TAG:
            return node.value
        raise self.error(f"{what} must be a string", node.start_mark, suggestion)

    def name(self, node: yaml.Node) -> str:
        name = self.string(node, '"name"').strip()
        if not name:
            raise self.error('"name" must not be empty', node.start_mark)
        return name

    def steps(self, node: yaml.Node, params: Mapping[str, str]) -> tuple[Line, ...]:
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            raise self.error('"steps" must be a non-empty list of strings', node.start_mark,
                             'put each step on its own line starting with "- "')
        items = [(item, self.string(item, "a step", 'quote the whole step if it contains ": "'))
                 for item in node.value]
        steps = tuple(self.step_line(item, text, params) for item, text in items if not is_blank(text))
        if not steps:
            raise self.error('"steps" has only blank or comment lines', node.start_mark)
        return steps

    def step_line(self, node: yaml.ScalarNode, text: str, params: Mapping[str, str]) -> Line:
        """Columns count in the file line when the step is written verbatim on it (plain or simply
        quoted scalar); otherwise (folded, escaped) they count within the step text."""
        mark, source = node.start_mark, str(self.path)
        if node.style is None:  # a plain scalar that runs on: was a later line meant as its own step?
            for number in range(mark.line + 1, min(node.end_mark.line + 1, len(self.lines))):
                if self.lines[number].lstrip().startswith("- "):
                    column = len(self.lines[number]) - len(self.lines[number].lstrip())
                    raise self.error(f"this step is indented more than the one on line {mark.line + 1}, so "
                                     "it was read as part of that step", _at(number, column),
                                     "start every step's \"- \" in the same column")
        shown = self.lines[mark.line] if mark.line < len(self.lines) else ""
        offset = mark.column + (1 if node.style in ("'", '"') else 0)
        if shown[offset:offset + len(text)] != text:
            return Line(source=source, number=mark.line + 1, text=text, params=params)
        return Line(source=source, number=mark.line + 1, text=text, params=params, offset=offset, shown=shown)

    def params(self, node: yaml.Node) -> dict[str, str]:
        if not isinstance(node, yaml.MappingNode):
            raise self.error('"params" must be a mapping of name: value', node.start_mark)
        params: dict[str, str] = {}
        for key, value in node.value:
            name = self.string(key, "a parameter name")
            if not _PARAM_NAME_RE.fullmatch(name):
                raise self.error(f'bad parameter name "{name}"', key.start_mark,
                                 'use letters, digits, "_" and "-", starting with a letter')
            if not isinstance(value, yaml.ScalarNode) or value.tag == _NULL_TAG:
                raise self.error(f'parameter "{name}" needs a text value', value.start_mark)
            params[name] = value.value  # scalars as written: `port: 8080` -> "8080"
        return params

    def paths(self, node: yaml.Node) -> tuple[Path, ...]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.error('"workspace" must be a list of paths', node.start_mark,
                             'put each path on its own line starting with "- "')
        return tuple(self.path_of(item, "a workspace path") for item in node.value)

    def path_of(self, node: yaml.Node, what: str) -> Path:
        path = Path(self.string(node, what).strip()).expanduser()
        if path == Path():
            raise self.error(f"{what} must not be empty", node.start_mark)
        return path if path.is_absolute() else self.path.absolute().parent / path


def refuse_unknown_params(given: Mapping[str, str], known: set[str], *, where: str) -> None:
    """AgentError (bad input) for a parameter given on the command line that `where` neither declares
    nor uses: a misspelt name would otherwise be ignored and the default used."""
    unknown = sorted(set(given) - known)
    if unknown:
        hint = did_you_mean(unknown[0], sorted(known))
        names = ", ".join(sorted(known)) or "none"
        raise AgentError(f"unknown parameter {unknown[0]!r} for {where}" + (f"; {hint}" if hint else "")
                         + f" (its parameters: {names})")


def parse_params(assignments: Sequence[str]) -> dict[str, str]:
    """Command-line parameter values, each written NAME=VALUE (`--param customer="Ada"`)."""
    params: dict[str, str] = {}
    for text in assignments:
        name, sep, value = text.partition("=")
        if not sep or not name:
            raise AgentError(f"a parameter is written NAME=VALUE, got {text!r}")
        params[name] = value
    return params


# ---------------------------------------------------------------- writing
class _Dumper(yaml.SafeDumper):
    """Indents list items under their key (`steps:` then `  - ...`), like hand-written task files."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def dump_task(*, name: str, steps: Sequence[str], params: Mapping[str, str] | None = None,
              policy: Path | None = None, workspace: Sequence[Path] = (), assets: Path | None = None,
              base: Path | None = None) -> str:
    """The YAML text of a task file. Blank steps are dropped; `#` comment steps are kept (quoted) and
    skipped by the reader. Paths inside `base` (the file's folder) are written relative to it.
    Raises ValueError for what `read_task` would refuse: an empty name, no steps, a bad parameter name."""
    if not name.strip():
        raise ValueError("a task needs a name")
    items = [step for step in steps if step.strip()]
    if all(is_blank(step) for step in items):
        raise ValueError("a task needs at least one step")
    for key, value in (params or {}).items():
        if not _PARAM_NAME_RE.fullmatch(key) or not isinstance(value, str):
            raise ValueError(f"bad parameter {key!r}: {value!r}")
    data: dict[str, object] = {"name": name.strip(), "steps": items}
    if params:
        data["params"] = dict(params)
    if policy is not None:
        data["policy"] = _relative(policy, base)
    if workspace:
        data["workspace"] = [_relative(p, base) for p in workspace]
    if assets is not None:
        data["assets"] = _relative(assets, base)
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=float("inf"),
                     default_flow_style=False)


def save_task(path: Path, *, name: str, steps: Sequence[str], params: Mapping[str, str] | None = None,
              policy: Path | None = None, workspace: Sequence[Path] = (), assets: Path | None = None) -> None:
    """Write a task file atomically (a temporary file in the same folder, then a rename): readers see the
    old file or the new one, never half of it. Keeps an existing file's permissions."""
    text = dump_task(name=name, steps=steps, params=params, policy=policy, workspace=workspace,
                     assets=assets, base=path.absolute().parent)
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    fd, temp = tempfile.mkstemp(dir=path.absolute().parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _relative(path: Path, base: Path | None) -> str:
    if base is not None and path.is_absolute() and path.is_relative_to(base) and path != base:
        return str(path.relative_to(base))
    return str(path)
