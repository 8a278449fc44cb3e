from pathlib import Path

import numpy as np
import pytest

from desktop_agent.core.errors import GroundingError
from desktop_agent.core.values import (
    Anchor,
    Element,
    Frame,
    Point,
    Rect,
    Relation,
    Role,
    Screen,
    TargetSpec,
    Window,
)
from desktop_agent.grounding.resolve import find_all, ground
from desktop_agent.screen import coords

REGION = Rect(left=0, top=0, width=1000, height=800)


def box(left, top, width=60, height=20):
    return Rect(left=left, top=top, width=width, height=height)


def el(role, left, top, width=60, height=20, **kw):
    return Element(role=role, box=box(left, top, width, height), **kw)


def text(s, left, top, width=None, height=20, **kw):
    return el(Role.TEXT, left, top, width or 10 * len(s), height, text=s, **kw)


def screen(*elements, windows=(), region=REGION, scale=1.0):
    image = np.zeros((round(region.height * scale), round(region.width * scale), 3), np.uint8)
    return Screen(frame=Frame(image=image, region=region, scale=scale), elements=tuple(elements),
                  windows=tuple(windows))


def spec(s=None, **kw):
    return TargetSpec(text=s, **kw)


def rel(relation, s, **kw):
    return Anchor(relation=relation, target=TargetSpec(text=s, **kw))


# ---------------------------------------------------------------- text tiers
def test_exact_word_beats_longer_label_and_hides_lower_tiers():
    button = el(Role.BUTTON, 300, 100, text="Edit")
    longer = text("Edit settings", 20, 100)
    sc = screen(longer, button)
    target = ground(spec("Edit"), sc)
    assert target.element == button
    assert target.strategy == "text-exact"
    assert target.point == button.box.center
    assert "1 candidate" in target.why
    assert [c.element for c in find_all(spec("Edit"), sc)] == [button]


def test_normalized_match_ignores_case_colon_and_mnemonic():
    sc = screen(text("Customer Name:", 20, 100), el(Role.MENU, 20, 10, text="&File"))
    assert ground(spec("customer name"), sc).strategy == "text-normalized"
    assert ground(spec("File"), sc).element.role is Role.MENU


def test_fuzzy_match_folds_ocr_confusables():
    target = ground(spec("Submit order"), screen(text("Subrnit 0rder", 100, 100), text("Cancel", 300, 100)))
    assert target.strategy == "text-fuzzy"
    assert target.element.text == "Subrnit 0rder"
    assert 0.4 <= target.score <= 0.5


def test_a_capital_f_read_as_e_is_a_fuzzy_match_inside_a_menu_bar_line():
    line = text("Eile Edit View Image", 0, 0, width=200)  # mtpaint's menu bar as OCR read it
    target = ground(spec("File"), screen(line))
    assert target.strategy == "text-fuzzy"
    assert target.box == Rect(left=0, top=0, width=40, height=20)
    assert ground(spec("Edit"), screen(line)).strategy == "text-contains"  # the E that is an E


def test_a_fuzzy_match_never_changes_a_number():
    sc = screen(text("Item 26", 100, 100), text("Item l2", 100, 200))  # "l2": an OCR misread of 12
    target = ground(spec("Item 12"), sc)
    assert (target.element.text, target.strategy) == ("Item l2", "text-fuzzy")
    with pytest.raises(GroundingError):
        ground(spec("Item 12"), screen(text("Item 26", 100, 100), text("Item 2", 100, 200)))


def test_word_inside_menu_bar_line_gets_its_own_box():
    line = text("File Edit Search View", 0, 0, width=210)  # 10 points a character
    target = ground(spec("Edit"), screen(line))
    assert target.strategy == "text-contains"
    assert target.box == Rect(left=50, top=0, width=40, height=20)
    assert target.element.text == "Edit"
    assert 'word "Edit"' in target.why


def test_punctuation_query_matches_only_exactly():
    sc = screen(el(Role.BUTTON, 20, 20, text="-"), el(Role.BUTTON, 100, 20, text="+"))
    assert [c.element.text for c in find_all(spec("+"), sc)] == ["+"]
    assert find_all(spec("×"), sc) == []


def test_interactive_element_wins_over_its_own_caption_text():
    button = el(Role.BUTTON, 400, 300, width=80, height=30, text="OK")
    caption = text("OK", 430, 305)
    target = ground(spec("OK"), screen(caption, button))
    assert target.element == button


def test_text_that_labels_a_matching_field_is_not_a_rival():
    field = el(Role.FIELD, 120, 100, width=200, label="Email")
    target = ground(spec("Email"), screen(text("Email", 20, 100), field))
    assert target.element == field
    assert target.strategy == "label-exact"


# ---------------------------------------------------------------- ambiguity, ordinals, reading order
EDITS = (text("Edit", 400, 300), text("Edit", 20, 102), text("Edit", 200, 98))


def test_ambiguity_lists_candidates_with_boxes():
    with pytest.raises(GroundingError) as caught:
        ground(spec("Edit"), screen(*EDITS))
    error = caught.value
    assert error.message == ('"Edit" matches 3 elements; add an ordinal ("the 2nd") '
                             'or a relation ("right of ...")')
    assert error.candidates == ('text "Edit" at (20,102 40x20)', 'text "Edit" at (200,98 40x20)',
                                'text "Edit" at (400,300 40x20)')


def test_ordinal_second_and_last():
    sc = screen(*EDITS)
    second = ground(spec("Edit", ordinal=2), sc)
    assert second.box.left == 200
    assert second.strategy == "text-exact+ordinal"
    assert "2 of 3 in reading order" in second.why
    assert ground(spec("Edit", ordinal=-1), sc).box.left == 400


def test_ordinal_beyond_the_candidates_fails():
    with pytest.raises(GroundingError, match="only 3 elements match"):
        ground(spec("Edit", ordinal=4), screen(*EDITS))


def test_reading_order_groups_rows_by_centre():
    # centres 58, 62 and 66 are within half a line (10) of the row's first; 85 starts a new row
    sc = screen(text("Go", 300, 52), text("Go", 10, 75), text("Go", 500, 56), text("Go", 100, 48))
    order = [(c.element.box.left, c.element.box.top) for c in find_all(spec("Go"), sc)]
    assert order == [(100, 48), (300, 52), (500, 56), (10, 75)]


# ---------------------------------------------------------------- relations
def test_right_of_picks_nearest_in_the_same_row():
    near_next_row = el(Role.FIELD, 130, 125, height=24)
    same_row = el(Role.FIELD, 300, 98, height=24)
    sc = screen(text("Name", 20, 100), near_next_row, same_row)
    target = ground(TargetSpec(role=Role.FIELD, anchor=rel(Relation.RIGHT_OF, "Name")), sc)
    assert target.element == same_row
    assert target.strategy == "role+relation:right of"
    assert 'right of "Name" at (20,100 40x20)' in target.why


def test_right_of_prefers_nearest_over_ambiguity():
    far, near = el(Role.BUTTON, 500, 100, text="+"), el(Role.BUTTON, 200, 100, text="+")
    sc = screen(text("Qty", 20, 100), far, near)
    target = ground(spec("+", anchor=rel(Relation.RIGHT_OF, "Qty")), sc)
    assert target.element == near
    assert "nearest of 2" in target.why


def test_below_picks_the_field_under_the_label():
    under = el(Role.FIELD, 20, 130, width=200)
    sc = screen(text("Address", 20, 100), el(Role.FIELD, 400, 100, width=200), under, el(Role.FIELD, 20, 300))
    target = ground(TargetSpec(role=Role.FIELD, anchor=rel(Relation.BELOW, "Address")), sc)
    assert target.element == under


@pytest.mark.parametrize(("relation", "expected"), [(Relation.LEFT_OF, 20), (Relation.ABOVE, 400),
                                                     (Relation.NEAR, 400)])
def test_other_relations_pick_the_nearest(relation, expected):
    sc = screen(el(Role.BUTTON, 20, 300, text="Go"), el(Role.BUTTON, 400, 100, text="Go"),
                el(Role.BUTTON, 900, 600, text="Go"), text("Here", 400, 300))
    assert ground(spec("Go", anchor=rel(relation, "Here")), sc).box.left == expected


def test_relation_with_no_candidate_names_the_anchor_box():
    sc = screen(text("Name", 20, 100), el(Role.FIELD, 300, 400))
    with pytest.raises(GroundingError, match=r'no field right of "Name" at \(20,100 40x20\)') as caught:
        ground(TargetSpec(role=Role.FIELD, anchor=rel(Relation.RIGHT_OF, "Name")), sc)
    assert caught.value.candidates == ("field \"\" at (300,400 60x20)",)


def test_ambiguous_anchor_fails_strictly():
    sc = screen(text("Name", 20, 100), text("Name", 20, 200), el(Role.FIELD, 300, 100))
    with pytest.raises(GroundingError, match='anchor "Name": "Name" matches 2'):
        ground(TargetSpec(role=Role.FIELD, anchor=rel(Relation.RIGHT_OF, "Name")), sc)


def test_inside_window_by_title():
    editor = Window(id=1, title="notes.txt - Editor", wm_class="editor", box=box(0, 0, 500, 400))
    dialog = Window(id=2, title="Save changes?", wm_class="editor", box=box(500, 0, 400, 300))
    ok_editor = el(Role.BUTTON, 100, 300, text="OK", window_id=1)
    ok_dialog = el(Role.BUTTON, 600, 200, text="OK", window_id=2)
    sc = screen(ok_editor, ok_dialog, windows=(editor, dialog))
    target = ground(spec("OK", anchor=rel(Relation.INSIDE, "Save changes")), sc)
    assert target.element == ok_dialog
    assert target.strategy == "text-exact+relation:inside"
    assert 'inside window "Save changes?"' in target.why


def test_inside_falls_back_to_the_window_holding_a_title_text():
    left = Window(id=1, title="A", wm_class="x", box=Rect(left=0, top=0, width=500, height=400))
    right = Window(id=2, title="B", wm_class="x", box=Rect(left=500, top=0, width=500, height=400))
    sc = screen(text("Shipping", 520, 10), el(Role.BUTTON, 20, 300, text="Next"),
                el(Role.BUTTON, 700, 300, text="Next"), windows=(left, right))
    assert ground(spec("Next", anchor=rel(Relation.INSIDE, "Shipping")), sc).box.left == 700


# ---------------------------------------------------------------- roles
def test_checkbox_found_through_its_caption_text():
    box_only = el(Role.CHECKBOX, 20, 200, width=16, height=16, checked=False)
    other = el(Role.CHECKBOX, 20, 260, width=16, height=16, checked=True)
    sc = screen(box_only, text("Gift wrap", 42, 198), other, text("Express", 42, 258))
    target = ground(spec("Gift wrap", role=Role.CHECKBOX), sc)
    assert target.element is not None and target.element.role is Role.CHECKBOX
    assert target.element.checked is False
    assert target.point == box_only.box.center
    assert target.strategy == "label-exact"


def test_a_checkbox_named_by_its_caption_is_boxed_with_it_and_acted_on_at_its_mark():
    mark = el(Role.CHECKBOX, 20, 202, width=16, height=16, checked=False, label="Remember me")
    caption = text("Remember me", 42, 200)
    far = screen(mark, caption, text("Remember me", 400, 500))  # the same words elsewhere are no caption
    for target in (ground(spec("Remember me", role=Role.CHECKBOX), far),
                   ground(spec("Remember me"), screen(mark, caption))):
        assert target.box == mark.box.union(caption.box)
        assert target.point == mark.box.center
    lone = el(Role.CHECKBOX, 20, 300, width=16, height=16, checked=True, label="Keep")
    assert ground(spec("Keep", role=Role.CHECKBOX), screen(lone)).box == lone.box  # no caption seen


def test_field_found_by_its_label():
    email = el(Role.FIELD, 120, 100, width=200, label="Email")
    name = el(Role.FIELD, 120, 140, width=200, text="Ada", label="Name")
    sc = screen(text("Email", 20, 100), email, text("Name", 20, 140), name)
    target = ground(spec("Email", role=Role.FIELD), sc)
    assert target.element == email
    assert target.point == email.box.center


def test_a_role_is_evidence_not_a_gate():
    # The words name exactly one element, seen as another kind: it is the target, and `why` says so.
    target = ground(spec("General", role=Role.TAB), screen(el(Role.BUTTON, 20, 20, 80, 24, text="General")))
    assert target.element.role is Role.BUTTON
    assert "no tab matched the words; perception saw them as button" in target.why
    # Several name it: the one of the named kind wins.
    both = screen(text("General", 20, 20), el(Role.BUTTON, 20, 200, 80, 24, text="General"))
    assert ground(spec("General", role=Role.BUTTON), both).element.role is Role.BUTTON


def test_a_label_never_stands_in_for_the_control_it_names():
    with pytest.raises(GroundingError, match='no field matches "Gift wrap"'):
        ground(spec("Gift wrap", role=Role.FIELD), screen(text("Gift wrap", 20, 20)))


def test_menu_role_falls_back_to_ocr_text():
    target = ground(spec("File", role=Role.MENU), screen(text("File", 10, 5), text("Filed", 10, 300)))
    assert target.element.role is Role.TEXT
    assert "no menu matched the words; perception saw them as text" in target.why


# ---------------------------------------------------------------- no match
def test_no_match_lists_the_closest_texts():
    sc = screen(text("Cancel", 20, 20), text("Submit order", 100, 20), text("Help", 300, 20),
                text("Submit", 400, 20))
    with pytest.raises(GroundingError, match='no element matches "Submission"') as caught:
        ground(spec("Submission"), sc)
    assert caught.value.candidates[:2] == ('text "Submit" at (400,20 60x20)',
                                           'text "Submit order" at (100,20 120x20)')
    assert find_all(spec("Submission"), sc) == []


# ---------------------------------------------------------------- points and images
def test_point_target():
    target = ground(TargetSpec(point=Point(x=10, y=20)), screen())
    assert (target.box, target.point, target.strategy) == (Rect(left=10, top=20, width=1, height=1),
                                                           Point(x=10, y=20), "point")


def test_point_outside_the_screen_fails():
    with pytest.raises(GroundingError, match="outside the screen"):
        ground(TargetSpec(point=Point(x=1000, y=20)), screen())


def test_image_target_uses_matcher_region_and_scale(tmp_path):
    region = Rect(left=100, top=50, width=400, height=300)
    window = Window(id=7, title="Palette", wm_class="x", box=Rect(left=300, top=50, width=200, height=300))
    sc = screen(windows=(window,), region=region, scale=2.0)
    calls = []

    def fake_matcher(image, path, region_px):
        calls.append((image.shape, path, region_px))
        return Rect(left=420, top=100, width=40, height=20)  # pixels, inside the window's part of the image

    spec_ = TargetSpec(image=Path("icons/brush.png"), anchor=rel(Relation.INSIDE, "Palette"))
    target = ground(spec_, sc, match_template=fake_matcher, base_dir=tmp_path)
    window_px = coords.screen_to_image(sc.frame, window.box)
    assert calls == [((600, 800, 3), tmp_path / "icons/brush.png", window_px)]
    assert window_px == Rect(left=400, top=0, width=400, height=600)
    assert target.box == Rect(left=310, top=100, width=20, height=10)
    assert target.strategy == "template+relation:inside"


def test_image_target_without_matcher_fails():
    with pytest.raises(GroundingError, match="no template matcher"):
        ground(TargetSpec(image=Path("x.png")), screen())


def test_image_matcher_error_propagates():
    def absent(image, path, region_px):
        raise GroundingError(f"template {path.name} not found")

    with pytest.raises(GroundingError, match="x.png not found"):
        ground(TargetSpec(image=Path("x.png")), screen(), match_template=absent)
