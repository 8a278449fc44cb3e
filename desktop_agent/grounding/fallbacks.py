"""The order a target is looked for in: `in_order(fallbacks)` is the runner's `Grounder`, trying each
`Fallback` in turn until one finds the target. What the fallbacks are, and their order, is written
once (`compose.grounding_order`): what a person pointed at before (memory), the step's own words, what
a recording kept, where it was found before (memory). Those here:

- `by_words`: the step's own words (text, label, role, relation) — strategy as `ground` reports it;
- `Recorded.fallbacks()`, from a recording's locators for the target (the one recorded at this step
  first): its crop, template-matched inside the window it was recorded in — "recorded-template"; its
  anchor text, found (unique) in that window, plus the recorded offset — "recorded-anchor"; its point,
  only when a window of the same class, title and size is there — "recorded-point" (the default policy
  asks a person before acting on it: nothing on screen confirms the target).

Guaranteed: every recorded fallback is tied to the window the target was recorded in (same class, and
the same title when there are several), so a target is never looked for in an unrelated window; when
every fallback fails, the message lists what each tried (just the words' failure when nothing else had
anything to try), with the words' candidates. A `FinalGroundingError` ends the search at once (a person
rejected what was found). Not guaranteed: that a recorded point still holds the element (only its
window is checked) — which is why the policy treats it apart.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import cv2

from desktop_agent.core.errors import GroundingError
from desktop_agent.core.values import Point, Rect, Screen, Target, TargetSpec, Window, frozen
from desktop_agent.grounding.locators import Locator, WindowRef, for_target
from desktop_agent.grounding.resolve import TemplateMatcher, ground
from desktop_agent.screen.coords import image_to_screen, screen_to_image

Grounder = Callable[[TargetSpec, Screen, int], Target]
"""(what the step names, the perceived screen, 1-based step number) -> the one target, or GroundingError."""


class FinalGroundingError(GroundingError):
    """Ends the search: no later fallback may find the target instead (a person rejected what was found)."""


@frozen
class Fallback:
    """One way of finding a target: `find` returns it, None when it has nothing to try for this target,
    or raises GroundingError saying why it failed."""

    name: str
    find: Callable[[TargetSpec, Screen, int], Target | None]


def in_order(fallbacks: Sequence[Fallback]) -> Grounder:
    """A grounder trying `fallbacks` in order (see the module docstring)."""
    def grounder(spec: TargetSpec, screen: Screen, step: int) -> Target:
        failures: list[tuple[str, GroundingError]] = []
        for fallback in fallbacks:
            try:
                found = fallback.find(spec, screen, step)
            except FinalGroundingError:
                raise
            except GroundingError as exc:
                failures.append((fallback.name, exc))
                continue
            if found is not None:
                return found
        if not failures:
            raise GroundingError(f"{spec.describe()} not found")
        if len(failures) == 1:
            raise failures[0][1]
        tried = "; ".join(f"{name}: {exc}" for name, exc in failures)
        raise GroundingError(f"{spec.describe()} not found; {tried}", candidates=failures[0][1].candidates)
    return grounder


def by_words(match_template: TemplateMatcher | None, base_dir: Path) -> Fallback:
    return Fallback(name="by its words", find=lambda spec, screen, step: ground(
        spec, screen, match_template=match_template, base_dir=base_dir))


def plain_grounder(match_template: TemplateMatcher | None, base_dir: Path) -> Grounder:
    """By the words alone."""
    return in_order([by_words(match_template, base_dir)])


class Recorded:
    """What a recording kept about its targets (its locators and their crops in `assets`), as fallbacks."""

    def __init__(self, *, locators: Sequence[Locator], assets: Path, match_template: TemplateMatcher) -> None:
        self.locators = tuple(locators)
        self.assets = assets
        self.match_template = match_template

    def fallbacks(self) -> list[Fallback]:
        return [self._each_locator("recorded-template", self._template),
                self._each_locator("recorded-anchor", self._anchor),
                self._each_locator("recorded-point", self._point)]

    def _each_locator(self, name: str, strategy: Callable[[Locator, Screen], Target]) -> Fallback:
        def find(spec: TargetSpec, screen: Screen, step: int) -> Target | None:
            locators = for_target(self.locators, spec.describe(), step)
            if not locators:
                return None
            failures = []
            for locator in locators:
                try:
                    return strategy(locator, screen)
                except GroundingError as exc:
                    failures.append(str(exc))
            raise GroundingError("; ".join(failures))
        return Fallback(name=name, find=find)

    def _template(self, locator: Locator, screen: Screen) -> Target:
        if locator.crop is None or locator.crop_point is None:
            raise GroundingError("no crop was recorded")
        window = recorded_window(locator.window, screen)
        path = self.assets / locator.crop
        frame = screen.frame
        area = frame.region if window is None else window.box.intersection(frame.region)
        if area is None:
            raise GroundingError(f'window "{window.title if window else ""}" is off screen')
        point, box = find_crop(path, locator.crop_point, screen, area, self.match_template)
        return target_at(point, screen, "recorded-template",
                         f"recorded crop {locator.crop} at {box.left},{box.top}")

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


def find_crop(crop: Path, crop_point: Point, screen: Screen, area: Rect,
              match_template: TemplateMatcher) -> tuple[Point, Rect]:
    """Where a kept crop is now — template-matched, unique, inside `area` of the screen — and where its
    point (`crop_point`, in the crop) is, scaled with the match. GroundingError when it isn't there."""
    frame = screen.frame
    box = image_to_screen(frame, match_template(frame.image, crop, screen_to_image(frame, area)))
    width, height = crop_size(crop)
    return Point(x=box.left + round(crop_point.x * box.width / width),
                 y=box.top + round(crop_point.y * box.height / height)), box


@lru_cache(maxsize=256)
def crop_size(path: Path) -> tuple[int, int]:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise GroundingError(f"cannot read the recorded crop {path}")
    return image.shape[1], image.shape[0]
