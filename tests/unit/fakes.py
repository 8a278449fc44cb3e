"""Small fakes for unit tests."""
from __future__ import annotations

import cv2
import numpy as np

from desktop_agent.core.actions import Operation
from desktop_agent.core.values import Point, Rect


class RecordingActuator:
    """Records operations instead of performing them. The pointer sits at the screen centre until moved."""

    def __init__(self, bounds: Rect = Rect(left=0, top=0, width=1920, height=1080)) -> None:
        self.bounds = bounds
        self.pointer_at = bounds.center
        self.operations: list[Operation] = []
        self.ended = False  # end_run was called

    def execute(self, operation: Operation) -> None:
        self.operations.append(operation)

    def pointer(self) -> Point:
        return self.pointer_at

    def end_run(self) -> None:
        self.ended = True

    def screen_bounds(self) -> Rect:
        return self.bounds


class FakeDesktop:
    """A scripted desktop for runner tests: `screens` are shown in turn, the next one each time the
    actuator performs an operation (pass `advance=False` to keep the screen). `look()` can be made to
    fail with `error`."""

    def __init__(self, screens, *, advance: bool = True, error: Exception | None = None,
                 advance_on_look: bool = False) -> None:
        self.screens = list(screens)
        self.index = 0
        self.advance = advance
        self.advance_on_look = advance_on_look  # the screen changes by itself (a wait's subject)
        self.error = error
        self.reads: list[bool] = []  # per look: whether its elements were asked for
        self.holding_focus: set[str] | None = None  # the tree handles that hold the keyboard focus; None: no tree
        self.actuator = RecordingActuator()
        self.actuator.execute = self._react

    @property
    def screen(self):
        return self.screens[self.index]

    def _react(self, operation: Operation) -> None:
        self.actuator.operations.append(operation)
        if self.advance and self.index + 1 < len(self.screens):
            self.index += 1

    # the Senses interface the runner uses
    def look(self, *, allow_blank=False, read=True):
        """The current screen; not `read`: a glance, its frame and windows only (as Senses.look)."""
        from dataclasses import replace

        from desktop_agent.perception.senses import Look

        if self.error is not None:
            raise self.error
        self.reads.append(read)
        look = Look(screen=self.screen if read else replace(self.screen, elements=()), capture_ms=1.0,
                    perceive_ms=2.0)
        if self.advance_on_look and self.index + 1 < len(self.screens):
            self.index += 1
        return look

    def grab(self, region: Rect | None = None, *, allow_blank=False):
        from desktop_agent.screen import coords

        frame = self.screen.frame
        return coords.crop(frame, region) if region is not None else frame

    def list_windows(self):
        return self.screen.windows

    def pointer(self):
        return self.actuator.pointer()

    def holds_focus(self, accessible: str) -> bool | None:
        return None if self.holding_focus is None else accessible in self.holding_focus

    def focused_window(self, *, follow_pointer=True):
        """Focus follows the topmost window (none on a desktop that shows nothing)."""
        return self.screen.windows[-1] if self.screens and self.screen.windows else None


def draw_mask(image: np.ndarray, box: Rect, count: int) -> np.ndarray:
    """`image` with a masked field at `box` (screen = pixel coordinates) showing `count` bullets."""
    image[box.top:box.bottom, box.left:box.right] = 255
    for i in range(count):
        cv2.circle(image, (box.left + 10 + 9 * i, box.top + box.height // 2), 3, (0, 0, 0), -1)
    return image
