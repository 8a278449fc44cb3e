"""An empty white page (a Tk canvas and nothing else), like an empty document or a drawing canvas.

Each click is printed to stdout as one JSON line (flushed), with the point relative to the page, and
leaves a small dot where it landed:

    {"event": "clicked", "x": X, "y": Y}
"""
from __future__ import annotations

import argparse
import json
import tkinter as tk
from collections.abc import Sequence

TITLE = "Blank Page"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--geometry", default="400x300+300+200")
    args = parser.parse_args(argv)
    root = tk.Tk()
    root.title(TITLE)
    root.geometry(args.geometry)
    page = tk.Canvas(root, background="white", highlightthickness=0, borderwidth=0)
    page.pack(fill="both", expand=True)

    def clicked(event: tk.Event) -> None:
        page.create_oval(event.x - 3, event.y - 3, event.x + 3, event.y + 3, fill="black")
        print(json.dumps({"event": "clicked", "x": event.x, "y": event.y}), flush=True)

    page.bind("<Button-1>", clicked)
    root.mainloop()


if __name__ == "__main__":
    main()
