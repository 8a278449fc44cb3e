"""Replay grounding: words first, then the recording's crop, anchor and point — each tied to its window."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from fakes import FakeDesktop

from desktop_agent.compose import grounding_order
from desktop_agent.core.errors import GroundingError
from desktop_agent.core.events import RunFinished
from desktop_agent.core.results import RunStatus, StepStatus
from desktop_agent.core.values import Element, Frame, Point, Rect, Role, Screen, Window
from desktop_agent.grounding.fallbacks import Recorded, by_words, in_order, recorded_window
from desktop_agent.grounding.locators import AnchorRef, Locator, WindowRef
from desktop_agent.language.steps import parse_target, plan_from_steps
from desktop_agent.run.runner import Runner, RunOptions
from desktop_agent.run.trace import Trace
from desktop_agent.safety.audit import AuditLog
from desktop_agent.safety.guard import Guard
from desktop_agent.safety.policy import load_policy
from desktop_agent.safety.stop import StopToken
from desktop_agent.screen.coords import screen_to_image

RECORDED = WindowRef(title="Orders", wm_class="orders", width=400, height=300)
ICON_SPEC = parse_target('"Send"')


def window(left=100, top=100, width=400, height=300, title="Orders", wm_class="orders", id=1):
    return Window(id=id, title=title, wm_class=wm_class, box=Rect(left=left, top=top, width=width,
                                                                   height=height))


def screen(*elements, windows=(window(),)):
    image = np.full((600, 800, 3), 40, np.uint8)
    return Screen(frame=Frame(image=image, region=Rect(left=0, top=0, width=800, height=600)),
                  elements=tuple(elements), windows=tuple(windows))


def text(label, left, top, window_id=1, role=Role.TEXT):
    return Element(role=role, box=Rect(left=left, top=top, width=60, height=16), text=label,
                   window_id=window_id)


def locator(**fields):
    values = dict(target=ICON_SPEC.describe(), step=1, window=RECORDED, offset=Point(x=150, y=200),
                  crop="step001.png", crop_point=Point(x=10, y=8),
                  anchor=AnchorRef(text="Total", dx=100, dy=0))
    return Locator(**{**values, **fields})


class FakeMatcher:
    """Finds the crop at `box` (image pixels), only inside the region it is given; records calls."""

    def __init__(self, box: Rect | None) -> None:
        self.box, self.regions = box, []

    def __call__(self, image, path, region):
        self.regions.append(region)
        if self.box is None or (region is not None and not region.contains_rect(self.box)):
            raise GroundingError(f"template {path.name} not found")
        return self.box


@pytest.fixture
def assets(tmp_path: Path) -> Path:
    cv2.imwrite(str(tmp_path / "step001.png"), np.zeros((16, 20, 3), np.uint8))
    return tmp_path


def grounder(assets, matcher, locators=None):
    recorded = Recorded(locators=locators if locators is not None else [locator()], assets=assets,
                        match_template=matcher)
    return in_order(grounding_order(words=by_words(None, assets), recorded=recorded.fallbacks()))


def test_the_words_win_when_they_ground(assets):
    matcher = FakeMatcher(Rect(left=0, top=0, width=20, height=16))
    target = grounder(assets, matcher)(ICON_SPEC, screen(text("Send", 300, 300)), 1)
    assert target.strategy.startswith("text") and matcher.regions == []


def test_the_crop_is_searched_inside_the_recorded_window_even_when_it_moved(assets):
    moved = window(left=300, top=200)
    matcher = FakeMatcher(Rect(left=500, top=350, width=20, height=16))
    target = grounder(assets, matcher)(ICON_SPEC, screen(windows=(moved,)), 1)
    assert target.strategy == "recorded-template"
    assert target.point == Point(x=510, y=358)  # the crop's top-left plus the recorded point inside it
    assert matcher.regions == [screen_to_image(screen().frame, moved.box)]


def test_a_scaled_match_scales_the_point_inside_the_crop(assets):
    matcher = FakeMatcher(Rect(left=200, top=200, width=40, height=32))  # twice the crop's size
    target = grounder(assets, matcher)(ICON_SPEC, screen(), 1)
    assert target.point == Point(x=220, y=216)


def test_the_anchor_and_offset_are_next_when_the_crop_is_not_found(assets):
    moved = window(left=200, top=150)
    total = text("Total", 250, 250)
    target = grounder(assets, FakeMatcher(None))(ICON_SPEC, screen(total, windows=(moved,)), 1)
    assert target.strategy == "recorded-anchor"
    assert target.point == Point(x=total.box.center.x + 100, y=total.box.center.y)


def test_an_anchor_in_another_window_does_not_count(assets):
    other = window(left=520, top=0, width=200, height=200, title="Notes", wm_class="notes", id=2)
    elsewhere = text("Total", 540, 50, window_id=2)
    resized = window(width=380)
    with pytest.raises(GroundingError) as failure:
        grounder(assets, FakeMatcher(None))(ICON_SPEC, screen(elsewhere, windows=(resized, other)), 1)
    message = str(failure.value)
    assert "recorded-template" in message and "recorded-anchor" in message and "recorded-point" in message


def test_the_recorded_point_needs_the_same_window_at_the_same_size(assets):
    moved = window(left=300, top=250)
    target = grounder(assets, FakeMatcher(None))(ICON_SPEC, screen(windows=(moved,)), 1)
    assert target.strategy == "recorded-point" and target.point == Point(x=450, y=450)
    with pytest.raises(GroundingError, match="recorded size 400x300"):
        grounder(assets, FakeMatcher(None))(ICON_SPEC, screen(windows=(window(width=500),)), 1)


def test_no_locator_for_the_target_gives_the_words_failure(assets):
    other = locator(target='"Cancel"')
    with pytest.raises(GroundingError, match='no text matches "Send"|"Send"'):
        grounder(assets, FakeMatcher(None), [other])(ICON_SPEC, screen(), 1)


def test_the_locator_recorded_at_this_step_is_tried_first(assets):
    first = locator(step=1, offset=Point(x=10, y=10), crop=None, anchor=None)
    third = locator(step=3, offset=Point(x=20, y=20), crop=None, anchor=None)
    target = grounder(assets, FakeMatcher(None), [first, third])(ICON_SPEC, screen(), 3)
    assert target.point == Point(x=120, y=120)


def test_a_window_is_matched_by_class_then_title():
    one, two = window(title="a.txt", id=1), window(title="b.txt", id=2)
    assert recorded_window(WindowRef(title="b.txt", wm_class="orders", width=1, height=1),
                           screen(windows=(one, two))) == two
    with pytest.raises(GroundingError, match="2 windows"):
        recorded_window(WindowRef(title="c.txt", wm_class="orders", width=1, height=1),
                        screen(windows=(one, two)))
    assert recorded_window(WindowRef(title="c.txt", wm_class="orders", width=1, height=1),
                           screen(windows=(one,))) == one
    with pytest.raises(GroundingError, match='no window of class "orders"'):
        recorded_window(RECORDED, screen(windows=()))


# ---------------------------------------------------------------- the runner's stability check
def _run(desktop, steps, tmp_path, policy=None):
    stop = StopToken()
    guard = Guard(policy=policy or load_policy(None), actuator=desktop.actuator,
                  audit=AuditLog(tmp_path / "audit.jsonl"), stop=stop, own_pids=frozenset({999}))
    runner = Runner(senses=desktop, guard=guard, stop=stop, trace=Trace(tmp_path / "trace"),
                    options=RunOptions(find_timeout_s=0.3, settle_timeout_s=0.2))
    finished = list(runner.run(plan_from_steps(steps)))[-1]
    assert isinstance(finished, RunFinished)
    return finished


def _button_at(left):
    image = np.full((600, 800, 3), 40, np.uint8)
    image[100:400, 100:500] = 200
    image[300:316, left:left + 60] = 90  # the button, drawn where it is
    return Screen(frame=Frame(image=image, region=Rect(left=0, top=0, width=800, height=600)),
                  elements=(text("OK", left, 300, role=Role.BUTTON),), windows=(window(),))


def test_a_target_still_moving_is_not_acted_on_until_it_stops(tmp_path):
    sliding = [_button_at(150), _button_at(200), _button_at(250), _button_at(250)]
    desktop = FakeDesktop(sliding, advance_on_look=True)
    _run(desktop, ['click "OK"'], tmp_path)
    clicked = desktop.actuator.operations[0].point
    assert clicked == Point(x=280, y=308)  # where it came to rest, seen twice


def test_a_target_that_never_stops_moving_fails_without_acting(tmp_path):
    desktop = FakeDesktop([_button_at(100 + 7 * i) for i in range(60)], advance_on_look=True)
    finished = _run(desktop, ['click "OK"'], tmp_path)
    assert finished.status is RunStatus.FAILED
    assert finished.results[0].status is StepStatus.FAILED and "kept moving" in finished.results[0].error
    assert desktop.actuator.operations == []
