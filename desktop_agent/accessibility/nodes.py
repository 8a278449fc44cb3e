"""What an accessibility tree says, as typed values any platform's adapter fills in.

Roles and states are AT-SPI's names ("push-button", "showing"); an adapter for another platform maps
its own onto them. Boxes are in screen coordinates, as the application reports them.
"""
from __future__ import annotations

from typing import Protocol

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


@frozen
class Changes:
    """What an application said changed since its tree was last read: the nodes whose states, text,
    name or value changed, and whether more changed than nodes (windows, children, what shows)."""

    nodes: frozenset[str] = frozenset()
    structure: bool = False


class TreeReader(Protocol):
    """Reads the trees of the applications with the given process ids, each within the time left, and
    says whether a node holds the keyboard focus now (None: it can't tell in time). `changes` is what
    each application said changed since it was last read (an adapter that can't listen says
    `structure` for every application); `refresh` reads some nodes of a tree again (None: not in time)."""

    def read(self, pids: frozenset[int], *, budget_s: float) -> list[AppTree]: ...

    def changes(self, pids: frozenset[int]) -> dict[int, Changes]: ...

    def refresh(self, tree: AppTree, refs: frozenset[str], *, budget_s: float) -> AppTree | None: ...

    def focused(self, ref: str, *, budget_s: float) -> bool | None: ...

    def wait_registered(self, pid: int, *, timeout_s: float) -> bool: ...
