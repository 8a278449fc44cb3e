"""The memory tab's "What it learned…": remembered places and rejected proposals listed, searched, and
forgotten one at a time — checked in the memory file itself."""
from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPushButton

from desktop_agent.core.values import Point, Rect
from desktop_agent.grounding.locators import Locator, WindowRef
from desktop_agent.memory.places import Places
from desktop_agent.memory.store import MemoryStore
from ui.learned_dialog import LearnedDialog
from ui.memory_panel import MemoryPanel

APP, TITLE = "Orders", "Order form"


def learn(path: Path) -> None:
    with MemoryStore.open(path) as memory:
        places = Places(memory)
        places.remember_place(app=APP, window_title=TITLE, target='"Submit" button', source="corrected",
                              crop=None, locator=Locator(target='"Submit" button', step=1,
                                                         window=WindowRef(title=TITLE, wm_class=APP, width=600,
                                                                          height=400),
                                                         offset=Point(x=95, y=382)))
        places.reject(app=APP, window_title=TITLE, target='field right of "Name"',
                      box=Rect(left=120, top=40, width=200, height=24))


def lessons_in(path: Path) -> list[tuple[str, str]]:
    with MemoryStore.open(path) as memory:
        return sorted((lesson.kind, lesson.target) for lesson in Places(memory).lessons())


@pytest.fixture
def dialog(qtbot, tmp_path) -> LearnedDialog:
    learn(tmp_path / "memory.sqlite3")
    dialog = LearnedDialog(tmp_path / "memory.sqlite3")
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_places_and_rejections_are_listed_and_searched(qtbot, dialog):
    assert sorted((lesson.kind, lesson.target) for lesson in dialog.lessons) == [
        ("place", '"Submit" button'), ("rejection", 'field right of "Name"')]
    dialog.findChild(QLineEdit, "memorySearch").setText("name")
    assert [lesson.kind for lesson in dialog.lessons] == ["rejection"]
    dialog.findChild(QLineEdit, "memorySearch").setText("nothing like it")
    assert dialog.lessons == [] and "Nothing learned for targets containing" in dialog.status


def test_forget_removes_only_the_selected_lesson_from_the_memory(qtbot, dialog, tmp_path):
    forget = dialog.findChild(QPushButton, "forgetLesson")
    assert not forget.isEnabled()  # nothing selected
    dialog.select([lesson.kind for lesson in dialog.lessons].index("rejection"))
    qtbot.mouseClick(forget, Qt.MouseButton.LeftButton)
    assert lessons_in(tmp_path / "memory.sqlite3") == [("place", '"Submit" button')]
    assert [lesson.kind for lesson in dialog.lessons] == ["place"]
    assert "Forgot the rejected proposal" in dialog.status


def test_a_memory_that_is_not_one_is_reported_and_a_missing_one_not_created(qtbot, tmp_path):
    (tmp_path / "junk.sqlite3").write_bytes(b"not a database at all" * 100)
    broken = LearnedDialog(tmp_path / "junk.sqlite3")
    qtbot.addWidget(broken)
    assert broken.lessons == [] and broken.problem.startswith("Can't read the memory")
    missing = LearnedDialog(tmp_path / "none.sqlite3")
    qtbot.addWidget(missing)
    assert missing.lessons == [] and missing.problem == "" and not (tmp_path / "none.sqlite3").exists()


def test_the_memory_tab_opens_it_on_its_own_memory(qtbot, tmp_path):
    learn(tmp_path / "memory.sqlite3")
    panel = MemoryPanel(tmp_path / "memory.sqlite3")
    qtbot.addWidget(panel)
    panel.show()
    qtbot.mouseClick(panel.findChild(QPushButton, "learnedButton"), Qt.MouseButton.LeftButton)
    opened = panel.findChild(LearnedDialog)
    assert opened is not None and opened.isVisible() and len(opened.lessons) == 2
