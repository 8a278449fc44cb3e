"""Remembered places (ranking, corrected beats grounded), rejections and step feedback."""
from __future__ import annotations

import numpy as np
import pytest
from test_memory import LOGIN, results

from desktop_agent.core.results import RunStatus
from desktop_agent.core.values import Point, Rect
from desktop_agent.grounding.locators import Locator, WindowRef
from desktop_agent.memory.feedback import FeedbackKind, record_feedback, task_feedback
from desktop_agent.memory.places import OUTVOTED, Places, Source
from desktop_agent.memory.store import MemoryStore

APP, TITLE, TARGET = "Gedit", "notes.txt - gedit", '"Save" button'


@pytest.fixture
def places(tmp_path):
    with MemoryStore.open(tmp_path / "memory.sqlite3") as memory:
        yield Places(memory)


def locator(x: int, y: int, *, title: str = TITLE, text: str = "Save") -> Locator:
    return Locator(target=TARGET, step=3, window=WindowRef(title=title, wm_class=APP, width=800, height=600),
                   offset=Point(x=x, y=y), crop_point=Point(x=5, y=6), element_text=text,
                   element_role="button")


def remember(places: Places, x: int, y: int, source: str = "grounded", *, title: str = TITLE,
             crop: np.ndarray | None = None):
    return places.remember_place(app=APP, window_title=title, target=TARGET, crop=crop, source=source,
                                 locator=locator(x, y, title=title))


def test_a_place_round_trips_as_a_locator_with_its_crop(places):
    crop = np.arange(12 * 10 * 3, dtype=np.uint8).reshape(12, 10, 3)
    remember(places, 100, 40, crop=crop)
    [place] = places.places(APP, TITLE, TARGET)
    assert place.locator == Locator(target=TARGET, step=0, window=WindowRef(title=TITLE, wm_class=APP,
                                                                             width=800, height=600),
                                    offset=Point(x=100, y=40), crop=place.locator.crop,
                                    crop_point=Point(x=5, y=6), element_text="Save", element_role="button")
    assert place.crop_path == places.store.blobs.root / place.locator.crop
    assert np.array_equal(places.crop_image(place), crop)
    assert (place.source, place.hits, place.misses) == (Source.GROUNDED, 1, 0)
    assert places.places(APP, TITLE, '"Open" button') == [] and places.places("Other", TITLE, TARGET) == []


def test_the_same_spot_again_is_a_hit_and_a_miss_is_counted(places):
    remember(places, 100, 40)
    remember(places, 102, 37)  # within a few pixels: the same place, confirmed
    assert places.place_missed(app=APP, window_title=TITLE, target=TARGET)
    assert not places.place_missed(app=APP, window_title="other", target=TARGET)
    [place] = places.places(APP, TITLE, TARGET)
    assert (place.locator.offset, place.hits, place.misses) == (Point(x=102, y=37), 2, 1)
    remember(places, 300, 40)  # grounding found it elsewhere: a grounded place follows it
    [place] = places.places(APP, TITLE, TARGET)
    assert (place.locator.offset, place.hits, place.misses) == (Point(x=300, y=40), 1, 0)


def test_corrected_beats_grounded_until_it_is_outvoted(places):
    remember(places, 100, 40)
    remember(places, 200, 40, "corrected")  # a person pointed elsewhere: replaces the grounded place
    assert remember(places, 100, 40).locator.offset == Point(x=200, y=40)  # grounding does not overrule
    [place] = places.places(APP, TITLE, TARGET)
    assert (place.source, place.locator.offset) == (Source.CORRECTED, Point(x=200, y=40))
    remember(places, 201, 41)  # grounding agreeing with the correction confirms it, still corrected
    assert places.places(APP, TITLE, TARGET)[0].source is Source.CORRECTED
    for _ in range(OUTVOTED + 1):  # 2 hits, 4 misses: not yet outvoted
        places.place_missed(app=APP, window_title=TITLE, target=TARGET)
    assert remember(places, 100, 40).source is Source.CORRECTED
    places.place_missed(app=APP, window_title=TITLE, target=TARGET)  # misses - hits == OUTVOTED
    winner = remember(places, 100, 40)
    assert (winner.source, winner.locator.offset) == (Source.GROUNDED, Point(x=100, y=40))


def test_ranking_title_first_then_corrected_then_score_then_recency(places):
    remember(places, 10, 10, title="other A")
    remember(places, 20, 20, "corrected", title="other B")
    remember(places, 30, 30, title="other C")
    remember(places, 30, 30, title="other C")  # two hits: scores better than A
    remember(places, 40, 40, title="other D")  # as good as A, but more recent
    remember(places, 50, 50)                   # this very title
    ranked = [p.locator.window.title for p in places.places(APP, TITLE, TARGET)]
    assert ranked == [TITLE, "other B", "other C", "other D", "other A"]


def test_rejections_round_trip(places):
    first, second = Rect(left=10, top=20, width=30, height=40), Rect(left=100, top=20, width=30, height=40)
    places.reject(app=APP, window_title=TITLE, target=TARGET, box=first)
    places.reject(app=APP, window_title=TITLE, target=TARGET, box=second)
    places.reject(app=APP, window_title=TITLE, target=TARGET, box=first)  # again: refreshed, not doubled
    assert places.rejected(APP, TITLE, TARGET) == [first, second]
    assert places.rejected(APP, "another window", TARGET) == []


def test_feedback_is_linked_to_its_task_and_masked_when_the_run_is_recorded(tmp_path):
    with MemoryStore.open(tmp_path / "memory.sqlite3") as memory:
        record_feedback(memory, run_id="run-1", step_index=0, kind="approved")
        record_feedback(memory, run_id="run-1", step_index=1, kind=FeedbackKind.CORRECTED,
                        detail='type "hunter2-zebra" into the field right of "Password"')
        memory.record_run("Log in", LOGIN, results(LOGIN), status=RunStatus.SUCCEEDED,
                          trace_folder=tmp_path / "run-1", duration_ms=10)
        [task] = memory.tasks()
        record_feedback(memory, run_id="run-1", step_index=2, kind="rejected", detail="wrong button")
        given = task_feedback(memory, task.id)
        assert [(f.run_id, f.step_index, f.kind, f.detail) for f in given] == [
            ("run-1", 0, FeedbackKind.APPROVED, ""),
            ("run-1", 1, FeedbackKind.CORRECTED, 'type "•••" into the field right of "Password"'),
            ("run-1", 2, FeedbackKind.REJECTED, "wrong button")]
        with pytest.raises(ValueError):
            record_feedback(memory, step_index=0, kind="approved")
        with pytest.raises(ValueError):
            record_feedback(memory, task_id=task.id, step_index=0, kind="liked")
    blob = b"".join(p.read_bytes() for p in tmp_path.glob("memory.sqlite3*"))
    assert b"hunter2-zebra" not in blob


def test_lessons_list_places_and_rejections_and_unlearn_forgets_only_what_is_named(places):
    remember(places, 100, 40, "corrected")
    remember(places, 300, 40, title="other.txt - gedit")
    places.reject(app=APP, window_title=TITLE, target=TARGET, box=Rect(left=10, top=20, width=60, height=24))
    places.reject(app=APP, window_title=TITLE, target='"Open" button', box=Rect(left=1, top=2, width=3, height=4))

    lessons = places.lessons("save")  # any case, part of the target's words
    assert sorted((lesson.kind, lesson.window_title) for lesson in lessons) == [
        ("place", "notes.txt - gedit"), ("place", "other.txt - gedit"), ("rejection", "notes.txt - gedit")]
    corrected = next(lesson for lesson in lessons if lesson.detail.startswith("corrected"))
    assert corrected.detail == "corrected, 1 hit(s), 0 miss(es), at 100,40"
    assert places.lessons("100%") == []  # the words are matched literally, "%" included

    assert places.unlearn(target=TARGET, window_title=TITLE, kind="rejection") == 1
    assert places.rejected(APP, TITLE, TARGET) == [] and len(places.places(APP, TITLE, TARGET)) == 2
    assert places.unlearn(target=TARGET) == 2
    assert places.places(APP, TITLE, TARGET) == []
    assert [lesson.target for lesson in places.lessons()] == ['"Open" button']  # another target stays
    assert places.unlearn(target="Save") == 0  # the target exactly, not a part of it
