"""What an accessibility tree says, as typed values any platform's adapter fills in.

Roles and states are AT-SPI's names ("push-button", "showing"); an adapter for another platform maps
its own onto them. Boxes are in screen coordinates, as the application reports them.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any, Protocol

from desktop_agent.core.values import Rect, frozen

WINDOW_ROLES = frozenset({"frame", "dialog", "window", "alert", "file-chooser"})


@frozen
class Node:
    """One accessible object. `ref` is the adapter's handle for it (opaque elsewhere); `parent` is the
    parent's ref (None for a top-level window); `labelled_by` the refs of the nodes that label it."""

    ref: str
    role: str
    name: str = ""
    description: str = ""
    states: frozenset[str] = frozenset()
    box: Rect | None = None
    text: str | None = None        # the content of a text node (an entry's text), when it has one
    parent: str | None = None
    labelled_by: tuple[str, ...] = ()


@frozen
class AppTree:
    """The showing part of one application's tree: its top-level windows (nodes whose `parent` is None)
    and what shows in them, parents before children."""

    name: str
    pid: int | None
    toolkit: str
    nodes: tuple[Node, ...]
    read_ms: float = 0.0


class TreeReader(Protocol):
    """Reads the trees of the applications with the given process ids, each within the time left."""

    def read(self, pids: frozenset[int], *, budget_s: float) -> list[AppTree]: ...

    def text_of(self, ref: str, *, budget_s: float) -> str | None: ...


def save_trees(path: Path, trees: list[AppTree]) -> None:
    """A JSON recording of trees, for tests (fixtures) and for looking at what an app exposes."""
    def node(n: Node) -> dict[str, Any]:
        data = asdict(n)
        data["states"] = sorted(n.states)
        data["box"] = None if n.box is None else [n.box.left, n.box.top, n.box.width, n.box.height]
        data["labelled_by"] = list(n.labelled_by)
        return data
    document = [{"name": t.name, "pid": t.pid, "toolkit": t.toolkit, "nodes": [node(n) for n in t.nodes]}
                for t in trees]
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")


def load_trees(path: Path) -> list[AppTree]:
    trees = []
    for entry in json.loads(path.read_text(encoding="utf-8")):
        nodes = tuple(Node(ref=n["ref"], role=n["role"], name=n["name"], description=n["description"],
                           states=frozenset(n["states"]),
                           box=None if n["box"] is None else Rect(left=n["box"][0], top=n["box"][1],
                                                                  width=n["box"][2], height=n["box"][3]),
                           text=n["text"], parent=n["parent"], labelled_by=tuple(n["labelled_by"]))
                      for n in entry["nodes"])
        trees.append(AppTree(name=entry["name"], pid=entry["pid"], toolkit=entry["toolkit"], nodes=nodes))
    return trees
