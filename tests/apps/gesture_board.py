"""A small Tk window for the gesture end-to-end tests (`tests/e2e/test_gestures.py`): a list to scroll,
a file to drag onto a bin, and a file to double-click or right-click (a context menu).

Everything the application receives is printed to stdout as one JSON line (flushed), and shown in its
status line, so that an agent can see that something happened:

    {"event": "scrolled", "first": N}                 the list now shows "Item N" (1-based) at the top
    {"event": "dropped", "item": "Report.txt", "on": "Bin" | null}
    {"event": "opened", "item": "Notes.md"}           a double click
    {"event": "menu", "item": "Notes.md"}             a right click opened the context menu
    {"event": "chosen", "item": "Notes.md", "choice": "Rename" | "Duplicate"}
"""
from __future__ import annotations

import argparse
import json
import sys
import tkinter as tk
from collections.abc import Sequence
from tkinter import font as tkfont
from tkinter import ttk

TITLE = "Gesture Board"
ITEMS = 40
_FONT = ("DejaVu Sans", 11)


def emit(event: str, **fields: object) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


class GestureBoard:
    def __init__(self, root: tk.Tk) -> None:
        self.root = root
        self.status = tk.StringVar(value="Ready")
        self._first_shown = 1
        for name in ("TkDefaultFont", "TkTextFont", "TkMenuFont"):
            tkfont.nametofont(name, root=root).configure(family="DejaVu Sans", size=11)
        ttk.Style(root).theme_use("clam")
        board = ttk.Frame(root, padding=(16, 12))
        board.pack(fill="both", expand=True)
        self._build_list(board)
        self._build_files(board)
        ttk.Label(board, textvariable=self.status).grid(row=2, column=0, columnspan=2, sticky="w",
                                                        pady=(10, 0))

    # ------------------------------------------------------------ the list
    def _build_list(self, board: ttk.Frame) -> None:
        ttk.Label(board, text="Items").grid(row=0, column=0, sticky="w")
        self.items = tk.Listbox(board, height=8, width=14, font=_FONT, activestyle="none",
                                yscrollcommand=self._scrolled)
        self.items.insert("end", *(f"Item {n:02d}" for n in range(1, ITEMS + 1)))
        self.items.grid(row=1, column=0, sticky="n", padx=(0, 24))

    def _scrolled(self, top: str, _bottom: str) -> None:
        first = round(float(top) * ITEMS) + 1
        if first != self._first_shown:
            self._first_shown = first
            self.status.set(f"Showing from Item {first:02d}")
            emit("scrolled", first=first)

    # ------------------------------------------------------------ the files
    def _build_files(self, board: ttk.Frame) -> None:
        canvas = tk.Canvas(board, width=330, height=190, background="white", highlightthickness=1,
                           highlightbackground="#999999")
        canvas.grid(row=0, column=1, rowspan=2, sticky="n")
        canvas.create_rectangle(200, 110, 310, 175, outline="#666666", width=2)
        canvas.create_text(255, 142, text="Bin", font=_FONT)
        self.bin_box = (200, 110, 310, 175)
        self.report = canvas.create_text(70, 40, text="Report.txt", font=_FONT, tags=("report",))
        notes = canvas.create_text(70, 140, text="Notes.md", font=_FONT)
        canvas.tag_bind("report", "<ButtonPress-1>", self._pick)
        canvas.tag_bind("report", "<B1-Motion>", self._move)
        canvas.tag_bind("report", "<ButtonRelease-1>", self._drop)
        canvas.tag_bind(notes, "<Double-Button-1>", lambda _event: self._open("Notes.md"))
        canvas.tag_bind(notes, "<ButtonPress-3>", lambda event: self._context("Notes.md", event))
        self.canvas = canvas
        self.menu = tk.Menu(self.root, tearoff=False, font=_FONT)
        for choice in ("Rename", "Duplicate"):
            self.menu.add_command(label=choice, command=lambda c=choice: self._chosen("Notes.md", c))
        self._grab = (0, 0)

    def _pick(self, event: tk.Event) -> None:
        self._grab = (event.x, event.y)

    def _move(self, event: tk.Event) -> None:
        self.canvas.move(self.report, event.x - self._grab[0], event.y - self._grab[1])
        self._grab = (event.x, event.y)

    def _drop(self, event: tk.Event) -> None:
        left, top, right, bottom = self.bin_box
        on_bin = left <= event.x <= right and top <= event.y <= bottom
        if on_bin:
            self.canvas.delete(self.report)
        self.status.set("Report.txt is in the Bin" if on_bin else "Report.txt moved")
        emit("dropped", item="Report.txt", on="Bin" if on_bin else None)

    def _open(self, item: str) -> None:
        self.status.set(f"Opened {item}")
        emit("opened", item=item)

    def _context(self, item: str, event: tk.Event) -> None:
        emit("menu", item=item)
        self.menu.tk_popup(event.x_root, event.y_root)

    def _chosen(self, item: str, choice: str) -> None:
        self.status.set(f"{choice}: {item}")
        emit("chosen", item=item, choice=choice)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.apps.gesture_board",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--geometry", default="+300+200", help="window position such as +300+200")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    root = tk.Tk(className="GestureBoard")
    root.title(TITLE)
    root.geometry(f"560x290{args.geometry}")
    GestureBoard(root)
    root.mainloop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
