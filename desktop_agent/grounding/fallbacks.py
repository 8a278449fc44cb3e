"""Grounding with fallbacks: a target's words first, then what a recording knows about it.

A `Grounder` is what the runner calls to find a step's target: `(spec, screen, step) -> Target` or
GroundingError. `plain_grounder` is `grounding.ground`. `ReplayGrounder` tries, in order:

1. the step's own words (text, label, role, relation) — strategy as `ground` reports it;
2. the recorded crop, template-matched inside the window it was recorded in — "recorded-template";
3. the recorded anchor text, found (unique) in that window, plus the recorded offset — "recorded-anchor";
4. the recorded point, only when a window of the same class, title and size is there — "recorded-point"
   (the default policy asks a person before acting on it: nothing on screen confirms the target).

Guaranteed: every fallback is tied to the window the target was recorded in (same class, and the same
title when there are several), so a target is never looked for in an unrelated window; the failure
message lists what each strategy tried. Not guaranteed: that a recorded point still holds the element
(only its window is checked) — which is why the policy treats it apart.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import cv2

from desktop_agent.core.errors import GroundingError
from desktop_agent.core.values import Point, Screen, Target, TargetSpec, Window
from desktop_agent.grounding.locators import Locator, WindowRef, for_target
from desktop_agent.grounding.resolve import TemplateMatcher, ground
from desktop_agent.screen.coords import image_to_screen, screen_to_image

Grounder = Callable[[TargetSpec, Screen, int], Target]
"""(what the step names, the perceived screen, 1-based step number) -> the one target, or GroundingError."""


def plain_grounder(match_template: TemplateMatcher | None, base_dir: Path) -> Grounder:
    def grounder(spec: TargetSpec, screen: Screen, step: int) -> Target:
        return ground(spec, screen, match_template=match_template, base_dir=base_dir)
    return grounder


class ReplayGrounder:
    """The words first, then the recording's locators for that target (see the module docstring)."""

    def __init__(self, *, locators: Sequence[Locator], assets: Path, words: Grounder,
                 match_template: TemplateMatcher) -> None:
        self.locators = tuple(locators)
        self.assets = assets
        self.words = words
        self.match_template = match_template

    def __call__(self, spec: TargetSpec, screen: Screen, step: int) -> Target:
        try:
            return self.words(spec, screen, step)
        except GroundingError as failure:
            first = failure
        locators = for_target(self.locators, spec.describe(), step)
        if not locators:
            raise first
        tried = [f"by its words: {first}"]
        for locator in locators:
            for name, strategy in (("recorded-template", self._template), ("recorded-anchor", self._anchor),
                                   ("recorded-point", self._point)):
                try:
                    return strategy(locator, screen)
                except GroundingError as exc:
                    tried.append(f"{name}: {exc}")
        raise GroundingError(f"{spec.describe()} not found; " + "; ".join(tried),
                             candidates=first.candidates)

    def _template(self, locator: Locator, screen: Screen) -> Target:
        if locator.crop is None or locator.crop_point is None:
            raise GroundingError("no crop was recorded")
        window = recorded_window(locator.window, screen)
        path = self.assets / locator.crop
        frame = screen.frame
        area = frame.region if window is None else window.box.intersection(frame.region)
        if area is None:
            raise GroundingError(f'window "{window.title if window else ""}" is off screen')
        box = image_to_screen(frame, self.match_template(frame.image, path, screen_to_image(frame, area)))
        width, height = crop_size(path)
        point = Point(x=box.left + round(locator.crop_point.x * box.width / width),
                      y=box.top + round(locator.crop_point.y * box.height / height))
        return target_at(point, screen, "recorded-template", f"recorded crop {locator.crop} at {box.left},{box.top}")

    def _anchor(self, locator: Locator, screen: Screen) -> Target:
        anchor = locator.anchor
        if anchor is None:
            raise GroundingError("no anchor text was recorded")
        window = recorded_window(locator.window, screen)
        found = ground(TargetSpec(text=anchor.text), within(screen, window))
        point = Point(x=found.point.x + anchor.dx, y=found.point.y + anchor.dy)
        if window is not None and not window.box.contains(point):
            raise GroundingError(f'the offset from "{anchor.text}" leaves window "{window.title}"')
        return target_at(point, screen, "recorded-anchor",
                   f'{anchor.dx:+d},{anchor.dy:+d} from "{anchor.text}" at {found.point.x},{found.point.y}')

    def _point(self, locator: Locator, screen: Screen) -> Target:
        recorded = locator.window
        if recorded is None:
            raise GroundingError("recorded on the bare desktop: no window to check")
        window = recorded_window(recorded, screen)
        if window is None or window.title != recorded.title or (
                (window.box.width, window.box.height) != (recorded.width, recorded.height)):
            raise GroundingError(f'no window "{recorded.title}" of the recorded size '
                                 f"{recorded.width}x{recorded.height}")
        point = Point(x=window.box.left + locator.offset.x, y=window.box.top + locator.offset.y)
        return target_at(point, screen, "recorded-point",
                   f'recorded place {locator.offset.x},{locator.offset.y} in window "{window.title}"')


def recorded_window(recorded: WindowRef | None, screen: Screen) -> Window | None:
    """The window on `screen` a locator belongs to: the same class, and the same title if several
    share the class. None for a target recorded on the bare desktop; GroundingError when it is gone."""
    if recorded is None:
        return None
    same_class = [w for w in screen.windows if w.wm_class == recorded.wm_class]
    titled = [w for w in same_class if w.title == recorded.title]
    if len(titled) == 1 or (not titled and len(same_class) == 1):
        return (titled or same_class)[0]
    if not same_class:
        raise GroundingError(f'no window of class "{recorded.wm_class}" (recorded in "{recorded.title}")')
    raise GroundingError(f'{len(titled) or len(same_class)} windows could be "{recorded.title}"')


def within(screen: Screen, window: Window | None) -> Screen:
    if window is None:
        return screen
    return replace(screen, elements=tuple(e for e in screen.elements if e.window_id == window.id
                                          or (e.window_id is None and window.box.contains(e.box.center))))


def target_at(point: Point, screen: Screen, strategy: str, why: str) -> Target:
    """A target at `point`, on the innermost element there (what verification checks)."""
    found = ground(TargetSpec(point=point), screen)
    return replace(found, strategy=strategy, why=why)


@lru_cache(maxsize=256)
def crop_size(path: Path) -> tuple[int, int]:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise GroundingError(f"cannot read the recorded crop {path}")
    return image.shape[1], image.shape[0]
