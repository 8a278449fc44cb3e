"""Top-1/top-5 of an icon reader on the committed held-out crops (tests/fixtures/icons)."""
from __future__ import annotations

import json
import time
from pathlib import Path

import cv2
import numpy as np

from desktop_agent.perception.icons import IconReader


def load_fixtures(folder: Path) -> tuple[list[np.ndarray], list[str]]:
    """The held-out crops (BGR) and the words each should be read as."""
    atlas = cv2.imread(str(folder / "tango.png"))
    index = json.loads((folder / "tango.json").read_text())["crops"]
    crops = [atlas[y:y + h, x:x + w] for x, y, w, h in (c["box"] for c in index)]
    return crops, [c["words"] for c in index]


def evaluate(folder: Path, reader: IconReader | None = None, model: Path | None = None) -> dict:
    """{top1, top5, crops, meanings, ms_per_icon} of `reader` (or one on the file `model`)."""
    reader = reader or IconReader(path=model)
    crops, words = load_fixtures(folder)
    reader.read(crops[0])  # loads the model outside the timing
    started = time.perf_counter()
    reads = reader.read_many(crops, k=5)
    ms = (time.perf_counter() - started) * 1000 / len(crops)
    top1 = np.mean([r[0].words == w for r, w in zip(reads, words)])
    top5 = np.mean([w in {x.words for x in r} for r, w in zip(reads, words)])
    return {"top1": round(float(top1), 3), "top5": round(float(top5), 3), "crops": len(crops),
            "meanings": len(set(words)), "ms_per_icon": round(ms, 3)}
