"""The few AT-SPI events the accessibility sense listens for, and what each says changed.

Listened for, narrowly (a file dialog sends hundreds of bounds and caret events, none of which is
asked for): state, text, property and children changes of objects, and windows created or destroyed.
An application's bridge sends only the events someone registered with the registry (GTK 4 sends more;
the match rules keep the rest off our connection).

What an event says: a node changed (its states, text, name, description or value: reading that node
again is enough), or the structure changed (children added or removed, something shown or hidden,
a window created: the application is read again).
"""
from __future__ import annotations

from collections.abc import Iterable

from desktop_agent.accessibility.atspi.bus import REGISTRY, REGISTRY_PATH, Call
from desktop_agent.accessibility.atspi.wire import Incoming
from desktop_agent.accessibility.nodes import Changes

_OBJECT = "org.a11y.atspi.Event.Object"
_WINDOW = "org.a11y.atspi.Event.Window"
REGISTERED = ("object:state-changed", "object:text-changed", "object:property-change",
              "object:children-changed", "window:create", "window:destroy")
_MEMBERS = ((_OBJECT, "StateChanged"), (_OBJECT, "TextChanged"), (_OBJECT, "PropertyChange"),
            (_OBJECT, "ChildrenChanged"), (_WINDOW, "Create"), (_WINDOW, "Destroy"))
_STRUCTURAL_STATES = frozenset({"showing", "visible", "defunct", "expanded", "collapsed", "iconified"})
_NODE_PROPERTIES = frozenset({"accessible-name", "accessible-description", "accessible-value",
                              "accessible-role"})
_MAX_NODES = 256  # an application that changed more than this many nodes is read again whole


def listening_calls() -> list[Call]:
    """The calls that make the bus send us these events, and applications send them."""
    register = [Call(REGISTRY, REGISTRY_PATH, "org.a11y.atspi.Registry", "RegisterEvent", "s", (event,))
                for event in REGISTERED]
    match = [Call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "AddMatch", "s",
                  (f"type='signal',interface='{interface}',member='{member}'",))
             for interface, member in _MEMBERS]
    return match + register


def collect(pending: dict[str, Changes], signals: Iterable[Incoming]) -> None:
    """Adds what `signals` say to `pending` (by application bus name)."""
    for signal in signals:
        node, structure = _meaning(signal)
        if node is None and not structure:
            continue
        before = pending.get(signal.sender, Changes())
        nodes = before.nodes | ({node} if node else set())
        if structure or before.structure or len(nodes) > _MAX_NODES:
            pending[signal.sender] = Changes(structure=True)
        else:
            pending[signal.sender] = Changes(nodes=nodes)


def _meaning(signal: Incoming) -> tuple[str | None, bool]:
    """(the node whose own properties changed, whether the structure changed)."""
    if (signal.interface, signal.member) not in _MEMBERS:
        return None, False
    detail = str(signal.body[0]).split(":")[0] if signal.body else ""
    ref = signal.sender + signal.path
    if signal.member == "StateChanged":
        return (None, True) if detail in _STRUCTURAL_STATES else (ref, False)
    if signal.member == "TextChanged":
        return ref, False
    if signal.member == "PropertyChange":
        return (ref, False) if detail in _NODE_PROPERTIES else (None, True)
    return None, True
