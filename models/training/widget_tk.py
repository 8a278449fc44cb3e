"""Tk renderer of the element detector's data: `python -m models.training.widget_tk SPECS.json FOLDER`.

Builds each window of SPECS.json (a list of `WindowSpec`s) with tk and ttk widgets on the X display in
$DISPLAY, in a fresh interpreter per window (a theme's or palette's settings never leak into the next),
and writes FOLDER/NAME.png and NAME.json (widget_capture.write_sample). Boxes come from winfo geometry,
list rows from `bbox`, tabs and check/radio indicators from ttk's `identify` (classic tk widgets have
no indicator box), states from the widgets' variables.
"""
from __future__ import annotations

import json
import sys
import time
import tkinter as tk
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from tkinter import font as tkfont
from tkinter import ttk

import numpy as np

from desktop_agent.core.values import Rect, Role
from desktop_agent.screen.capture import Grabber
from models.training.widget_capture import settled_image, write_sample
from models.training.widget_spec import Part, Truth, WindowSpec

Box = tuple[int, int, int, int]
_DARK = {"background": "#2d2d30", "foreground": "#e6e6e6", "field": "#1e1e1e", "select": "#3d6fb4"}
_MARK_CONTRAST = 12  # a mark's pixel differs this much (any channel) from the widget around its element
_FONTS = ("TkDefaultFont", "TkTextFont", "TkFixedFont", "TkMenuFont", "TkHeadingFont", "TkCaptionFont")


class _Window:
    """One spec's widgets in one Tk interpreter, and the truths they answer with."""

    def __init__(self, spec: WindowSpec) -> None:
        self.spec = spec
        self.root = tk.Tk()
        self.root.geometry("+16+16")
        self.style = ttk.Style(self.root)
        self.style.theme_use(spec.theme)
        for name in _FONTS:
            tkfont.nametofont(name, self.root).configure(size=spec.font_size)
        if spec.palette == "dark":
            self._darken()
        self.readers: list[Callable[[], list[Truth]]] = []  # run once the window is drawn

    def _darken(self) -> None:
        bg, fg, field, select = (_DARK[k] for k in ("background", "foreground", "field", "select"))
        self.root.tk_setPalette(background=bg, foreground=fg, selectBackground=select, insertBackground=fg)
        self.root.option_add("*Entry.background", field)
        self.root.option_add("*Listbox.background", field)
        self.style.configure(".", background=bg, foreground=fg, fieldbackground=field, selectbackground=select,
                             insertcolor=fg, troughcolor=field)
        self.style.map("TCombobox", fieldbackground=[("readonly", field)], foreground=[("readonly", fg)])
        self.style.configure("Treeview", background=field, fieldbackground=field, foreground=fg)

    def box(self, widget: tk.Misc, x: int = 0, y: int = 0, w: int | None = None, h: int | None = None) -> Box:
        """A box in the window image: `widget`'s, or one (x, y, w, h) inside it."""
        return (widget.winfo_rootx() - self.root.winfo_rootx() + x, widget.winfo_rooty() - self.root.winfo_rooty() + y,
                widget.winfo_width() if w is None else w, widget.winfo_height() if h is None else h)

    def read(self, widget: tk.Misc, role: Role, text: str = "",
             checked: Callable[[], object] | None = None) -> None:
        """Record `widget` as one element, its box and state read when the window is drawn."""
        def truth() -> list[Truth]:
            if not widget.winfo_viewable():
                return []
            state = None if checked is None else bool(checked())
            return [Truth(role=role.value, box=self.box(widget), widget=_class_of(widget), text=text, checked=state,
                          indicator=self._indicator(widget))]
        self.readers.append(truth)

    def _indicator(self, widget: tk.Misc) -> Box | None:
        if not isinstance(widget, (ttk.Checkbutton, ttk.Radiobutton)):
            return None
        found = _span(widget, lambda x, y: widget.identify(x, y).endswith("indicator"))
        return None if found is None else self.box(widget, *found)

    def truths(self) -> list[Truth]:
        return [t for reader in self.readers for t in reader()]


def _class_of(widget: tk.Misc) -> str:
    return f"{'ttk' if type(widget).__module__.endswith('ttk') else 'tk'}.{type(widget).__name__}"


def _span(widget: tk.Misc, inside: Callable[[int, int], bool]) -> Box | None:
    """The box (in `widget`) of the pixels where `inside(x, y)`: scanned along the middle row, then down
    the middle column of what it found there."""
    width, height = widget.winfo_width(), widget.winfo_height()
    xs = [x for x in range(width) if inside(x, height // 2)]
    if not xs:
        return None
    middle = (xs[0] + xs[-1]) // 2
    ys = [y for y in range(height) if inside(middle, y)]
    return xs[0], ys[0], xs[-1] - xs[0] + 1, ys[-1] - ys[0] + 1


def _build_part(window: _Window, parent: tk.Misc, part: Part) -> tk.Widget:
    """The widgets of `part` in a frame of their own (under `parent`), each recorded for its truth."""
    classic, pad = part.classic, window.spec.padding
    frame: tk.Widget = (tk.Frame if classic else ttk.Frame)(parent)
    match part.kind:
        case "label":
            label = (tk.Label if classic else ttk.Label)(frame, text=part.texts[0])
            label.pack(side="left")
            window.read(label, Role.TEXT, part.texts[0])
        case "buttons":
            for text in part.texts:
                button = (tk.Button if classic else ttk.Button)(frame, text=text)
                button.pack(side="left", padx=pad)
                window.read(button, Role.BUTTON, text)
        case "entry":
            entry = tk.Entry(frame, width=24, insertofftime=0) if classic else ttk.Entry(frame, width=24)
            entry.insert(0, part.texts[0])
            entry.pack(side="left", fill="x", expand=True)
            window.read(entry, Role.FIELD, part.texts[0])
        case "checks" | "radios":
            chosen = tk.IntVar(frame, value=part.states.index(True) if part.kind == "radios" else -1)
            for i, (text, state) in enumerate(zip(part.texts, part.states)):
                mark: tk.Widget
                if part.kind == "checks":
                    ticked = tk.BooleanVar(frame, value=state)
                    mark = (tk.Checkbutton if classic else ttk.Checkbutton)(frame, text=text, variable=ticked)
                    window.read(mark, Role.CHECKBOX, text, checked=ticked.get)
                else:
                    mark = (tk.Radiobutton if classic else ttk.Radiobutton)(frame, text=text, variable=chosen, value=i)
                    def is_chosen(i: int = i) -> bool:
                        return chosen.get() == i
                    window.read(mark, Role.RADIO, text, checked=is_chosen)
                mark.pack(side="left", padx=pad)
        case "combo":
            if classic:
                option = tk.StringVar(frame, value=part.texts[part.value])
                combo: tk.Widget = tk.OptionMenu(frame, option, *part.texts)
            else:
                combo = ttk.Combobox(frame, values=part.texts, state="readonly", width=18)
                combo.current(part.value)
            combo.pack(side="left")
            window.read(combo, Role.COMBO, part.texts[part.value])
        case "slider":
            slider: tk.Scale | ttk.Scale
            if classic:
                slider = tk.Scale(frame, from_=0, to=100, orient="horizontal", showvalue=False, length=180)
                slider.set(part.value)
            else:
                slider = ttk.Scale(frame, from_=0, to=100, value=part.value, length=180)
            slider.pack(side="left")
            window.read(slider, Role.SLIDER)
        case "list":
            _build_list(window, frame, part)
        case "tabs":
            _build_tabs(window, frame, part)
        case _:
            raise ValueError(f"unknown part kind {part.kind!r}")
    return frame


def _build_list(window: _Window, frame: tk.Misc, part: Part) -> None:
    chosen = part.states.index(True)
    if part.classic:
        listbox = tk.Listbox(frame, height=len(part.texts), width=28, exportselection=False)
        listbox.insert("end", *part.texts)
        listbox.selection_set(chosen)
        listbox.pack(side="left")

        def rows() -> list[Truth]:
            inset = int(listbox.cget("borderwidth")) + int(listbox.cget("highlightthickness"))
            out = []
            for i, text in enumerate(part.texts):
                found = listbox.bbox(i)
                if found:
                    box = window.box(listbox, inset, found[1], listbox.winfo_width() - 2 * inset, found[3])
                    out.append(Truth(role=Role.ITEM.value, box=box, widget="tk.Listbox", text=text))
            return out
    else:
        tree = ttk.Treeview(frame, show="tree", height=len(part.texts), selectmode="browse")
        items = [tree.insert("", "end", text=text) for text in part.texts]
        tree.selection_set(items[chosen])
        tree.pack(side="left")

        def rows() -> list[Truth]:
            out = []
            for item, text in zip(items, part.texts):
                found = tree.bbox(item)
                if found:
                    out.append(Truth(role=Role.ITEM.value, box=window.box(tree, *found), widget="ttk.Treeview",
                                     text=text))
            return out
    window.readers.append(rows)


def _build_tabs(window: _Window, frame: tk.Misc, part: Part) -> None:
    notebook = ttk.Notebook(frame)
    pages = [ttk.Frame(notebook, width=40, height=12) for _ in part.texts]
    for page, text in zip(pages, part.texts):
        notebook.add(page, text=text)
    notebook.select(part.value)
    notebook.pack(side="left", fill="x", expand=True)

    def tabs() -> list[Truth]:
        strip = pages[part.value].winfo_y()  # the selected page starts below the tab strip
        out = []
        for i, text in enumerate(part.texts):
            def on_tab(x: int, y: int, i: int = i) -> bool:
                return y < strip and notebook.identify(x, y) != "" and notebook.index(f"@{x},{y}") == i
            found = _tab_span(notebook, on_tab, strip)
            if found is not None:
                out.append(Truth(role=Role.TAB.value, box=window.box(notebook, *found), widget="ttk.Notebook", text=text))
        return out
    window.readers.append(tabs)


def _tab_span(notebook: ttk.Notebook, on_tab: Callable[[int, int], bool], strip: int) -> Box | None:
    """A tab's box: the columns it covers three quarters down the strip (every tab reaches there; the
    page's border starts above `strip`), then its rows."""
    xs = [x for x in range(notebook.winfo_width()) if on_tab(x, strip * 3 // 4)]
    if not xs:
        return None
    middle = (xs[0] + xs[-1]) // 2
    ys = [y for y in range(strip) if on_tab(middle, y)]
    return xs[0], ys[0], xs[-1] - xs[0] + 1, ys[-1] - ys[0] + 1


def drawn_part(image: np.ndarray, box: Box) -> Box:
    """`box` (ttk's indicator element, which includes its margins) cut to the pixels unlike the widget
    just around it: the mark as drawn. Unchanged when nothing inside stands out."""
    left, top, width, height = box
    x0, y0 = max(0, left - 2), max(0, top - 2)
    outer = image[y0:top + height + 2, x0:left + width + 2].astype(np.int16)
    ring = np.ones(outer.shape[:2], bool)
    ring[top - y0:top - y0 + height, left - x0:left - x0 + width] = False
    if not ring.any():
        return box
    inside = outer[top - y0:top - y0 + height, left - x0:left - x0 + width]
    ys, xs = np.nonzero(np.abs(inside - np.median(outer[ring], axis=0)).max(axis=2) > _MARK_CONTRAST)
    if xs.size == 0:
        return box
    return left + int(xs.min()), top + int(ys.min()), int(xs.max() - xs.min()) + 1, int(ys.max() - ys.min()) + 1


def render(spec: WindowSpec, folder: Path, grabber: Grabber) -> None:
    started = time.perf_counter()
    window = _Window(spec)
    try:
        body = ttk.Frame(window.root, padding=spec.padding)
        body.pack(fill="both", expand=True)
        rows = -(-len(spec.parts) // spec.columns)
        for i, part in enumerate(spec.parts):
            column, row = divmod(i, rows)
            if part.label is not None:
                label = ttk.Label(body, text=part.label)
                label.grid(row=row, column=2 * column, sticky="w", padx=spec.padding, pady=spec.padding)
                window.read(label, Role.TEXT, part.label)
            frame = _build_part(window, body, part)
            frame.grid(row=row, column=2 * column + 1, sticky="ew", padx=spec.padding, pady=spec.padding)
        window.root.update()
        root = window.root
        region = Rect(left=root.winfo_rootx(), top=root.winfo_rooty(), width=root.winfo_width(),
                      height=root.winfo_height())
        image = settled_image(grabber, region, root.update)
        truths = [replace(t, indicator=t.indicator and drawn_part(image, t.indicator)) for t in window.truths()]
        write_sample(folder, spec, image, truths, time.perf_counter() - started)
    finally:
        window.root.destroy()


def main(argv: list[str]) -> int:
    specs = [WindowSpec.from_json(s) for s in json.loads(Path(argv[0]).read_text())]
    grabber = Grabber()
    for spec in specs:
        render(spec, Path(argv[1]), grabber)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
