"""The words of the target language: articles, fillers, ordinal words, the nouns people use for each kind
of target (with synonyms; each also in the plural) and the relation phrases. `phrases` reads targets
with them."""
from __future__ import annotations

from desktop_agent.core.values import Relation, Role

ARTICLES = frozenset({"the", "a", "an"})
FILLERS = frozenset({"titled", "named", "called", "labeled", "labelled", "text", "region", "area",
                      "pane", "panel", "option", "entitled"})
CONTAINERS = frozenset({"region", "area", "pane", "panel"})
ORDINAL_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
                  "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "last": -1}
# The kinds of target people name, by the nouns they use for them (each also in the plural).
ROLE_NOUNS = {
    Role.BUTTON: ("button", "push button", "toggle", "toggle button", "switch", "key", "toolbar button",
                  "path button", "breadcrumb"),
    Role.FIELD: ("field", "text field", "textfield", "textbox", "text box", "input", "entry", "box", "edit",
                 "search box", "search field", "spin box", "spinbox", "password field", "text area"),
    Role.CHECKBOX: ("checkbox", "check box", "tick box", "tickbox", "checkmark"),
    Role.RADIO: ("radio", "radio button", "radiobutton", "option button"),
    Role.COMBO: ("combo", "combobox", "combo box", "dropdown", "drop-down", "drop down", "list",
                 "list box", "listbox"),
    Role.ITEM: ("item", "list item", "row", "tree item", "file", "folder", "place", "bookmark",
                "sidebar entry", "sidebar item"),
    Role.CELL: ("cell", "column header", "row header"),
    Role.TAB: ("tab", "page tab", "sheet tab"),
    Role.MENU: ("menu", "menu item", "menu bar", "menubar", "menu entry"),
    Role.LINK: ("link", "hyperlink"),
    Role.ICON: ("icon", "toolbar icon"),
    Role.IMAGE: ("image", "picture"),
    Role.SLIDER: ("slider", "scale"),
    Role.SCROLLBAR: ("scrollbar", "scroll bar"),
    Role.TEXT: ("label", "heading", "title", "caption"),
    Role.WINDOW: ("window", "dialog", "dialog box"),
    Role.TOOLBAR: ("toolbar", "tool bar"),
    Role.SIDEBAR: ("sidebar", "side bar", "side pane", "places pane"),
    Role.TABSTRIP: ("tab strip", "tab bar", "tab row"),
}


def plural(noun: str) -> str:
    *head, last = noun.split()
    last = (last[:-1] + "ies" if last.endswith("y") and last[-2:-1] not in "aeiou"
            else last + "es" if last.endswith(("s", "x", "ch", "sh")) else last + "s")
    return " ".join([*head, last])


ROLE_WORDS = {word: role for role, nouns in ROLE_NOUNS.items() for noun in nouns
               for word in (noun, plural(noun))}
KNOWN_NOUNS = ", ".join(nouns[0] for nouns in ROLE_NOUNS.values())
RELATION_WORDS = {
    "to the right of": Relation.RIGHT_OF, "right of": Relation.RIGHT_OF,
    "to the left of": Relation.LEFT_OF, "left of": Relation.LEFT_OF, "below": Relation.BELOW,
    "under": Relation.BELOW, "beneath": Relation.BELOW, "above": Relation.ABOVE, "over": Relation.ABOVE,
    "near": Relation.NEAR, "next to": Relation.NEAR, "beside": Relation.NEAR, "in": Relation.INSIDE,
    "inside": Relation.INSIDE, "within": Relation.INSIDE,
}
