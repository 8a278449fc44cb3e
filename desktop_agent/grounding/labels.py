"""Labels and the widgets they name: a text beside or above a field, combo or check box names it (screen
points; pure)."""
from __future__ import annotations

from desktop_agent.core.values import Element, Rect, Role
from desktop_agent.grounding.relations import EDGE_TOLERANCE, distance, in_band, overlap
from desktop_agent.grounding.textmatch import key

_LABEL_REACH = 200  # points between a text label and the unlabelled widget it names


def labels_a_hit(match: Element, widgets: list[Element], hits: list[Element]) -> bool:
    """True for a TEXT match that is only the label of a widget that matched too."""
    if match.role is not Role.TEXT:
        return False
    widget = labelled_widget(match, widgets)
    return widget is not None and any(h is widget for h in hits)


def labelled_widget(text: Element, widgets: list[Element]) -> Element | None:
    """The widget a text element names: one whose label is that text, else the nearest unlabelled
    widget beside it in its row or just below it."""
    name = key(text.text)
    named = [w for w in widgets if w.label and key(w.label) == name]
    pool = named or [w for w in widgets if not w.label and _beside_or_below(text.box, w.box)]
    return min(pool, key=lambda w: distance(text.box.center, w.box.center), default=None)


def _beside_or_below(label: Rect, box: Rect) -> bool:
    if box.contains_rect(label):
        return True
    if in_band(box.center.y, label.top, label.bottom):
        gap = max(box.left - label.right, label.left - box.right)
        return -EDGE_TOLERANCE <= gap <= _LABEL_REACH
    gap = box.top - label.bottom
    return (-EDGE_TOLERANCE <= gap <= 2 * label.height
            and overlap(box.left, box.right, label.left, label.right))
