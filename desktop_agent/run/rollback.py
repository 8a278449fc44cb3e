"""Checkpoints before a step and rollback after its check failed.

Before every acting step the workspace paths a task declares are snapshotted (`durability/snapshots.py`); the
screen the step was grounded on (pixels, elements, windows, and the element holding the keyboard focus
where an accessibility tree says which) is its screen checkpoint. When the step's check fails,
`roll_back` undoes it (its inverse action, see inverse.py, authorized by the guard like any other
action), restores the workspace files as they were before the step, compares the affected window with
its checkpoint and asks the application whether the focus is back where it was — then says in one
sentence what was and wasn't restored, for the step's result, the trace and the report.

Guaranteed: the inverse goes through `Guard.authorize`/`perform` (policy, own-window refusal, stop,
ledger); nothing is undone that the checkpoint didn't see; a rollback never raises for what the world
did — it reports it. Not guaranteed: that the application can be put back (an irreversible action), or
that the window matches to the pixel after the undo (a caret or a hover highlight may differ).
"""
from __future__ import annotations

import functools

from desktop_agent.core.actions import Action, Click, Expect, Plan, Press, Step, WaitFor, target_specs
from desktop_agent.core.errors import ActionError, GroundingError
from desktop_agent.core.values import Element, Target
from desktop_agent.durability.restore import describe as describe_restore
from desktop_agent.durability.restore import restore
from desktop_agent.durability.snapshots import CheckpointError, WorkspaceStore
from desktop_agent.grounding.explain import box_text
from desktop_agent.grounding.fallbacks import target_at
from desktop_agent.perception.senses import Look, Senses
from desktop_agent.run import interactions
from desktop_agent.run.attempt import Attempt
from desktop_agent.run.interactions import Grounded
from desktop_agent.run.inverse import inverse
from desktop_agent.run.trace import Trace
from desktop_agent.run.verify import settle, visibly_changed
from desktop_agent.safety.guard import Guard
from desktop_agent.safety.policy import ActionRequest
from desktop_agent.screen import coords
from desktop_agent.screen.clipboard import digest, read_clipboard, write_clipboard


class Recovery:
    def __init__(self, *, senses: Senses, guard: Guard, trace: Trace, settle_timeout_s: float) -> None:
        self.senses = senses
        self.guard = guard
        self.trace = trace
        self.settle_timeout_s = settle_timeout_s
        self._store: WorkspaceStore | None = None
        self._clipboard: bytes | None = None

    def checkpoint(self, plan: Plan, index: int, step: Step) -> None:
        """Before a step that may change something: the window with the keyboard focus, the pointer and
        — for a key press or a click, which may cut or copy — the clipboard (kept in memory; traced as
        a digest), and a copy of the workspace (see durability/snapshots.py). The screen itself is the
        look the step is grounded on (`grounded_on`)."""
        if isinstance(step.action, (WaitFor, Expect)):
            return
        self._clipboard = read_clipboard() if isinstance(step.action, (Press, Click)) else None
        focus = self.senses.focused_window()
        self.trace.event("screen_checkpoint", index=index, focus=focus.title if focus else None,
                         pointer=self.senses.pointer(), clipboard=digest(self._clipboard))
        if plan.workspace:
            self._store = self._store or WorkspaceStore(self.trace.folder / "workspace")
            taken = self._store.snapshot(plan.workspace, label=f"step{index + 1:03d}")
            self.trace.event("checkpoint", index=index, id=taken.id, files=len(taken.entries),
                             skipped=[s.path for s in taken.skipped])

    def grounded_on(self, index: int, look: Look) -> None:
        """The look step `index` is grounded on completes its checkpoint: the element that holds the
        keyboard focus there, where the tree says, is traced."""
        held = _focused(look)
        if held is not None:
            self.trace.event("focus_checkpoint", index=index, element=_name(held))

    def roll_back(self, attempt: Attempt, after: Look | None, *, secret: bool) -> str:
        """Undo the step of `attempt`, whose check failed (or which was cut off) after it acted on what
        the attempt found (on its look; None for a step that needed no look, such as a key press)."""
        index, before = attempt.index, attempt.look
        screen = "nothing on screen to undo (no look was needed before it acted)"
        if before is not None and after is not None:
            undo = inverse(attempt.step.action, attempt.grounded, before=before.screen, after=after.screen,
                           secret=secret)
            screen = "not undone: " + undo.how
            if undo.action is not None:
                try:
                    screen = self._undo_on_screen(index, undo.action, undo.how, before, after)
                except (ActionError, GroundingError) as exc:
                    screen = f"undoing failed: {exc}"
        focus = self._focus_back(before) if before is not None else ""
        files = self._restore_files(index)
        clipboard = self._restore_clipboard()
        self.trace.event("rollback", index=index, screen=screen, focus=focus, files=files,
                         clipboard=clipboard)
        return "; ".join(part for part in ("rolled back: " + screen, focus, files, clipboard) if part)

    def _focus_back(self, before: Look) -> str:
        """Whether the element that held the keyboard focus at the checkpoint holds it again, as its
        application says ("" where no tree said which element held it)."""
        held = _focused(before)
        if held is None or held.accessible is None:
            return ""
        back = self.senses.holds_focus(held.accessible)
        if back is None:
            return f"whether the keyboard focus is back on {_name(held)} could not be read"
        return (f"the keyboard focus is back on {_name(held)}" if back
                else f"the keyboard focus is not back on {_name(held)}, where it was before the step")

    def _restore_clipboard(self) -> str:
        if self._clipboard is None or read_clipboard() == self._clipboard:
            return ""
        return "clipboard restored" if write_clipboard(self._clipboard) else "clipboard changed, not restored"

    def _undo_on_screen(self, index: int, action: Action, how: str, before: Look, after: Look) -> str:
        # An inverse names its places by points on the screen as it is now (see inverse.py), or none.
        targets = tuple(target_at(point, after.screen, "rollback", how)
                        for spec in target_specs(action) if (point := spec.point) is not None)
        target = targets[0] if targets else None
        window = (after.screen.window_at(target.point) if target is not None
                  else self.senses.focused_window())
        request = ActionRequest(action=action, target=target, window=window,
                                step_text=f"undo step {index + 1}: {how}")
        authorization = self.guard.authorize(request)
        if authorization.permit is None:
            return f"not undone ({authorization.verdict.reason})"
        grounded = Grounded(targets=targets)
        for operation in interactions.operations(action, grounded, retry=True):
            self.guard.perform(authorization.permit, operation, windows=after.screen.windows)
        return self._compare(before, target, how)

    def _compare(self, before: Look, target: Target | None, how: str) -> str:
        """Does the window the step acted in look as it did at the checkpoint?"""
        frame = before.screen.frame
        window = before.screen.window_at(target.point) if target is not None else None
        region = (window.box.intersection(frame.region) if window is not None else None) or frame.region
        checkpoint = coords.crop(frame, region)
        settle(functools.partial(self.senses.grab, allow_blank=True), checkpoint,
               timeout_s=self.settle_timeout_s)
        now = self.senses.grab(region, allow_blank=True)
        if visibly_changed(checkpoint, now):
            return f"{how}, but the window still differs from its checkpoint"
        return f"{how}; the window matches its checkpoint"

    def _restore_files(self, index: int) -> str:
        if self._store is None:
            return ""
        try:
            report = restore(self._store, self._store.before_step(index + 1))
        except CheckpointError as exc:
            return f"workspace not restored: {exc}"
        return "workspace: " + describe_restore(report)


def _focused(look: Look) -> Element | None:
    return next((e for e in look.screen.elements if "focused" in e.states and e.accessible), None)


def _name(element: Element) -> str:
    """Its role and label, never its text (a field's content may be secret)."""
    return (f'{element.role.value} "{element.label}"' if element.label
            else f"{element.role.value} at {box_text(element.box)}")
