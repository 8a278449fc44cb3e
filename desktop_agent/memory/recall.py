"""Grounding that remembers: what a person corrected is found again, what they rejected is not proposed
again, and what was found for sure before backs up a target's words when they fail.

Its fallbacks (see grounding/fallbacks.py; `compose.grounding_order` puts them in order):
- `corrected`: a place a person corrected for this target, in this application, verified by its crop
  near the remembered place in the window (strategy "remembered-correction");
- `avoiding(fallback)`: the words (or a recording's locator) — but a result a person rejected for this
  target before is replaced by the one other match, or ends the search: never proposed again;
- `found_before`: when all else failed (absent, ambiguous), a place found before, verified the same way
  ("remembered").
The `learn_*` methods are what the runner tells it: a step verified, corrected (a point) or rejected.

Guaranteed: a remembered place is never used on its word alone — its crop must be found, unique, where
the place should be in a window of the same application (from its landmark text, within a few points;
without one, near its offset in the window); a place that fails this is counted as a miss.
Memory problems (an unusable file) are the caller's to trace; they raise AgentError here.
Not guaranteed: that two different targets that look alike in the same spot are told apart.
"""
from __future__ import annotations

import functools
import shlex
from dataclasses import replace

import numpy as np

from desktop_agent.core.errors import GroundingError
from desktop_agent.core.values import Point, Rect, Screen, Target, TargetSpec, Window
from desktop_agent.grounding.fallbacks import (
    Fallback,
    FinalGroundingError,
    crop_size,
    find_crop,
    target_at,
    within,
)
from desktop_agent.grounding.locators import Locator
from desktop_agent.grounding.make_locator import locate
from desktop_agent.grounding.resolve import TemplateMatcher, find_all, ground
from desktop_agent.memory.feedback import FeedbackKind, record_feedback
from desktop_agent.memory.places import Places, RememberedPlace, Source
from desktop_agent.memory.store import MemoryStore

NEAR = 80          # points around the remembered place where its crop is looked for
NEAR_LANDMARK = 12  # the same, when the place was found again from its landmark text
_SAME_BOX = 0.5    # IoU at which a proposal is the one that was rejected


class Recall:
    def __init__(self, *, store: MemoryStore, run_id: str, match_template: TemplateMatcher, task: str = "",
                 learns: bool = True) -> None:
        """`task`: the name of the task being run (its steps learn places, and only they use them);
        `learns`: False for a dry run, which grounds as a real run would and counts nothing."""
        self.task = " ".join(task.split())  # one line, no tabs: how `places` keeps a learner
        self.learns = learns
        self.places = Places(store)
        self.store = store
        self.run_id = run_id
        self.match_template = match_template

    # ------------------------------------------------------------ grounding
    @property
    def corrected(self) -> Fallback:
        return Fallback(name="remembered-correction", find=functools.partial(self._place, Source.CORRECTED))

    @property
    def found_before(self) -> Fallback:
        return Fallback(name="remembered", find=functools.partial(self._place, Source.GROUNDED))

    def avoiding(self, fallback: Fallback) -> Fallback:
        """`fallback`, unless what it finds is what a person rejected for the target before."""
        def find(spec: TargetSpec, screen: Screen, step: int) -> Target | None:
            target = fallback.find(spec, screen, step)
            return None if target is None else self._unless_rejected(spec, spec.describe(), target, screen)
        return Fallback(name=fallback.name, find=find)

    def _place(self, source: Source, spec: TargetSpec, screen: Screen, step: int) -> Target | None:
        """A place of `source` that this very task step learned, verified where it should be now."""
        key = spec.describe()
        for window, place in self._remembered(key, screen):
            if (place.source is source and (self.task, step) in place.learned_by
                    and (found := self._verify(key, place, window, screen))):
                return replace(found, why=_why_remembered(place, spec, screen, window, step))
        return None

    def _remembered(self, key: str, screen: Screen) -> list[tuple[Window, RememberedPlace]]:
        """Places remembered for `key` in the applications on screen, topmost window first."""
        return [(window, place) for window in reversed(screen.windows)
                for place in self.places.places(window.wm_class, window.title, key)]

    def _verify(self, key: str, place: RememberedPlace, window: Window, screen: Screen) -> Target | None:
        locator = place.locator
        if place.crop_path is None or locator.crop_point is None:
            return None  # no appearance to check it by: a bare point is never trusted
        width, height = crop_size(place.crop_path)
        point, slack = self._expected(locator, window, screen)
        expected = Rect(left=point.x - locator.crop_point.x, top=point.y - locator.crop_point.y, width=width,
                        height=height)
        area = expected.inflate(slack).intersection(window.box)
        area = area.intersection(screen.frame.region) if area is not None else None
        try:
            if area is None:
                raise GroundingError("the remembered place is off screen")
            point, _ = find_crop(place.crop_path, locator.crop_point, screen, area, self.match_template)
        except GroundingError:
            if self.learns:
                self.places.place_missed(app=window.wm_class, window_title=_title(locator), target=key)
            return None
        strategy = "remembered-correction" if place.source is Source.CORRECTED else "remembered"
        return target_at(point, screen, strategy, f'remembered in "{window.title}"')

    @staticmethod
    def _expected(locator: Locator, window: Window, screen: Screen) -> tuple[Point, int]:
        """Where the place should be now, and how far from it its look is searched: from its landmark
        text when that is in the window (alike-looking neighbours, such as a column of empty fields,
        are then out of reach), else from the window's corner."""
        anchor = locator.anchor
        if anchor is not None:
            try:
                found = ground(TargetSpec(text=anchor.text), within(screen, window))
                return Point(x=found.point.x + anchor.dx, y=found.point.y + anchor.dy), NEAR_LANDMARK
            except GroundingError:
                pass
        return Point(x=window.box.left + locator.offset.x, y=window.box.top + locator.offset.y), NEAR

    def _unless_rejected(self, spec: TargetSpec, key: str, target: Target, screen: Screen) -> Target:
        window = screen.window_at(target.point)
        if window is None:
            return target
        rejected = [_absolute(box, window) for box in self.places.rejected(window.wm_class, window.title, key)]
        if not any(target.box.iou(box) >= _SAME_BOX for box in rejected):
            return target
        try:
            others = [c.element for c in find_all(spec, screen)
                      if not any(c.element.box.iou(box) >= _SAME_BOX for box in rejected)]
        except ValueError:  # an image or a point: nothing else to choose from
            others = []
        if len(others) != 1:
            raise FinalGroundingError(f"{key}: a person rejected {target.why} before, and "
                                      f"{'no' if not others else len(others)} other match(es) are left "
                                      f"(to take that back: desktop-agent memory unlearn {shlex.quote(key)} "
                                      "--only rejection)")
        element = others[0]
        return replace(target, box=element.box, point=element.box.center, element=element,
                       why=f"{target.why.split(' at ')[0]}: the match a person rejected before is avoided")

    # ------------------------------------------------------------ learning
    def learn_success(self, locator: Locator, crop: np.ndarray) -> None:
        """A step named by words acted on its target and was verified: remember where it was and how it
        looked (`locate`'s locator and crop for it, which the run's trace keeps too)."""
        self._keep(locator, crop, Source.GROUNDED)

    def learn_correction(self, index: int, spec: TargetSpec, point: Point, screen: Screen,
                         proposed: Target | None = None) -> None:
        """A person pointed at `point` instead of what was `proposed` for `spec`: the place is remembered,
        and the proposal (unless the person pointed inside it) is not proposed again."""
        record_feedback(self.store, run_id=self.run_id, step_index=index, kind=FeedbackKind.CORRECTED,
                        detail=f"{spec.describe()}: pointed at {point.x},{point.y}")
        under = target_at(point, screen, "point", "")
        self._remember(spec.describe(), index + 1, point, under, screen, Source.CORRECTED)
        if proposed is not None and not proposed.box.contains(point):
            self._reject(spec, proposed, screen)

    def learn_rejection(self, index: int, spec: TargetSpec, target: Target, screen: Screen) -> None:
        """A person said `target` is the wrong one for `spec` (they rewrote the step)."""
        record_feedback(self.store, run_id=self.run_id, step_index=index, kind=FeedbackKind.REJECTED,
                        detail=target.why)
        self._reject(spec, target, screen)

    def _reject(self, spec: TargetSpec, target: Target, screen: Screen) -> None:
        window = screen.window_at(target.point)
        if window is not None:
            self.places.reject(app=window.wm_class, window_title=window.title, target=spec.describe(),
                               box=_relative(target.box, window))

    def learn_approval(self, index: int, step_text: str) -> None:
        record_feedback(self.store, run_id=self.run_id, step_index=index, kind=FeedbackKind.APPROVED,
                        detail=step_text)

    def _remember(self, key: str, step: int, point: Point, target: Target, screen: Screen,
                  source: Source) -> None:
        self._keep(*locate(point, screen, target=key, step=step, element=target.element), source)

    def _keep(self, locator: Locator, crop: np.ndarray, source: Source) -> None:
        window = locator.window
        if window is None:
            return  # the bare desktop has no application to remember it for
        self.places.remember_place(app=window.wm_class, window_title=window.title, target=locator.target,
                                   locator=locator, crop=crop, source=source,
                                   learner=(self.task, locator.step) if locator.step else None)


def _why_remembered(place: RememberedPlace, spec: TargetSpec, screen: Screen, window: Window, step: int) -> str:
    where = f'in "{window.title}" ({place.hits} hit(s))'
    if place.source is Source.CORRECTED:
        return f"a person pointed here before, at step {step} of this task, {where}"
    try:
        matches = len(find_all(spec, screen))
    except ValueError:  # an image or a point: no words to match
        matches = 0
    return (f"the words match {matches} element(s) here; memory chose where step {step} of this task found "
            f"it before, {where}")


def _title(locator: Locator) -> str:
    return locator.window.title if locator.window is not None else ""


def _relative(box: Rect, window: Window) -> Rect:
    return Rect(left=box.left - window.box.left, top=box.top - window.box.top, width=box.width, height=box.height)


def _absolute(box: Rect, window: Window) -> Rect:
    return Rect(left=box.left + window.box.left, top=box.top + window.box.top, width=box.width, height=box.height)
