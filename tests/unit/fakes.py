"""Small fakes for unit tests."""
from __future__ import annotations

from desktop_agent.types import Operation, Point, Rect


class RecordingActuator:
    """Records operations instead of performing them. The pointer sits at the screen centre until moved."""

    def __init__(self, bounds: Rect = Rect(left=0, top=0, width=1920, height=1080)) -> None:
        self.bounds = bounds
        self.pointer_at = bounds.center
        self.operations: list[Operation] = []

    def execute(self, operation: Operation) -> None:
        self.operations.append(operation)

    def pointer(self) -> Point:
        return self.pointer_at

    def screen_bounds(self) -> Rect:
        return self.bounds
