"""Smoke test of make models: the generator on an installed theme, training steps, the ONNX export."""
import numpy as np
import onnxruntime as ort

from models.training import cnn
from models.training.icon_data import augment, load_meanings, near_copies, samples, theme_sources


def test_icon_names_become_meanings_by_the_table_and_its_rules():
    meanings = load_meanings()
    undo = meanings.of("edit-undo-symbolic.svg")
    assert undo is not None and meanings.words[undo[0]] == "undo" and undo[1] is True
    back = meanings.of("go-previous-ltr.png")
    assert back is not None and meanings.words[back[0]] == "back" and back[1] is False
    assert meanings.of("go-previous-rtl.png") is None and meanings.of("go-next-rtl-symbolic.svg") is None
    assert meanings.words[meanings.of("system-search.png")[0]] == "search"
    assert meanings.words[meanings.of("edit-find.svg")[0]] == "search"
    assert meanings.words[meanings.of("document-save-symbolic.symbolic.png")[0]] == "save"
    assert meanings.of("no-such-icon.png") is None


def test_generator_draws_an_installed_theme_and_training_steps_lower_the_loss():
    meanings = load_meanings()
    wanted = {meanings.by_name[n] for n in ("document-save", "edit-undo", "edit-copy", "go-home")}
    sources = [s for s in theme_sources("Adwaita", meanings) if s.meaning in wanted]
    picked = [next(s for s in sources if s.path.suffix == suffix and s.meaning == m)
              for m in sorted(wanted) for suffix in (".svg", ".png")]
    images, labels = samples(picked, 4, np.random.default_rng(0))
    assert images.shape == (len(picked) * 4, 3, 32, 32) and images.dtype == np.uint8
    assert set(labels.tolist()) == wanted
    assert all(image.std() > 5 for image in images)  # an icon was drawn, not just a background

    rng = np.random.default_rng(0)
    x = augment(images, rng)
    assert x.shape == images.shape and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    params = cnn.init(len(meanings.words), rng)
    adam = cnn.Adam(params)
    first, _ = cnn.loss_and_grads(params, x, labels)
    for _ in range(20):
        loss, grads = cnn.loss_and_grads(params, x, labels)
        adam.step(params, grads, 2e-3)
    assert loss < first * 0.5

    model = cnn.to_onnx(params, (3, 32, 32), {"words": "[]"}, name="icon_reader")
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (exported,) = session.run(None, {"image": x})
    np.testing.assert_allclose(exported, cnn.forward(params, x), atol=1e-4)


def test_a_copy_of_a_held_out_icon_is_found_and_another_drawing_is_not():
    meanings = load_meanings()
    undo = [s for s in theme_sources("Adwaita", meanings) if meanings.words[s.meaning] == "undo"]
    held_out = [s for s in undo if s.size == 24 and "legacy" in s.path.parts]  # the full-colour drawing
    symbolic = [s for s in undo if s.symbolic and s.path.suffix == ".svg"]
    assert held_out and symbolic
    assert near_copies(held_out, held_out) == held_out
    assert near_copies(symbolic, held_out) == []
    assert not any("legacy" in s.path.parts for s in theme_sources("Adwaita", meanings, skip=frozenset({"legacy"})))
