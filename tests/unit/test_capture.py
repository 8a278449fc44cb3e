"""Grabber: a failed capture is a property of the whole capture, not of a region of one colour."""
from __future__ import annotations

import numpy as np
import pytest

from desktop_agent.core.errors import CaptureError
from desktop_agent.core.values import Rect
from desktop_agent.screen.capture import Grabber


class OneColourScreen:
    """Stands in for mss: a 1920x1080 monitor whose every pixel is white."""

    monitors = [{"left": 0, "top": 0, "width": 1920, "height": 1080},
                {"left": 0, "top": 0, "width": 1920, "height": 1080}]

    def grab(self, box: dict) -> np.ndarray:
        return np.full((box["height"], box["width"], 4), 255, np.uint8)


@pytest.fixture
def grabber() -> Grabber:
    grabber = Grabber()
    grabber._local.mss = OneColourScreen()
    return grabber


def test_a_region_of_one_colour_is_something_seen(grabber):
    frame = grabber.grab(Rect(left=100, top=100, width=49, height=49))  # an empty page, a canvas
    assert frame.image.shape == (49, 49, 3)


def test_a_whole_capture_of_one_colour_is_refused(grabber):
    with pytest.raises(CaptureError, match="blank"):
        grabber.grab()
    with pytest.raises(CaptureError, match="blank"):
        grabber.grab(Rect(left=0, top=0, width=1920, height=1080))
    assert grabber.grab(allow_blank=True).image.shape == (1080, 1920, 3)
