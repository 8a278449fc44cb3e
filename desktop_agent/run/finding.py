"""Seeing and finding for a run: looks at the screen, each step's targets found and held still (an
actionability check), and the polling of `wait for` / `expect`.

Guaranteed: a target is accepted only when a second capture shows it in the same place — the pixels of
its window unchanged, or, when something else there changed, grounded again to the same place; a
blank screen (a program still starting) counts as "not yet", and at the deadline finding fails with
the last reason. Nothing here acts.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from desktop_agent.core.actions import Expect, WaitFor, target_specs
from desktop_agent.core.errors import CaptureError, GroundingError
from desktop_agent.core.results import StepResult, StepStatus
from desktop_agent.core.values import Target, TargetSpec
from desktop_agent.grounding.fallbacks import Grounder
from desktop_agent.perception.senses import Look, Senses
from desktop_agent.run.attempt import Attempt, StepFailed
from desktop_agent.run.interactions import Grounded
from desktop_agent.run.verify import visibly_changed
from desktop_agent.safety.stop import StopToken
from desktop_agent.screen import coords

_STABLE_GAP_S = 0.02  # between the two captures a target must hold still across (about a frame or two)
_MARGIN = 24  # points around a target without a window, compared for stillness


def _same_place(a: Target, b: Target, tolerance: int = 2) -> bool:
    return abs(a.point.x - b.point.x) <= tolerance and abs(a.point.y - b.point.y) <= tolerance


class Finder:
    def __init__(self, *, senses: Senses, grounder: Grounder, stop: StopToken, find_timeout_s: float,
                 dry_run: bool, waiting: Callable[[Attempt, str], None] = lambda attempt, problem: None) -> None:
        """`waiting`: told once per step when a `wait for`/`expect` has looked and must poll on (why
        it is not so yet)."""
        self.senses = senses
        self.waiting = waiting
        self.grounder = grounder
        self.stop = stop
        self.find_timeout_s = find_timeout_s
        self.dry_run = dry_run
        self._earlier: Look | None = None  # the look before the latest one, this step's or the last's
        self._latest: Look | None = None

    def look(self, attempt: Attempt, *, allow_blank: bool = False, read: bool = True) -> Look:
        look = self.senses.look(allow_blank=allow_blank, read=read)
        attempt.looks.append(look)
        self._earlier, self._latest = self._latest, look
        return look

    def find(self, attempt: Attempt) -> tuple[Look, Grounded]:
        """Ground every target of the step and accept them only when a second capture shows them in
        the same place (visible, unique and stable, like an actionability check): the pixels of their
        windows unchanged, or — when something else there changed — grounded again to the same place.
        Waits up to `find_timeout_s` (a blank screen — a program still starting — counts as "not
        yet"; at the deadline it fails with the last reason)."""
        deadline = time.monotonic() + self.find_timeout_s
        previous: tuple[Target, ...] = ()
        while True:
            self.stop.raise_if_requested()
            try:
                look = self.look(attempt)
                with attempt.timed("ground"):
                    targets = tuple(self._ground(spec, look, attempt.index)
                                    for spec in target_specs(attempt.step.action))
                if ((previous and all(_same_place(a, b) for a, b in zip(previous, targets)))
                        or self._holds_still(look, targets)):
                    return look, Grounded(targets=targets)
                problem = (f"{targets[0].why} kept moving" if previous else "")
                previous = targets
            except (GroundingError, CaptureError) as exc:
                problem, previous = str(exc), ()
            if time.monotonic() >= deadline:
                raise StepFailed(StepStatus.FAILED, problem or "the target was seen only once")
            with attempt.timed("wait"):
                time.sleep(_STABLE_GAP_S if previous else 0.1)

    def _holds_still(self, look: Look, targets: tuple[Target, ...]) -> bool:
        """Each target's window shows the same pixels in a second capture at least `_STABLE_GAP_S`
        apart from the look: the look before it when that one still agrees (the screen had held still
        since then), else a new capture (usually no wait: reading the look took longer than the gap)."""
        frame = look.screen.frame
        earlier = self._earlier.screen.frame if self._earlier is not None else None
        for target in targets:
            window = look.screen.window_at(target.point)
            region = (window.box if window else target.box.inflate(_MARGIN)).intersection(frame.region)
            if region is None:
                return False
            if (earlier is not None and frame.monotonic - earlier.monotonic >= _STABLE_GAP_S
                    and earlier.region.contains_rect(region)
                    and not visibly_changed(coords.crop(earlier, region), coords.crop(frame, region))):
                continue
            time.sleep(max(0.0, frame.monotonic + _STABLE_GAP_S - time.monotonic()))
            if visibly_changed(coords.crop(frame, region), self.senses.grab(region)):
                return False
        return True

    def _ground(self, spec: TargetSpec, look: Look, index: int) -> Target:
        return self.grounder(spec, look.screen, index + 1)

    def observe(self, attempt: Attempt, action: WaitFor | Expect) -> StepResult:
        """`wait for` and `expect`: poll the screen, no side effect. An empty screen is a fine answer
        to "has it vanished?" (its window closed) and never one to "has it appeared?"."""
        step = attempt.step
        appear = action.appear if isinstance(action, WaitFor) else True
        timeout = action.timeout_s if isinstance(action, WaitFor) else self.find_timeout_s
        deadline = time.monotonic() + timeout
        told = False
        while True:
            self.stop.raise_if_requested()
            target, problem = self._seek(attempt, action.target, allow_blank=not appear)
            if (target is not None) == appear:
                return StepResult(step=step, status=StepStatus.SUCCEEDED, target=target, verified=True)
            if self.dry_run:  # nothing acted, so what earlier steps would change can't show
                return StepResult(step=step, status=StepStatus.SKIPPED, target=target,
                                  error="dry run: not so on the current screen; earlier steps may "
                                        "make it so in a real run")
            if time.monotonic() >= deadline:
                what = action.target.describe()
                message = (f"{what} did not appear within {timeout:g} s: {problem}" if appear
                           else f"{what} was still visible after {timeout:g} s")
                return StepResult(step=step, status=StepStatus.FAILED, target=target, error=message)
            if not told:
                self.waiting(attempt, problem)
                told = True
            with attempt.timed("wait"):
                time.sleep(0.15)

    def _seek(self, attempt: Attempt, spec: TargetSpec, *, allow_blank: bool) -> tuple[Target | None, str]:
        """One look for `spec`: the target, or None and why not (a blank screen is "not yet")."""
        try:
            look = self.look(attempt, allow_blank=allow_blank)
        except CaptureError as exc:
            return None, str(exc)
        with attempt.timed("ground"):
            try:
                return self._ground(spec, look, attempt.index), ""
            except GroundingError as exc:
                return None, str(exc)
