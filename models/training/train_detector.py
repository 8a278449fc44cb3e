"""`make models`: the element detector's training data, training, ONNX export, held-out scores and manifest.

python -m models.training.train_detector [--windows N] [--steps N] [--role-epochs N] — renders N random
training windows (widget_data.py, toolkit-labelled), trains `detector_net` on crops of them and the role
reader on their elements (train_roles.py), writes models/element-detector.onnx and
models/element-roles.onnx, scores the detector (with and without the role reader) and the OpenCV
proposals on the held-out looks, writes the fixtures tests/fixtures/detector/ (held-out windows and
their truth) and the two manifests (last).
"""
from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import yaml

from desktop_agent.core.values import Rect
from desktop_agent.perception import detector
from desktop_agent.perception.widgets import detect_widgets
from models.training import cnn, detector_net, manifests, train_roles, widget_data, widget_eval
from models.training.widget_spec import LOOKS

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "element-detector.onnx"
MANIFEST = ROOT / "models" / "element-detector.yaml"
ROLES_MODEL = ROOT / "models" / "element-roles.onnx"
ROLES_MANIFEST = ROOT / "models" / "element-roles.yaml"
FIXTURES = ROOT / "tests" / "fixtures" / "detector"
CROP = (160, 320)  # px, height x width; multiples of detector.MULTIPLE
BATCH = 8
FIXTURE_WINDOWS = 48  # held-out windows committed for the unit test
# The detector's own windows: with GTK 4's too (and 4000 steps) it found fewer elements of the held-out
# looks (recall over all roles 0.44 against 0.68, tabs 0.09); the role reader learns from all of them.
DETECTOR_TOOLKITS = frozenset({"tk", "qt"})
_WHAT = "The element detector of desktop_agent.perception.detector"
_ROLES_WHAT = "The role reader of desktop_agent.perception.element_roles (the detector's second look)"


def targets(record: dict, shape: tuple[int, int]) -> dict[str, np.ndarray]:
    """The training maps of one window (`shape`: its padded height, width), as
    `detector_net.loss_and_grads` takes them."""
    rows, cols = shape[0] // detector.CELL, shape[1] // detector.CELL
    cls = np.zeros((rows, cols), np.int64)
    top = np.zeros((rows, cols), np.float32)
    bottom = np.zeros((rows, cols), np.float32)
    checked = np.full((rows, cols), -1, np.int64)
    centres_y = np.arange(rows) * detector.CELL + detector.CELL / 2
    centres_x = np.arange(cols) * detector.CELL + detector.CELL / 2
    width, height = record["size"]
    cls[centres_y >= height, :] = -1  # the padding below and right of the image
    cls[:, centres_x >= width] = -1
    elements = sorted(record["elements"], key=lambda e: -e["box"][2] * e["box"][3])
    for element in elements:
        x, y, w, h = element["box"]
        box = Rect(left=x, top=y, width=w, height=h)
        left, upper, right, lower = detector.inner_part(box)
        inner = (((centres_y >= upper) & (centres_y < lower))[:, None]
                 & ((centres_x >= left) & (centres_x < right))[None, :])
        if not inner.any():
            centre = box.center
            inner[min(rows - 1, int(centre.y) // detector.CELL), min(cols - 1, int(centre.x) // detector.CELL)] = True
        cls[inner] = detector.CLASS_INDEX[element["role"]]
        top[inner] = np.broadcast_to((centres_y - box.top)[:, None], inner.shape)[inner]
        bottom[inner] = np.broadcast_to((box.bottom - centres_y)[:, None], inner.shape)[inner]
        checked[inner] = -1 if element["checked"] is None else int(element["checked"])
    return {"cls": cls, "top": top, "bottom": bottom, "checked": checked}


def rescaled(sample: widget_data.Sample, factor: float) -> tuple[np.ndarray, dict]:
    """The window drawn `factor` times as big, and its record to match (a screen at another scale)."""
    image = cv2.resize(sample.image, None, fx=factor, fy=factor,
                       interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR)
    elements = [{**e, "box": [round(v * factor) for v in e["box"]]} for e in sample.record["elements"]]
    return image, {**sample.record, "size": [image.shape[1], image.shape[0]], "elements": elements}


def _crop(sample: widget_data.Sample, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One random training crop (CHW, preprocessed and augmented) and its maps."""
    image, record = (rescaled(sample, float(rng.uniform(0.8, 1.5))) if rng.random() < 0.3
                     else (sample.image, sample.record))
    h, w = image.shape[:2]
    ch, cw = CROP
    step = detector.MULTIPLE
    padded = cv2.copyMakeBorder(image, 0, max(ch, h + -h % step) - h, 0, max(cw, w + -w % step) - w,
                                cv2.BORDER_REPLICATE)
    maps = targets(record, padded.shape[:2])
    y = int(rng.integers(0, (padded.shape[0] - ch) // step + 1)) * step
    x = int(rng.integers(0, (padded.shape[1] - cw) // step + 1)) * step
    pixels = detector.preprocess(padded[y:y + ch, x:x + cw])
    cell = detector.CELL
    maps = {k: v[y // cell:(y + ch) // cell, x // cell:(x + cw) // cell] for k, v in maps.items()}
    return _augment(pixels, rng), maps


def _augment(pixels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Other colours: channels swapped, the image inverted now and then, contrast and brightness jittered."""
    pixels = pixels[rng.permutation(3)]
    if rng.random() < 0.3:
        pixels = -pixels
    return (pixels * rng.uniform(0.7, 1.2) + rng.uniform(-0.15, 0.15)).astype(np.float32)


def train(samples: Sequence[widget_data.Sample], *, steps: int, lr: float = 3e-3, seed: int = 0
          ) -> tuple[dict[str, np.ndarray], list[float]]:
    """Adam with a cosine schedule over `steps` batches of random crops; the parameters and the mean
    loss of each tenth of the steps."""
    rng = np.random.default_rng(seed)
    params = detector_net.init(rng)
    adam = cnn.Adam(params)
    losses, recent = [], []
    for step in range(steps):
        crops = [_crop(samples[int(i)], rng) for i in rng.integers(0, len(samples), BATCH)]
        images = np.stack([c[0] for c in crops]).transpose(0, 2, 3, 1)
        maps = {k: np.stack([c[1][k] for c in crops]) for k in crops[0][1]}
        loss, grads = detector_net.loss_and_grads(params, np.ascontiguousarray(images), maps)
        adam.step(params, grads, lr * 0.5 * (1 + np.cos(np.pi * step / steps)))
        recent.append(loss)
        if (step + 1) % max(1, steps // 10) == 0:
            losses.append(float(np.mean(recent)))
            recent = []
            print(f"step {step + 1}/{steps}: loss {losses[-1]:.3f}", flush=True)
    return params, losses


def held_out_scores(samples: Sequence[widget_data.Sample], model: Path, roles_model: Path) -> dict:
    """Per-role precision/recall (IoU 0.5) and ms per window of the detector with its role reader, of
    the detector's maps alone, and of the OpenCV proposals."""
    ours = detector.ElementDetector(path=model, roles_path=roles_model)
    maps_alone = detector.ElementDetector(path=model, read_roles=False)
    ours.detect(samples[0].image)  # the session's first run allocates
    result = {}
    for name, propose in (("detector", ours.detect), ("detector_maps_alone", maps_alone.detect),
                          ("opencv", detect_widgets)):
        scores, ms = widget_eval.score(samples, propose)
        print(f"\n{name}:\n{widget_eval.table(scores, ms)}", flush=True)
        result[name] = {"ms_per_window": round(ms, 1), "roles": {
            s.role: {"true": s.truths, "proposed": s.proposals, "matched": s.matched,
                     "precision": None if s.precision is None else round(s.precision, 3),
                     "recall": None if s.recall is None else round(s.recall, 3)} for s in scores}}
    return result


def write_fixtures(folder: Path, samples: Sequence[widget_data.Sample]) -> None:
    """The first FIXTURE_WINDOWS held-out windows (their PNG and JSON) for the unit test."""
    if FIXTURES.exists():
        shutil.rmtree(FIXTURES)
    FIXTURES.mkdir(parents=True)
    for sample in samples[:FIXTURE_WINDOWS]:
        for suffix in (".png", ".json"):
            shutil.copy(folder / f"{sample.name}{suffix}", FIXTURES / f"{sample.name}{suffix}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--windows", type=int, default=1000)
    parser.add_argument("--held-out", type=int, default=200)
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--role-epochs", type=int, default=8)
    parser.add_argument("--rescore", action="store_true",
                        help="only score the committed model again, into its manifest (after a change to decoding)")
    args = parser.parse_args()
    if args.rescore:
        rescore(args.held_out)
        return
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        train_dir, held_dir = Path(scratch) / "train", Path(scratch) / "held-out"
        widget_data.render(widget_data.plan(args.windows, 0, "train"), train_dir)
        widget_data.render(widget_data.plan(args.held_out, 0, "held-out"), held_dir)
        samples, held_out = widget_data.load(train_dir), widget_data.load(held_dir)
        print(widget_data.summary(samples), flush=True)
        params, losses = train([s for s in samples if s.record["spec"]["toolkit"] in DETECTOR_TOOLKITS],
                               steps=args.steps)
        MODEL.write_bytes(detector_net.to_onnx(params, {"classes": json.dumps(
            [None if r is None else r.value for r in detector.CLASSES])}).SerializeToString())
        seconds = time.monotonic() - started
        roles_started = time.monotonic()
        role_params, role_losses = train_roles.train(samples, epochs=args.role_epochs)
        train_roles.export(role_params, ROLES_MODEL)
        role_seconds = time.monotonic() - roles_started
        result = held_out_scores(held_out, MODEL, ROLES_MODEL)
        write_fixtures(held_dir, held_out)
    write_manifest(result, seconds=seconds, held_out=len(held_out), losses=losses, steps=args.steps,
                   windows=sum(s.record["spec"]["toolkit"] in DETECTOR_TOOLKITS for s in samples))
    write_roles_manifest(result, seconds=role_seconds, windows=len(samples), held_out=len(held_out),
                         losses=role_losses)
    print(f"{time.monotonic() - started:.0f} s")


def rescore(count: int) -> None:
    """The committed model's held-out scores, measured again into its manifest (training left as it was)."""
    with tempfile.TemporaryDirectory() as scratch:
        held_dir = Path(scratch) / "held-out"
        widget_data.render(widget_data.plan(count, 0, "held-out"), held_dir)
        held_out = widget_data.load(held_dir)
        result = held_out_scores(held_out, MODEL, ROLES_MODEL)
    for model, path, what in ((MODEL, MANIFEST, _WHAT), (ROLES_MODEL, ROLES_MANIFEST, _ROLES_WHAT)):
        manifest = yaml.safe_load(path.read_text())
        if manifest["sha256"] != manifests.file_fields(model)["sha256"]:
            raise SystemExit(f"{model} is not the file its manifest names; run make models")
        manifest["evaluation"] = _evaluation(result, len(held_out))
        manifests.write(path, what, manifest)


def write_manifest(result: dict, *, seconds: float, windows: int, held_out: int, losses: list[float],
                   steps: int) -> None:
    manifest = {
        "name": "element-detector",
        "task": "window image -> boxes and roles of its elements (desktop_agent.perception.detector)",
        **manifests.file_fields(MODEL),
        "inputs": {"image": "float32 [1, 3, H, W], BGR -0.5..0.5, H and W padded to multiples of 16 "
                            "(desktop_agent.perception.detector.preprocess)"},
        "outputs": {"maps": f"float32 [1, {detector.MAPS}, H/4, W/4]: class logits "
                            f"({', '.join('background' if r is None else r.value for r in detector.CLASSES)}), "
                            "distances to the top and bottom edges / 16 px, checked logit"},
        "runtime": manifests.RUNTIME,
        "licence": "MIT (this project); trained only on windows this project generates",
        "training": {
            "code": "models/training (make models): widget_data.py renders, detector_net.py is the numpy "
                    "network, train_detector.py trains; no framework",
            "data": "random forms built with Tk/ttk (Tcl/Tk, BSD-style licence) and Qt (PySide6, LGPL-3) "
                    "on Xvfb, boxes and roles read from the toolkits (widget_tk.py, widget_qt.py); looks: "
                    + ", ".join("/".join(look) for look in LOOKS["train"] if look[0] in DETECTOR_TOOLKITS),
            "windows": windows, "steps": steps, "batch": BATCH, "crop": list(CROP),
            "loss_by_tenth": [round(v, 3) for v in losses], "seconds": round(seconds),
        },
        "evaluation": _evaluation(result, held_out),
    }
    manifests.write(MANIFEST, _WHAT, manifest)


def write_roles_manifest(result: dict, *, seconds: float, windows: int, held_out: int,
                         losses: list[float]) -> None:
    from desktop_agent.perception import element_roles
    manifest = {
        "name": "element-roles",
        "task": "an element's box in a window image -> its role or no element "
                "(desktop_agent.perception.element_roles)",
        **manifests.file_fields(ROLES_MODEL),
        "inputs": {"image": f"float32 [N, {', '.join(map(str, element_roles.SHAPE))}]: the box and "
                            f"{element_roles.CONTEXT:g} of its height around it scaled to "
                            f"{element_roles.HEIGHT} px high, its left and right {element_roles.END} px "
                            "side by side, BGR -0.5..0.5, then its log aspect ratio / "
                            f"{element_roles.ASPECT_UNIT:g} (desktop_agent.perception.element_roles.preprocess)"},
        "outputs": {"logits": f"float32 [N, {len(detector.CLASSES)}]: "
                              + ", ".join("no element" if r is None else r.value for r in detector.CLASSES)},
        "runtime": manifests.RUNTIME,
        "licence": "MIT (this project); trained only on windows this project generates",
        "training": {
            "code": "models/training (make models): train_roles.py crops the detector's training windows "
                    "and trains cnn.py's numpy network on them; no framework",
            "data": f"{windows} random forms of the detector's data (widget_data.py) built with Tk/ttk "
                    "(Tcl/Tk, BSD-style licence), Qt (PySide6, LGPL-3) and GTK 4 (LGPL-2.1+) on Xvfb, "
                    "labelled by the toolkits, looks: " + ", ".join("/".join(look) for look in LOOKS["train"])
                    + f"; {train_roles.COPIES} crop per true element, its box jittered "
                    f"by up to {train_roles.JITTER:g} of its height, {train_roles.EMPTY_PER_WINDOW} of "
                    "places with no element per window",
            "epochs": len(losses), "batch": train_roles.BATCH,
            "loss_by_epoch": [round(v, 3) for v in losses], "seconds": round(seconds),
        },
        "evaluation": _evaluation(result, held_out),
    }
    manifests.write(ROLES_MANIFEST, _ROLES_WHAT, manifest)


def _evaluation(result: dict, windows: int) -> dict:
    return {"held_out_looks": ", ".join("/".join(look) for look in LOOKS["held-out"]),
            "windows": windows, "iou": widget_eval.IOU,
            "fixtures": f"tests/fixtures/detector/ (the first {FIXTURE_WINDOWS} of these windows)", **result}


if __name__ == "__main__":
    main()
