"""The bundled sample application: a small Tkinter order form the demo and end-to-end tests drive.

Every user-visible outcome is also printed to stdout as one JSON line (flushed), so a test can check
what the agent did without reading the screen:

    {"event": "submit", "customer": ..., "email": ..., "password_length": N, "shipping": ...,
     "gift_wrap": bool, "newsletter": bool, "notes": ...}
    {"event": "clear"}   {"event": "delete"}   {"event": "saved", "path": ...}

The password itself is never printed or saved, only its length.
"""
from __future__ import annotations

import argparse
import json
import sys
import tkinter as tk
from collections.abc import Sequence
from pathlib import Path
from tkinter import font as tkfont
from tkinter import messagebox, ttk

TITLE = "Sample Order Form"
CLASS_NAME = "SampleOrderForm"
SIZE = (560, 460)  # the minimum; larger fonts grow the window to fit
SHIPPING = ("Standard", "Express", "Overnight")
FAMILY = "DejaVu Sans"
BASE_PT = 11

BG = "#f2f2f2"
FIELD_BG = "#ffffff"
FG = "#111111"
ACCENT = "#1f5fbf"
BORDER = "#9a9a9a"


def emit(event: str, **fields: object) -> None:
    """Print one JSON line describing `event` and flush it."""
    print(json.dumps({"event": event, **fields}), flush=True)


class OrderForm:
    """The form's widgets and behaviour; `root` is the Tk instance it lives in."""

    def __init__(self, root: tk.Tk, *, font_scale: float, save_path: Path) -> None:
        self.root = root
        self.save_path = save_path
        self.customer = tk.StringVar(master=root)
        self.email = tk.StringVar(master=root)
        self.password = tk.StringVar(master=root)
        self.shipping = tk.StringVar(master=root, value=SHIPPING[0])
        self.gift_wrap = tk.BooleanVar(master=root, value=False)
        self.newsletter = tk.BooleanVar(master=root, value=False)
        self.status = tk.StringVar(master=root, value="")
        self._fonts(font_scale)
        self._style()
        self._menu()
        self._body()

    # ------------------------------------------------------------ look
    def _fonts(self, scale: float) -> None:
        size = max(6, round(BASE_PT * scale))
        for name in ("TkDefaultFont", "TkTextFont", "TkMenuFont", "TkHeadingFont"):
            tkfont.nametofont(name, root=self.root).configure(family=FAMILY, size=size)
        self.title_font = tkfont.Font(root=self.root, family=FAMILY, size=round(size * 1.35),
                                      weight="bold")
        self.bold_font = tkfont.Font(root=self.root, family=FAMILY, size=size, weight="bold")
        self.indicator_px = round(self.bold_font.metrics("linespace") * 0.8)

    def _style(self) -> None:
        style = ttk.Style(self.root)
        style.theme_use("clam")
        self.root.configure(background=BG)
        style.configure(".", background=BG, foreground=FG)
        style.configure("TEntry", fieldbackground=FIELD_BG, padding=4)
        style.configure("TCombobox", fieldbackground=FIELD_BG, padding=4)
        # A readonly combobox keeps no visible text selection: it reads as plain text.
        style.map("TCombobox", fieldbackground=[("readonly", FIELD_BG)],
                  foreground=[("readonly", FG)], selectbackground=[("readonly", FIELD_BG)],
                  selectforeground=[("readonly", FG)])
        style.configure("TCombobox", arrowsize=self.indicator_px)
        style.configure("TCheckbutton", indicatorsize=self.indicator_px, indicatormargin=(0, 0, 6, 0))
        style.configure("TButton", padding=(12, 5))
        style.configure("Primary.TButton", font=self.bold_font)
        style.configure("Title.TLabel", font=self.title_font)
        style.configure("Status.TLabel", foreground=ACCENT, font=self.bold_font)

    # ------------------------------------------------------------ widgets
    def _menu(self) -> None:
        bar = tk.Menu(self.root)
        file_menu = tk.Menu(bar, tearoff=False)
        file_menu.add_command(label="Save as JSON", command=self.save)
        file_menu.add_separator()
        file_menu.add_command(label="Quit", command=self.root.destroy)
        edit_menu = tk.Menu(bar, tearoff=False)
        edit_menu.add_command(label="Clear form", command=self.clear)
        help_menu = tk.Menu(bar, tearoff=False)
        help_menu.add_command(label="About", command=self.about)
        bar.add_cascade(label="File", menu=file_menu)
        bar.add_cascade(label="Edit", menu=edit_menu)
        bar.add_cascade(label="Help", menu=help_menu)
        self.root.configure(menu=bar)

    def _body(self) -> None:
        form = ttk.Frame(self.root, padding=(20, 14, 20, 12))
        form.pack(fill="both", expand=True)
        form.columnconfigure(1, weight=1)
        ttk.Label(form, text="New order", style="Title.TLabel").grid(
            row=0, column=0, columnspan=2, sticky="w", pady=(0, 10))
        self._entry(form, 1, "Customer name", self.customer)
        self._entry(form, 2, "Email", self.email)
        self._entry(form, 3, "Password", self.password, show="•")
        self._label(form, 4, "Shipping")
        ttk.Combobox(form, textvariable=self.shipping, values=SHIPPING, state="readonly",
                     width=18).grid(row=4, column=1, sticky="w", pady=4)
        options = ttk.Frame(form)
        options.grid(row=5, column=1, sticky="w", pady=4)
        ttk.Checkbutton(options, text="Gift wrap", variable=self.gift_wrap).pack(side="left")
        ttk.Checkbutton(options, text="Newsletter", variable=self.newsletter).pack(
            side="left", padx=(24, 0))
        self._label(form, 6, "Notes").grid_configure(sticky="nw", pady=(8, 4))
        self.notes = tk.Text(form, height=3, width=30, wrap="word", font="TkTextFont",
                             background=FIELD_BG, foreground=FG, relief="flat", borderwidth=0,
                             highlightthickness=1, highlightbackground=BORDER,
                             highlightcolor=ACCENT, padx=5, pady=4)
        self.notes.grid(row=6, column=1, sticky="ew", pady=4)
        self._buttons(form)
        ttk.Label(form, textvariable=self.status, style="Status.TLabel").grid(
            row=8, column=0, columnspan=2, sticky="w", pady=(6, 0))

    def _label(self, parent: ttk.Frame, row: int, text: str) -> ttk.Label:
        label = ttk.Label(parent, text=text)
        label.grid(row=row, column=0, sticky="w", padx=(0, 16), pady=4)
        return label

    def _entry(self, parent: ttk.Frame, row: int, text: str, var: tk.StringVar,
               show: str = "") -> None:
        self._label(parent, row, text)
        ttk.Entry(parent, textvariable=var, show=show).grid(row=row, column=1, sticky="ew", pady=4)

    def _buttons(self, parent: ttk.Frame) -> None:
        row = ttk.Frame(parent)
        row.grid(row=7, column=0, columnspan=2, sticky="ew", pady=(14, 0))
        ttk.Button(row, text="Submit order", style="Primary.TButton",
                   command=self.submit).pack(side="left")
        ttk.Button(row, text="Clear", command=self.clear).pack(side="left", padx=(10, 0))
        ttk.Button(row, text="Delete draft", command=self.delete).pack(side="right")

    # ------------------------------------------------------------ behaviour
    def payload(self) -> dict[str, object]:
        """The order as JSON-ready values; the password only as its length."""
        return {
            "customer": self.customer.get(),
            "email": self.email.get(),
            "password_length": len(self.password.get()),
            "shipping": self.shipping.get(),
            "gift_wrap": self.gift_wrap.get(),
            "newsletter": self.newsletter.get(),
            "notes": self.notes.get("1.0", "end-1c"),
        }

    def submit(self) -> None:
        emit("submit", **self.payload())
        self.status.set("Order submitted")

    def clear(self) -> None:
        for var in (self.customer, self.email, self.password):
            var.set("")
        self.shipping.set(SHIPPING[0])
        self.gift_wrap.set(False)
        self.newsletter.set(False)
        self.notes.delete("1.0", "end")
        self.status.set("Form cleared")
        emit("clear")

    def delete(self) -> None:
        self.status.set("Draft deleted")
        emit("delete")

    def save(self) -> None:
        self.save_path.write_text(json.dumps(self.payload(), indent=2) + "\n", encoding="utf-8")
        self.status.set(f"Saved to {self.save_path.name}")
        emit("saved", path=str(self.save_path))

    def about(self) -> None:
        messagebox.showinfo("About", f"{TITLE}\nA sample app for desktop_agent.", parent=self.root)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m desktop_agent.demo.sample_app",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--geometry", default="", help="window position such as +100+80")
    parser.add_argument("--font-scale", type=float, default=1.0, help="multiply font sizes")
    parser.add_argument("--save-path", type=Path, default=Path("order.json"),
                        help="where File > Save as JSON writes (default ./order.json)")
    args = parser.parse_args(argv)
    if not 0.5 <= args.font_scale <= 4.0:
        parser.error("--font-scale must be between 0.5 and 4.0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    root = tk.Tk(className=CLASS_NAME)
    root.title(TITLE)
    OrderForm(root, font_scale=args.font_scale, save_path=args.save_path)
    root.update_idletasks()
    width = max(SIZE[0], root.winfo_reqwidth())
    height = max(SIZE[1], root.winfo_reqheight())
    root.geometry(f"{width}x{height}{args.geometry}")
    root.mainloop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
