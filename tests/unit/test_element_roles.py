"""The committed role reader on the true boxes of committed windows of looks it was not trained on, its
input, and the training code it came from (one short training run, the ONNX export against numpy)."""
from pathlib import Path

import numpy as np
import onnxruntime as ort

from desktop_agent.core.values import Rect
from desktop_agent.perception import element_roles, models
from desktop_agent.perception.detector import CLASSES
from desktop_agent.perception.element_roles import END, HEIGHT, SHAPE, RoleReader, preprocess
from models.training import cnn, train_roles, widget_data, widget_eval

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "detector"
# Share of true boxes named right, measured on these 48 windows 2026-12-04, less 0.05: a worse model fails.
LEAST = {"button": 0.88, "field": 0.75, "checkbox": 0.49, "combo": 0.95, "radio": 0.77, "tab": 0.67,
         "slider": 0.88, "item": 0.94, "text": 0.95}


def test_the_role_reader_names_the_true_boxes_of_looks_it_never_saw():
    reader = RoleReader()
    right: dict[str, list[bool]] = {}
    for sample in widget_data.load(FIXTURES):
        truths = sample.record["elements"]
        probs = reader.read(sample.image, [widget_eval.rect_of(e["box"]) for e in truths])
        assert probs.shape == (len(truths), len(CLASSES)) and np.allclose(probs.sum(axis=1), 1, atol=1e-4)
        for truth, p in zip(truths, probs):
            named = CLASSES[int(p.argmax())]
            right.setdefault(truth["role"], []).append(named is not None and named.value == truth["role"])
    shares = {role: float(np.mean(hits)) for role, hits in right.items()}
    for role, least in LEAST.items():
        assert shares[role] >= least, (role, shares[role])
    assert models.resolve(element_roles.MODEL).sha256 == models.manifest(element_roles.MODEL)["sha256"]


def test_preprocess_puts_a_long_boxs_two_ends_side_by_side_at_one_height():
    image = np.full((60, 400, 3), 200, np.uint8)
    image[20:40, 50:60] = 0     # a mark at the box's left end
    image[20:40, 330:340] = 255  # ... and one at its right end
    box = Rect(left=50, top=20, width=290, height=20)
    x = preprocess(image, box)
    assert x.shape == SHAPE and x.dtype == np.float32
    margin = round(element_roles.CONTEXT * 20) * HEIGHT / 28  # the context, in the scaled pixels
    left_mark = x[:3, HEIGHT // 2, round(margin) + 2]
    right_mark = x[:3, HEIGHT // 2, 2 * END - round(margin) - 3]
    assert np.allclose(left_mark, -0.5) and np.allclose(right_mark, 0.5)
    assert np.allclose(x[3], np.log(290 / 20) / element_roles.ASPECT_UNIT)


def test_preprocess_pads_a_short_box_and_one_at_the_image_edge():
    image = np.full((30, 30, 3), 90, np.uint8)
    x = preprocess(image, Rect(left=0, top=0, width=12, height=12))
    assert x.shape == SHAPE and np.allclose(x[:3], 90 / 255 - 0.5)


def test_a_short_training_run_lowers_the_loss_and_exports_what_numpy_computes(tmp_path):
    samples = widget_data.load(FIXTURES)[:3]
    params, losses = train_roles.train(samples, epochs=3, seed=1)
    assert losses[-1] < losses[0]
    path = tmp_path / "roles.onnx"
    train_roles.export(params, path)
    crops = np.stack([preprocess(samples[0].image, widget_eval.rect_of(e["box"]))
                      for e in samples[0].record["elements"][:5]])
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (exported,) = session.run(None, {"image": crops})
    np.testing.assert_allclose(exported, cnn.forward(params, crops), atol=1e-4)
