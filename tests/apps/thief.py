"""Another application that steals the keyboard focus, as a program's window does when it pops up while
the agent types: it takes the focus and grabs the pointer, prints what reaches it (the same lines as the
Fault Form, on the stdout it inherits from it), and ends once the application that started it has.

    python -m tests.apps.thief --geometry 260x100+X+Y
"""
from __future__ import annotations

import argparse
import json
import os
import tkinter as tk
from tkinter import ttk

TITLE = "Thief"


def emit(event: str, **fields: object) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--geometry", required=True)
    args = parser.parse_args()
    parent = os.getppid()
    root = tk.Tk()
    root.title(TITLE)
    root.geometry(args.geometry)
    ttk.Label(root, text="I take the keyboard.", padding=12).pack()
    root.bind("<KeyPress>", lambda event: emit("stolen-key", window=TITLE, char=event.char))
    root.bind("<ButtonPress>", lambda _event: emit("stolen-click", window=TITLE))

    def take_input() -> None:
        root.wait_visibility()
        root.focus_force()
        root.grab_set()
        emit("fault", what="focus stolen")

    def end_with_parent() -> None:
        if os.getppid() != parent:
            root.destroy()
        else:
            root.after(100, end_with_parent)

    root.after(0, take_input)
    root.after(100, end_with_parent)
    root.mainloop()


if __name__ == "__main__":
    main()
