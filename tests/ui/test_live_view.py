"""LiveView: pixel <-> screen mapping through the shown Frame (offset region, scale 2), overlay, picking;
and BGR frames becoming Qt images."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from desktop_agent.core.values import Element, Frame, Point, Rect, Role, Screen, Target
from ui.images import qimage_from_bgr
from ui.live_view import ITEM_KIND, LiveView

# 400 x 300 pixels showing the 200 x 150 points at (1000, 500): two pixels per point.
FRAME = Frame(image=np.full((300, 400, 3), 235, np.uint8), region=Rect(left=1000, top=500, width=200, height=150),
              scale=2.0)
ELEMENTS = (
    Element(role=Role.BUTTON, box=Rect(left=1050, top=520, width=40, height=10), text="Submit order"),
    Element(role=Role.FIELD, box=Rect(left=1010, top=540, width=80, height=12), label="Email"),
    Element(role=Role.TEXT, box=Rect(left=1010, top=560, width=30, height=8), text="Notes"),
)
TARGET = Target(box=Rect(left=1100, top=550, width=50, height=20), point=Point(x=1125, y=560),
                strategy="text-exact", why='exact text "Submit order"')


def items(view: LiveView, kind: str) -> list:
    return [item for item in view.scene().items() if item.data(ITEM_KIND) == kind]


@pytest.fixture
def view(qtbot) -> LiveView:
    widget = LiveView()
    qtbot.addWidget(widget)
    widget.resize(600, 400)
    widget.show_screen(Screen(frame=FRAME, elements=ELEMENTS))
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def click_pixel(qtbot, view: LiveView, x: int, y: int) -> None:
    """A left click on the view pixel showing picture pixel (x, y) (mapFromScene rounds to the nearest
    view pixel, whose top-left corner must stay inside the picture pixel)."""
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.mapFromScene(QPointF(x + 0.25, y + 0.25)))


def test_target_is_drawn_at_its_pixels(view):
    view.set_target(TARGET)
    boxes = {item.rect().getRect() for item in items(view, "target") if hasattr(item, "rect")}
    assert boxes == {(200, 100, 100, 40)}  # (1100-1000)*2, (550-500)*2, 50*2, 20*2
    crosses = {(item.pos().x(), item.pos().y()) for item in items(view, "target") if not hasattr(item, "rect")}
    assert crosses == {(250.0, 120.0)}
    view.set_target(None)
    assert items(view, "target") == []


def test_overlay_outlines_each_element_and_toggles(view):
    outlines = items(view, "overlay")
    assert sorted((o.rect().x(), o.rect().y(), o.rect().width(), o.rect().height()) for o in outlines) == [
        (20, 80, 160, 24), (20, 120, 60, 16), (100, 40, 80, 20)]
    assert {o.toolTip() for o in outlines} == {"button: Submit order", "field: Email", "text: Notes"}
    view.set_target(TARGET)
    view.set_overlay_visible(False)
    assert items(view, "overlay") == [] and items(view, "target")
    view.set_overlay_visible(True)
    assert len(items(view, "overlay")) == len(ELEMENTS)


def test_pick_maps_click_to_screen_point(qtbot, view):
    view.resetTransform()  # one picture pixel per view pixel
    view.set_pick_mode(True)
    assert view.picking and view.viewport().cursor().shape() == Qt.CursorShape.CrossCursor
    with qtbot.waitSignal(view.pointPicked) as picked:
        click_pixel(qtbot, view, 301, 201)
    assert picked.args == [1150, 600]  # 1000 + 301 // 2, 500 + 201 // 2
    assert not view.picking
    with qtbot.assertNotEmitted(view.pointPicked):
        click_pixel(qtbot, view, 10, 10)  # pick mode ended with the first pick


def test_pick_when_zoomed_in(qtbot, view):
    for _ in range(4):
        view.zoom_in()
    view.centerOn(QPointF(60, 40))
    view.set_pick_mode(True)
    with qtbot.waitSignal(view.pointPicked) as picked:
        click_pixel(qtbot, view, 61, 39)
    assert picked.args == [1030, 519]


def test_click_beside_the_picture_keeps_picking(qtbot, view):
    view.fit()  # the 4:3 picture in a 3:2 view leaves bands left and right
    view.set_pick_mode(True)
    with qtbot.assertNotEmitted(view.pointPicked):
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(3, 200))
    assert view.picking


def test_escape_cancels_pick_mode(qtbot, view):
    view.set_pick_mode(True)
    with qtbot.waitSignal(view.pickModeChanged) as changed:
        qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert changed.args == [False] and not view.picking


def test_saved_image_has_no_overlay_and_no_picking(qtbot, view, tmp_path: Path):
    view.set_target(TARGET)
    shot = tmp_path / "shot.png"
    cv2.imwrite(str(shot), np.zeros((90, 160, 3), np.uint8))
    view.show_image(shot)
    assert view.frame is None
    assert items(view, "overlay") == [] and items(view, "target") == []
    assert view.sceneRect() == QRectF(0, 0, 160, 90)
    view.set_target(TARGET)
    view.set_pick_mode(True)
    assert items(view, "target") == [] and not view.picking


def test_zoom_buttons_and_ctrl_wheel(view):
    view.fit()
    fitted = view.zoom
    assert fitted == pytest.approx(min(600 / 400, 400 / 300), rel=0.05)
    view.zoom_in()
    assert view.zoom == pytest.approx(fitted * 1.25)
    view.zoom_out()
    view.zoom_out()
    assert view.zoom == pytest.approx(fitted / 1.25)
    centre = QPointF(300, 200)
    wheel = QWheelEvent(centre, view.viewport().mapToGlobal(centre), QPoint(), QPoint(0, 240),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), wheel)
    assert view.zoom == pytest.approx(fitted / 1.25 * 1.25 ** 2)



def test_frame_pixels_keep_their_colours(qtbot):
    bgr = np.zeros((2, 3, 3), np.uint8)
    bgr[0, 0] = (255, 0, 0)  # blue, in BGR order
    bgra = np.dstack([bgr, np.full((2, 3), 255, np.uint8)])
    blue = (0, 0, 255)
    assert qimage_from_bgr(bgr).pixelColor(0, 0).getRgb()[:3] == blue
    assert qimage_from_bgr(bgra).pixelColor(0, 0).getRgb()[:3] == blue
    mirrored = qimage_from_bgr(bgr[:, ::-1])  # not contiguous
    assert (mirrored.width(), mirrored.height()) == (3, 2)
    assert mirrored.pixelColor(2, 0).getRgb()[:3] == blue
    assert qimage_from_bgr(np.full((2, 2), 77, np.uint8)).pixelColor(1, 1).getRgb()[:3] == (77, 77, 77)
    with pytest.raises(ValueError):
        qimage_from_bgr(np.zeros((2, 2, 2), np.uint8))
