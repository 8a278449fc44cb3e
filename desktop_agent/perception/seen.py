"""What a recording saw: the text of each window image in its assets folder (`stepNNN-before.png`), read
once when the recording is saved (`seen.json`), so that a replay starts from it: a window of the same
class and size is perceived as a change of that image — only what differs from what the person saw is
read again, and on an unchanged layout that is nothing.

Guaranteed: `prime` starts the perceiver from a recorded image only for a window of the same class and
size; what the replay then perceives is the live window's pixels — text is kept only where they are
identical to the recorded image (see `perception.perceiver`). A missing `seen.json` (a recording made
before it existed) primes nothing; a malformed one is an AgentError naming the file.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from desktop_agent.core.errors import AgentError
from desktop_agent.core.values import Element, Rect, Role, Window
from desktop_agent.perception.perceiver import Perceiver

SEEN_FILE = "seen.json"
_VERSION = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class SeenWindow:
    image: str                    # the window image, a file name in the assets folder
    wm_class: str
    width: int
    height: int
    texts: tuple[Element, ...]    # TEXT elements read from the image, in its pixels


def read_seen(images: Sequence[tuple[str, str, np.ndarray]],
              read_texts: Callable[[np.ndarray], list[Element]]) -> list[SeenWindow]:
    """`(file name, window class, image)` of each recorded window image, with its text read."""
    return [SeenWindow(image=name, wm_class=wm_class, width=image.shape[1], height=image.shape[0],
                       texts=tuple(read_texts(image))) for name, wm_class, image in images]


def save_seen(folder: Path, seen: Sequence[SeenWindow]) -> Path:
    """Write `folder/seen.json`; the folder is a fresh one the recording writer swaps in whole."""
    path = folder / SEEN_FILE
    document = {"version": _VERSION, "windows": [
        {"image": one.image, "wm_class": one.wm_class, "width": one.width, "height": one.height,
         "texts": [{"text": t.text, "box": [t.box.left, t.box.top, t.box.width, t.box.height],
                    "confidence": round(t.confidence, 4)} for t in one.texts]} for one in seen]}
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def load_seen(folder: Path) -> list[SeenWindow]:
    """The windows in `folder/seen.json`; [] when there is none."""
    path = folder / SEEN_FILE
    if not path.exists():
        return []
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document["version"] != _VERSION:
            raise ValueError(f"version {document['version']!r}, expected {_VERSION}")
        return [SeenWindow(image=str(entry["image"]), wm_class=str(entry["wm_class"]),
                           width=int(entry["width"]), height=int(entry["height"]),
                           texts=tuple(Element(role=Role.TEXT, text=str(t["text"]),
                                               box=Rect(left=int(t["box"][0]), top=int(t["box"][1]),
                                                        width=int(t["box"][2]), height=int(t["box"][3])),
                                               confidence=float(t["confidence"]))
                                       for t in entry["texts"]))
                for entry in document["windows"]]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, IndexError,
            ValueError) as exc:
        raise AgentError(f"cannot read {path}: {exc}", details={"path": str(path)}) from exc


def prime(perceiver: Perceiver, windows: Sequence[Window], folder: Path,
          seen: Sequence[SeenWindow]) -> int:
    """Start `perceiver` from the first recorded image of each window's class and size (a recording's
    first sight of a window is what a replay's first look most likely shows); how many were primed."""
    primed = 0
    for window in windows:
        match = next((one for one in seen if (one.wm_class, one.width, one.height)
                      == (window.wm_class, window.box.width, window.box.height)), None)
        if match is None:
            continue
        image = cv2.imread(str(folder / match.image), cv2.IMREAD_COLOR)
        if image is not None and image.shape[:2] == (window.box.height, window.box.width):
            perceiver.prime(window.id, window.box, image, list(match.texts))
            primed += 1
    return primed
