"""The only place that converts between image pixels and screen points.

A `Frame` holds the pixels of `frame.region` (screen points) at `frame.scale` pixels per point. Screen
points are the virtual-desktop coordinates the input layer uses; monitors sit at offsets in that space and
may each have their own scale.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import cv2

from desktop_agent.core.values import Frame, Monitor, Point, Rect


def point_image_to_screen(frame: Frame, point: Point) -> Point:
    return Point(x=frame.region.left + math.floor(point.x / frame.scale),
                 y=frame.region.top + math.floor(point.y / frame.scale))


def point_screen_to_image(frame: Frame, point: Point) -> Point:
    return Point(x=round((point.x - frame.region.left) * frame.scale),
                 y=round((point.y - frame.region.top) * frame.scale))


def image_to_screen(frame: Frame, box: Rect) -> Rect:
    """Pixel box -> the smallest point box covering it."""
    s = frame.scale
    return Rect.from_corners(frame.region.left + math.floor(box.left / s),
                             frame.region.top + math.floor(box.top / s),
                             frame.region.left + math.ceil(box.right / s),
                             frame.region.top + math.ceil(box.bottom / s))


def screen_to_image(frame: Frame, box: Rect) -> Rect:
    """Point box -> pixel box, clipped to the image."""
    s = frame.scale
    height, width = frame.image.shape[:2]
    left = max(0, round((box.left - frame.region.left) * s))
    top = max(0, round((box.top - frame.region.top) * s))
    right = min(width, round((box.right - frame.region.left) * s))
    bottom = min(height, round((box.bottom - frame.region.top) * s))
    return Rect.from_corners(left, top, max(left, right), max(top, bottom))


def crop(frame: Frame, box: Rect) -> Frame:
    """A sub-frame showing `box` (screen points), clipped to what `frame` holds."""
    inside = frame.region.intersection(box)
    if inside is None:
        raise ValueError(f"{box} lies outside the captured region {frame.region}")
    px = screen_to_image(frame, inside)
    image = frame.image[px.top:px.bottom, px.left:px.right]
    return Frame(image=image, region=inside, scale=frame.scale, monotonic=frame.monotonic)


def virtual_bounds(monitors: Sequence[Monitor]) -> Rect:
    """The box of the whole virtual desktop."""
    if not monitors:
        raise ValueError("no monitors")
    box = monitors[0].bounds
    for monitor in monitors[1:]:
        box = box.union(monitor.bounds)
    return box


def monitor_from_pixels(index: int, *, left: int, top: int, width_px: int, height_px: int,
                        scale: float = 1.0) -> Monitor:
    """A monitor reported in physical pixels at (left, top) points, shown at `scale` pixels per point."""
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    return Monitor(index=index, scale=scale,
                   bounds=Rect(left=left, top=top, width=round(width_px / scale),
                               height=round(height_px / scale)))


def downscaled(frame: Frame, *, max_side: int) -> Frame:
    """`frame` with its image scaled down (never up) so that neither side exceeds `max_side` pixels; its
    `scale` says the new pixels per point, so the conversions above hold for it unchanged."""
    height, width = frame.image.shape[:2]
    factor = min(1.0, max_side / max(width, height))
    if factor >= 1.0:
        return frame
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    image = cv2.resize(frame.image, size, interpolation=cv2.INTER_AREA)
    return Frame(image=image, region=frame.region, scale=frame.scale * size[0] / width,
                 monotonic=frame.monotonic)
