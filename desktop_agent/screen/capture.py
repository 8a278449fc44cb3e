"""Screen capture with mss: one grabber per thread, blank and failed captures refused.

Guarantees: a `Frame` returned by `Grabber.grab` holds real pixels of the requested region (BGR,
contiguous); a capture of the whole desktop was checked not to be blank. A failed capture is a property
of the whole capture: a smaller region may rightly be one colour (an empty page, a canvas, a blank
field), so it is not checked. Not guaranteed: that the content is current to the millisecond (the
compositor may lag a frame).
"""
from __future__ import annotations

import threading
import time

import cv2
import numpy as np

from desktop_agent.core.errors import CaptureError
from desktop_agent.core.values import Frame, Monitor, Rect
from desktop_agent.screen import coords

_BLANK_SPREAD = 4  # a frame whose brightest and darkest sampled pixels differ less than this is blank


def is_blank(image: np.ndarray) -> bool:
    """True for an empty, single-colour (black, white, any) image. Samples a grid for speed."""
    if image.size == 0:
        return True
    sample = image[:: max(1, image.shape[0] // 64), :: max(1, image.shape[1] // 64)]
    return int(sample.max()) - int(sample.min()) < _BLANK_SPREAD and _uniform(image)


def _uniform(image: np.ndarray) -> bool:
    # The grid can miss a small window; confirm on the whole image (cheap: only reached for blank grids).
    return int(image.max()) - int(image.min()) < _BLANK_SPREAD


class Grabber:
    """Captures regions of the virtual desktop. Safe to share between threads: each thread gets its
    own mss instance, created lazily in that thread (mss ≥ 10 requires it)."""

    def __init__(self, *, display: str | None = None) -> None:
        self._display = display
        self._local = threading.local()

    def _mss(self):
        instance = getattr(self._local, "mss", None)
        if instance is None:
            import mss  # lazy: no screen queries at import

            try:
                instance = mss.MSS(display=self._display) if self._display else mss.MSS()
            except Exception as exc:  # mss raises its own ScreenShotError or ctypes errors
                raise CaptureError(f"cannot open the screen for capture: {exc}") from exc
            self._local.mss = instance
        return instance

    def monitors(self) -> tuple[Monitor, ...]:
        """Physical monitors in mss order. X11 input uses pixels, so points are pixels (scale 1)."""
        return tuple(coords.monitor_from_pixels(index, left=mon["left"], top=mon["top"],
                                                width_px=mon["width"], height_px=mon["height"])
                     for index, mon in enumerate(self._mss().monitors[1:], start=1))

    def bounds(self) -> Rect:
        return coords.virtual_bounds(self.monitors())

    def grab(self, region: Rect | None = None, *, allow_blank: bool = False) -> Frame:
        """Capture `region` (screen points; default: the whole virtual desktop) as one Frame. Only a
        capture of the whole desktop can be refused as blank (unless `allow_blank`)."""
        whole = self.bounds()
        region = region or whole
        box = {"left": region.left, "top": region.top, "width": region.width, "height": region.height}
        try:
            shot = self._mss().grab(box)
        except Exception as exc:
            raise CaptureError(f"screen capture of {region} failed: {exc}") from exc
        image = cv2.cvtColor(np.asarray(shot), cv2.COLOR_BGRA2BGR)
        if not allow_blank and region == whole and is_blank(image):
            raise CaptureError(f"the screen capture of {region} is blank (one colour); "
                               "refusing to act on a screen that cannot be seen",
                               details={"region": region})
        return Frame(image=image, region=region, monotonic=time.monotonic())

    def close(self) -> None:
        instance = getattr(self._local, "mss", None)
        if instance is not None:
            instance.close()
            self._local.mss = None

