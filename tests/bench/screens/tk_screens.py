"""Tk windows of the grounding bench. `python tk_screens.py NAME OUT.json` shows screen NAME and, once
it is drawn, writes the screen boxes of its named parts (Tk's winfo geometry) to OUT.json."""
from __future__ import annotations

import json
import sys
import tkinter as tk
from collections.abc import Callable
from pathlib import Path
from tkinter import ttk

Boxes = dict[str, list[int]]


def box_of(widget: tk.Misc) -> list[int]:
    return [widget.winfo_rootx(), widget.winfo_rooty(), widget.winfo_width(), widget.winfo_height()]


def order_form(root: tk.Tk) -> Callable[[], Boxes]:
    root.title("Shipping")
    root.geometry("+140+110")
    bar = tk.Frame(root, relief="raised", bd=1)
    bar.grid(row=0, column=0, columnspan=3, sticky="ew")
    menus = [tk.Menubutton(bar, text=t) for t in ("File", "Edit", "Options", "Help")]
    for m in menus:
        m.pack(side="left")
    parts: dict[str, tk.Misc] = {f"menu:{m.cget('text')}": m for m in menus}
    for row, label in enumerate(("Recipient", "Street", "City", "Postcode"), start=1):
        tk.Label(root, text=label).grid(row=row, column=0, sticky="w", padx=8, pady=3)
        entry = tk.Entry(root, width=32)
        entry.grid(row=row, column=1, columnspan=2, sticky="w", padx=8)
        parts[f"field:{label}"] = entry
    speed = tk.StringVar(value="Standard")
    tk.Label(root, text="Delivery").grid(row=5, column=0, sticky="w", padx=8)
    for i, option in enumerate(("Standard", "Express", "Overnight")):
        radio = tk.Radiobutton(root, text=option, variable=speed, value=option)
        radio.grid(row=6 + i, column=1, sticky="w")
        parts[f"radio:{option}"] = radio
    for i, option in enumerate(("Insured", "Signature required", "Leave with neighbour")):
        check = tk.Checkbutton(root, text=option)
        check.grid(row=9 + i, column=1, sticky="w")
        parts[f"check:{option}"] = check
    buttons = tk.Frame(root)
    buttons.grid(row=12, column=0, columnspan=3, pady=8)
    for text in ("Save", "Print label", "Cancel"):
        button = tk.Button(buttons, text=text)
        button.pack(side="left", padx=6)
        parts[f"button:{text}"] = button
    return lambda: {name: box_of(w) for name, w in parts.items()}


TRACKS = [("Intro", "Ada Quartet", "2:41"), ("Blue Hour", "Ada Quartet", "5:12"),
          ("Paper Boats", "Lin & Co", "3:58"), ("Night Bus", "Lin & Co", "4:20"),
          ("Glass", "Mira", "6:05"), ("Tide", "Mira", "3:33")]


def music(root: tk.Tk) -> Callable[[], Boxes]:
    root.title("Music Library")
    root.geometry("720x420+260+160")
    notebook = ttk.Notebook(root)
    notebook.pack(fill="both", expand=True, padx=6, pady=6)
    tracks = ttk.Frame(notebook)
    for title in ("Tracks", "Albums", "Artists", "Playlists"):
        notebook.add(tracks if title == "Tracks" else ttk.Frame(notebook), text=title)
    tree = ttk.Treeview(tracks, columns=("artist", "length"), show="tree headings", height=8)
    tree.heading("#0", text="Title")
    tree.heading("artist", text="Artist")
    tree.heading("length", text="Length")
    tree.column("#0", width=260)
    tree.column("artist", width=220)
    tree.column("length", width=100)
    items = {title: tree.insert("", "end", text=title, values=(artist, length)) for title, artist, length in TRACKS}
    tree.pack(side="top", fill="x", padx=4, pady=4)
    controls = ttk.Frame(tracks)
    controls.pack(side="top", fill="x")
    buttons = {t: ttk.Button(controls, text=t) for t in ("Play", "Pause", "Shuffle")}
    for b in buttons.values():
        b.pack(side="left", padx=4)
    volume = ttk.Scale(controls, from_=0, to=100, length=160)
    volume.pack(side="left", padx=12)

    def truth() -> Boxes:
        out: Boxes = {f"button:{t}": box_of(b) for t, b in buttons.items()}
        out["slider:volume"] = box_of(volume)
        tx, ty = tree.winfo_rootx(), tree.winfo_rooty()
        for title, item in items.items():
            x, y, w, h = tree.bbox(item)
            out[f"row:{title}"] = [tx + x, ty + y, w, h]
            for column in ("artist", "length"):
                x, y, w, h = tree.bbox(item, column)
                out[f"cell:{title}:{column}"] = [tx + x, ty + y, w, h]
        nx, ny = notebook.winfo_rootx(), notebook.winfo_rooty()
        page_top = tracks.winfo_rooty() - ny
        for index in range(notebook.index("end")):
            xs = [x for x in range(notebook.winfo_width()) if notebook.identify(x, page_top // 2) == "label"
                  and notebook.index(f"@{x},{page_top // 2}") == index]
            out[f"tab:{notebook.tab(index, 'text')}"] = [nx + xs[0], ny, xs[-1] - xs[0] + 1, page_top]
        return out
    return truth


COUNTRIES = ["Austria", "Belgium", "Canada", "Denmark", "Estonia", "Finland", "Greece", "Hungary"]


def picker(root: tk.Tk) -> Callable[[], Boxes]:
    root.title("Region")
    root.geometry("+420+120")
    tk.Label(root, text="Country").grid(row=0, column=0, sticky="w", padx=8, pady=4)
    search = tk.Entry(root, width=24)
    search.grid(row=1, column=0, padx=8, sticky="w")
    listbox = tk.Listbox(root, height=len(COUNTRIES), width=28)
    for c in COUNTRIES:
        listbox.insert("end", c)
    listbox.grid(row=2, column=0, padx=8, pady=6)
    side = tk.Frame(root)
    side.grid(row=2, column=1, sticky="n", padx=8, pady=6)
    buttons = {t: tk.Button(side, text=t, width=8) for t in ("Add", "Remove", "Up", "Down")}
    for b in buttons.values():
        b.pack(side="top", pady=3)
    ok = tk.Button(root, text="Done")
    ok.grid(row=3, column=0, columnspan=2, pady=8)

    def truth() -> Boxes:
        out = {f"button:{t}": box_of(b) for t, b in buttons.items()}
        out |= {"button:Done": box_of(ok), "field:search": box_of(search)}
        lx, ly, width = listbox.winfo_rootx(), listbox.winfo_rooty(), listbox.winfo_width()
        for i, country in enumerate(COUNTRIES):
            _x, y, _w, h = listbox.bbox(i)
            out[f"row:{country}"] = [lx + 2, ly + y, width - 4, h]
        return out
    return truth


def prefs(root: tk.Tk) -> Callable[[], Boxes]:
    root.title("Editor Preferences")
    root.geometry("560x380+330+140")
    notebook = ttk.Notebook(root)
    notebook.pack(fill="both", expand=True, padx=8, pady=8)
    page = ttk.Frame(notebook, padding=10)
    for title in ("Editing", "Fonts", "Colors", "Keys", "Plugins"):
        notebook.add(page if title == "Editing" else ttk.Frame(notebook), text=title)
    parts: dict[str, tk.Misc] = {}
    ttk.Label(page, text="Tab width").grid(row=0, column=0, sticky="w", pady=4)
    width = ttk.Spinbox(page, from_=1, to=16, width=6)
    width.grid(row=0, column=1, sticky="w")
    ttk.Label(page, text="Theme").grid(row=1, column=0, sticky="w", pady=4)
    theme = ttk.Combobox(page, values=["Light", "Dark"], width=18)
    theme.set("Light")
    theme.grid(row=1, column=1, sticky="w")
    parts |= {"spin:Tab width": width, "combo:Theme": theme}
    for i, option in enumerate(("Show line numbers", "Wrap long lines", "Highlight current line")):
        check = ttk.Checkbutton(page, text=option)
        check.grid(row=2 + i, column=0, columnspan=2, sticky="w", pady=2)
        parts[f"check:{option}"] = check
    ending = tk.StringVar(value="Unix")
    for i, option in enumerate(("Unix", "Windows", "Classic Mac")):
        radio = ttk.Radiobutton(page, text=option, variable=ending, value=option)
        radio.grid(row=5 + i, column=0, sticky="w")
        parts[f"radio:{option}"] = radio
    buttons = ttk.Frame(root)
    buttons.pack(side="bottom", anchor="e", padx=8, pady=(0, 8))
    parts |= _button_row(buttons, ("Reset", "Cancel", "OK"))

    def truth() -> Boxes:
        out = {name: box_of(w) for name, w in parts.items()}
        nx, ny = notebook.winfo_rootx(), notebook.winfo_rooty()
        page_top = page.winfo_rooty() - ny - 10
        for index in range(notebook.index("end")):
            xs = [x for x in range(notebook.winfo_width()) if notebook.identify(x, page_top // 2) == "label"
                  and notebook.index(f"@{x},{page_top // 2}") == index]
            out[f"tab:{notebook.tab(index, 'text')}"] = [nx + xs[0], ny, xs[-1] - xs[0] + 1, page_top]
        return out
    return truth


def _button_row(frame: ttk.Frame, texts: tuple[str, ...]) -> dict[str, tk.Misc]:
    """Buttons side by side in `frame`, as a dialog's button row, by their part names."""
    parts: dict[str, tk.Misc] = {}
    for text in texts:
        button = ttk.Button(frame, text=text)
        button.pack(side="left", padx=4)
        parts[f"button:{text}"] = button
    return parts


STREAMS = [("Browser", "Stereo", "-12 dB"), ("Music player", "Surround", "-3 dB"),
           ("Video call", "Mono", "0 dB"), ("Game", "Stereo", "-20 dB")]


def mixer(root: tk.Tk) -> Callable[[], Boxes]:
    """ttk comboboxes and scales named by labels left of them, check buttons, a table with headings."""
    root.title("Audio Settings")
    root.geometry("+300+130")
    page = ttk.Frame(root, padding=12)
    page.pack(fill="both", expand=True)
    parts: dict[str, tk.Misc] = {}
    for row, (label, values) in enumerate((("Output device", ["Speakers", "Headphones"]),
                                           ("Sample rate", ["48000 Hz", "44100 Hz"]))):
        ttk.Label(page, text=label).grid(row=row, column=0, sticky="w", pady=4)
        combo = ttk.Combobox(page, values=values, width=22)
        combo.set(values[0])
        combo.grid(row=row, column=1, sticky="w", padx=8)
        parts[f"combo:{label}"] = combo
    for row, (label, value) in enumerate((("Volume", 70), ("Balance", 50)), start=2):
        ttk.Label(page, text=label).grid(row=row, column=0, sticky="w", pady=6)
        scale = ttk.Scale(page, from_=0, to=100, length=200, value=value)
        scale.grid(row=row, column=1, sticky="w", padx=8)
        parts[f"slider:{label}"] = scale
    for row, option in enumerate(("Mute", "Exclusive mode"), start=4):
        check = ttk.Checkbutton(page, text=option)
        check.grid(row=row, column=0, columnspan=2, sticky="w", pady=2)
        parts[f"check:{option}"] = check
    tree = ttk.Treeview(page, columns=("app", "channel", "level"), show="headings", height=len(STREAMS))
    for column, title, width in (("app", "Application", 160), ("channel", "Channel", 120), ("level", "Level", 90)):
        tree.heading(column, text=title)
        tree.column(column, width=width)
    items = {app: tree.insert("", "end", values=(app, channel, level)) for app, channel, level in STREAMS}
    tree.grid(row=6, column=0, columnspan=3, sticky="w", pady=8)
    buttons = ttk.Frame(page)
    buttons.grid(row=7, column=0, columnspan=3, sticky="e")
    parts |= _button_row(buttons, ("Test", "Apply", "Close"))

    def truth() -> Boxes:
        out = {name: box_of(w) for name, w in parts.items()}
        tx, ty = tree.winfo_rootx(), tree.winfo_rooty()
        for app, item in items.items():
            x, y, w, h = tree.bbox(item)
            out[f"row:{app}"] = [tx + x, ty + y, w, h]
            for column in ("app", "channel", "level"):
                x, y, w, h = tree.bbox(item, column)
                out[f"cell:{app}:{column}"] = [tx + x, ty + y, w, h]
        return out
    return truth


SCREENS = {"tk-prefs": prefs, "tk-shipping": order_form, "tk-music": music, "tk-region": picker,
           "tk-mixer": mixer}


def main() -> int:
    root = tk.Tk()
    truth = SCREENS[sys.argv[1]](root)
    out = Path(sys.argv[2])
    root.after(1500, lambda: out.write_text(json.dumps(truth(), indent=1)))
    root.mainloop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
