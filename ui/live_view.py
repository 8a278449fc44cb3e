"""What the agent sees: the captured screen, an outline per perceived element, the proposed target, and
picking a point on the picture.

Scene coordinates are the pixels of the picture shown. Screen points and pixels are converted only by
`desktop_agent.screen.coords`, with the Frame of the screen shown, so the mapping is exact for captured
regions at an offset and for scales other than 1. A saved screenshot (`show_image`) has no Frame: no
overlay, no target and no picking on it.
"""
from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
    QWidget,
)

from desktop_agent.core.values import Element, Frame, Point, Rect, Role, Screen, Target
from desktop_agent.screen import coords
from ui.images import load_pixmap, pixmap_from_bgr

ITEM_KIND = 0  # QGraphicsItem.data() key: "overlay" or "target"

ROLE_COLOURS = {
    Role.TEXT: "#8c959f", Role.BUTTON: "#2f81f7", Role.FIELD: "#2da44e", Role.CHECKBOX: "#a371f7",
    Role.COMBO: "#1b9aaa", Role.MENU: "#d4a72c", Role.TAB: "#db61a2", Role.LINK: "#58a6ff",
    Role.ICON: "#f0883e", Role.IMAGE: "#f0883e", Role.WINDOW: "#6e7781",
}
TARGET_COLOUR = "#ff00ff"  # the magenta of the trace's annotated shots
_HALO = "#c8ffffff"  # #AARRGGBB
_BACKGROUND = "#1f2328"
_ZOOM_STEP = 1.25
_ZOOM_RANGE = (0.02, 40.0)
_ARM, _GAP, _RING = 22, 5, 11  # crosshair geometry in view pixels (independent of zoom)


class LiveView(QGraphicsView):
    """Zoomable, pannable view of one screen. Ctrl+wheel zooms around the cursor, dragging pans. The
    first picture (and any of a new size) is fitted, and stays fitted as the view resizes until the
    person zooms. `show_screen`/`show_image` clear the target."""

    pointPicked = Signal(int, int)     # screen point of a left click in pick mode (pick mode then ends)
    pickModeChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._scene = QGraphicsScene(self)
        self.setScene(self._scene)
        self._picture = QGraphicsPixmapItem()
        self._picture.setShapeMode(QGraphicsPixmapItem.ShapeMode.BoundingRectShape)  # no alpha mask
        self._scene.addItem(self._picture)
        self._frame: Frame | None = None
        self._elements: tuple[Element, ...] = ()
        self._target: Target | None = None
        self._overlay_visible = True
        self._picking = False
        self._auto_fit = True  # keep fitting on resize until the person zooms
        self._message = "No screen yet"
        self.setBackgroundBrush(QColor(_BACKGROUND))
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    # ------------------------------------------------------------ what is shown
    @property
    def frame(self) -> Frame | None:
        """The Frame of the screen shown; None for a saved screenshot or nothing."""
        return self._frame

    @property
    def picking(self) -> bool:
        return self._picking

    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def show_screen(self, screen: Screen) -> None:
        self._frame, self._elements, self._target = screen.frame, screen.elements, None
        self._set_picture(pixmap_from_bgr(screen.frame.image))
        self._redraw()

    def show_image(self, path: Path) -> None:
        """A saved screenshot; if it can't be read the view says so. Ends pick mode."""
        self._frame, self._elements, self._target = None, (), None
        self.set_pick_mode(False)
        pixmap = load_pixmap(path)
        self._message = "" if pixmap else f"Cannot open {path}"
        self._set_picture(pixmap)
        self._redraw()

    def set_target(self, target: Target | None) -> None:
        self._target = target
        self._redraw()

    def set_overlay_visible(self, visible: bool) -> None:
        self._overlay_visible = visible
        self._redraw()

    def set_pick_mode(self, on: bool) -> None:
        """Pick mode needs a screen with a Frame; without one it stays off."""
        on = on and self._frame is not None
        if on == self._picking:
            return
        self._picking = on
        self.setDragMode(QGraphicsView.DragMode.NoDrag if on else QGraphicsView.DragMode.ScrollHandDrag)
        self.viewport().setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.OpenHandCursor)
        self.pickModeChanged.emit(on)

    # ------------------------------------------------------------ zoom
    def zoom_in(self) -> None:
        self._zoom_by(_ZOOM_STEP)

    def zoom_out(self) -> None:
        self._zoom_by(1 / _ZOOM_STEP)

    def fit(self) -> None:
        self._auto_fit = True
        if not self._picture.pixmap().isNull():
            self.fitInView(self._picture, Qt.AspectRatioMode.KeepAspectRatio)
            self._smooth_when_shrunk()

    def _zoom_by(self, factor: float) -> None:
        self._auto_fit = False
        low, high = _ZOOM_RANGE
        factor = min(max(self.zoom * factor, low), high) / self.zoom
        self.scale(factor, factor)  # around the cursor when it is over the view, else the centre
        self._smooth_when_shrunk()

    def _smooth_when_shrunk(self) -> None:
        """Smooth when shrunk, sharp pixels when magnified (to see exactly what the agent saw)."""
        mode = (Qt.TransformationMode.SmoothTransformation if self.zoom < 1
                else Qt.TransformationMode.FastTransformation)
        self._picture.setTransformationMode(mode)

    # ------------------------------------------------------------ events
    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = event.angleDelta().y() / 120
            if steps:
                self._zoom_by(_ZOOM_STEP ** steps)
            event.accept()
            return
        super().wheelEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._auto_fit:
            self.fit()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if not self._picking:
            super().mousePressEvent(event)
            return
        event.accept()
        if event.button() != Qt.MouseButton.LeftButton or self._frame is None:
            return
        scene = self.mapToScene(event.position().toPoint())
        pixel = Point(x=math.floor(scene.x()), y=math.floor(scene.y()))
        height, width = self._frame.image.shape[:2]
        if not (0 <= pixel.x < width and 0 <= pixel.y < height):
            return  # off the picture: keep picking
        point = coords.point_image_to_screen(self._frame, pixel)
        self.set_pick_mode(False)
        self.pointPicked.emit(point.x, point.y)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self._picking and event.key() == Qt.Key.Key_Escape:
            self.set_pick_mode(False)
            event.accept()
            return
        super().keyPressEvent(event)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        if self._picture.pixmap().isNull():
            painter.save()
            painter.resetTransform()
            painter.setPen(QColor("#8c959f"))
            painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter, self._message)
            painter.restore()

    # ------------------------------------------------------------ drawing
    def _set_picture(self, pixmap: QPixmap | None) -> None:
        old = self._picture.pixmap().size()
        self._picture.setPixmap(pixmap if pixmap is not None else QPixmap())
        self._scene.setSceneRect(self._picture.boundingRect())
        if pixmap is not None and pixmap.size() != old:
            self.fit()
        self.viewport().update()

    def _redraw(self) -> None:
        for item in self._scene.items():
            if item is not self._picture:
                self._scene.removeItem(item)
        if self._frame is None:
            return
        if self._overlay_visible:
            for element in self._elements:
                self._add_outline(element)
        if self._target is not None:
            self._add_target(self._target)

    def _add_outline(self, element: Element) -> None:
        box = coords.screen_to_image(self._frame, element.box)
        if box.area == 0:
            return
        colour = QColor(ROLE_COLOURS.get(element.role, "#8c959f"))
        pen = _pen(colour, 1)
        if element.role is Role.WINDOW:
            pen.setStyle(Qt.PenStyle.DashLine)
        fill = QColor(colour)
        fill.setAlpha(0 if element.role in (Role.TEXT, Role.WINDOW) else 22)
        item = QGraphicsRectItem(_rectf(box))
        item.setPen(pen)
        item.setBrush(QBrush(fill))
        item.setToolTip(_describe(element))
        self._add(item, "overlay", z=1)

    def _add_target(self, target: Target) -> None:
        """A thick box and a crosshair, each over a light halo so magenta stays visible on any UI."""
        box = coords.screen_to_image(self._frame, target.box)
        point = coords.point_screen_to_image(self._frame, target.point)
        for z, (colour, width) in enumerate(((_HALO, 5), (TARGET_COLOUR, 3)), start=2):
            rect = QGraphicsRectItem(_rectf(box))
            rect.setPen(_pen(colour, width))
            self._add(rect, "target", z=z)
        for z, (colour, width) in enumerate(((_HALO, 4), (TARGET_COLOUR, 2)), start=4):
            cross = QGraphicsPathItem(_crosshair())
            cross.setPen(_pen(colour, width))
            cross.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
            cross.setPos(QPointF(point.x, point.y))
            cross.setToolTip(f"{target.strategy}: {target.why}")
            self._add(cross, "target", z=z)

    def _add(self, item: QGraphicsItem, kind: str, *, z: float) -> None:
        item.setData(ITEM_KIND, kind)
        item.setZValue(z)
        item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self._scene.addItem(item)


def _pen(colour: QColor | str, width: float) -> QPen:
    """A pen whose width is in view pixels, whatever the zoom."""
    pen = QPen(QColor(colour), width)
    pen.setCosmetic(True)
    return pen


def _rectf(box: Rect) -> QRectF:
    return QRectF(box.left, box.top, box.width, box.height)


def _crosshair() -> QPainterPath:
    path = QPainterPath()
    for (x0, y0), (x1, y1) in (((-_ARM, 0), (-_GAP, 0)), ((_GAP, 0), (_ARM, 0)),
                               ((0, -_ARM), (0, -_GAP)), ((0, _GAP), (0, _ARM))):
        path.moveTo(x0, y0)
        path.lineTo(x1, y1)
    path.addEllipse(QPointF(0, 0), _RING, _RING)
    return path


def _describe(element: Element) -> str:
    """Tooltip text "role: text/label"."""
    words = [w for w in (element.text, element.label) if w]
    if len(words) == 2 and words[0] == words[1]:
        words = words[:1]
    return f"{element.role.value}: {' / '.join(words) or '(no text)'}"
