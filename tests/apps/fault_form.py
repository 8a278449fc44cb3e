"""A small Tk form for the fault-injection tests (`tests/faults`): "Customer name", "Notes", "Save" and
"Submit order", with flags that each inject one fault into the application itself.

Everything the application receives or does is printed to stdout as one JSON line (flushed):

    {"event": "key", "widget": "name" | "notes" | "other", "char": ...}   a key reached the form
    {"event": "stolen-key", "window": "Thief" | "Unexpected", "char": ...} a key reached another window
    {"event": "stolen-click", "window": "Thief" | "Unexpected"}            a click reached another window
    {"event": "fault", "what": ...}                                         the injected fault happened
    {"event": "saved", "path": ...}   {"event": "submit", "customer": ..., "notes": ...}

Faults ("once a name is typed" = `_NAME_TYPED_MS` after the last key into a non-empty name field):

    --slow-start S               the window is mapped at once, its form appears S seconds later
    --slow-submit S              "Submit order" appears S seconds after the first key
    --modal-after-typing         once a name is typed, a modal "Unexpected" dialog over "Submit order"
                                 grabs the pointer and takes the keyboard focus
    --vanish-submit-after-typing once a name is typed, "Submit order" is destroyed
    --crash-after-typing         once a name is typed, the process exits at once with code 3
    --own-focus-at-key N         the Nth key into the name field is taken slowly (300 ms, as a busy
                                 application does) and moves the keyboard focus to this application's
                                 own "Unexpected" window, shown from the start beside the form
    --steal-focus-ms N           N ms after the first key reaches "Notes", another application's
                                 "Thief" window (tests/apps/thief.py) takes the keyboard focus and the
                                 pointer grab
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import tkinter as tk
from collections.abc import Sequence
from pathlib import Path
from tkinter import font as tkfont
from tkinter import ttk

TITLE = "Fault Form"
_NAME_TYPED_MS = 150  # short: the fault is in place before the next step acts
_BUSY_S = 0.3  # how long the key moving the focus (--own-focus-at-key) keeps the application busy


def emit(event: str, **fields: object) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


class FaultForm:
    def __init__(self, root: tk.Tk, args: argparse.Namespace) -> None:
        self.root = root
        self.args = args
        self.customer = tk.StringVar(master=root)
        self.notes = tk.StringVar(master=root)
        self.status = tk.StringVar(master=root)
        self.name_entry: ttk.Entry | None = None
        self.notes_entry: ttk.Entry | None = None
        self.submit_button: ttk.Button | None = None
        self._typed_name: str | None = None  # the pending "a name is typed" callback
        self._name_done = False
        self._first_key = True
        self._first_notes_key = True
        self._name_keys = 0
        self.own_window: tk.Toplevel | None = None
        self.thief: subprocess.Popen | None = None
        root.bind("<KeyPress>", self._key)  # the root's tag: every widget of the form, not other toplevels

    # ------------------------------------------------------------ widgets
    def build(self) -> None:
        for name in ("TkDefaultFont", "TkTextFont"):
            tkfont.nametofont(name, root=self.root).configure(family="DejaVu Sans", size=11)
        ttk.Style(self.root).theme_use("clam")
        form = ttk.Frame(self.root, padding=(20, 16))
        form.pack(fill="both", expand=True)
        form.columnconfigure(1, weight=1)
        self.name_entry = self._entry(form, 0, "Customer name", self.customer)
        self.notes_entry = self._entry(form, 1, "Notes", self.notes)
        buttons = ttk.Frame(form)
        buttons.grid(row=2, column=0, columnspan=2, sticky="ew", pady=(16, 0))
        ttk.Button(buttons, text="Save", command=self.save).pack(side="left")
        self.submit_button = ttk.Button(buttons, text="Submit order", command=self.submit)
        if self.args.slow_submit is None:
            self.submit_button.pack(side="left", padx=(16, 0))
        ttk.Label(form, textvariable=self.status).grid(row=3, column=0, columnspan=2, sticky="w",
                                                       pady=(12, 0))

    def _entry(self, parent: ttk.Frame, row: int, text: str, var: tk.StringVar) -> ttk.Entry:
        ttk.Label(parent, text=text).grid(row=row, column=0, sticky="w", padx=(0, 16), pady=5)
        entry = ttk.Entry(parent, textvariable=var, width=40)
        entry.grid(row=row, column=1, sticky="ew", pady=5)
        return entry

    # ------------------------------------------------------------ behaviour
    def save(self) -> None:
        payload = {"customer": self.customer.get(), "notes": self.notes.get()}
        self.args.save_path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        self.status.set("Saved")
        emit("saved", path=str(self.args.save_path))

    def submit(self) -> None:
        emit("submit", customer=self.customer.get(), notes=self.notes.get())
        self.status.set("Order submitted")

    def _key(self, event: tk.Event) -> None:
        widget = {self.name_entry: "name", self.notes_entry: "notes"}.get(event.widget, "other")
        emit("key", widget=widget, char=event.char)
        if self._first_key:
            self._first_key = False
            if self.args.slow_submit is not None:
                self.root.after(round(self.args.slow_submit * 1000), self._show_submit)
        if widget == "notes" and self._first_notes_key:
            self._first_notes_key = False
            if self.args.steal_focus_ms is not None:
                self.root.after(self.args.steal_focus_ms, self._steal_focus)
        if widget == "name":
            self._name_keys += 1
            if self._name_keys == self.args.own_focus_at_key:
                self._move_own_focus()
        if widget == "name" and not self._name_done:
            if self._typed_name is not None:
                self.root.after_cancel(self._typed_name)
            self._typed_name = self.root.after(_NAME_TYPED_MS, self._name_typed)

    def _name_typed(self) -> None:
        """The first time a name has been typed and the typing paused: the fault, if one was asked for."""
        self._typed_name = None
        if not self.customer.get():
            return
        self._name_done = True
        if self.args.modal_after_typing:
            self._modal()
        elif self.args.vanish_submit_after_typing and self.submit_button is not None:
            self.submit_button.destroy()
            self.submit_button = None
            emit("fault", what="submit vanished")
        elif self.args.crash_after_typing:
            emit("fault", what="crash")
            os._exit(3)

    def _show_submit(self) -> None:
        self.submit_button.pack(side="left", padx=(16, 0))
        emit("fault", what="submit appeared late")

    # ------------------------------------------------------------ other windows
    def _modal(self) -> None:
        button = self.submit_button
        x, y = button.winfo_rootx() - 20, button.winfo_rooty() - 20
        dialog = self._intruder("Unexpected", f"280x110+{x}+{y}", "Something unexpected happened.")
        dialog.transient(self.root)
        ttk.Button(dialog, text="OK", command=dialog.destroy).pack(pady=(0, 12))
        _take_input(dialog)
        emit("fault", what="modal")

    def show_own_window(self) -> None:
        x = self.root.winfo_rootx() + self.root.winfo_width() + 40
        self.own_window = self._intruder("Unexpected", f"260x100+{x}+{self.root.winfo_rooty()}",
                                         "Another window of this application.")

    def _move_own_focus(self) -> None:
        """Busy for a moment, then the focus goes to this application's other window, within one key's
        handling: keys sent meanwhile, while the X server still has the focus on the form, wait in this
        process's queue, and Tk routes them to the window it has moved its focus to."""
        time.sleep(_BUSY_S)
        self.own_window.focus_force()
        emit("fault", what="own focus moved")

    def _steal_focus(self) -> None:
        """Another application (its own X client: what the agent's focus check under a server grab is
        for) takes the keyboard focus; it says so itself, on this process's stdout."""
        x = self.root.winfo_rootx() + self.root.winfo_width() + 40
        self.thief = subprocess.Popen([sys.executable, "-m", "tests.apps.thief",
                                       "--geometry", f"260x100+{x}+{self.root.winfo_rooty()}"])

    def _intruder(self, title: str, geometry: str, text: str) -> tk.Toplevel:
        window = tk.Toplevel(self.root)
        window.title(title)
        window.geometry(geometry)
        ttk.Label(window, text=text, padding=12).pack()
        # A toplevel's bindings see every event of its widgets, also those its grab redirects to it.
        window.bind("<KeyPress>", lambda event: emit("stolen-key", window=title, char=event.char))
        window.bind("<ButtonPress>", lambda _event: emit("stolen-click", window=title))
        return window


def _take_input(window: tk.Toplevel) -> None:
    """The window takes the keyboard focus and grabs the pointer, as a modal dialog does."""
    window.wait_visibility()
    window.focus_force()
    window.grab_set()


def _show_late(loading: ttk.Label, form: FaultForm) -> None:
    loading.destroy()
    form.build()
    emit("fault", what="form appeared late")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.apps.fault_form",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--geometry", default="+300+200", help="window position such as +300+200")
    parser.add_argument("--save-path", type=Path, required=True, help="where Save writes the form (JSON)")
    parser.add_argument("--slow-start", type=float, metavar="S")
    parser.add_argument("--slow-submit", type=float, metavar="S")
    parser.add_argument("--modal-after-typing", action="store_true")
    parser.add_argument("--vanish-submit-after-typing", action="store_true")
    parser.add_argument("--crash-after-typing", action="store_true")
    parser.add_argument("--own-focus-at-key", type=int, metavar="N")
    parser.add_argument("--steal-focus-ms", type=int, metavar="N")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    root = tk.Tk(className="FaultForm")
    root.title(TITLE)
    root.geometry(f"560x230{args.geometry}")
    form = FaultForm(root, args)
    if args.slow_start:
        loading = ttk.Label(root, text="Loading…")
        loading.pack(expand=True)
        root.after(round(args.slow_start * 1000), lambda: _show_late(loading, form))
    else:
        form.build()
    if args.own_focus_at_key:
        root.wait_visibility()
        form.show_own_window()
    root.mainloop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
