"""Fallback locators: how a target looked and where it was when it was last found for sure.

A recording keeps one per recorded step (`<task>.assets/locators.json` plus crop images); replay tries
them, in order, after the step's own words fail to ground (see `grounding/fallbacks.py`). A locator is keyed by the
target's description (`TargetSpec.describe()`), not by its step number, so a person can insert or delete
steps in the task file and each target still finds its own fallbacks.

Guaranteed: `save_locators` writes what `load_locators` reads back field for field, atomically; a
missing or malformed file raises AgentError naming the file and the entry.
"""
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop_agent.core.errors import AgentError
from desktop_agent.core.values import Point

LOCATORS_FILE = "locators.json"
_VERSION = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class WindowRef:
    """The window the target was in: matched again by class and title, its size tells a resize."""

    title: str
    wm_class: str
    width: int
    height: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AnchorRef:
    """Nearby text that was unique on screen, and where the target point was from its centre."""

    text: str
    dx: int
    dy: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Locator:
    target: str                  # TargetSpec.describe() of the step's target
    step: int                    # 1-based step number when it was recorded (a tie-breaker only)
    window: WindowRef | None     # None: the target was on the bare desktop
    offset: Point                # the target point relative to the window's top-left (or the screen's)
    crop: str | None = None      # template image, a file name relative to the assets folder
    crop_point: Point | None = None  # the target point inside the crop, in crop pixels
    anchor: AnchorRef | None = None
    element_text: str = ""
    element_role: str = ""


def load_locators(folder: Path) -> list[Locator]:
    """The locators in `folder/locators.json`; [] when the folder has none."""
    path = folder / LOCATORS_FILE
    if not path.exists():
        return []
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AgentError(f"cannot read locators {path}: {exc}") from exc
    if not isinstance(document, dict) or document.get("version") != _VERSION:
        raise AgentError(f"{path}: not a version {_VERSION} locators file")
    entries = document.get("locators")
    if not isinstance(entries, list):
        raise AgentError(f'{path}: "locators" must be a list')
    return [_from_json(entry, path, n) for n, entry in enumerate(entries, 1)]


def save_locators(folder: Path, locators: Sequence[Locator]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCATORS_FILE
    document = {"version": _VERSION, "locators": [_to_json(locator) for locator in locators]}
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".locators-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(document, out, ensure_ascii=False, indent=1)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def for_target(locators: Sequence[Locator], description: str, step: int) -> list[Locator]:
    """The locators recorded for this target, the one recorded at `step` (1-based) first."""
    same = [locator for locator in locators if locator.target == description]
    return sorted(same, key=lambda locator: locator.step != step)


def _to_json(locator: Locator) -> dict[str, object]:
    window, anchor = locator.window, locator.anchor
    return {
        "target": locator.target, "step": locator.step,
        "window": None if window is None else {"title": window.title, "wm_class": window.wm_class,
                                               "width": window.width, "height": window.height},
        "offset": [locator.offset.x, locator.offset.y],
        "crop": locator.crop,
        "crop_point": None if locator.crop_point is None else [locator.crop_point.x, locator.crop_point.y],
        "anchor": None if anchor is None else {"text": anchor.text, "dx": anchor.dx, "dy": anchor.dy},
        "element_text": locator.element_text, "element_role": locator.element_role,
    }


def _from_json(entry: Any, path: Path, n: int) -> Locator:
    try:
        window, anchor, crop_point = entry["window"], entry["anchor"], entry["crop_point"]
        return Locator(
            target=str(entry["target"]), step=int(entry["step"]),
            window=None if window is None else WindowRef(
                title=str(window["title"]), wm_class=str(window["wm_class"]),
                width=int(window["width"]), height=int(window["height"])),
            offset=_point(entry["offset"]),
            crop=None if entry["crop"] is None else str(entry["crop"]),
            crop_point=None if crop_point is None else _point(crop_point),
            anchor=None if anchor is None else AnchorRef(text=str(anchor["text"]), dx=int(anchor["dx"]),
                                                         dy=int(anchor["dy"])),
            element_text=str(entry.get("element_text", "")),
            element_role=str(entry.get("element_role", "")))
    except (KeyError, TypeError, ValueError) as exc:
        raise AgentError(f"{path}: locator {n} is malformed ({type(exc).__name__}: {exc})") from exc


def _point(value: Any) -> Point:
    x, y = value
    return Point(x=int(x), y=int(y))
