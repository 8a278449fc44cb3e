"""The element detector's data generator on a real Xvfb: Tk/ttk, Qt and GTK 4 windows, the toolkits' boxes."""
import subprocess
from dataclasses import replace

import numpy as np
import pytest

from desktop_agent.core.values import Role
from models.training.widget_data import load, plan, render
from models.training.widget_gtk import GTK_PYTHON
from models.training.widget_spec import LOOKS, ROLES, Part, WindowSpec

KNOWN = {r.value for r in ROLES}
ROLE_OF_KIND = {"label": "text", "buttons": "button", "entry": "field", "checks": "checkbox",
                "radios": "radio", "combo": "combo", "slider": "slider", "list": "item", "tabs": "tab"}
GTK_LOOKS = {look for look in LOOKS["train"] if look[0] == "gtk"}


def require_gtk4() -> None:
    """Debian's python3 with GTK 4's PyGObject, or fail (never skip) naming its packages."""
    found = subprocess.run([GTK_PYTHON, "-c", "import gi; gi.require_version('Gtk', '4.0')"],
                           capture_output=True)
    if found.returncode != 0:
        pytest.fail(f"{GTK_PYTHON} cannot load GTK 4; run installer/install.sh (Debian packages python3-gi, "
                    "gir1.2-gtk-4.0)", pytrace=False)


def _assert_sane(specs: list[WindowSpec], folder) -> None:
    """Every window rendered, its elements inside it with known roles, one role per part kind present, and
    the check boxes' and radios' states those of the spec, in order."""
    render(specs, folder)
    samples = load(folder)
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
        assert {ROLE_OF_KIND[p.kind] for p in spec.parts} <= {e["role"] for e in elements}, sample.name
        for kind in ("checks", "radios"):
            states = [e["checked"] for e in elements if e["role"] == ROLE_OF_KIND[kind]]
            assert states == [s for p in spec.parts if p.kind == kind for s in p.states], (sample.name, kind)


def test_generated_windows_have_their_elements_inside_with_known_roles(tmp_path):
    _assert_sane(plan(2, 7, "train") + plan(2, 7, "held-out"), tmp_path)


def test_gtk_windows_of_every_gtk_look_are_labelled_by_gtk(tmp_path):
    """Two windows of each GTK 4 look (Default and Default-hc, light and dark), built by GTK itself: sane
    as above, and every check box and radio with its indicator inside it."""
    require_gtk4()
    specs = [s for s in plan(2 * len(LOOKS["train"]), 7, "train") if s.toolkit == "gtk"]
    assert {(s.toolkit, s.theme, s.palette) for s in specs} == GTK_LOOKS and len(specs) == 2 * len(GTK_LOOKS)
    _assert_sane(specs, tmp_path)
    for sample in load(tmp_path):
        for e in sample.record["elements"]:
            assert e["widget"].startswith("Gtk."), e
            if e["role"] in ("checkbox", "radio"):
                (left, top, w, h), (il, it, iw, ih) = e["box"], e["indicator"]
                assert left <= il and top <= it and il + iw <= left + w and it + ih <= top + h, e
                assert iw > 0 and ih > 0, e


def _checkbox_window(toolkit: str, theme: str, checked: bool) -> WindowSpec:
    return WindowSpec(name=f"{toolkit}-{theme}-{int(checked)}", split="train", toolkit=toolkit, theme=theme,
                      palette="light", font_size=10, padding=6, columns=1,
                      parts=(Part(kind="entry", texts=("Ada",), label="Name"),
                             Part(kind="checks", texts=("Insured",), states=(checked,))))


@pytest.mark.parametrize("looks", [[("tk", "clam"), ("qt", "Fusion")],
                                   [("gtk", "Default"), ("gtk", "Default-hc")]], ids=["tk-qt", "gtk"])
def test_a_checkbox_is_labelled_with_the_state_drawn_inside_its_box(tmp_path, looks):
    """The same window with its box ticked and not: the labels say so, and the pixels that differ lie
    inside the labelled checkbox (its mark's box where the toolkit gives one)."""
    if looks[0][0] == "gtk":
        require_gtk4()
    render([_checkbox_window(t, theme, c) for t, theme in looks for c in (False, True)], tmp_path)
    by_name = {s.name: s for s in load(tmp_path)}
    for toolkit, theme in looks:
        off, on = by_name[f"{toolkit}-{theme}-0"], by_name[f"{toolkit}-{theme}-1"]
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
            (toolkit, theme, boxes[0], (xs.min(), ys.min(), xs.max(), ys.max()))


@pytest.mark.parametrize("toolkit", ["tk", "gtk"])
def test_the_same_spec_renders_the_same_pixels_and_boxes(tmp_path, toolkit):
    if toolkit == "gtk":
        require_gtk4()
    spec = next(s for s in plan(len(LOOKS["train"]), 11, "train") if s.toolkit == toolkit)
    render([spec, replace(spec, name="again")], tmp_path)
    first, again = load(tmp_path)
    assert np.array_equal(first.image, again.image)
    assert first.record["elements"] == again.record["elements"]
