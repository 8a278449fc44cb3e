"""Accessibility trees recorded from real applications (tests/fixtures/trees) fused into elements:
windows, roles, labels, covered windows and GTK 4's window-relative boxes."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from desktop_agent.accessibility.nodes import AppTree, Changes, Node
from desktop_agent.core.values import Element, Frame, Rect, Role
from desktop_agent.perception.fusion import window_trees
from desktop_agent.perception.perceiver import Perceiver
from tests.fixtures.trees.recorded import load

TREES = Path(__file__).parents[1] / "fixtures" / "trees"


class RecordedTrees:
    def __init__(self, trees: list[AppTree]) -> None:
        self.trees, self.asked = trees, []

    def read(self, pids: frozenset[int], *, budget_s: float) -> list[AppTree]:
        self.asked.append(pids)
        return [tree for tree in self.trees if tree.pid in pids]

    def changes(self, pids: frozenset[int]) -> dict[int, Changes]:
        return {}  # it can't listen

    def refresh(self, tree: AppTree, refs: frozenset[str], *, budget_s: float) -> AppTree | None:
        return None

    def focused(self, ref: str, *, budget_s: float) -> bool | None:
        return None

    def wait_registered(self, pid: int, *, timeout_s: float) -> bool:
        return any(tree.pid == pid for tree in self.trees)


class NoText:
    """A text reader that reads nothing, and counts how often it was asked."""

    def __init__(self) -> None:
        self.reads = 0

    def read(self, image: np.ndarray, *, at_window_top: bool = True) -> list[Element]:
        self.reads += 1
        return []


def perceive(name: str, image: np.ndarray | None = None):
    windows, trees = load(TREES / f"{name}.json")
    width = max(w.box.right for w in windows) + 50
    height = max(w.box.bottom for w in windows) + 50
    frame = Frame(image=np.zeros((height, width, 3), np.uint8) if image is None else image,
                  region=Rect(left=0, top=0, width=width, height=height))
    text = NoText()
    screen = Perceiver(reader=text, accessibility=RecordedTrees(trees)).perceive(frame, windows)
    return screen, windows, text


def one(screen, role: Role, text: str) -> Element:
    found = [e for e in screen.elements if e.role is role and (e.text == text or e.label == text)]
    assert len(found) == 1, (role, text, [(e.role.value, e.text, e.label) for e in screen.elements])
    return found[0]


def test_qt_menu_items_belong_to_their_popup_and_every_control_is_named_without_ocr():
    screen, windows, text = perceive("qt_form")
    main, popup = windows
    export = one(screen, Role.MENU, "Export")
    assert export.window_id == popup.id and export.source == "a11y"
    assert one(screen, Role.MENU, "File").window_id == main.id
    assert one(screen, Role.BUTTON, "Save").box == Rect(left=213, top=143, width=32, height=31)  # an icon only
    assert one(screen, Role.FIELD, "Nickname").text == ""
    assert one(screen, Role.CHECKBOX, "Gift wrap").checked is False
    assert {e.text for e in screen.elements if e.role is Role.BUTTON} >= {"7", "%", "÷", "Apply"}
    assert text.reads == 0  # the tree names everything in the window: nothing is left for OCR


def test_gtk3_labels_come_from_labelled_by_and_a_covered_windows_nodes_are_dropped():
    screen, windows, _ = perceive("gtk3_form")
    order, cover = windows
    customer = one(screen, Role.FIELD, "Customer")
    assert customer.window_id == order.id and customer.box == Rect(left=270, top=152, width=168, height=34)
    assert [e for e in screen.elements if e.role is Role.FIELD and e.label == "Email"] == []  # under Cover
    for element in screen.elements:  # nothing of Order is offered where Cover lies over it
        if element.window_id == order.id:
            assert not cover.box.contains(element.box.center), element
    ok = [e for e in screen.elements if e.role is Role.BUTTON and e.text == "OK"]
    assert [e.window_id for e in ok] == [cover.id]  # Order's OK lies under Cover


def test_gtk4_boxes_are_moved_onto_the_window_and_its_entry_is_labelled_by_position():
    screen, windows, _ = perceive("gtk4_form")
    (window,) = windows
    surname = one(screen, Role.FIELD, "Surname")  # the tree names it "GtkEntry": no name at all
    assert surname.box == Rect(left=420 + 95, top=260 + 17, width=300, height=32)
    done = one(screen, Role.BUTTON, "Done")
    assert window.box.contains(done.box.center)
    assert [e for e in screen.elements if e.role is Role.TEXT and e.text == "Done"] == []  # its own caption


def test_a_password_field_is_marked_and_a_custom_widget_is_left_to_vision():
    windows, (tree,) = load(TREES / "gtk4_form.json")
    entry = next(n for n in tree.nodes if n.role == "text")
    canvas = Node(ref=":1.9/canvas", role="drawing-area", box=Rect(left=16, top=100, width=200, height=50),
                  states=frozenset({"visible"}), parent=entry.parent)
    tree = replace(tree, nodes=tuple(replace(n, role="password-text") if n is entry else n
                                     for n in tree.nodes) + (canvas,))
    (fused,) = window_trees([tree], windows).values()
    field = next(e for e in fused.elements if e.role is Role.FIELD)
    assert "password" in field.states
    assert fused.unread == (Rect(left=420 + 16, top=260 + 100, width=200, height=50),)


def test_windows_of_applications_without_a_tree_are_left_to_vision_and_read_whole():
    windows, trees = load(TREES / "gtk3_form.json")
    order, cover = windows
    order_tree = next(t for t in trees if any(n.name == "Order" for n in t.nodes))
    assert set(window_trees([order_tree], [order, cover])) == {order.id}
    image = np.zeros((450, 700, 3), np.uint8)
    image[200:260, 350:600] = 255  # something drawn in Cover, which has no tree here
    text = NoText()
    frame = Frame(image=image, region=Rect(left=0, top=0, width=700, height=450))
    Perceiver(reader=text, accessibility=RecordedTrees([order_tree])).perceive(frame, windows)
    assert text.reads == 1  # Cover, whole; Order came from its tree
