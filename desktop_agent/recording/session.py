"""From recorded actions to a saved task file: the part of recording that the `record` command and the
desktop app share.

`save_actions` leaves out what the person did to the agent's own windows (a click on the app's "Stop
recording" indicator, typing while one of its windows had the keyboard focus), names the rest on the
screens the person saw — with the agent's own windows not perceived — and writes the task file and its
assets folder, with the text of each window image read for replays to start from (`seen.py`).

Guaranteed: nothing is written unless at least one step was described (`NothingRecorded` otherwise); an
action is left out when the topmost window under its point (a drag: its start), or for typing the focused
window, belongs to `own_pids` as the snapshot before it shows. Not guaranteed: that a key chord pressed
while one of the agent's windows had the focus is left out (a chord carries no snapshot).
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from desktop_agent.core.errors import AgentError
from desktop_agent.core.values import Element, Frame, OwnWindows, Screen, Window, topmost_at
from desktop_agent.perception.seen import read_seen
from desktop_agent.recording.describe import Perceive, Recording, describe
from desktop_agent.recording.events import (
    RecordedAction,
    RecordedChord,
    RecordedClick,
    RecordedDrag,
    RecordedScroll,
    RecordedTyping,
    Snapshot,
)
from desktop_agent.recording.writer import assets_folder, save_recording


class SnapshotPerceiver(Protocol):
    """What perceives a snapshot's screen (`perception.perceiver.Perceiver`)."""

    def perceive(self, frame: Frame, windows: Sequence[Window], *,
                 skip: frozenset[int] = frozenset()) -> Screen: ...

    def read_texts(self, image: np.ndarray) -> list[Element]: ...


class NothingRecorded(AgentError):
    """No action a step can say was recorded; nothing was written. `notes`: what `describe` had to say
    about what it left out."""

    def __init__(self, message: str, *, notes: Sequence[str] = ()) -> None:
        super().__init__(message, details={"notes": list(notes)})
        self.notes = tuple(notes)


def save_actions(actions: Sequence[RecordedAction], perceiver: SnapshotPerceiver, *, path: Path, name: str,
                 secret_fields: re.Pattern[str], own_pids: frozenset[int],
                 params: Mapping[str, str] = {}, overwrite: bool = False) -> Recording:
    """Describe `actions` (those on the windows of `own_pids` left out) and save them as the task file
    `path` named `name` (see `writer.save_recording`); the Recording written. Raises NothingRecorded,
    or the writer's AgentError (an existing file without `overwrite`)."""
    own = OwnWindows(pids=own_pids)
    kept = [action for action in actions if not _on_own_window(action, own)]
    if not kept:
        raise NothingRecorded("nothing was recorded")
    recording = describe(kept, _perceiving(perceiver, own), secret_fields=secret_fields, params=params,
                         assets=assets_folder(path).name)
    if not recording.steps:
        raise NothingRecorded("nothing was recorded that a step can say", notes=recording.notes)
    save_recording(path, name=name, recording=recording, params=params, overwrite=overwrite,
                   seen=read_seen(_window_images(recording), perceiver.read_texts))
    return recording


def _window_images(recording: Recording) -> list[tuple[str, str, np.ndarray]]:
    """(file name, window class, pixels) of each step's window as the person saw it, once each."""
    images: dict[str, tuple[str, str, np.ndarray]] = {}
    for locator in recording.locators:
        name = f"step{locator.step:03d}-before.png"
        if locator.window is not None and name in recording.crops:
            images.setdefault(name, (name, locator.window.wm_class, recording.crops[name]))
    return list(images.values())


def _perceiving(perceiver: SnapshotPerceiver, own: OwnWindows) -> Perceive:
    def perceive(snapshot: Snapshot) -> Screen:
        skip = frozenset(w.id for w in snapshot.windows if own.owns(w))
        return perceiver.perceive(snapshot.frame, snapshot.windows, skip=skip)
    return perceive


def _on_own_window(action: RecordedAction, own: OwnWindows) -> bool:
    match action:
        case RecordedClick(point=point, before=before) | RecordedScroll(point=point, before=before):
            window = topmost_at(before.windows, point)
        case RecordedDrag(start=point, before=before):
            window = topmost_at(before.windows, point)
        case RecordedTyping(before=before):
            window = before.focused
        case RecordedChord():
            window = None
    return window is not None and own.owns(window)
