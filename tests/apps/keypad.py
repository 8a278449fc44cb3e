"""A calculator-like Tk keypad: buttons labelled with one digit or one operator sign, and a display.

Each press is printed to stdout as one JSON line (flushed), and the display shows what was keyed:

    {"event": "pressed", "key": KEY, "display": TEXT}
"""
from __future__ import annotations

import argparse
import json
import tkinter as tk
from collections.abc import Sequence

TITLE = "Keypad"
ROWS = (("7", "8", "9", "/"), ("4", "5", "6", "*"), ("1", "2", "3", "-"), ("0", ".", "=", "+"),
        ("(", ")", ",", "%"))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--geometry", default="+300+200")
    args = parser.parse_args(argv)
    root = tk.Tk()
    root.title(TITLE)
    root.geometry(args.geometry)
    shown = tk.StringVar(value="")
    tk.Label(root, textvariable=shown, anchor="e", width=16, relief="sunken", background="white",
             font=("DejaVu Sans Mono", 14)).grid(row=0, column=0, columnspan=4, sticky="ew", padx=6, pady=6)

    def press(key: str) -> None:
        shown.set(shown.get() + key)
        print(json.dumps({"event": "pressed", "key": key, "display": shown.get()}), flush=True)

    for r, row in enumerate(ROWS, start=1):
        for c, key in enumerate(row):
            tk.Button(root, text=key, width=3, font=("DejaVu Sans", 13),
                      command=lambda k=key: press(k)).grid(row=r, column=c, padx=3, pady=3)
    root.mainloop()


if __name__ == "__main__":
    main()
