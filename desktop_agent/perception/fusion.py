"""Accessibility nodes -> elements of the windows they show in, and what vision must still read there.

A node belongs to the window of its application that contains its centre (the topmost one: a Qt menu
shows its items in a popup window of its own); a node whose box lies outside every window of its
application, or is clipped away by a scrolled container, is dropped. Roles become the grounding's
roles; names, tooltips and field contents its words; a field's label comes from `labelled-by` (GTK) or
its own name (Qt), and else from the position of a label, as for vision.

What vision still reads in a window with a tree: the showing leaf nodes that are no element — canvases,
drawing areas, custom widgets (a leaf panel or filler), embedded content, and lists and tables whose
rows the tree doesn't hold (GTK 3 creates a list's cells only when asked). A blank one costs nothing
(the perceiver skips uniform pixels); a window whose tree names everything in it needs no OCR at all.

GTK 4 reports boxes relative to its window's surface, shadow included: they are moved by the window's
position less the shadow (half the difference between the surface's size and the window's).
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from desktop_agent.accessibility.nodes import WINDOW_ROLES, AppTree, Node
from desktop_agent.core.values import Element, Rect, Role, Window
from desktop_agent.perception.widget_text import label_by_position

_ROLES = {
    "push-button": Role.BUTTON, "toggle-button": Role.BUTTON, "push-button-menu": Role.BUTTON,
    "entry": Role.FIELD, "password-text": Role.FIELD, "spin-button": Role.FIELD,
    "check-box": Role.CHECKBOX, "radio-button": Role.RADIO, "combo-box": Role.COMBO,
    "list-item": Role.ITEM, "tree-item": Role.ITEM, "table-row": Role.ITEM,
    "table-cell": Role.CELL, "column-header": Role.CELL, "table-column-header": Role.CELL,
    "row-header": Role.CELL, "table-row-header": Role.CELL,
    "page-tab": Role.TAB,
    "menu": Role.MENU, "menu-item": Role.MENU, "check-menu-item": Role.MENU, "radio-menu-item": Role.MENU,
    "tearoff-menu-item": Role.MENU,
    "link": Role.LINK, "icon": Role.ICON, "image": Role.IMAGE, "desktop-icon": Role.ICON,
    "slider": Role.SLIDER, "scroll-bar": Role.SCROLLBAR,
    "label": Role.TEXT, "static": Role.TEXT, "heading": Role.TEXT, "caption": Role.TEXT,
    "status-bar": Role.TEXT, "accelerator-label": Role.TEXT, "paragraph": Role.TEXT,
}
_CLIPPING = frozenset({"viewport", "scroll-pane", "list", "list-box", "table", "tree", "tree-table",
                       "page-tab-list"})
_CHECKABLE = frozenset({Role.CHECKBOX, Role.RADIO, Role.BUTTON, Role.MENU})
_STATES = frozenset({"focused", "editable", "checked", "selected", "expanded", "expandable", "enabled",
                     "sensitive", "pressed", "multi-line", "read-only", "indeterminate"})
_MIN_OPAQUE_PX = 12
_CLASS_NAME = re.compile(r"^(Gtk|Q)[A-Z]\w*$")  # GTK 4 names an unlabelled entry "GtkEntry": no name


@dataclass(frozen=True, slots=True)
class WindowTree:
    """What the tree shows in one window: its elements (screen coordinates) and the boxes vision must
    still read, each inside the window."""

    elements: tuple[Element, ...]
    unread: tuple[Rect, ...]


def window_trees(trees: Sequence[AppTree], windows: Sequence[Window]) -> dict[int, WindowTree]:
    """Each window (by id) that an application's tree covers; windows of applications without one
    are not in it."""
    grouped: dict[int, tuple[list[Element], list[Rect]]] = {}
    for tree in trees:
        own = [w for w in windows if w.pid is not None and w.pid == tree.pid]
        if not own:
            continue
        shift = _gtk4_shift(tree, own)
        boxes = _visible_boxes(tree.nodes, shift)
        by_ref = {node.ref: node for node in tree.nodes}
        parents = {node.parent for node in tree.nodes if node.ref in boxes}
        for node in tree.nodes:
            box = boxes.get(node.ref)
            window = _window_of(box, own) if box is not None else None
            if box is None or window is None:
                continue
            elements, unread = grouped.setdefault(window.id, ([], []))
            element = _element(node, box, window.id, by_ref)
            if element is not None:
                elements.append(element)
            elif node.ref not in parents and node.role != "separator" \
                    and min(box.width, box.height) >= _MIN_OPAQUE_PX:
                clipped = box.intersection(window.box)
                if clipped is not None:
                    unread.append(clipped)
        for window in own:
            grouped.setdefault(window.id, ([], []))
    return {window_id: WindowTree(elements=_labelled(elements), unread=tuple(unread))
            for window_id, (elements, unread) in grouped.items() if elements or unread}


def _labelled(elements: list[Element]) -> tuple[Element, ...]:
    """A control's own caption (a label node inside a button saying what the button says) is not an
    element of its own; fields the tree doesn't label are labelled by position among its texts."""
    controls = [e for e in elements if e.role is not Role.TEXT]
    texts = [e for e in elements if e.role is Role.TEXT
             and not any(c.text == e.text and c.box.contains(e.box.center) for c in controls)]
    return tuple(replace(e, label=label_by_position(e, texts)) if not e.label and e.role in
                 (Role.FIELD, Role.COMBO) else e for e in elements if e.role is not Role.TEXT or e in texts)


def _element(node: Node, box: Rect, window_id: int, by_ref: dict[str, Node]) -> Element | None:
    role = _ROLES.get(node.role)
    if node.role == "text":
        role = Role.FIELD if "editable" in node.states else Role.TEXT
    if role is None:
        return None
    states = node.states & _STATES
    if node.role == "password-text":
        states |= {"password"}
    label = " ".join(by_ref[ref].name for ref in node.labelled_by if ref in by_ref and by_ref[ref].name)
    name = "" if _CLASS_NAME.match(node.name) else node.name
    if role is Role.FIELD:
        text, label = node.text or "", label or name
    elif role is Role.TEXT and not name:
        text = node.text or ""
    else:
        text = name or node.description  # an icon-only button's tooltip names it
    if role is Role.TEXT and not text.strip():
        return None
    checked = "checked" in node.states if role in _CHECKABLE and (
        "checkable" in node.states or role in (Role.CHECKBOX, Role.RADIO)) else None
    return Element(role=role, box=box, text=text, label=label, confidence=1.0, checked=checked,
                   window_id=window_id, source="a11y", states=frozenset(states), accessible=node.ref)


def _visible_boxes(nodes: Sequence[Node], shift: tuple[int, int]) -> dict[str, Rect]:
    """Each node's box (moved by `shift`), clipped by the scrolled containers around it; nodes
    clipped away, or whose clipping parent is gone, are left out. `nodes` come parents first."""
    clip: dict[str, Rect | None] = {}
    boxes: dict[str, Rect] = {}
    roles = {node.ref: node.role for node in nodes}
    for node in nodes:
        inherited = clip.get(node.parent) if node.parent is not None else None
        if node.parent is not None and node.parent not in roles:
            continue  # its parent wasn't showing
        box = None if node.box is None else Rect(left=node.box.left + shift[0], top=node.box.top + shift[1],
                                                 width=node.box.width, height=node.box.height)
        if box is not None and inherited is not None:
            box = box.intersection(inherited)
            if box is None:
                clip[node.ref] = inherited
                continue
        if box is not None:
            boxes[node.ref] = box
        clip[node.ref] = box if node.role in _CLIPPING and box is not None else inherited
    return boxes


def _window_of(box: Rect, windows: Sequence[Window]) -> Window | None:
    center = box.center
    return next((w for w in reversed(windows) if w.box.contains(center)), None)


def _gtk4_shift(tree: AppTree, windows: Sequence[Window]) -> tuple[int, int]:
    if not tree.toolkit.lower().startswith("gtk 4"):
        return (0, 0)
    tops = [node for node in tree.nodes if node.parent is None and node.role in WINDOW_ROLES and node.box]
    for top in tops:
        assert top.box is not None
        window = next((w for w in windows if w.title == top.name), None) or windows[-1]
        shadow_x = max(0, (top.box.width - window.box.width) // 2)
        shadow_y = max(0, (top.box.height - window.box.height) // 2)
        return (window.box.left - top.box.left - shadow_x, window.box.top - top.box.top - shadow_y)
    return (0, 0)
