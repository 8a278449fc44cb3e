"""`make models`: held-out fixtures, training data, training, ONNX export and manifest of the icon reader.

python -m models.training.train_icons [--epochs N] — writes models/icon-reader.onnx, then
models/icon-reader.yaml (the manifest last), and tests/fixtures/icons/ (crops of the held-out theme).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import cv2
import numpy as np

from models.training import cnn, manifests
from models.training.evaluate import evaluate
from models.training.icon_data import (
    Meanings,
    augment,
    draw,
    load_meanings,
    near_copies,
    rasterize,
    samples,
    theme_sources,
)

ROOT = Path(__file__).resolve().parents[2]
# No GPL-licensed theme (Papirus, elementary-xfce): the weights ship under MIT. No gnome-icon-theme:
# it is the Tango style's GNOME variant, and so is Adwaita's legacy/ folder (its full-colour icons).
TRAIN_THEMES = ("Adwaita", "breeze", "breeze-dark", "oxygen", "Paper", "Yaru", "suru", "nuoveXT2")
SKIP_FOLDERS = frozenset({"legacy"})
HELD_OUT = "Tango"
FIXTURES = ROOT / "tests" / "fixtures" / "icons"
MODEL = ROOT / "models" / "icon-reader.onnx"
MANIFEST = ROOT / "models" / "icon-reader.yaml"
LICENCES = {
    "Adwaita": "adwaita-icon-theme 43 (Debian): CC-BY-SA-3.0 or LGPL-3; not its legacy/ folder",
    "breeze": "breeze-icon-theme 5.103 (Debian): LGPL-3",
    "breeze-dark": "breeze-icon-theme 5.103 (Debian): LGPL-3",
    "oxygen": "oxygen-icon-theme 5.103 (Debian): LGPL-3",
    "Paper": "paper-icon-theme 1.5.0 (Debian): CC-BY-SA-3.0 (one icon CC-BY-SA-4.0)",
    "Yaru": "yaru-theme-icon 22.10.3 (Debian): icons CC-BY-SA-4.0",
    "suru": "suru-icon-theme 20.05.1 (Debian): CC-BY-SA-3.0",
    "nuoveXT2": "lxde-icon-theme 0.5.1 (Debian): LGPL-3+",
    "Tango": "tango-icon-theme 0.8.90 (Debian): public domain",
}
_CELL = 40
_FIXTURE_SIZES = (16, 24, 32)
_FIXTURE_BACKGROUNDS = ((246, 245, 244), (48, 48, 48))


def make_fixtures(meanings: Meanings) -> None:
    """The held-out theme's own PNGs at 16/24/32 px on a light and a dark background, as one atlas."""
    crops, index = [], []
    for source in theme_sources(HELD_OUT, meanings):
        if source.size not in _FIXTURE_SIZES or source.path.suffix != ".png":
            continue
        rgba = rasterize(source, source.size)
        for background in _FIXTURE_BACKGROUNDS:
            crops.append(draw(rgba, background=background, symbolic=source.symbolic, margins=(3, 3, 3, 3)))
            index.append(meanings.words[source.meaning])
    columns = 32
    rows = -(-len(crops) // columns)
    atlas = np.zeros((rows * _CELL, columns * _CELL, 3), np.uint8)
    boxes = []
    for i, crop in enumerate(crops):
        y, x = (i // columns) * _CELL, (i % columns) * _CELL
        atlas[y:y + crop.shape[0], x:x + crop.shape[1]] = crop
        boxes.append([x, y, crop.shape[1], crop.shape[0]])
    FIXTURES.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(FIXTURES / "tango.png"), atlas)
    (FIXTURES / "tango.json").write_text(json.dumps(
        {"theme": HELD_OUT, "licence": LICENCES[HELD_OUT],
         "crops": [{"words": w, "box": b} for w, b in zip(index, boxes)]}, indent=0) + "\n")


def train(images: np.ndarray, labels: np.ndarray, classes: int, *, epochs: int, batch: int = 64,
          lr: float = 2e-3, seed: int = 0) -> tuple[dict[str, np.ndarray], list[float]]:
    """Adam with a cosine schedule; returns the parameters and each epoch's mean loss."""
    return cnn.fit(images, labels, classes, augment=augment, epochs=epochs, rng=np.random.default_rng(seed),
                   batch=batch, lr=lr)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--per-source", type=int, default=6)
    args = parser.parse_args()
    started = time.monotonic()
    meanings = load_meanings()
    make_fixtures(meanings)
    rng = np.random.default_rng(1)
    held_out = theme_sources(HELD_OUT, meanings)
    sources, copies = {}, 0
    for theme in TRAIN_THEMES:
        found = theme_sources(theme, meanings, skip=SKIP_FOLDERS)
        dropped = set(near_copies(found, held_out))
        sources[theme] = [s for s in found if s not in dropped]
        copies += len(dropped)
    print(f"{copies} near-copies of {HELD_OUT} icons left out", flush=True)
    parts = [samples(sources[t], args.per_source, rng) for t in TRAIN_THEMES]
    images = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    print(f"{len(images)} training samples of {len(set(labels.tolist()))} meanings", flush=True)
    params, losses = train(images, labels, len(meanings.words), epochs=args.epochs)
    metadata = {"words": json.dumps(meanings.words)}
    MODEL.write_bytes(cnn.to_onnx(params, (3, 32, 32), metadata, name="icon_reader").SerializeToString())
    seconds = time.monotonic() - started
    result = evaluate(FIXTURES, model=MODEL)
    write_manifest(result, seconds=seconds, samples=len(images), losses=losses, epochs=args.epochs,
                   copies=copies)
    print(json.dumps(result), f"{seconds:.0f} s")


def write_manifest(result: dict, *, seconds: float, samples: int, losses: list[float], epochs: int,
                   copies: int) -> None:
    manifest = {
        "name": "icon-reader",
        "task": "icon crop -> the words a person uses for it (one of the meanings in models/training/meanings.yaml)",
        **manifests.file_fields(MODEL),
        "inputs": {"image": "float32 [batch, 3, 32, 32], BGR 0..1 (desktop_agent.perception.icons.preprocess)"},
        "outputs": {"logits": "float32 [batch, meanings]; the words are in metadata 'words' (JSON list)"},
        "runtime": manifests.RUNTIME,
        "licence": "MIT (this project); trained on the icon themes below",
        "training": {
            "code": "models/training (make models): numpy CNN, no framework",
            "themes": {t: LICENCES[t] for t in TRAIN_THEMES},
            "left_out": f"{copies} near-copies of held-out icons (icon_data.near_copies), folders {sorted(SKIP_FOLDERS)}",
            "samples": samples, "epochs": epochs, "final_loss": round(losses[-1], 3),
            "seconds": round(seconds),
        },
        "evaluation": {"held_out_theme": LICENCES[HELD_OUT], "fixtures": "tests/fixtures/icons/tango.*", **result},
    }
    manifests.write(MANIFEST, "The icon reader of desktop_agent.perception.icons", manifest)


if __name__ == "__main__":
    main()
