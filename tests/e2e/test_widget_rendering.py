"""The element detector's data generator on a real Xvfb: Tk/ttk and Qt windows with the toolkits' boxes."""
from dataclasses import replace

import numpy as np

from desktop_agent.core.values import Role
from models.training.widget_data import load, plan, render
from models.training.widget_spec import ROLES, Part, WindowSpec

KNOWN = {r.value for r in ROLES}


def test_generated_windows_have_their_elements_inside_with_known_roles(tmp_path):
    specs = plan(2, 7, "train") + plan(2, 7, "held-out")
    render(specs, tmp_path)
    samples = load(tmp_path)
    assert [s.name for s in samples] == sorted(s.name for s in specs)
    for sample in samples:
        height, width = sample.image.shape[:2]
        assert sample.record["size"] == [width, height] and sample.image.std() > 5
        elements = sample.record["elements"]
        assert elements, sample.name
        for e in elements:
            left, top, w, h = e["box"]
            assert e["role"] in KNOWN
            assert 0 <= left and 0 <= top and w > 0 and h > 0 and left + w <= width and top + h <= height, e
            assert (e["checked"] is not None) == (e["role"] in ("checkbox", "radio")), e
        spec = WindowSpec.from_json(sample.record["spec"])
        expected_checks = sum(len(p.texts) for p in spec.parts if p.kind == "checks")
        assert sum(e["role"] == "checkbox" for e in elements) == expected_checks, sample.name


def _checkbox_window(toolkit: str, theme: str, checked: bool) -> WindowSpec:
    return WindowSpec(name=f"{toolkit}-{int(checked)}", split="train", toolkit=toolkit, theme=theme, palette="light",
                      font_size=10, padding=6, columns=1,
                      parts=(Part(kind="entry", texts=("Ada",), label="Name"),
                             Part(kind="checks", texts=("Insured",), states=(checked,))))


def test_a_checkbox_is_labelled_with_the_state_drawn_inside_its_box(tmp_path):
    """The same window with its box ticked and not: the labels say so, and the pixels that differ lie
    inside the labelled checkbox (its mark's box where the toolkit gives one)."""
    specs = [_checkbox_window(t, theme, c) for t, theme in (("tk", "clam"), ("qt", "Fusion")) for c in (False, True)]
    render(specs, tmp_path)
    by_name = {s.name: s for s in load(tmp_path)}
    for toolkit in ("tk", "qt"):
        off, on = by_name[f"{toolkit}-0"], by_name[f"{toolkit}-1"]
        boxes = []
        for sample, state in ((off, False), (on, True)):
            (check,) = [e for e in sample.record["elements"] if e["role"] == Role.CHECKBOX.value]
            assert check["checked"] is state and check["text"] == "Insured"
            boxes.append(check["indicator"] or check["box"])
        assert boxes[0] == boxes[1] and off.image.shape == on.image.shape
        ys, xs = np.nonzero(np.any(off.image != on.image, axis=2))
        assert xs.size > 0, f"{toolkit}: ticking the box changed nothing"
        left, top, width, height = boxes[0]
        assert left <= xs.min() and xs.max() < left + width and top <= ys.min() and ys.max() < top + height, \
            (toolkit, boxes[0], (xs.min(), ys.min(), xs.max(), ys.max()))


def test_the_same_spec_renders_the_same_pixels_and_boxes(tmp_path):
    spec = plan(1, 11, "train")[0]
    render([spec, replace(spec, name="again")], tmp_path)
    first, again = load(tmp_path)
    assert np.array_equal(first.image, again.image)
    assert first.record["elements"] == again.record["elements"]
