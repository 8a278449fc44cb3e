"""GTK 4 side of the GTK renderer, run by Debian's /usr/bin/python3 (PyGObject; no numpy, no project
imports): `/usr/bin/python3 models/training/widget_gtk_app.py` with one WindowSpec's JSON on stdin.

Builds the spec with GTK 4 widgets in an undecorated window (no client-side title bar or shadow, which
GTK draws without a window manager; where its content starts in the surface is still read, from
`get_surface_transform`), with the theme (its dark variant for the dark palette) and the font set in
Gtk.Settings, animations and caret blinking off. Once the window has been drawn and the X server has
its pixels, prints one JSON line:

    {"xid": the X window, "content": [x, y, w, h] of the window's content in its surface,
     "elements": [{"role", "box": [l, t, w, h] in the content, "widget", "text", "checked", "indicator"}]}

Boxes come from `Gtk.Widget.compute_bounds` against the window; check and radio indicators from the
button's "check"/"radio" child node, tabs from the notebook's "tab" node around each label, states from
`get_active`. Then it waits for stdin to close (the driver has its capture) and quits.
"""
import json
import sys

import gi

gi.require_version("Gtk", "4.0")
gi.require_version("GdkX11", "4.0")
from gi.repository import GdkX11, GLib, Gtk  # noqa: E402


def _box(widget, window):
    found, bounds = widget.compute_bounds(window)
    if not found:
        return None
    x, y = bounds.get_x(), bounds.get_y()
    right, bottom = round(x + bounds.get_width()), round(y + bounds.get_height())
    return [round(x), round(y), right - round(x), bottom - round(y)]


def _child_named(widget, css_name):
    child = widget.get_first_child()
    while child is not None:
        if child.get_css_name() == css_name:
            return child
        child = child.get_next_sibling()
    return None


class Form:
    """One spec's widgets, and readers that answer with their truths once the window is drawn."""

    def __init__(self, spec, window):
        self.spec = spec
        self.window = window
        self.readers = []

    def read(self, widget, role, text="", class_name=None):
        def truth():
            if not widget.get_mapped():
                return []
            is_mark = isinstance(widget, Gtk.CheckButton)
            mark = _child_named(widget, "radio" if role == "radio" else "check") if is_mark else None
            return [{"role": role, "box": _box(widget, self.window), "text": text,
                     "widget": class_name or f"Gtk.{type(widget).__name__}",
                     "checked": widget.get_active() if is_mark else None,
                     "indicator": _box(mark, self.window) if mark is not None else None}]
        self.readers.append(truth)

    def truths(self):
        return [t for reader in self.readers for t in reader() if t["box"] is not None]


def _label(text):
    return Gtk.Label(label=text, halign=Gtk.Align.START, valign=Gtk.Align.CENTER)


def _build_part(form, row, part):
    """The widgets of `part` in `row`, already in the window: each widget is put there before its state is
    set (a grouped check button or a notebook turning its page asks its root for the focus)."""
    texts, states = part["texts"], part["states"]
    kind = part["kind"]
    if kind == "label":
        _add(form, row, _label(texts[0]), "text", texts[0])
    elif kind == "buttons":
        for text in texts:
            _add(form, row, Gtk.Button(label=text), "button", text)
    elif kind == "entry":
        entry = Gtk.Entry(text=texts[0], width_chars=24)
        _add(form, row, entry, "field", texts[0])
    elif kind in ("checks", "radios"):
        first = None
        for text, state in zip(texts, states):
            mark = Gtk.CheckButton(label=text)
            if kind == "radios":
                if first is None:
                    first = mark
                else:
                    mark.set_group(first)
            _add(form, row, mark, "checkbox" if kind == "checks" else "radio", text)
            mark.set_active(state)  # once in the window: a grouped button asks its root for the focus
    elif kind == "combo":
        combo = Gtk.DropDown.new_from_strings(texts)
        combo.set_selected(part["value"])
        _add(form, row, combo, "combo", texts[part["value"]])
    elif kind == "slider":
        slider = Gtk.Scale.new_with_range(Gtk.Orientation.HORIZONTAL, 0, 100, 1)
        slider.set_value(part["value"])
        slider.set_draw_value(False)
        slider.set_size_request(180, -1)
        _add(form, row, slider, "slider")
    elif kind == "list":
        _build_list(form, row, part)
    elif kind == "tabs":
        _build_tabs(form, row, part)
    else:
        raise ValueError(f"unknown part kind {kind!r}")


def _add(form, row, widget, role, text=""):
    row.append(widget)
    form.read(widget, role, text)


def _build_list(form, row, part):
    rows = Gtk.ListBox(selection_mode=Gtk.SelectionMode.SINGLE)
    rows.set_size_request(240, -1)
    for text in part["texts"]:
        item = Gtk.ListBoxRow(child=_label(text))
        rows.append(item)
        form.read(item, "item", text, "Gtk.ListBox")
    rows.select_row(rows.get_row_at_index(part["states"].index(True)))
    row.append(Gtk.Frame(child=rows))


def _build_tabs(form, row, part):
    notebook = Gtk.Notebook()
    row.append(notebook)
    for text in part["texts"]:
        label = Gtk.Label(label=text)
        notebook.append_page(Gtk.Box(height_request=16, width_request=40), label)
        form.read(label.get_parent(), "tab", text, "Gtk.Notebook")  # the "tab" node around the label
    notebook.set_current_page(part["value"])


def _settle(spec):
    # The dark palette is the theme's dark variant by name ("Default-dark", "Default-hc-dark"): GTK 4.8
    # answers gtk-application-prefer-dark-theme with Default's dark variant even under "Default-hc".
    settings = Gtk.Settings.get_default()
    dark = spec["palette"] == "dark"
    settings.set_property("gtk-theme-name", f"{spec['theme']}-dark" if dark else spec["theme"])
    settings.set_property("gtk-font-name", f"Sans {spec['font_size']}")
    settings.set_property("gtk-enable-animations", False)
    settings.set_property("gtk-cursor-blink", False)


def build(spec):
    window = Gtk.Window(decorated=False, resizable=False)
    form = Form(spec, window)
    pad = spec["padding"]
    grid = Gtk.Grid(column_spacing=pad, row_spacing=pad, margin_top=pad, margin_bottom=pad, margin_start=pad,
                    margin_end=pad)
    window.set_child(grid)
    rows = -(-len(spec["parts"]) // spec["columns"])
    for i, part in enumerate(spec["parts"]):
        column, row = divmod(i, rows)
        if part["label"] is not None:
            label = _label(part["label"])
            grid.attach(label, 2 * column, row, 1, 1)
            form.read(label, "text", part["label"])
        box = Gtk.Box(orientation=Gtk.Orientation.HORIZONTAL, spacing=pad, valign=Gtk.Align.CENTER)
        grid.attach(box, 2 * column + 1, row, 1, 1)
        _build_part(form, box, part)
    return form


def main():
    spec = json.loads(sys.stdin.readline())
    Gtk.init()
    _settle(spec)
    form = build(spec)
    loop = GLib.MainLoop()
    window = form.window

    def report(*_args):
        surface = window.get_surface()
        surface.get_frame_clock().disconnect(painted)
        x, y = window.get_surface_transform()
        window.get_display().sync()  # the X server has drawn what GTK sent before the driver captures
        print(json.dumps({"xid": GdkX11.X11Surface.get_xid(surface),
                          "content": [round(x), round(y), window.get_width(), window.get_height()],
                          "elements": form.truths()}), flush=True)
        GLib.io_add_watch(sys.stdin.fileno(), GLib.IO_IN | GLib.IO_HUP, lambda *_: loop.quit())

    window.realize()
    painted = window.get_surface().get_frame_clock().connect("after-paint", report)
    window.present()
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
