"""The role reader's training (`make models`, from train_detector's windows): crops of the toolkits' true
elements, their boxes jittered as the detector's are, and of places with no element; `cnn` trained on
them; its ONNX export.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from desktop_agent.core.values import Rect
from desktop_agent.perception import detector, element_roles
from models.training import cnn
from models.training.widget_data import Sample
from models.training.widget_eval import rect_of

JITTER = 0.15  # an edge moves by up to this share of the box's height (sides: also of its width / 4)
COPIES = 1  # jittered crops per true element
EMPTY_PER_WINDOW = 4  # crops of places with no element, per window
BATCH = 64


def jittered(box: Rect, rng: np.random.Generator) -> Rect:
    """`box` with each edge moved a little, as a detector's box is off the truth."""
    dy, dx = JITTER * box.height, JITTER * (box.height + box.width / 4)
    left, right = box.left + rng.uniform(-dx, dx), box.right + rng.uniform(-dx, dx)
    top, bottom = box.top + rng.uniform(-dy, dy), box.bottom + rng.uniform(-dy, dy)
    return Rect(left=round(left), top=round(top), width=max(2, round(right - left)),
                height=max(2, round(bottom - top)))


def _empty(sample: Sample, truths: Sequence[Rect], rng: np.random.Generator) -> Rect | None:
    """A box the size of an element that overlaps none (IoU < 0.2), or None when none is found quickly."""
    width, height = sample.record["size"]
    for _ in range(20):
        like = truths[int(rng.integers(len(truths)))] if truths else Rect(left=0, top=0, width=60, height=24)
        w, h = min(like.width, width - 1), min(like.height, height - 1)
        if w < 4 or h < 4:
            continue
        box = Rect(left=int(rng.integers(0, width - w)), top=int(rng.integers(0, height - h)), width=w, height=h)
        if all(box.iou(t) < 0.2 for t in truths):
            return box
    return None


def dataset(samples: Sequence[Sample], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Crops [N, *element_roles.SHAPE] and their class indices (`detector.CLASSES`; 0: no element)."""
    crops, labels = [], []
    for sample in samples:
        truths = [rect_of(e["box"]) for e in sample.record["elements"]]
        for element, box in zip(sample.record["elements"], truths):
            for _ in range(COPIES):
                crops.append(element_roles.preprocess(sample.image, jittered(box, rng)))
                labels.append(detector.CLASS_INDEX[element["role"]])
        for _ in range(EMPTY_PER_WINDOW):
            if (box := _empty(sample, truths, rng)) is not None:
                crops.append(element_roles.preprocess(sample.image, box))
                labels.append(0)
    return np.stack(crops), np.array(labels, np.int64)


def augment(batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Other colours for the pixel channels, so that a look's palette is not what names a role: grey
    now and then, channels swapped, each bent by its own gamma, often inverted, contrast and brightness
    jittered; the aspect channel as it is."""
    out = batch.copy()
    for image in out:
        pixels = image[rng.permutation(3)] + 0.5
        if rng.random() < 0.3:
            pixels[:] = pixels.mean(axis=0)
        pixels = pixels ** rng.uniform(0.6, 1.6, (3, 1, 1)).astype(np.float32)
        if rng.random() < 0.5:
            pixels = 1 - pixels
        image[:3] = (pixels - 0.5) * rng.uniform(0.7, 1.2) + rng.uniform(-0.15, 0.15)
    return out


def train(samples: Sequence[Sample], *, epochs: int, lr: float = 2e-3, seed: int = 0
          ) -> tuple[dict[str, np.ndarray], list[float]]:
    """Adam with a cosine schedule; the parameters and each epoch's mean loss."""
    rng = np.random.default_rng(seed)
    crops, labels = dataset(samples, rng)
    print(f"role reader: {len(crops)} crops, {int((labels == 0).sum())} of no element", flush=True)
    return cnn.fit(crops, labels, len(detector.CLASSES), augment=augment, epochs=epochs, rng=rng, batch=BATCH,
                   lr=lr, name="role reader ")


def export(params: dict[str, np.ndarray], path: Path) -> None:
    classes = [None if r is None else r.value for r in detector.CLASSES]
    path.write_bytes(cnn.to_onnx(params, element_roles.SHAPE, {"classes": json.dumps(classes)},
                                 name="element_roles").SerializeToString())
