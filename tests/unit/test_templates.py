"""match_template on a real screenshot (tests/fixtures/widgets/tk_clam.png), templates cut from it."""
from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from desktop_agent.core.errors import GroundingError
from desktop_agent.core.values import Rect
from desktop_agent.perception.templates import match_template

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "widgets"
FIND_BUTTON = Rect(left=102, top=171, width=115, height=33)
MATCH_CASE = Rect(left=89, top=84, width=15, height=15)  # checked box; "Hidden files" has the same one
HIDDEN_FILES_TOP = 134


@pytest.fixture(scope="module")
def screen() -> np.ndarray:
    image = cv2.imread(str(FIXTURES / "tk_clam.png"))
    assert image is not None
    return image


def _save(path: Path, pixels: np.ndarray) -> Path:
    assert cv2.imwrite(str(path), pixels)
    return path


def _crop(image: np.ndarray, box: Rect) -> np.ndarray:
    return image[box.top:box.bottom, box.left:box.right]


def test_an_exact_crop_is_found_where_it_was_cut(screen: np.ndarray, tmp_path: Path) -> None:
    template = _save(tmp_path / "find.png", _crop(screen, FIND_BUTTON))
    assert match_template(screen, template) == FIND_BUTTON


def test_a_template_saved_at_another_scale_is_found(screen: np.ndarray, tmp_path: Path) -> None:
    bigger = cv2.resize(_crop(screen, FIND_BUTTON), None, fx=1.1, fy=1.1, interpolation=cv2.INTER_LINEAR)
    box = match_template(screen, _save(tmp_path / "find_x1.1.png", bigger))
    assert box.iou(FIND_BUTTON) >= 0.9


def test_a_screen_at_another_scale_is_searched(screen: np.ndarray, tmp_path: Path) -> None:
    template = _save(tmp_path / "find.png", _crop(screen, FIND_BUTTON))
    scaled = cv2.resize(screen, None, fx=1.1, fy=1.1, interpolation=cv2.INTER_LINEAR)
    expected = Rect(left=112, top=188, width=126, height=36)  # FIND_BUTTON x 1.1
    assert match_template(scaled, template).iou(expected) >= 0.9


def test_two_identical_icons_are_ambiguous(screen: np.ndarray, tmp_path: Path) -> None:
    template = _save(tmp_path / "checked.png", _crop(screen, MATCH_CASE))
    with pytest.raises(GroundingError, match="ambiguous: 2 places") as caught:
        match_template(screen, template)
    tops = sorted(int(c.split(" at ")[1].split(",")[1].split(" ")[0]) for c in caught.value.candidates)
    assert tops == [MATCH_CASE.top, HIDDEN_FILES_TOP]


def test_a_region_picks_one_of_two_identical_icons(screen: np.ndarray, tmp_path: Path) -> None:
    template = _save(tmp_path / "checked.png", _crop(screen, MATCH_CASE))
    lower = Rect(left=60, top=125, width=80, height=35)
    assert match_template(screen, template, lower) == Rect(left=89, top=HIDDEN_FILES_TOP, width=15, height=15)


def test_a_region_without_the_template_finds_nothing(screen: np.ndarray, tmp_path: Path) -> None:
    template = _save(tmp_path / "find.png", _crop(screen, FIND_BUTTON))
    with pytest.raises(GroundingError, match="not found; best score"):
        match_template(screen, template, Rect(left=0, top=0, width=356, height=100))


def test_an_absent_image_is_not_found(screen: np.ndarray, tmp_path: Path) -> None:
    other = cv2.imread(str(FIXTURES / "yad_order.png"))
    template = _save(tmp_path / "gtk_ok.png", other[184:218, 271:356])  # GTK's OK button
    found = r"image:.*gtk_ok\.png not found; best score 0\.\d\d at"
    with pytest.raises(GroundingError, match=found) as caught:
        match_template(screen, template)
    assert len(caught.value.candidates) == 1


def test_a_missing_file_names_its_path(screen: np.ndarray, tmp_path: Path) -> None:
    with pytest.raises(GroundingError, match="nope.png"):
        match_template(screen, tmp_path / "nope.png")


def test_an_unreadable_file_names_its_path(screen: np.ndarray, tmp_path: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_text("not a png")
    with pytest.raises(GroundingError, match="bad.png cannot be read"):
        match_template(screen, bad)


def test_a_template_bigger_than_the_region_is_an_error(screen: np.ndarray, tmp_path: Path) -> None:
    template = _save(tmp_path / "find.png", _crop(screen, FIND_BUTTON))
    with pytest.raises(GroundingError, match="larger than the search area"):
        match_template(screen, template, Rect(left=0, top=0, width=50, height=50))


def test_an_edited_template_file_is_reloaded(screen: np.ndarray, tmp_path: Path) -> None:
    path = _save(tmp_path / "icon.png", _crop(screen, FIND_BUTTON))
    assert match_template(screen, path) == FIND_BUTTON
    cancel = Rect(left=231, top=171, width=115, height=33)
    _save(path, _crop(screen, cancel))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # a later mtime, surely
    assert match_template(screen, path) == cancel
