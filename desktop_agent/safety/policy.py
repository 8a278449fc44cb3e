"""Declarative action policy: which actions may happen, which need a person's approval, which never happen.

Pure: `evaluate` does no I/O; only `load_policy` reads a file. The schema (YAML, `version: 1`):

    version: 1                  # optional; must be 1
    default: allow              # decision when no rule matches: allow | confirm | deny
    limits: {max_steps: 200, max_actions_per_minute: 60}    # positive ints or null (no limit)
    secret_fields: '<regex>'    # a field whose label/text matches is secret: typed text is never logged
    windows:
      deny:  [{title: '<regex>', class: '<regex>', reason: '...'}]   # title and/or class; all must match
      allow: [{title: '<regex>'}]   # if non-empty, every action except launch needs a window matching one
    rules:                      # first rule whose conditions all match decides; no conditions = any request
      - decision: confirm       # required
        reason: "..."           # required, shown to the person and written to the audit log
        actions: [type]         # names from actions.action_name(); omitted = every action
        target_role: field      # types.Role value of the grounded element
        target_text: '<regex>'  # searched in the element's text and label and in the text the step named
        target_strategy: '<regex>'  # searched in how the target was found (Target.strategy, e.g.
                                #   "recorded-point": only where a recording saw it)
        window_title: '<regex>' # searched in Window.title
        window_class: '<regex>' # searched in Window.wm_class
        text: '<regex>'         # searched in what the action enters: typed text, launch command line, option,
                                #   and the command line an action submits (see `commands`)
        keys: [ctrl+alt+delete] # press of exactly one of these chords, in any key order
        secret: true            # the request types into a secret field (see secret_fields)
    commands:                   # windows that run the line submitted to them: see command_policy.py
      decision: confirm
      windows: [{class: '<regex>', reason: '...'}]
      allow: [{program: ls, args: '<regex>'}]

Order of evaluation: windows.deny, windows.allow, rules, default; an action that submits a command line
(command_line.py) gets the stricter of that and the `commands` verdict (which names the line). Regexes are Python `re` syntax, searched
(not anchored). Guaranteed: any malformed input raises PolicyError naming the place (`rules[3].text`).
Not guaranteed: that a rule sees what is really on screen; it sees what perception reported.
"""
from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from pathlib import Path

import yaml

from desktop_agent.core.actions import (
    Action,
    Check,
    Clear,
    Click,
    Drag,
    Expect,
    Launch,
    Press,
    Scroll,
    Select,
    TypeText,
    WaitFor,
    action_name,
)
from desktop_agent.core.errors import PolicyError
from desktop_agent.core.values import Decision, Element, Role, Target, TargetSpec, Verdict, Window, frozen
from desktop_agent.safety import policy_fields as pf
from desktop_agent.safety.command_line import CommandLine
from desktop_agent.safety.command_policy import CommandPolicy, judge, parse_commands
from desktop_agent.safety.policy_fields import WindowMatch, chord
from desktop_agent.safety.vault import PLACEHOLDER

ACTION_NAMES = frozenset({"click", "double-click", "right-click", "type", "clear", "press", "check", "uncheck",
                          "select", "scroll", "drag", "wait", "expect", "launch"})
_DEFAULT_SECRET_FIELDS = r"(?i)pass(word|phrase|code)|\bpin\b|secret|one[- ]time|\b(otp|2fa|cvv|cvc)\b"
_TOP_KEYS = frozenset({"version", "default", "limits", "secret_fields", "windows", "rules", "commands"})
_STRICTNESS = {Decision.ALLOW: 0, Decision.CONFIRM: 1, Decision.DENY: 2}
_RULE_KEYS = frozenset({"decision", "reason", "actions", "target_role", "target_text", "target_strategy",
                        "window_title", "window_class", "text", "keys", "secret"})


@frozen
class ActionRequest:
    """What the runner wants to do, fully grounded. `window` is the topmost window under the target point,
    or the focused one when there is no target."""

    action: Action
    target: Target | None
    window: Window | None
    step_text: str = ""
    command: CommandLine | None = None  # what the action runs, when it submits a command window's line


@frozen
class Limits:
    max_steps: int | None = None
    max_actions_per_minute: int | None = None


@frozen
class Rule:
    where: str
    decision: Decision
    reason: str
    actions: frozenset[str] = frozenset()  # empty = every action
    target_role: Role | None = None
    target_text: re.Pattern[str] | None = None
    target_strategy: re.Pattern[str] | None = None
    window_title: re.Pattern[str] | None = None
    window_class: re.Pattern[str] | None = None
    text: re.Pattern[str] | None = None
    keys: frozenset[frozenset[str]] = frozenset()  # empty = any keys
    secret: bool | None = None


@frozen
class Policy:
    source: str
    default: Decision = Decision.ALLOW
    limits: Limits = Limits()
    secret_fields: re.Pattern[str] = re.compile(_DEFAULT_SECRET_FIELDS)
    windows_allow: tuple[WindowMatch, ...] = ()
    windows_deny: tuple[WindowMatch, ...] = ()
    rules: tuple[Rule, ...] = ()
    commands: CommandPolicy = CommandPolicy()


# ---------------------------------------------------------------- evaluation
def evaluate(policy: Policy, request: ActionRequest) -> Verdict:
    subject = describe(request)
    for entry in policy.windows_deny:
        if entry.matches(request.window):
            return Verdict(decision=Decision.DENY, reason=f"{entry.reason}: {subject}", rule=entry.where)
    if (policy.windows_allow and not isinstance(request.action, Launch)
            and not any(entry.matches(request.window) for entry in policy.windows_allow)):
        return Verdict(decision=Decision.DENY, rule="windows.allow",
                       reason=f"window is not on the policy's allow list: {subject}")
    verdict = next((Verdict(decision=rule.decision, reason=f"{rule.reason}: {subject}", rule=rule.where)
                    for rule in policy.rules if _rule_matches(policy, rule, request)),
                   Verdict(decision=policy.default, reason=f"no rule matched: {subject}", rule="default"))
    as_command = judge(policy.commands, request.action, request.window, request.command)
    if as_command is None or _STRICTNESS[verdict.decision] > _STRICTNESS[as_command.decision]:
        return verdict  # a rule that asks for more (a denylist entry) gives its own reason
    return as_command  # as strict or stricter: it shows the command line


def is_secret_entry(policy: Policy, request: ActionRequest) -> bool:
    """True when `request` types into a field named like `secret_fields` (the grounded field's label or text,
    or the text the step used to name its target) or that its application says is a password field, or
    types a `{secret:NAME}` (see vault.py) anywhere. Other untargeted typing is never considered secret."""
    if not isinstance(request.action, TypeText):
        return False
    if PLACEHOLDER.search(request.step_text):
        return True
    element = request.target.element if request.target is not None else None
    if element is not None and "password" in element.states:
        return True
    names = [element.label, element.text] if element is not None and element.role is Role.FIELD else []
    names.extend(_spec_texts(request.action.target))
    return any(policy.secret_fields.search(name) for name in names if name)


def describe(request: ActionRequest) -> str:
    """One line naming the action, its target and window. Never includes typed text (it may be secret)."""
    parts = [action_name(request.action)]
    match request.action:
        case Press(keys=keys):
            parts.append("+".join(keys))
        case Launch(argv=argv):
            parts.append(_clip(shlex.join(argv)))
        case Select(option=option):
            parts.append(repr(_clip(option)))
    if request.target is not None:
        element = request.target.element
        name = (element.label or element.text) if element is not None else ""
        point = request.target.point
        parts.append(f'"{_clip(name)}"' if name else f"at {point.x},{point.y}")
    if request.window is not None:
        parts.append(f'in window "{_clip(request.window.title or request.window.wm_class)}"')
    return " ".join(parts)


def _rule_matches(policy: Policy, rule: Rule, request: ActionRequest) -> bool:
    action = request.action
    element = request.target.element if request.target is not None else None
    window = request.window
    return ((not rule.actions or action_name(action) in rule.actions)
            and (rule.target_role is None or (element is not None and element.role is rule.target_role))
            and _search_any(rule.target_text, _target_texts(element, action))
            and _search_any(rule.target_strategy, (request.target.strategy,) if request.target else ())
            and _search_any(rule.window_title, (window.title,) if window else ())
            and _search_any(rule.window_class, (window.wm_class,) if window else ())
            and _search_any(rule.text, _entered_text(request))
            and (not rule.keys or (isinstance(action, Press) and chord(action.keys) in rule.keys))
            and (rule.secret is None or rule.secret == is_secret_entry(policy, request)))


def _search_any(pattern: re.Pattern[str] | None, texts: Iterable[str]) -> bool:
    return pattern is None or any(pattern.search(text) for text in texts)


def _target_texts(element: Element | None, action: Action) -> tuple[str, ...]:
    texts = (element.text, element.label) if element is not None else ()
    match action:
        case (Click(target=spec) | Clear(target=spec) | Check(target=spec) | Select(target=spec) | WaitFor(target=spec)
              | Expect(target=spec) | TypeText(target=spec) | Scroll(target=spec)):
            specs: tuple[TargetSpec | None, ...] = (spec,)
        case Drag(source=source, destination=destination):
            specs = (source, destination)
        case _:
            specs = ()
    return tuple(t for t in (*texts, *(s.text for s in specs if s is not None)) if t)


def _spec_texts(spec: TargetSpec | None) -> list[str]:
    """The text of a target spec and of its anchors ("the field right of 'Password'")."""
    texts: list[str] = []
    while spec is not None:
        texts.append(spec.text or "")
        spec = spec.anchor.target if spec.anchor is not None else None
    return texts


def _entered_text(request: ActionRequest) -> tuple[str, ...]:
    command = request.command.lines if request.command is not None else ()
    match request.action:
        case TypeText(text=text):
            return (text, *command)
        case Launch(argv=argv):
            return (shlex.join(argv),)
        case Select(option=option):
            return (option,)
    return command


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


# ---------------------------------------------------------------- loading
def default_policy_path() -> Path:
    return Path(__file__).with_name("policies") / "default.yaml"


def load_policy(path: Path | None) -> Policy:
    """Read and parse a policy file; None means the shipped default."""
    path = default_policy_path() if path is None else path
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read the policy: {exc}", source=str(path)) from exc
    return parse_policy(text, source=str(path))


def parse_policy(text: str, *, source: str) -> Policy:
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise PolicyError(f"YAML syntax error: {exc.problem or exc.context}", source=source,
                          where=where) from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"YAML error: {exc}", source=source) from exc
    try:
        return _policy(data, source)
    except pf.Invalid as exc:
        raise PolicyError(exc.message, source=source, where=exc.where) from None


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (PyYAML silently keeps the last one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _policy(data: object, source: str) -> Policy:
    if data is None:
        raise pf.Invalid("the policy is empty", "")
    top = pf.mapping(data, "", _TOP_KEYS)
    if top.get("version", 1) != 1:
        raise pf.Invalid(f"unsupported version {top['version']!r}; this agent reads version 1", "version")
    windows = pf.mapping(top.get("windows", {}), "windows", frozenset({"allow", "deny"}))
    return Policy(
        source=source,
        default=pf.decision(top.get("default", "allow"), "default"),
        limits=_limits(top.get("limits", {})),
        secret_fields=pf.regex(top.get("secret_fields", _DEFAULT_SECRET_FIELDS), "secret_fields"),
        windows_allow=tuple(pf.window_match(v, w)[0] for v, w in pf.items(windows.get("allow", []),
                                                                   "windows.allow")),
        windows_deny=tuple(pf.window_match(v, w)[0] for v, w in pf.items(windows.get("deny", []),
                                                                  "windows.deny")),
        rules=tuple(_rule(v, w) for v, w in pf.items(top.get("rules", []), "rules")),
        commands=parse_commands(top.get("commands", {})),
    )


def _limits(value: object) -> Limits:
    data = pf.mapping(value, "limits", frozenset({"max_steps", "max_actions_per_minute"}))
    return Limits(max_steps=pf.positive(data.get("max_steps"), "limits.max_steps"),
                  max_actions_per_minute=pf.positive(data.get("max_actions_per_minute"),
                                                   "limits.max_actions_per_minute"))


def _rule(value: object, where: str) -> Rule:
    data = pf.mapping(value, where, _RULE_KEYS)
    for required in ("decision", "reason"):
        if required not in data:
            raise pf.Invalid(f"a rule needs '{required}'", where)
    return Rule(where=where,
                decision=pf.decision(data["decision"], f"{where}.decision"),
                reason=pf.string(data["reason"], f"{where}.reason"),
                actions=frozenset(_action_name(v, w) for v, w in pf.items(data.get("actions", []),
                                                                        f"{where}.actions")),
                target_role=pf.role(data.get("target_role"), f"{where}.target_role"),
                target_text=pf.optional_regex(data, "target_text", where),
                target_strategy=pf.optional_regex(data, "target_strategy", where),
                window_title=pf.optional_regex(data, "window_title", where),
                window_class=pf.optional_regex(data, "window_class", where),
                text=pf.optional_regex(data, "text", where),
                keys=frozenset(pf.parse_chord(v, w) for v, w in pf.items(data.get("keys", []), f"{where}.keys")),
                secret=pf.optional_bool(data.get("secret"), f"{where}.secret"))


def _action_name(value: object, where: str) -> str:
    if value not in ACTION_NAMES:
        raise pf.Invalid(f"unknown action {value!r}; expected one of: {', '.join(sorted(ACTION_NAMES))}",
                       where)
    return str(value)
