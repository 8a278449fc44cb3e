"""The element detector's data plan and the per-role scoring of proposals (no display)."""
import numpy as np

from desktop_agent.core.values import Element, Rect, Role
from models.training.widget_data import Sample, plan
from models.training.widget_eval import score
from models.training.widget_spec import HELD_OUT, WindowSpec


def test_the_plan_is_seeded_and_keeps_the_held_out_looks_out_of_training():
    assert plan(12, 3, "train") == plan(12, 3, "train")
    assert plan(12, 3, "train") != plan(12, 4, "train")
    train = {(s.toolkit, s.theme, s.palette) for s in plan(60, 0, "train")}
    held = {(s.toolkit, s.theme, s.palette) for s in plan(60, 0, "held-out")}
    assert held == set(HELD_OUT) and not train & held
    assert {"tk", "qt"} <= {look[0] for look in train}
    gtk = {look for look in train if look[0] == "gtk"}
    assert gtk == {("gtk", theme, p) for theme in ("Default", "Default-hc") for p in ("light", "dark")}
    spec = plan(1, 0, "held-out")[0]
    assert WindowSpec.from_json(spec.to_json()) == spec


def _element(role: Role, box: tuple[int, int, int, int], checked: bool | None = None) -> Element:
    return Element(role=role, box=Rect(left=box[0], top=box[1], width=box[2], height=box[3]), confidence=1.0,
                   checked=checked, source="widget")


def test_proposals_match_by_role_at_iou_half_and_a_checkbox_by_its_mark():
    truths = [{"role": "button", "box": [10, 10, 80, 24], "checked": None, "indicator": None},
              {"role": "field", "box": [10, 50, 200, 24], "checked": None, "indicator": None},
              {"role": "checkbox", "box": [10, 90, 90, 20], "checked": True, "indicator": [12, 94, 12, 12]}]
    proposals = [_element(Role.BUTTON, (12, 11, 78, 22)),          # IoU ~0.9: matched
                 _element(Role.BUTTON, (10, 50, 200, 24)),         # a field's box, wrong role
                 _element(Role.CHECKBOX, (12, 94, 12, 12), False)]  # on the mark; its state is wrong
    sample = Sample(name="x", image=np.zeros((1, 1, 3), np.uint8), record={"elements": truths})
    scores, _ms = score([sample], lambda _image: proposals)
    by_role = {s.role: s for s in scores}
    assert (by_role["button"].matched, by_role["button"].precision, by_role["button"].recall) == (1, 0.5, 1.0)
    assert (by_role["field"].matched, by_role["field"].proposals, by_role["field"].recall) == (0, 0, 0.0)
    assert (by_role["checkbox"].matched, by_role["checkbox"].state_agrees) == (1, 0)
