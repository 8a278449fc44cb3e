"""The element detector: a window image -> boxes with roles (button, field, checkbox with its state,
radio, combo, tab, slider, list row, text), by a small network of our own run by onnxruntime.

The model (models/element-detector.yaml: how it was trained, on which toolkits and themes, and how well
it finds elements in looks it never saw) maps the image to a grid of 4 x 4 px cells: per cell a class
(background or a role) for the element whose inner part covers the cell, the distances to that
element's top and bottom edges, and for check boxes and radios whether they are checked. Each
connected run of cells unlikely to be background (below `MIN_SCORE`) is one element: its rows and
columns give the box, grown by the margin training left to the background on its sides (`SHRINK` of its
height). The role reader (`element_roles`) then looks at each box alone and names its role — or drops
it as no element; without it, the role is the one most probable over the run's cells.
Guaranteed: boxes in the given image's pixels, inside it; `source="detector"`; confidence the role
reader's probability of the role (without it, the mean probability of the role over the element's
cells); `checked` set on check boxes and radios only; the model files are the committed ones with their
manifests' sha256, loaded lazily once.
Not guaranteed: that elements of kinds the training windows never showed (menus, links, icons) are
found, nor that two touching elements of one role are told apart when the gap between their inner parts
is under one cell. The perceiver does not use it yet: on real applications' screens it cost grounding
more than it gained (README, "Element detector").
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from desktop_agent.core.values import Element, Rect, Role
from desktop_agent.perception import models
from desktop_agent.perception.element_roles import RoleReader

MODEL = "element-detector"
ROLES = (Role.TEXT, Role.BUTTON, Role.FIELD, Role.CHECKBOX, Role.RADIO, Role.COMBO, Role.TAB, Role.SLIDER,
         Role.ITEM)
CLASSES = (None, *ROLES)  # the model's classes; index 0: background
CLASS_INDEX = {role.value: i for i, role in enumerate(CLASSES) if role is not None}  # by Role value
TOP, BOTTOM, CHECKED = len(CLASSES), len(CLASSES) + 1, len(CLASSES) + 2
MAPS = len(CLASSES) + 3
CELL = 4  # px per output cell
MULTIPLE = 16  # the input's sides are padded to a multiple of this
REACH = 16.0  # px: the edge distances are predicted in these units
SHRINK = 0.3  # share of an element's height trained as its edge on each side (not its inner part)
MIN_SCORE = 0.5  # a cell is part of an element when background is less likely than this
_STATED = frozenset({Role.CHECKBOX, Role.RADIO})


def preprocess(image: np.ndarray) -> np.ndarray:
    """A BGR (or BGRA) window image -> float32 [3, H', W'], padded right and below to multiples of
    `MULTIPLE` with its edge pixels, values -0.5..0.5. Training feeds its crops through this too."""
    bgr = np.ascontiguousarray(image[..., :3])
    h, w = bgr.shape[:2]
    padded = cv2.copyMakeBorder(bgr, 0, -h % MULTIPLE, 0, -w % MULTIPLE, cv2.BORDER_REPLICATE)
    return (padded.astype(np.float32) / 255.0 - 0.5).transpose(2, 0, 1)


def inner_part(box: Rect) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of the part of `box` trained as the element's own cells."""
    inset = SHRINK * box.height
    return box.left + inset, box.top + inset, box.right - inset, box.bottom - inset


@dataclass(frozen=True, slots=True)
class Run:
    """One connected run of cells unlikely to be background: one element."""

    box: Rect
    shares: np.ndarray  # each of ROLES' mean probability over the run
    checked: bool       # its mean checked logit is above 0 (probability > 0.5)


def runs(maps: np.ndarray, width: int, height: int, *, min_score: float = MIN_SCORE) -> list[Run]:
    """The runs of one image's maps [MAPS, H/4, W/4]; boxes cut to `width` x `height`."""
    logits = maps[:len(CLASSES)]
    probs = np.exp(logits - logits.max(axis=0))
    probs /= probs.sum(axis=0)
    rows = probs.shape[1]
    centre_y = (np.arange(rows, dtype=np.float32) * CELL + CELL / 2)[:, None]
    tops = centre_y - maps[TOP] * REACH
    bottoms = centre_y + maps[BOTTOM] * REACH
    bounds = Rect(left=0, top=0, width=width, height=height)
    count, labels, stats, _ = cv2.connectedComponentsWithStats((probs[0] < min_score).astype(np.uint8),
                                                               connectivity=4)
    found = []
    for label in range(1, count):
        cells = labels == label
        top, bottom = float(np.median(tops[cells])), float(np.median(bottoms[cells]))
        inset = SHRINK * max(0.0, bottom - top)
        x, _, w, _ = stats[label][:4]
        box = Rect(left=round(x * CELL - inset), top=round(top), width=round(w * CELL + 2 * inset),
                   height=round(bottom - top)).intersection(bounds)
        if box is None or box.width < 2 or box.height < 2:
            continue
        found.append(Run(box=box, shares=probs[1:, cells].mean(axis=1),
                         checked=bool(float(np.mean(maps[CHECKED][cells])) > 0)))
    return found


def elements(found: Sequence[Run], roles: np.ndarray | None = None) -> list[Element]:
    """The runs as elements, top to bottom. `roles`: per run, the role reader's probabilities of
    CLASSES; then the reader names each run's role, and a run it finds likelier no element is dropped.
    Without it, a run's role is the one most probable over its cells."""
    out = []
    for i, run in enumerate(found):
        if roles is None:
            share = run.shares
        elif roles[i].argmax() == 0:
            continue
        else:
            share = roles[i][1:]
        best = int(share.argmax())
        role = ROLES[best]
        out.append(Element(role=role, box=run.box, confidence=round(float(share[best]), 3),
                           checked=run.checked if role in _STATED else None, source="detector"))
    return sorted(out, key=lambda e: (e.box.top, e.box.left))


def decode(maps: np.ndarray, width: int, height: int, *, min_score: float = MIN_SCORE) -> list[Element]:
    """Elements of one image from its maps alone [MAPS, H/4, W/4]; boxes cut to `width` x `height`."""
    return elements(runs(maps, width, height, min_score=min_score))


class ElementDetector:
    def __init__(self, *, path: Path | None = None, roles_path: Path | None = None,
                 read_roles: bool = True) -> None:
        """`path`, `roles_path`: unverified model files (only training, before their manifests exist);
        None: the committed models, resolved and sha256-checked. Without `read_roles`, roles come from
        the detector's maps alone (to measure what the role reader adds)."""
        self._model = models.LazySession(MODEL, path=path, threads=2)
        self._roles = RoleReader(path=roles_path) if read_roles else None

    def maps(self, image: np.ndarray) -> np.ndarray:
        """The model's raw maps [MAPS, H'/4, W'/4] of one BGR image."""
        (maps,) = self._model.get().run(None, {"image": preprocess(image)[None]})
        return maps[0]

    def detect(self, image: np.ndarray) -> list[Element]:
        """Elements of one BGR window image, in its pixels, top to bottom."""
        found = runs(self.maps(image), image.shape[1], image.shape[0])
        if self._roles is None or not found:
            return elements(found)
        return elements(found, self._roles.read(image, [run.box for run in found]))
