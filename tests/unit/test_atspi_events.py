"""What AT-SPI events say changed: a node (read it again) or the structure (read the application)."""
from __future__ import annotations

from desktop_agent.accessibility.atspi import events, wire
from desktop_agent.accessibility.nodes import Changes

OBJECT = "org.a11y.atspi.Event.Object"


def signal(member: str, detail: str, *, path: str = "/org/a11y/atspi/accessible/5", sender: str = ":1.4",
           interface: str = OBJECT) -> wire.Incoming:
    return wire.Incoming(kind=wire.SIGNAL, body=(detail, 1, 0, ("i", 0), {}), sender=sender, path=path,
                         interface=interface, member=member)


def collected(*signals: wire.Incoming) -> dict[str, Changes]:
    pending: dict[str, Changes] = {}
    events.collect(pending, signals)
    return pending


def test_text_a_state_and_a_name_change_name_their_nodes():
    said = collected(signal("TextChanged", "insert"), signal("StateChanged", "checked", path="/a/6"),
                     signal("PropertyChange", "accessible-name", path="/a/7"))
    assert said == {":1.4": Changes(nodes=frozenset({":1.4/org/a11y/atspi/accessible/5", ":1.4/a/6", ":1.4/a/7"}))}


def test_children_showing_and_windows_change_the_structure():
    for one in (signal("ChildrenChanged", "add"), signal("StateChanged", "showing"),
                signal("PropertyChange", "accessible-parent"),
                signal("Create", "", interface="org.a11y.atspi.Event.Window")):
        assert collected(signal("TextChanged", "insert"), one) == {":1.4": Changes(structure=True)}


def test_events_not_listened_for_say_nothing_and_each_application_is_apart():
    said = collected(signal("BoundsChanged", ""), signal("TextCaretMoved", ""),
                     signal("TextChanged", "insert", sender=":1.9"))
    assert said == {":1.9": Changes(nodes=frozenset({":1.9/org/a11y/atspi/accessible/5"}))}


def test_too_many_changed_nodes_read_the_application_whole():
    said = collected(*(signal("TextChanged", "insert", path=f"/n/{i}") for i in range(300)))
    assert said == {":1.4": Changes(structure=True)}
