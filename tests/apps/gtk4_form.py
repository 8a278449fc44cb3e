"""A GTK 4 window (Debian's PyGObject, run with /usr/bin/python3): a "Surname" entry and a "Done" button
that prints {"surname": ...} as one JSON line and quits. GTK 4 reports its accessible boxes relative to
the window, shadow included. Arguments: x y (where to put it: GTK 4 itself can't, so xdotool does)."""
import json
import subprocess
import sys

import gi

gi.require_version("Gtk", "4.0")
from gi.repository import GLib, Gtk  # noqa: E402

TITLE = "GTK4 Form"


def main() -> int:
    app = Gtk.Application(application_id="org.example.Gtk4Form")

    def build(app: Gtk.Application) -> None:
        window = Gtk.ApplicationWindow(application=app, title=TITLE)
        window.set_default_size(420, 160)
        grid = Gtk.Grid(column_spacing=12, row_spacing=12, margin_top=16, margin_start=16, margin_end=16)
        label, entry = Gtk.Label(label="Surname"), Gtk.Entry(hexpand=True)
        send = Gtk.Button(label="Done")

        def sent(_button: Gtk.Button) -> None:
            print(json.dumps({"surname": entry.get_text()}, ensure_ascii=False), flush=True)
            app.quit()

        send.connect("clicked", sent)
        grid.attach(label, 0, 0, 1, 1)
        grid.attach(entry, 1, 0, 1, 1)
        grid.attach(send, 1, 1, 1, 1)
        window.set_child(grid)
        window.present()
        if len(sys.argv) > 2:
            GLib.timeout_add(200, lambda: subprocess.run(
                ["xdotool", "search", "--sync", "--name", f"^{TITLE}$", "windowmove", sys.argv[1], sys.argv[2]],
                check=False) and False)

    app.connect("activate", build)
    return app.run([])


if __name__ == "__main__":
    sys.exit(main())
