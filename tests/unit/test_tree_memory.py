"""When a look asks an application for its whole tree, for the nodes it said changed, or for nothing:
what it said (its events) and what its window's pixels show decide, and a change of pixels it didn't
announce is never explained away."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from desktop_agent.accessibility.nodes import AppTree, Changes, Node
from desktop_agent.core.values import Frame, Rect, Window
from desktop_agent.perception.tree_memory import TreeMemory

PID = 7
WINDOW = Window(id=1, title="Form", wm_class="form", box=Rect(left=0, top=0, width=300, height=200), pid=PID)
FIELD = Node(ref=":1.5/field", role="text", states=frozenset({"showing", "editable"}), text="Ada",
             box=Rect(left=20, top=20, width=120, height=24), parent=":1.5/frame")
CANVAS = Node(ref=":1.5/canvas", role="drawing-area", states=frozenset({"showing"}),
              box=Rect(left=20, top=100, width=120, height=60), parent=":1.5/frame")
TREE = AppTree(name="form", pid=PID, toolkit="GTK 3.24", nodes=(
    Node(ref=":1.5/frame", role="frame", name="Form", states=frozenset({"showing"}), box=WINDOW.box),
    FIELD, CANVAS))


class ScriptedReader:
    """A tree reader whose application says what the test makes it say."""

    def __init__(self) -> None:
        self.tree = TREE
        self.said = Changes()
        self.reads: list[frozenset[int]] = []
        self.refreshed: list[frozenset[str]] = []

    def read(self, pids: frozenset[int], *, budget_s: float) -> list[AppTree]:
        self.reads.append(pids)
        self.said = Changes()
        return [self.tree] if PID in pids else []

    def changes(self, pids: frozenset[int]) -> dict[int, Changes]:
        return {PID: self.said} if PID in pids else {}

    def refresh(self, tree: AppTree, refs: frozenset[str], *, budget_s: float) -> AppTree | None:
        self.refreshed.append(refs)
        self.said = Changes()
        now = {node.ref: node for node in self.tree.nodes}
        return replace(tree, nodes=tuple(now[node.ref] if node.ref in refs else node for node in tree.nodes))

    def focused(self, ref: str, *, budget_s: float) -> bool | None:
        return None

    def wait_registered(self, pid: int, *, timeout_s: float) -> bool:
        return True


def frame(*paint: tuple[Rect, int]) -> Frame:
    image = np.full((200, 300, 3), 230, np.uint8)
    for box, level in paint:
        image[box.top:box.bottom, box.left:box.right] = level
    return Frame(image=image, region=Rect(left=0, top=0, width=300, height=200))


def field_text(look) -> str:
    return next(e.text for e in look.trees[WINDOW.id].elements if e.accessible == FIELD.ref)


def typed(reader: ScriptedReader, text: str) -> None:
    reader.tree = replace(reader.tree, nodes=tuple(replace(n, text=text) if n.ref == FIELD.ref else n
                                                   for n in reader.tree.nodes))
    reader.said = Changes(nodes=frozenset({FIELD.ref}))


def seen_once() -> tuple[ScriptedReader, TreeMemory]:
    reader = ScriptedReader()
    memory = TreeMemory(reader)
    memory.look(frame(), [WINDOW])
    return reader, memory


INSIDE_FIELD = Rect(left=30, top=25, width=40, height=14)
OUTSIDE = Rect(left=200, top=30, width=40, height=20)


def test_an_application_that_said_nothing_and_shows_the_same_pixels_is_not_asked_again():
    reader = ScriptedReader()
    memory = TreeMemory(reader)
    first = memory.look(frame(), [WINDOW])
    again = memory.look(frame(), [WINDOW])
    assert (first.read, again.read, again.kept) == (1, 0, 1) and len(reader.reads) == 1
    assert field_text(again) == "Ada"


def test_typing_reads_the_field_again_and_keeps_the_rest():
    reader, memory = seen_once()
    typed(reader, "Ada L")
    look = memory.look(frame((INSIDE_FIELD, 20)), [WINDOW])
    assert (look.read, look.refreshed) == (0, 1) and reader.refreshed == [frozenset({FIELD.ref})]
    assert field_text(look) == "Ada L"


def test_pixels_changed_where_nothing_was_announced_read_the_tree_whole():
    reader, memory = seen_once()
    typed(reader, "Ada L")
    look = memory.look(frame((INSIDE_FIELD, 20), (OUTSIDE, 20)), [WINDOW])
    assert look.read == 1 and len(reader.reads) == 2 and field_text(look) == "Ada L"

    quiet = memory.look(frame((INSIDE_FIELD, 20), (OUTSIDE, 90)), [WINDOW])  # a hover, unannounced
    assert quiet.read == 1 and len(reader.reads) == 3


def test_pixels_vision_reads_anyway_may_change_unannounced():
    reader, memory = seen_once()
    look = memory.look(frame((Rect(left=40, top=110, width=50, height=30), 20)), [WINDOW])  # in the canvas
    assert (look.read, look.kept) == (0, 1) and len(reader.reads) == 1


def test_a_blinking_caret_changes_nothing():
    reader, memory = seen_once()
    look = memory.look(frame((Rect(left=200, top=30, width=1, height=18), 20)), [WINDOW])
    assert (look.read, look.kept) == (0, 1)


def test_a_structural_change_a_moved_window_or_an_unanswered_refresh_read_it_whole():
    reader, memory = seen_once()
    reader.said = Changes(structure=True)
    assert memory.look(frame((INSIDE_FIELD, 20)), [WINDOW]).read == 1

    moved = replace(WINDOW, box=Rect(left=0, top=0, width=290, height=200))
    assert memory.look(frame((INSIDE_FIELD, 20)), [moved]).read == 1

    typed(reader, "Ada Lo")
    reader.refresh = lambda tree, refs, *, budget_s: None  # type: ignore[method-assign]
    look = memory.look(frame((INSIDE_FIELD, 40)), [moved])
    assert look.read == 1 and field_text(look) == "Ada Lo"


def test_a_window_that_came_or_went_reads_its_application_again():
    reader, memory = seen_once()
    popup = Window(id=2, title="", wm_class="form", box=Rect(left=150, top=150, width=100, height=40),
                   pid=PID, popup=True)
    assert memory.look(frame(), [WINDOW, popup]).read == 1
    assert memory.look(frame(), [WINDOW]).read == 1
