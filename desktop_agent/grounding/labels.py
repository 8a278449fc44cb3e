"""Labels and the widgets they name: a text beside or above a field, combo or check box names it; a check
box's caption is part of it (screen points; pure)."""
from __future__ import annotations

from collections.abc import Sequence

from desktop_agent.core.values import Element, Rect, Role
from desktop_agent.grounding.relations import EDGE_TOLERANCE, distance, in_band, overlap
from desktop_agent.grounding.textmatch import key

_LABEL_REACH = 200  # points between a text label and the unlabelled widget it names
_CAPTION_GAP = 2     # caption heights between a check box and its caption at most


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


def with_caption(mark: Element, caption: str, elements: Sequence[Element]) -> Rect:
    """A check box's whole box: its mark and the text `caption` just right of it, as the toolkits draw
    the widget (a click on either toggles it). The mark alone when no such caption is seen."""
    name = key(caption)
    captions = [e for e in elements if e.role is Role.TEXT and name and key(e.text) == name
                and in_band(e.box.center.y, mark.box.top, mark.box.bottom)
                and 0 <= e.box.left - mark.box.right + EDGE_TOLERANCE <= _CAPTION_GAP * e.box.height]
    nearest = min(captions, key=lambda e: e.box.left, default=None)
    return mark.box if nearest is None else mark.box.union(nearest.box)
