"""How each action kind touches the desktop: which targets it needs, which low-level operations carry it
out, and what must be true afterwards. Pure functions over typed values; the runner does the I/O.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import assert_never

from desktop_agent.core.actions import (
    Action,
    Check,
    Clear,
    Click,
    Drag,
    Expect,
    KeyChord,
    KeyText,
    Launch,
    MouseButton,
    MouseClick,
    MouseDrag,
    MouseScroll,
    Operation,
    Press,
    Scroll,
    ScrollDirection,
    Select,
    StartProcess,
    TypeText,
    WaitFor,
)
from desktop_agent.core.values import Role, Screen, Target, TargetSpec
from desktop_agent.run import verify
from desktop_agent.run.state_checks import typed_in_tree

_EDITABLE = frozenset({Role.FIELD, Role.COMBO})


@dataclass(frozen=True, slots=True, kw_only=True)
class Grounded:
    """The targets an action needs, grounded in the order `target_specs` lists them."""

    targets: tuple[Target, ...]

    @property
    def main(self) -> Target | None:
        return self.targets[0] if self.targets else None

    @property
    def needed(self) -> Target:
        """The main target of an action that can't do without one (a click, a tick, a select ...)."""
        if not self.targets:
            raise ValueError("this action needs a target, and none was grounded")
        return self.targets[0]


def retarget(action: Action, spec: TargetSpec) -> Action:
    """The same action aimed at `spec` (for a drag: its source). ValueError for untargeted actions."""
    match action:
        case Drag():
            return replace(action, source=spec)
        case Click() | TypeText() | Clear() | Check() | Select() | Scroll() | Expect() | WaitFor():
            return replace(action, target=spec)
    raise ValueError(f"a {type(action).__name__} step has no target to correct")


def retry_safe(action: Action) -> bool:
    """Doing the action once more after a failed check can't double its effect. Untargeted typing
    goes wherever the focus is, so it is never repeated."""
    return not (isinstance(action, TypeText) and action.target is None)


def state_on_screen(action: Action) -> bool:
    """The action's whole effect is a state the screen shows (a field's text, a box ticked, an option
    chosen), so whether it already happened can be read off the screen and doing it again is harmless."""
    return (isinstance(action, (Check, Select, Clear))
            or (isinstance(action, TypeText) and action.target is not None))


def operations(action: Action, grounded: Grounded, *, retry: bool = False) -> tuple[Operation, ...]:
    """Operations for everything but the second half of a Select (its option is grounded after the
    combo opens; see `option_spec`). `retry`: a first attempt failed its check, so text it may have
    typed where OCR could not read it back is selected and replaced."""
    main = grounded.main
    match action:
        case Click(button=button, count=count):
            return (MouseClick(point=grounded.needed.point, button=button, count=count),)
        case TypeText(text=text):
            # Typing into a field replaces what it holds (a triple click selects it all), so a retry
            # after a failed check can't leave the text in twice.
            element = main.element if main is not None else None
            filled = element is not None and element.role in _EDITABLE and bool(element.text or retry)
            clicks = 3 if filled else 1
            focus = () if main is None else (MouseClick(point=main.point, count=clicks),)
            return (*focus, KeyText(text=text))
        case Clear():
            return (MouseClick(point=grounded.needed.point, count=3), KeyChord(keys=("delete",)))
        case Press(keys=keys):
            return (KeyChord(keys=keys),)
        case Check(checked=want):
            box = grounded.needed
            state = box.element.checked if box.element else None
            return () if state is want else (MouseClick(point=box.point),)
        case Select():
            return (MouseClick(point=grounded.needed.point),)
        case Scroll(direction=direction, amount=amount):
            clicks = amount if direction is ScrollDirection.UP else -amount
            return (MouseScroll(point=main.point if main else None, clicks=clicks),)
        case Drag():
            return (MouseDrag(start=grounded.targets[0].point, end=grounded.targets[1].point),)
        case Launch(argv=argv):
            return (StartProcess(argv=argv),)
        case WaitFor() | Expect():
            return ()
        case _:
            assert_never(action)


def _places_the_focus(click: Click, grounded: Grounded) -> bool:
    """A plain click whose whole purpose is the focus and the caret: at a point, or into a field."""
    element = grounded.needed.element
    return (click.button is MouseButton.LEFT and click.count == 1
            and (click.target.point is not None or (element is not None and element.role is Role.FIELD)))


def option_spec(action: Select) -> TargetSpec:
    return TargetSpec(text=action.option)


def outcome_reads_screen(action: Action) -> bool:
    """Whether `check_outcome` needs the elements of the screen after `action`, not just whether it
    changed (a state to read back: typed text, a tick, an option)."""
    return isinstance(action, (TypeText, Clear, Check, Select))


def check_outcome(action: Action, grounded: Grounded, after: Screen, *, changed: bool,
                  secret: bool = False, whole: bool = False, focused: bool = False) -> verify.Outcome:
    """Did the action do what the step meant? `changed`: the screen differs from before the action;
    `secret`: the text went into a masked field, so it can't be read back; `whole`: typed text must be
    all there, not just a part a narrow field shows (for telling a finished step from a cut-off one);
    `focused`: the window clicked in has the keyboard focus now."""
    main = grounded.main
    match action:
        case TypeText(text=text):
            if secret and not changed:
                return verify.Outcome(ok=False, detail="the masked field did not change")
            from_tree = None if secret else typed_in_tree(after, main.element if main else None, text)
            if from_tree is not None:
                return from_tree
            box = main.element.box if main and main.element else (main.box if main else None)
            return verify.check_typed(after, text, box, secret=secret, whole=whole)
        case Clear():
            field = grounded.needed
            return verify.check_cleared(after, field.element.box if field.element else field.box)
        case Check(checked=want):
            return verify.check_checked(after, grounded.needed.box, want)
        case Select(option=option):
            return verify.check_selected(after, grounded.needed.box, option)
        case Launch():
            return verify.Outcome(ok=True, detail="the program was started")
        case Click() | Drag():
            if changed:
                return verify.Outcome(ok=True, detail="the screen changed")
            if isinstance(action, Click) and focused and _places_the_focus(action, grounded):
                return verify.Outcome(ok=True, exact=False,
                                      detail="no visible change, but its window has the keyboard focus: the "
                                             "focus and the caret are all a click there is for")
            return verify.Outcome(ok=False, detail="nothing on screen changed after the action")
        case Press() | Scroll():
            # A key or scroll may rightly change nothing (end of page, a save with no sign of it): not a
            # failure, but not seen to work either.
            if changed:
                return verify.Outcome(ok=True, detail="the screen changed")
            return verify.Outcome(ok=True, exact=False, detail="no visible change: its effect was not seen")
        case WaitFor() | Expect():
            return verify.Outcome(ok=True, detail="checked while grounding")
        case _:
            assert_never(action)
