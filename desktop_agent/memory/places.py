"""Remembered places: where a target was found for sure in a window, so the next run can look there first;
and the boxes a person rejected for a target, so they are not proposed again. Both can be reviewed
(`lessons`) and forgotten (`unlearn`): `desktop-agent memory learned|unlearn`, the GUI's Memory tab.

A place is keyed by (app = the window's wm_class, window title, target = `TargetSpec.describe()`) and
holds the target point relative to the window's top-left, the window's size, how the target looked (a
crop, stored as a blob) and where the point was inside it. Places come back as `locators.Locator`
values, so the runner treats recorded and remembered fallbacks alike.

Each place also keeps which task steps learned it (`learned_by`: the task's name and the step's number):
a place settles an ambiguous target only for a step that learned it (see recall.py).

Precedence (one place per key): remembering the same spot again (within `SAME_SPOT_PX`) is a hit and
keeps the place; a 'corrected' place (a person pointed at it) replaces whatever was there; a 'grounded'
place replaces a grounded one, but not a corrected one — unless the corrected one has missed at least
`OUTVOTED` times more than it hit (the app changed since the person corrected it).
Guaranteed: a crop is on disk before the row that refers to it. Not guaranteed: that a place is still
right — callers verify it and report `place_missed`.
"""
from __future__ import annotations

import enum
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from desktop_agent.core.values import Point, Rect
from desktop_agent.grounding.locators import AnchorRef, Locator, WindowRef
from desktop_agent.memory.store import MemoryStore, now_iso

SAME_SPOT_PX = 4  # a point this close to the remembered one confirms it
OUTVOTED = 3      # misses - hits at which a corrected place gives way to a grounded one


Learner = tuple[str, int]  # a task's name and the number (from 1) of one of its steps


class Source(enum.Enum):
    GROUNDED = "grounded"    # found by grounding and verified
    CORRECTED = "corrected"  # pointed at by a person


@dataclass(frozen=True, slots=True, kw_only=True)
class RememberedPlace:
    locator: Locator        # window None for the bare desktop (app and title both "")
    crop_path: Path | None  # absolute path of the crop PNG; None without a crop or when its file is gone
    source: Source
    hits: int
    misses: int
    last_used: str          # last remembered or confirmed (UTC, ISO 8601)
    learned_by: frozenset[Learner] = frozenset()  # the task steps that found it here or were corrected to it


@dataclass(frozen=True, slots=True, kw_only=True)
class Lesson:
    """One thing grounding learned about a target in a window, as a person reviews it: a remembered
    place or a rejected proposal."""

    kind: str          # "place" or "rejection"
    app: str           # the window's class ("" for the bare desktop)
    window_title: str
    target: str        # as `TargetSpec.describe()` words it
    detail: str        # a place: its source, hits, misses and point; a rejection: its box (window-relative)
    when: str          # last used or rejected (UTC, ISO 8601)


_COLUMNS = ("app, window_title, target, offset_x, offset_y, window_width, window_height, crop_sha256,"
            " crop_x, crop_y, element_text, element_role, anchor_text, anchor_dx, anchor_dy, source, hits,"
            " misses, last_used, learned_by")
_KEY = "app = ? AND window_title = ? AND target = ?"


class Places:
    """Remembered places and rejections in one memory."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    def remember_place(self, *, app: str, window_title: str, target: str, locator: Locator,
                       crop: np.ndarray | None, source: Source | str,
                       learner: Learner | None = None) -> RememberedPlace:
        """Remember that `target` was at `locator` (its offset, window size, crop point and element) in
        this window; `crop` is how it looked. Applies the precedence rule of the module doc and returns
        the place now remembered for the key (the existing one when the new one lost)."""
        source = Source(source)
        key = (app, window_title, target)
        window, anchor = locator.window, locator.anchor
        size = (window.width, window.height) if window is not None else (0, 0)
        with self.store.writing() as db:
            old = db.execute("SELECT source, offset_x, offset_y, hits, misses, learned_by FROM places"
                             f" WHERE {_KEY}", key).fetchone()
            same = old is not None and (abs(old[1] - locator.offset.x) <= SAME_SPOT_PX
                                        and abs(old[2] - locator.offset.y) <= SAME_SPOT_PX)
            replace = old is None or (not same and (source is Source.CORRECTED or old[0] == "grounded"
                                                    or old[4] - old[3] >= OUTVOTED))
            fields: dict[str, object] = {
                "offset_x": locator.offset.x, "offset_y": locator.offset.y, "window_width": size[0],
                "window_height": size[1], "element_text": locator.element_text,
                "element_role": locator.element_role, "last_used": now_iso(),
                "anchor_text": anchor.text if anchor else None, "anchor_dx": anchor.dx if anchor else None,
                "anchor_dy": anchor.dy if anchor else None}
            learners = {learner} if learner else set()
            if same:  # the same spot: whoever learned it before still vouches for it
                learners |= _learners(old[5])
            fields["learned_by"] = "\n".join(f"{task}\t{step}" for task, step in sorted(learners))
            if crop is not None and (same or replace):  # payload first, the row that refers to it last
                crop_point = locator.crop_point
                if crop_point is None:
                    crop_point = Point(x=crop.shape[1] // 2, y=crop.shape[0] // 2)
                fields |= {"crop_sha256": self.store.blobs.put_image(crop), "crop_x": crop_point.x,
                           "crop_y": crop_point.y}
            if replace:
                row = {"app": app, "window_title": window_title, "target": target, "crop_sha256": None,
                       "crop_x": None, "crop_y": None, **fields, "source": source.value, "hits": 1,
                       "misses": 0}
                db.execute(f"INSERT OR REPLACE INTO places ({', '.join(row)})"
                           f" VALUES ({', '.join(':' + name for name in row)})", row)
            elif same:
                db.execute(f"UPDATE places SET {', '.join(f'{name} = :{name}' for name in fields)},"
                           " hits = hits + 1, source = CASE WHEN :source = 'corrected' THEN :source"
                           " ELSE source END WHERE app = :app AND window_title = :title AND target = :target",
                           {**fields, "source": source.value, "app": app, "title": window_title,
                            "target": target})
            row = db.execute(f"SELECT {_COLUMNS} FROM places WHERE {_KEY}", key).fetchone()
        return self._place(row)

    def places(self, app: str, window_title: str, target: str) -> list[RememberedPlace]:
        """The places remembered for `target` in this app, best first: the one for this window title,
        then those for other titles of the same app; within each, corrected before grounded, then by
        hits - misses, then the most recently used. (A crop a place refers to is never pruned, so
        looking places up — on every grounding — touches no file.)"""
        with self.store.reading() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM places WHERE app = ? AND target = ?"
                              " ORDER BY window_title = ? DESC, source = 'corrected' DESC,"
                              " hits - misses DESC, last_used DESC, id DESC",
                              (app, target, window_title)).fetchall()
        return [self._place(row) for row in rows]

    def place_missed(self, *, app: str, window_title: str, target: str) -> bool:
        """Count one failed verification of the place for this key (pass the title of the place that was
        tried: `place.locator.window.title`); False when there is no such place."""
        with self.store.writing() as db:
            return db.execute(f"UPDATE places SET misses = misses + 1 WHERE {_KEY}",
                              (app, window_title, target)).rowcount > 0

    def crop_image(self, place: RememberedPlace) -> np.ndarray | None:
        """The place's crop as BGR pixels; None without a crop or when its file is gone or unreadable."""
        return None if place.crop_path is None else cv2.imread(str(place.crop_path), cv2.IMREAD_COLOR)

    def reject(self, *, app: str, window_title: str, target: str, box: Rect) -> None:
        """Remember that a person rejected (skipped) the proposal of `target` at `box`, relative to the
        window's top-left. Rejecting the same box again refreshes it."""
        with self.store.writing() as db:
            db.execute("INSERT INTO rejections VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                       " ON CONFLICT DO UPDATE SET rejected_at = excluded.rejected_at",
                       (app, window_title, target, box.left, box.top, box.width, box.height, now_iso()))

    def rejected(self, app: str, window_title: str, target: str) -> list[Rect]:
        """The boxes (window-relative) rejected for `target` in this window, most recent first."""
        with self.store.reading() as db:
            rows = db.execute(f"SELECT left, top, width, height FROM rejections WHERE {_KEY}"
                              " ORDER BY rejected_at DESC", (app, window_title, target)).fetchall()
        return [Rect(left=r[0], top=r[1], width=r[2], height=r[3]) for r in rows]

    def lessons(self, words: str = "") -> list[Lesson]:
        """Every place and rejection whose target contains `words` (any case), most recent first."""
        escaped = words.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        with self.store.reading() as db:
            places = db.execute("SELECT app, window_title, target, source, hits, misses, offset_x, offset_y,"
                                " last_used FROM places WHERE target LIKE ? ESCAPE '\\'", (like,)).fetchall()
            rejections = db.execute("SELECT app, window_title, target, left, top, width, height, rejected_at"
                                    " FROM rejections WHERE target LIKE ? ESCAPE '\\'", (like,)).fetchall()
        found = [Lesson(kind="place", app=app, window_title=title, target=target, when=when,
                        detail=f"{source}, {hits} hit(s), {misses} miss(es), at {x},{y}")
                 for app, title, target, source, hits, misses, x, y, when in places]
        found += [Lesson(kind="rejection", app=app, window_title=title, target=target, when=when,
                         detail=f"not the one at {left},{top} ({width}x{height})")
                  for app, title, target, left, top, width, height, when in rejections]
        return sorted(found, key=lambda lesson: lesson.when, reverse=True)

    def unlearn(self, *, target: str, app: str | None = None, window_title: str | None = None,
                kind: str | None = None) -> int:
        """Forget the places and rejections for exactly `target` (only in `app` / `window_title` / of
        `kind` when given); how many were forgotten. A crop no place refers to any more is pruned with
        the other unused blobs."""
        where, values = ["target = ?"], [target]
        for column, value in (("app", app), ("window_title", window_title)):
            if value is not None:
                where.append(f"{column} = ?")
                values.append(value)
        tables = {"place": "places", "rejection": "rejections"}
        with self.store.writing() as db:
            return sum(db.execute(f"DELETE FROM {table} WHERE {' AND '.join(where)}", values).rowcount
                       for name, table in tables.items() if kind in (None, name))

    def _place(self, row: sqlite3.Row | tuple[Any, ...]) -> RememberedPlace:
        (app, title, target, offset_x, offset_y, width, height, sha, crop_x, crop_y, element_text,
         element_role, anchor_text, anchor_dx, anchor_dy, source, hits, misses, last_used, learned_by) = row
        crop_path = self.store.blobs.path(sha) if sha is not None else None
        window = None if app == "" and title == "" else WindowRef(title=title, wm_class=app, width=width,
                                                                   height=height)
        locator = Locator(target=target, step=0, window=window, offset=Point(x=offset_x, y=offset_y),
                          crop=crop_path.relative_to(self.store.blobs.root).as_posix() if crop_path else None,
                          crop_point=Point(x=crop_x, y=crop_y) if sha is not None else None,
                          element_text=element_text, element_role=element_role,
                          anchor=None if anchor_text is None else AnchorRef(text=anchor_text, dx=anchor_dx,
                                                                            dy=anchor_dy))
        return RememberedPlace(locator=locator,
                               crop_path=crop_path if crop_path is not None and crop_path.exists() else None,
                               source=Source(source), hits=hits, misses=misses, last_used=last_used,
                               learned_by=frozenset(_learners(learned_by)))


def _learners(text: str) -> set[Learner]:
    """The learners a `learned_by` text names (a line that isn't "task<TAB>step" names none)."""
    return {(task, int(step)) for line in text.splitlines()
            for task, _, step in [line.rpartition("\t")] if task and step.isdigit()}
