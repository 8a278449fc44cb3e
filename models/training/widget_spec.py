"""What to build for one window of the element detector's data, as plain values, and what the toolkit said.

A `WindowSpec` is drawn from a seeded generator and says which parts a window holds, in which toolkit,
theme, palette and font size; the renderers (widget_tk.py, widget_qt.py, widget_gtk.py) build it and
answer with one `Truth` per visible element, read from the toolkit's own geometry and state. Specs and
truths cross the process boundary as JSON (`to_json`/`from_json`, `dataclasses.asdict`).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from desktop_agent.core.values import Role

TK_THEMES = ("clam", "alt", "default", "classic")  # ttk themes
QT_STYLES = ("Fusion", "Windows")
GTK_THEMES = ("Default", "Default-hc")  # GTK 4's built-in themes; "-dark" is added for the dark palette
PALETTES = ("light", "dark")
FONT_SIZES = (8, 9, 10, 11, 12, 14)
# Kept out of training, for evaluation: a ttk theme and the Qt dark palette (both styles).
HELD_OUT = (("tk", "classic", "light"), ("tk", "classic", "dark"), ("qt", "Fusion", "dark"), ("qt", "Windows", "dark"))
LOOKS = {
    "train": tuple((t, theme, p) for t, themes in (("tk", TK_THEMES), ("qt", QT_STYLES), ("gtk", GTK_THEMES))
                   for theme in themes for p in PALETTES if (t, theme, p) not in HELD_OUT),
    "held-out": HELD_OUT,
}
# Parts and the roles their elements get.
KINDS = ("label", "buttons", "entry", "checks", "radios", "combo", "slider", "list", "tabs")
ROLES = frozenset({Role.TEXT, Role.BUTTON, Role.FIELD, Role.CHECKBOX, Role.RADIO, Role.COMBO, Role.TAB,
                   Role.SLIDER, Role.ITEM})

_WORDS = ("Save", "Open", "Cancel", "Apply", "Name", "Email", "Address", "City", "Country", "Notes", "Print",
          "Delete", "Options", "Advanced", "General", "Network", "Sound", "Display", "Colour", "Size", "Auto",
          "Enable", "Remember", "Backup", "Sync", "Mail", "Phone", "Order", "Shipping", "Express", "Daily",
          "Weekly", "Monthly", "Large", "Small", "Medium", "Dark", "Light", "Update", "Search", "Filter")


@dataclass(frozen=True, slots=True, kw_only=True)
class Part:
    """One row of a form: a `kind` of KINDS, an optional label left of it, its captions/items (`texts`),
    per text a state (checked box, chosen radio, selected tab) and a `value` (slider 0-100, combo's
    chosen index). `classic`: Tk's classic widgets (tk.*) instead of ttk's; Qt and GTK ignore it."""

    kind: str
    texts: tuple[str, ...]
    states: tuple[bool, ...] = ()
    value: int = 0
    label: str | None = None
    classic: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class WindowSpec:
    name: str
    split: str  # "train" | "held-out"
    toolkit: str  # "tk" | "qt" | "gtk"
    theme: str  # a ttk theme, a Qt style or a GTK theme
    palette: str  # "light" | "dark"
    font_size: int  # points
    padding: int  # px between parts and around the window
    columns: int  # the parts are laid out in this many columns of rows
    parts: tuple[Part, ...]

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> WindowSpec:
        parts = tuple(Part(**{**p, "texts": tuple(p["texts"]), "states": tuple(p["states"])}) for p in data["parts"])
        return cls(**{**data, "parts": parts})


@dataclass(frozen=True, slots=True, kw_only=True)
class Truth:
    """One element as the toolkit reports it; boxes [left, top, width, height] in the window image's
    pixels. `indicator`: the check or radio mark's own box, when the toolkit can tell it (ttk, Qt, GTK)."""

    role: str  # a Role value
    box: tuple[int, int, int, int]
    widget: str  # the toolkit's class, e.g. "ttk.Checkbutton", "QSlider"
    text: str = ""
    checked: bool | None = None  # checkboxes and radios only
    indicator: tuple[int, int, int, int] | None = None


def _words(rng: np.random.Generator, most: int = 2) -> str:
    return " ".join(str(w) for w in rng.choice(_WORDS, int(rng.integers(1, most + 1)), replace=False))


def _part(kind: str, rng: np.random.Generator, toolkit: str) -> Part:
    label = _words(rng) if kind in ("entry", "combo", "slider") or rng.random() < 0.2 else None
    classic = toolkit == "tk" and rng.random() < 0.4
    many = int(rng.integers(2, 5))
    match kind:
        case "label":
            return Part(kind=kind, texts=(_words(rng, 3),), classic=classic)
        case "buttons":
            return Part(kind=kind, texts=tuple(_words(rng) for _ in range(int(rng.integers(1, 4)))), label=label,
                        classic=classic)
        case "entry":
            return Part(kind=kind, texts=(_words(rng) if rng.random() < 0.5 else "",), label=label, classic=classic)
        case "checks":
            count = int(rng.integers(1, 4))
            return Part(kind=kind, texts=tuple(_words(rng) for _ in range(count)),
                        states=tuple(bool(rng.random() < 0.5) for _ in range(count)), label=label, classic=classic)
        case "radios":
            chosen = int(rng.integers(0, many))
            return Part(kind=kind, texts=tuple(_words(rng) for _ in range(many)),
                        states=tuple(i == chosen for i in range(many)), label=label, classic=classic)
        case "combo" | "list" | "tabs":
            count = many + 2 if kind == "list" else many
            texts = tuple(f"{_words(rng)} {i + 1}" if kind != "tabs" else _words(rng, 1) for i in range(count))
            chosen = int(rng.integers(0, count))
            return Part(kind=kind, texts=texts, states=tuple(i == chosen for i in range(count)), value=chosen,
                        label=label if kind == "combo" else None, classic=classic)
        case "slider":
            return Part(kind=kind, texts=(), value=int(rng.integers(0, 101)), label=label, classic=classic)
    raise ValueError(f"unknown part kind {kind!r}")


def random_window(rng: np.random.Generator, *, name: str, split: str, look: tuple[str, str, str]) -> WindowSpec:
    """A random form in the toolkit, theme and palette of `look`: 3-8 parts, tabs (if any) first."""
    toolkit, theme, palette = look
    kinds = [str(k) for k in rng.choice(KINDS, int(rng.integers(3, 9)))]
    kinds.sort(key=lambda k: k != "tabs")
    kinds = kinds[:1] + [k for k in kinds[1:] if k != "tabs"]  # one tab strip at most
    return WindowSpec(name=name, split=split, toolkit=toolkit, theme=theme, palette=palette,
                      font_size=int(rng.choice(FONT_SIZES)), padding=int(rng.integers(2, 13)),
                      columns=1 if len(kinds) < 5 or rng.random() < 0.5 else 2,
                      parts=tuple(_part(k, rng, toolkit) for k in kinds))
