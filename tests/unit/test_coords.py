import numpy as np
import pytest

from desktop_agent.core.values import Frame, Point, Rect
from desktop_agent.screen import coords

# Two monitors: a 1920x1080 one at the origin (scale 1) and a HiDPI 2560x1440-pixel one to its right,
# shown at 2 pixels per point and 200 points lower.
LEFT = coords.monitor_from_pixels(1, left=0, top=0, width_px=1920, height_px=1080, scale=1.0)
RIGHT = coords.monitor_from_pixels(2, left=1920, top=200, width_px=2560, height_px=1440, scale=2.0)


def frame_of(monitor, *, fill=0):
    w, h = round(monitor.bounds.width * monitor.scale), round(monitor.bounds.height * monitor.scale)
    return Frame(image=np.full((h, w, 3), fill, np.uint8), region=monitor.bounds, scale=monitor.scale)


def test_hidpi_monitor_has_point_size():
    assert RIGHT.bounds == Rect(left=1920, top=200, width=1280, height=720)


def test_points_round_trip_on_both_monitors():
    for monitor in (LEFT, RIGHT):
        frame = frame_of(monitor)
        p = Point(x=monitor.bounds.left + 101, y=monitor.bounds.top + 57)
        assert coords.point_image_to_screen(frame, coords.point_screen_to_image(frame, p)) == p


def test_pixel_on_scaled_monitor_maps_with_offset():
    frame = frame_of(RIGHT)
    assert coords.point_image_to_screen(frame, Point(x=200, y=100)) == Point(x=2020, y=250)
    assert coords.point_screen_to_image(frame, Point(x=2020, y=250)) == Point(x=200, y=100)


def test_box_mapping_covers_the_pixels():
    frame = frame_of(RIGHT)
    box = coords.image_to_screen(frame, Rect(left=11, top=11, width=9, height=9))
    assert box == Rect.from_corners(1925, 205, 1930, 210)
    assert coords.screen_to_image(frame, box) == Rect.from_corners(10, 10, 20, 20)


def test_screen_to_image_clips_to_the_image():
    frame = frame_of(LEFT)
    assert coords.screen_to_image(frame, Rect(left=1900, top=-5, width=50, height=10)) == \
        Rect.from_corners(1900, 0, 1920, 5)


def test_crop_keeps_coordinates_consistent():
    frame = frame_of(RIGHT)
    frame.image[20:40, 30:50] = 255  # pixels of the point box (1935, 210)-(1945, 220)
    sub = coords.crop(frame, Rect(left=1930, top=205, width=20, height=20))
    assert sub.region == Rect(left=1930, top=205, width=20, height=20)
    assert sub.image.shape[:2] == (40, 40)
    white = coords.screen_to_image(sub, Rect(left=1935, top=210, width=10, height=10))
    assert sub.image[white.top:white.bottom, white.left:white.right].min() == 255


def test_crop_outside_fails():
    with pytest.raises(ValueError):
        coords.crop(frame_of(LEFT), Rect(left=5000, top=0, width=5, height=5))


def test_virtual_bounds():
    monitors = (LEFT, RIGHT)
    assert coords.virtual_bounds(monitors) == Rect.from_corners(0, 0, 3200, 1080)
