"""A Tk window with a toolbar of icon-only buttons (`tk.Button(image=...)`, no text) over a text area,
and a count of presses below it (words no toolbar button means, so a press shows on screen).

The icons and their licences: tests/apps/icons/ (LICENCE.md). Each press is printed to stdout as one
JSON line (flushed):

    {"event": "pressed", "action": ACTION}
"""
from __future__ import annotations

import argparse
import json
import tkinter as tk
from collections.abc import Sequence
from pathlib import Path

TITLE = "Icon toolbar"
ICONS = Path(__file__).with_name("icons")
ACTIONS = ("save", "open", "undo", "search")  # icons/<action>.png


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--geometry", default="420x240+300+200")
    parser.add_argument("--relief", default="raised", choices=("raised", "flat"))
    args = parser.parse_args(argv)
    root = tk.Tk()
    root.title(TITLE)
    root.geometry(args.geometry)
    bar = tk.Frame(root, borderwidth=1, relief="raised")
    bar.pack(side="top", fill="x")

    presses = tk.IntVar(value=0)

    def press(action: str) -> None:
        presses.set(presses.get() + 1)
        print(json.dumps({"event": "pressed", "action": action}), flush=True)

    images = [tk.PhotoImage(file=str(ICONS / f"{action}.png")) for action in ACTIONS]
    for action, image in zip(ACTIONS, images):
        tk.Button(bar, image=image, relief=args.relief, command=lambda a=action: press(a)).pack(
            side="left", padx=2, pady=2)
    tk.Label(root, textvariable=presses).pack(side="bottom", anchor="w", padx=4)
    tk.Text(root, height=8).pack(side="top", fill="both", expand=True, padx=4, pady=4)
    root.mainloop()


if __name__ == "__main__":
    main()
