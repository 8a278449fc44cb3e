"""OCR text fused with widget proposals (both in one image's pixels): text inside a widget becomes its
text, labels name the fields, combos and check boxes beside them; see `attach_text`."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from desktop_agent.core.values import Element, Rect, Role

TEXT_INSIDE = 0.8  # share of a text box (or of a glyph-widget) inside the other one
LABEL_LINES = 2  # how far a label may sit from its widget, in text heights


def attach_text(widgets: Sequence[Element], texts: Sequence[Element]) -> list[Element]:
    """Merge OCR TEXT elements (pixel boxes, same image) into the widgets: the final elements for the image.

    Text inside a button, field or combo becomes its `.text` and is not returned on its own; a text line
    crossing a widget's edge (OCR often joins "Name" and the field's value) is split there in proportion
    to its characters. Fields and combos take `.label` from the nearest text left of them on the same
    row, else just above; checkboxes from the nearest text to their right. Labels stay TEXT elements too.
    A widget lying inside a line of text, past its start, is a glyph (U+2610 in a legend) and is dropped;
    a "button" holding lines of text far apart in one row is a frame (a menu bar's, mtpaint's): dropped,
    its text stays TEXT.
    """
    kept = [w for w in widgets if not any(_is_glyph(w.box, t.box) for t in texts)]
    values: dict[int, list[Element]] = {id(w): [] for w in kept}
    free: list[Element] = []
    for text in texts:
        free.extend(_place_text(text, kept, values))
    frames = {id(w) for w in kept if w.role is Role.BUTTON and _spread(values[id(w)])}
    free += [t for w in kept if id(w) in frames for t in values[id(w)]]
    out = [_with_text(w, values[id(w)], free) for w in kept if id(w) not in frames]
    return sorted(out + free, key=lambda e: (e.box.top, e.box.left))


def _spread(inside: Sequence[Element]) -> bool:
    """Lines of text side by side with a gap wider than their height between two of them: what a frame
    around a menu bar or a row of controls holds, never one button's caption."""
    row = sorted(inside, key=lambda t: t.box.left)
    return any(b.box.left - a.box.right > max(a.box.height, b.box.height)
               and abs(a.box.center.y - b.box.center.y) < max(a.box.height, b.box.height) / 2
               for a, b in zip(row, row[1:]))


def _is_glyph(widget: Rect, text: Rect) -> bool:
    inter = widget.intersection(text)
    inside = inter is not None and inter.area >= TEXT_INSIDE * widget.area
    return inside and widget.left - text.left > widget.width


def _place_text(text: Element, widgets: Sequence[Element], values: dict[int, list[Element]]) -> list[Element]:
    """Absorb `text` into the widget it lies in, or split it at the edges of a widget its line runs
    through (its middle within the widget's height); return what stays TEXT."""
    for widget in widgets:
        inter = widget.box.intersection(text.box)
        if inter is None:
            continue
        if inter.area >= TEXT_INSIDE * text.box.area or _within(text, widget.box):
            if widget.role is not Role.CHECKBOX:  # in a checkbox it is OCR reading the mark: dropped
                values[id(widget)].append(text)
            return []
        if not widget.box.top <= text.box.center.y < widget.box.bottom:
            continue
        # A checkbox's caption starts right of it; a field's label may run into its left side.
        sides = (widget.box.right,) if widget.role is Role.CHECKBOX else (widget.box.left, widget.box.right)
        edges = [x for x in sides if text.box.left < x < text.box.right]
        if not edges:
            continue
        if widget.role is Role.CHECKBOX:
            return _present(_caption_after_mark(text, edges[0]))
        before, rest = _split(text, edges[0])
        if edges[0] == widget.box.right:  # the line starts inside the widget
            inside, after = before, rest
            before = None
        elif len(edges) > 1 and rest is not None:  # it runs right through the widget
            inside, after = _split(rest, edges[1])
        else:
            inside, after = rest, None
        values[id(widget)].extend(_present(inside))
        return [t for part in (before, after) if part is not None for t in _place_text(part, widgets, values)]
    return [text]


def _within(text: Element, widget: Rect) -> bool:
    """A line as wide as the widget's inside at most, its middle inside: OCR's box is often taller, and
    it may start up to a character before a field's edge (a value drawn right against it: Tk's entries)."""
    box = text.box
    glyph = max(2, box.width // max(1, len(text.text)))
    return widget.contains(box.center) and widget.left - glyph <= box.left and box.right <= widget.right + 2


def _present(text: Element | None) -> list[Element]:
    return [] if text is None else [text]


# What OCR makes of a checkbox's mark at the start of its caption: a lone character ("× Match case",
# "O Gift wrap") or symbols glued to it ("☑Newsletter").
_MARK = re.compile(r"^(?:\S\s+|[^A-Za-z0-9\s]+\s*)")


def _caption_after_mark(text: Element, x: int) -> Element | None:
    """The caption of a checkbox whose OCR line starts over the box: the line without the mark, if
    OCR read one, boxed from the checkbox's right edge."""
    caption = _MARK.sub("", text.text, count=1) if text.box.left < x - 2 else text.text
    box = Rect.from_corners(x, text.box.top, text.box.right, text.box.bottom)
    return replace(text, text=caption.strip(), box=box) if caption.strip() else None


def _split(text: Element, x: int) -> tuple[Element | None, Element | None]:
    """Cut a text line at pixel column `x`, assuming characters of equal width."""
    cut = round((x - text.box.left) / max(1, text.box.width) * len(text.text))
    head, tail = text.text[:cut].strip(), text.text[cut:].strip()
    left = Rect.from_corners(text.box.left, text.box.top, x, text.box.bottom)
    right = Rect.from_corners(x, text.box.top, text.box.right, text.box.bottom)
    return (replace(text, text=head, box=left) if head else None,
            replace(text, text=tail, box=right) if tail else None)


def _with_text(widget: Element, inside: Sequence[Element], free: Sequence[Element]) -> Element:
    value = " ".join(t.text for t in sorted(inside, key=lambda t: (t.box.top, t.box.left)))
    match widget.role:
        case Role.BUTTON:
            return replace(widget, text=value, label=value)
        case Role.CELL:
            return replace(widget, text=value)
        case Role.FIELD | Role.COMBO:
            return replace(widget, text=value, label=label_by_position(widget, free))
        case Role.CHECKBOX | Role.SLIDER:
            return replace(widget, label=label_by_position(widget, free))
    return widget


def label_by_position(widget: Element, texts: Sequence[Element]) -> str:
    """The text that labels `widget` by where it stands: for a field or combo the nearest text left of
    it on its row, else just above (a slider too); for a checkbox the nearest text to its right; else none."""
    match widget.role:
        case Role.FIELD | Role.COMBO | Role.SLIDER:
            label = _left_label(widget.box, texts) or _above_label(widget.box, texts)
        case Role.CHECKBOX:
            label = _right_label(widget.box, texts)
        case _:
            label = None
    return label.text if label else ""


def _left_label(box: Rect, texts: Sequence[Element]) -> Element | None:
    row = [t for t in texts if box.top <= t.box.center.y < box.bottom and t.box.right <= box.left + 2]
    return max(row, key=lambda t: t.box.right, default=None)


def _above_label(box: Rect, texts: Sequence[Element]) -> Element | None:
    above = [t for t in texts if t.box.bottom <= box.top + 2 and t.box.left < box.right
             and t.box.right > box.left and box.top - t.box.bottom <= LABEL_LINES * t.box.height]
    return max(above, key=lambda t: t.box.bottom, default=None)


def _right_label(box: Rect, texts: Sequence[Element]) -> Element | None:
    row = [t for t in texts if abs(t.box.center.y - box.center.y) <= max(box.height, t.box.height) / 2
           and t.box.left >= box.right - 2 and t.box.left - box.right <= LABEL_LINES * t.box.height]
    return min(row, key=lambda t: t.box.left, default=None)
