"""What the accessibility trees of the windows' applications say now, asking them as little as possible.

Per application, by what it said (its events, `TreeReader.changes`) and what its windows' pixels show
since its tree was last read:
- nothing said, no pixel changed (a caret blink aside): its tree is what it was;
- some nodes changed (states, text, name): those nodes alone are read again (`TreeReader.refresh`) and
  the rest of the tree is kept — only if every changed pixel lies in one of those nodes' boxes (before
  or after) or in an area vision reads anyway (a canvas, a list whose cells the tree lacks);
- anything else — never read, a window moved, came or went, the structure changed (children, what
  shows), or pixels changed where it announced nothing (a hover it doesn't report): it is read whole.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from desktop_agent.accessibility.nodes import AppTree, Changes, TreeReader
from desktop_agent.core.values import Frame, Rect, Window
from desktop_agent.perception.fusion import WindowTree, window_trees
from desktop_agent.perception.pixel_changes import changed_mask, regions_of
from desktop_agent.screen import coords

_READ_BUDGET_S = 1.5      # the longest a look waits for trees still coming (vision takes longer)
_REFRESH_BUDGET_S = 0.5
_RING_PX = 2              # a focus ring may be drawn just outside its control's box


@dataclass(slots=True)
class _Seen:
    pid: int
    pixels: Frame             # the window's pixels when its tree was last judged current
    tree: WindowTree | None   # None: its application's tree shows nothing in it


@dataclass(frozen=True, slots=True, kw_only=True)
class TreeLook:
    """The trees of one look, by window, and how each application's was had."""

    trees: dict[int, WindowTree]
    read: int = 0        # applications read whole
    refreshed: int = 0   # applications whose changed nodes alone were read again
    kept: int = 0        # applications whose tree was kept as it was


class TreeMemory:
    def __init__(self, reader: TreeReader) -> None:
        self.reader = reader
        self._windows: dict[int, _Seen] = {}
        self._apps: dict[int, AppTree] = {}

    def look(self, frame: Frame, windows: Sequence[Window]) -> TreeLook:
        """The trees of `windows` (those with a process id) as `frame` shows them."""
        pixels = {w.id: coords.crop(frame, box) for w in windows
                  if w.pid is not None and (box := w.box.intersection(frame.region)) is not None}
        by_pid: dict[int, list[Window]] = {}
        for window in windows:
            if window.id in pixels and window.pid is not None:
                by_pid.setdefault(window.pid, []).append(window)
        same = {window_id for window_id, now in pixels.items() if (seen := self._windows.get(window_id))
                and seen.pixels.region == now.region and np.array_equal(seen.pixels.image, now.image)}
        known = frozenset(pid for pid, own in by_pid.items() if self._known(pid, own, pixels))
        said = self.reader.changes(known) if known else {}
        current: dict[int, tuple[AppTree, dict[int, WindowTree]]] = {}
        refreshed = 0
        for pid in known:
            news = said.get(pid, Changes(structure=True))  # an adapter that can't listen: anything
            changed = [w for w in by_pid[pid] if w.id not in same]
            if not changed and not news.nodes:  # what it shows is what it showed
                current[pid] = (self._apps[pid], self._trees_of(pid))
            elif not news.structure and (up_to_date := self._up_to_date(pid, by_pid[pid], changed,
                                                                         pixels, news.nodes)):
                current[pid] = up_to_date
                refreshed += up_to_date[0] is not self._apps[pid]
        kept = len(current) - refreshed
        to_read = frozenset(by_pid) - set(current)
        trees = self.reader.read(to_read, budget_s=_READ_BUDGET_S) if to_read else []
        read = window_trees(trees, [w for pid in to_read for w in by_pid[pid]]) if trees else {}
        current |= {tree.pid: (tree, read) for tree in trees if tree.pid is not None}
        self._apps = {pid: tree for pid, (tree, _) in current.items()}
        self._windows = {w.id: _Seen(pid=pid, tree=fused.get(w.id),
                                     pixels=self._windows[w.id].pixels if w.id in same else _copy(pixels[w.id]))
                         for pid, (_, fused) in current.items() for w in by_pid[pid]}
        return TreeLook(trees={window_id: seen.tree for window_id, seen in self._windows.items()
                               if seen.tree is not None}, read=len(trees), refreshed=refreshed, kept=kept)

    def _known(self, pid: int, own: list[Window], pixels: dict[int, Frame]) -> bool:
        """Its tree was read, and its windows are the ones it had, where they were."""
        mine = {window_id for window_id, seen in self._windows.items() if seen.pid == pid}
        return pid in self._apps and mine == {w.id for w in own} and all(
            self._windows[w.id].pixels.region == pixels[w.id].region
            and self._windows[w.id].pixels.image.shape == pixels[w.id].image.shape for w in own)

    def _up_to_date(self, pid: int, own: list[Window], changed: list[Window], pixels: dict[int, Frame],
                    nodes: frozenset[str]) -> tuple[AppTree, dict[int, WindowTree]] | None:
        """Its tree with the `nodes` it said changed read again, if the pixels of its `changed` windows
        changed only there or where vision reads; None when only a whole read will do."""
        old, before = self._apps[pid], self._trees_of(pid)
        tree = self.reader.refresh(old, nodes, budget_s=_REFRESH_BUDGET_S) if nodes else old
        if tree is None:
            return None
        fused = window_trees([tree], own) if tree is not old else before
        for window in changed:
            announced = [*_boxes(before.get(window.id), nodes), *_boxes(fused.get(window.id), nodes)]
            if not _all_inside(self._windows[window.id].pixels, pixels[window.id], announced):
                return None
        return tree, fused

    def _trees_of(self, pid: int) -> dict[int, WindowTree]:
        return {window_id: seen.tree for window_id, seen in self._windows.items()
                if seen.pid == pid and seen.tree is not None}


def _boxes(tree: WindowTree | None, refs: frozenset[str]) -> Iterable[Rect]:
    """Where pixels may change unannounced-for-vision: the boxes of the changed nodes' elements, and the
    areas vision reads itself."""
    if tree is None:
        return
    yield from tree.unread
    yield from (e.box.inflate(_RING_PX) for e in tree.elements if e.accessible in refs)


def _all_inside(then: Frame, now: Frame, announced: list[Rect]) -> bool:
    """Every changed region's changed pixels (a caret blink aside) lie inside `announced` (screen)."""
    mask = changed_mask(then.image, now.image)
    allowed = np.zeros_like(mask)
    for box in announced:
        px = coords.screen_to_image(now, box)
        allowed[px.top:px.bottom, px.left:px.right] = True
    return all(not (mask[r.top:r.bottom, r.left:r.right] & ~allowed[r.top:r.bottom, r.left:r.right]).any()
               for r in regions_of(mask))


def _copy(frame: Frame) -> Frame:
    return Frame(image=frame.image.copy(), region=frame.region, scale=frame.scale, monotonic=frame.monotonic)
