"""Reading the showing part of applications' AT-SPI2 trees, fast, within a time budget.

Two ways, chosen per application: GTK 3's cache (`org.a11y.atspi.Cache.GetItems`: the whole application
in one call; the bridge builds it once an event listener is registered, which the reader does; a cache
that lacks some showing node's children — GTK 4's, GTK 3's file lists' — is not used), then the
boxes, texts and labels of its showing nodes in one more round; or, for toolkits without the cache (Qt),
a walk breadth first, one round per level, that does not descend into what isn't showing. Every round
sends all its calls at once (all applications' together) and waits for their replies together.

Guaranteed: `read` returns within `budget_s` plus one reply's parsing; an application that falls
silent for `SILENCE_S` in a round (stopped, hung), or hasn't answered all of it by the end of the
budget, is left out of that read — its windows are seen by vision alone, never from a part of its tree —
and is not asked again for `BACKOFF_S`. An application that keeps answering may take the whole budget:
vision would take longer. A node is returned only if it and all its
ancestors are showing (GTK4, which has no "showing" state: visible). Not guaranteed: that a node's box
is not covered by another window (the perceiver drops those by the window stacking), nor the boxes of
GTK4 windows, which it reports relative to the window (see `perception.fusion`).
"""
from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from desktop_agent.accessibility.atspi import constants, events
from desktop_agent.accessibility.atspi.bus import (
    ACCESSIBLE,
    ERROR,
    REGISTRY,
    ROOT_PATH,
    AccessibilityBus,
    BusGone,
    Call,
    bus_address,
)
from desktop_agent.accessibility.nodes import AppTree, Changes, Node
from desktop_agent.core.values import Rect

log = logging.getLogger(__name__)

SILENCE_S = 0.25      # an application that answers nothing for this long is read by vision this time
BACKOFF_S = 5.0       # ... and not asked again before this
MAX_NODES = 4000      # per application: a huge table stops the walk, not the step
MAX_DEPTH = 60
TEXT_CHARS = 4096     # text content read with the tree; `text_of` reads all of it

_PROPERTIES = "org.freedesktop.DBus.Properties"
_COMPONENT = "org.a11y.atspi.Component"
_TEXT = "org.a11y.atspi.Text"
_TEXT_ROLES = frozenset({"entry", "text", "password-text", "spin-button", "terminal", "paragraph"})
_LABELLED_ROLES = frozenset({"entry", "text", "password-text", "spin-button", "combo-box", "slider",
                             "list", "list-box", "tree", "tree-table", "table"})
_DESCRIBED_ROLES = frozenset({"push-button", "toggle-button", "menu-item", "icon", "image", "link", "page-tab",
                              "check-box", "radio-button", "combo-box"})
_Round = Generator[list[Call], list[Any], AppTree | None]


def split_ref(ref: str) -> tuple[str, str]:
    """`ref` is the node's bus name followed by its object path."""
    slash = ref.index("/")
    return ref[:slash], ref[slash:]


@dataclass(slots=True)
class _App:
    bus: str
    pid: int | None
    name: str
    toolkit: str
    version: str
    has_cache: bool = True
    slow_until: float = 0.0


@dataclass(slots=True)
class _Walked:
    """A node as a walk collects it; turned into a `Node` once its round's replies are in."""

    ref: str
    parent: str | None
    depth: int
    role: str = "unknown"
    name: str = ""
    description: str = ""
    states: frozenset[str] = frozenset()
    box: Rect | None = None
    text: str | None = None
    labelled_by: tuple[str, ...] = ()
    described: bool = False   # its description is known (the cache has it)


class AtspiReader:
    """The Linux accessibility sense. Connects lazily to the display's accessibility bus; when there is
    none, `read` returns nothing (and `available` says so) and the agent sees by vision alone."""

    def __init__(self, *, display: str | None = None) -> None:
        self._display = display
        self._bus: AccessibilityBus | None = None
        self._tried = False
        self._apps: dict[str, _App] = {}
        self._pending: dict[str, Changes] = {}  # by application bus name: what it said since its read

    @property
    def available(self) -> bool:
        return self._connect() is not None

    def _connect(self) -> AccessibilityBus | None:
        if self._bus is None and not self._tried:
            self._tried = True
            address = bus_address(self._display)
            if address is not None:
                try:
                    self._bus = AccessibilityBus.open(address)
                    # (The GTK bridge also fills its cache, GetItems, only once someone listens.)
                    self._bus.calls(events.listening_calls(), deadline=time.monotonic() + 1.0)
                except (OSError, ValueError, BusGone) as exc:
                    log.info("accessibility bus %s not usable: %s", address, exc)
                    self._bus = None
            if self._bus is None:
                log.info("no accessibility bus on this display: seeing by vision alone")
        return self._bus

    def close(self) -> None:
        if self._bus is not None:
            self._bus.close()
        self._bus, self._tried = None, False

    def read(self, pids: frozenset[int], *, budget_s: float) -> list[AppTree]:
        """The trees of the registered applications whose process is in `pids`."""
        bus = self._connect() if pids else None
        if bus is None:
            return []
        deadline = time.monotonic() + budget_s
        try:
            apps = [app for app in self._applications(bus, deadline)
                    if app.pid in pids and app.slow_until <= time.monotonic()]
            events.collect(self._pending, bus.signals())
            for app in apps:  # what they say while being read stays pending: read again next time
                self._pending.pop(app.bus, None)
            return self._run(bus, {app.bus: self._read_app(app) for app in apps}, deadline)
        except BusGone as exc:
            log.info("accessibility bus gone (%s): seeing by vision alone", exc)
            self.close()
            self._tried = True
            return []

    def changes(self, pids: frozenset[int]) -> dict[int, Changes]:
        """What each known application in `pids` said changed since it was last read."""
        bus = self._connect() if pids else None
        if bus is None:
            return {}
        try:
            events.collect(self._pending, bus.signals())
        except BusGone:
            return {}
        return {app.pid: self._pending.get(app.bus, Changes()) for app in self._apps.values()
                if app.pid in pids and app.pid is not None}

    def refresh(self, tree: AppTree, refs: frozenset[str], *, budget_s: float) -> AppTree | None:
        """`tree` with the nodes `refs` read again: their states, names, boxes and texts; None when its
        application doesn't answer in time, or one of them no longer shows (read it all again)."""
        bus = self._connect()
        if bus is None:
            return None
        by_ref = {node.ref: node for node in tree.nodes}
        wanted = [by_ref[ref] for ref in refs if ref in by_ref]
        if not wanted:
            return tree
        for name in {split_ref(node.ref)[0] for node in wanted}:
            before = self._pending.get(name, Changes())
            self._pending[name] = Changes(nodes=before.nodes - refs, structure=before.structure)
        gtk4 = any(_is_gtk4(app) for app in self._apps.values() if app.pid == tree.pid)
        walked = [_Walked(ref=node.ref, parent=node.parent, depth=0, role=node.role,
                          description=node.description, labelled_by=node.labelled_by, described=True)
                  for node in wanted]
        calls = []
        for node in walked:
            bus_name, path = split_ref(node.ref)
            calls += [Call(bus_name, path, ACCESSIBLE, "GetState"),
                      Call(bus_name, path, _PROPERTIES, "Get", "ss", (ACCESSIBLE, "Name"))]
        details = self._details(walked)
        detail_calls = next(details)
        try:
            replies = bus.calls(calls + detail_calls, deadline=time.monotonic() + budget_s, silence_s=SILENCE_S)
        except BusGone:
            return None
        if None in replies or ERROR in replies[:len(calls)]:
            return None
        for i, node in enumerate(walked):
            node.states, node.name = constants.state_names(replies[2 * i][0]), _variant(replies[2 * i + 1])
        with contextlib.suppress(StopIteration):
            details.send(replies[len(calls):])
        if not all(_visible_state(node, gtk4) for node in walked):
            return None
        fresh = {node.ref: _node(node) for node in walked}
        return replace(tree, nodes=tuple(fresh.get(node.ref, node) for node in tree.nodes))

    def wait_registered(self, pid: int, *, timeout_s: float) -> bool:
        """Wait until the application with process `pid` shows something in its tree (it maps its
        window before it registers); False when it hasn't within `timeout_s`, or there is no bus."""
        deadline = time.monotonic() + timeout_s
        while self._connect() is not None:
            if any(tree.nodes for tree in self.read(frozenset({pid}), budget_s=1.0)):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return False

    def focused(self, ref: str, *, budget_s: float) -> bool | None:
        """Whether node `ref` holds the keyboard focus now, as its application says; None when it
        doesn't answer in time (or the node is gone)."""
        bus = self._connect()
        if bus is None:
            return None
        name, path = split_ref(ref)
        try:
            reply = bus.call(Call(name, path, ACCESSIBLE, "GetState"), deadline=time.monotonic() + budget_s)
        except BusGone:
            return None
        return None if reply is None or reply is ERROR else "focused" in constants.state_names(reply[0])

    def _applications(self, bus: AccessibilityBus, deadline: float) -> list[_App]:
        reply = bus.call(Call(REGISTRY, ROOT_PATH, ACCESSIBLE, "GetChildren"), deadline=deadline)
        if reply is None or reply is ERROR:
            return []
        names = [str(name) for name, _path in reply[0]]
        self._apps = {name: app for name, app in self._apps.items() if name in names}
        new = [name for name in names if name not in self._apps]
        calls = []
        for name in new:
            calls += [Call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                           "GetConnectionUnixProcessID", "s", (name,)),
                      Call(name, ROOT_PATH, _PROPERTIES, "Get", "ss", (ACCESSIBLE, "Name")),
                      Call(name, ROOT_PATH, _PROPERTIES, "Get", "ss", ("org.a11y.atspi.Application",
                                                                       "ToolkitName")),
                      Call(name, ROOT_PATH, _PROPERTIES, "Get", "ss", ("org.a11y.atspi.Application",
                                                                       "Version"))]
        replies = bus.calls(calls, deadline=deadline, silence_s=SILENCE_S)
        for i, name in enumerate(new):
            pid, app_name, toolkit, version = replies[4 * i:4 * i + 4]
            if pid is None or pid is ERROR:
                continue  # not answering yet: asked again next time
            self._apps[name] = _App(bus=name, pid=int(pid[0]), name=_variant(app_name),
                                    toolkit=_variant(toolkit), version=_variant(version))
        return [self._apps[name] for name in names if name in self._apps]

    def _run(self, bus: AccessibilityBus, readers: dict[str, _Round], deadline: float) -> list[AppTree]:
        """Drive every application's reader a round at a time, all rounds' calls sent together."""
        trees: list[AppTree] = []
        started = time.monotonic()
        pending = {name: next(reader) for name, reader in readers.items()}
        while pending:
            now = time.monotonic()
            if now >= deadline:
                for name in pending:
                    self._slow(name, "ran out of time")
                break
            order = list(pending)
            calls = [call for name in order for call in pending[name]]
            replies = bus.calls(calls, deadline=deadline, silence_s=SILENCE_S)
            offset, next_pending = 0, {}
            for name in order:
                count = len(pending[name])
                mine = replies[offset:offset + count]
                offset += count
                if any(reply is None for reply in mine):
                    self._slow(name, "did not answer in time")
                    continue
                try:
                    next_pending[name] = readers[name].send(mine)
                except StopIteration as done:
                    if done.value is not None:
                        trees.append(_timed(done.value, (time.monotonic() - started) * 1000))
            pending = next_pending
        return trees

    def _slow(self, bus_name: str, why: str) -> None:
        app = self._apps.get(bus_name)
        if app is not None:
            app.slow_until = time.monotonic() + BACKOFF_S
            log.info("%s (pid %s) %s: its windows are seen by vision alone for %.0f s", app.name, app.pid,
                     why, BACKOFF_S)

    def _read_app(self, app: _App) -> _Round:
        if app.has_cache:
            (items,) = yield [Call(app.bus, "/org/a11y/atspi/cache", "org.a11y.atspi.Cache", "GetItems")]
            if items is not None and items is not ERROR and items[0]:  # Qt's answers, but empty
                return (yield from self._from_cache(app, items[0]))
            app.has_cache = False
        return (yield from self._walk(app))

    def _from_cache(self, app: _App, items: Sequence[Any]) -> _Round:
        gtk4 = _is_gtk4(app)
        root = app.bus + ROOT_PATH
        by_ref: dict[str, _Walked] = {}
        counts: dict[str, int] = {}
        for (ref_bus, ref_path), _app_ref, (parent_bus, parent_path), _index, count, _ifaces, name, role, \
                description, states in items:
            ref, parent = ref_bus + ref_path, parent_bus + parent_path
            by_ref[ref] = _Walked(ref=ref, parent=None if parent == root else parent, depth=0,
                                  role=constants.role_name(int(role)), name=str(name),
                                  description=str(description), states=constants.state_names(states),
                                  described=True)
            counts[ref] = int(count)
        shown = [walked for walked in by_ref.values() if _shown(walked, by_ref, gtk4)][:MAX_NODES]
        cached_children: dict[str | None, int] = {}
        for walked in by_ref.values():
            cached_children[walked.parent] = cached_children.get(walked.parent, 0) + 1
        if any(cached_children.get(walked.ref, 0) < counts[walked.ref] for walked in shown):
            # GTK 4 caches only the objects a client has asked for, GTK 3 not its file lists' cells; and
            # walking on from where the cache ends found less than walking it all (its states went stale)
            app.has_cache = False
            return (yield from self._walk(app))
        yield from self._details(shown)
        return _tree(app, _parents_first(shown))

    def _walk(self, app: _App) -> _Round:
        (children,) = yield [Call(app.bus, ROOT_PATH, ACCESSIBLE, "GetChildren")]
        if children is None or children is ERROR:
            return None
        frontier = [_Walked(ref=bus + path, parent=None, depth=0) for bus, path in children[0]]
        collected = yield from self._walk_levels(frontier, _is_gtk4(app), MAX_NODES)
        yield from self._details(collected)
        return _tree(app, collected)

    def _walk_levels(self, frontier: list[_Walked], gtk4: bool,
                     limit: int) -> Generator[list[Call], list[Any], list[_Walked]]:
        """Breadth first from `frontier`, one round per level, into what shows, at most `limit` nodes."""
        collected: list[_Walked] = []
        while frontier and len(collected) < limit:
            frontier = frontier[:limit - len(collected)]
            calls = []
            for node in frontier:
                bus, path = split_ref(node.ref)
                calls += [Call(bus, path, ACCESSIBLE, "GetRole"), Call(bus, path, ACCESSIBLE, "GetState"),
                          Call(bus, path, _PROPERTIES, "Get", "ss", (ACCESSIBLE, "Name")),  # Qt: no GetAll
                          Call(bus, path, ACCESSIBLE, "GetChildren")]
            replies = yield calls
            next_frontier = []
            for i, node in enumerate(frontier):
                role, states, name, kids = replies[4 * i:4 * i + 4]
                if role is None or role is ERROR or states is None or states is ERROR:
                    continue
                node.role = constants.role_name(int(role[0]))
                node.states = constants.state_names(states[0])
                node.name = _variant(name)
                if not _visible_state(node, gtk4):
                    continue
                collected.append(node)
                if kids is not None and kids is not ERROR and node.depth < MAX_DEPTH:
                    next_frontier += [_Walked(ref=b + p, parent=node.ref, depth=node.depth + 1)
                                      for b, p in kids[0]]
            frontier = next_frontier
        return collected

    def _details(self, nodes: list[_Walked]) -> Generator[list[Call], list[Any], None]:
        """One round: every node's box, the text of text nodes, the labels of fields and the
        description (a tooltip) of the walked controls that have no name."""
        calls, wants = [], []
        for node in nodes:
            bus, path = split_ref(node.ref)
            calls.append(Call(bus, path, _COMPONENT, "GetExtents", "u", (constants.COORDS_SCREEN,)))
            wants.append((node, "box"))
            if not node.described and not node.name and node.role in _DESCRIBED_ROLES:
                calls.append(Call(bus, path, _PROPERTIES, "Get", "ss", (ACCESSIBLE, "Description")))
                wants.append((node, "description"))
            if node.role in _TEXT_ROLES:
                calls.append(Call(bus, path, _TEXT, "GetText", "ii", (0, TEXT_CHARS)))
                wants.append((node, "text"))
            if node.role in _LABELLED_ROLES:
                calls.append(Call(bus, path, ACCESSIBLE, "GetRelationSet"))
                wants.append((node, "labels"))
        replies = yield calls
        for (node, what), reply in zip(wants, replies):
            if reply is None or reply is ERROR:
                continue
            if what == "box":
                left, top, width, height = (int(v) for v in reply[0])
                if width > 0 and height > 0:
                    node.box = Rect(left=left, top=top, width=width, height=height)
            elif what == "text":
                node.text = str(reply[0])
            elif what == "description":
                node.description = _variant(reply)
            else:
                node.labelled_by = tuple(bus + path for kind, targets in reply[0]
                                         if kind == constants.LABELLED_BY for bus, path in targets)


def _visible_state(node: _Walked, gtk4: bool) -> bool:
    return "visible" in node.states if gtk4 else "showing" in node.states


def _shown(node: _Walked, by_ref: dict[str, _Walked], gtk4: bool) -> bool:
    seen = 0
    current: _Walked | None = node
    while current is not None and seen <= MAX_DEPTH:
        if not _visible_state(current, gtk4):
            return False
        current = by_ref.get(current.parent) if current.parent is not None else None
        seen += 1
    return True


def _parents_first(nodes: list[_Walked]) -> list[_Walked]:
    refs = {node.ref for node in nodes}
    depth: dict[str, int] = {}

    def depth_of(node: _Walked, by_ref: dict[str, _Walked]) -> int:
        if node.ref not in depth:
            parent = by_ref.get(node.parent) if node.parent in refs and node.parent else None
            depth[node.ref] = 0 if parent is None else depth_of(parent, by_ref) + 1
        return depth[node.ref]

    by_ref = {node.ref: node for node in nodes}
    return sorted(nodes, key=lambda node: depth_of(node, by_ref))


def _tree(app: _App, nodes: list[_Walked]) -> AppTree:
    return AppTree(name=app.name, pid=app.pid, toolkit=f"{app.toolkit} {app.version}".strip(),
                   nodes=tuple(_node(n) for n in nodes))


def _node(n: _Walked) -> Node:
    return Node(ref=n.ref, role=n.role, name=n.name, description=n.description, states=n.states, box=n.box,
                text=n.text, parent=n.parent, labelled_by=n.labelled_by)


def _timed(tree: AppTree, read_ms: float) -> AppTree:
    return AppTree(name=tree.name, pid=tree.pid, toolkit=tree.toolkit, nodes=tree.nodes, read_ms=read_ms)


def _is_gtk4(app: _App) -> bool:
    return app.toolkit.upper() == "GTK" and app.version.startswith("4.")


def _variant(reply: Any) -> str:
    """A property's value: a Get reply is a one-item tuple holding a (signature, value) variant."""
    if reply is None or reply is ERROR:
        return ""
    value = reply[0] if isinstance(reply, tuple) and len(reply) == 1 else reply
    if isinstance(value, tuple) and len(value) == 2:
        value = value[1]
    return "" if value is None else str(value)
