"""Qt renderer of the element detector's data: `python -m models.training.widget_qt SPECS.json FOLDER`.

Builds each window of SPECS.json with PySide6 widgets on the X display in $DISPLAY (one QApplication;
style, palette and font set per window) and writes FOLDER/NAME.png and NAME.json
(widget_capture.write_sample). Boxes come from widget geometry mapped to the window, tabs from
`QTabBar.tabRect`, list rows from `visualItemRect`, check/radio indicators from the style's
`subElementRect`, states from `isChecked`.
"""
from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QRadioButton,
    QSlider,
    QStyle,
    QStyleFactory,
    QStyleOptionButton,
    QTabWidget,
    QWidget,
)

from desktop_agent.core.values import Rect, Role
from desktop_agent.screen.capture import Grabber
from models.training.widget_capture import settled_image, write_sample
from models.training.widget_spec import Part, Truth, WindowSpec

Box = tuple[int, int, int, int]


def _dark_palette() -> QPalette:
    palette = QPalette()
    colours = {QPalette.ColorRole.Window: "#2d2d30", QPalette.ColorRole.WindowText: "#e6e6e6",
               QPalette.ColorRole.Base: "#1e1e1e", QPalette.ColorRole.AlternateBase: "#2a2a2a",
               QPalette.ColorRole.Text: "#e6e6e6", QPalette.ColorRole.Button: "#3a3a3d",
               QPalette.ColorRole.ButtonText: "#e6e6e6", QPalette.ColorRole.Highlight: "#3d6fb4",
               QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.ToolTipBase: "#2d2d30",
               QPalette.ColorRole.ToolTipText: "#e6e6e6", QPalette.ColorRole.PlaceholderText: "#8a8a8a",
               QPalette.ColorRole.Light: "#505055", QPalette.ColorRole.Midlight: "#444448",
               QPalette.ColorRole.Mid: "#333336", QPalette.ColorRole.Dark: "#1a1a1a",
               QPalette.ColorRole.Shadow: "#000000"}
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    return palette


def _box(window: QWidget, widget: QWidget, rect: QRect | None = None) -> Box:
    rect = rect if rect is not None else widget.rect()
    origin = widget.mapTo(window, rect.topLeft())
    return origin.x(), origin.y(), rect.width(), rect.height()


def _indicator(window: QWidget, button: QAbstractButton) -> Box:
    option = QStyleOptionButton()
    option.initFrom(button)
    element = (QStyle.SubElement.SE_CheckBoxIndicator if isinstance(button, QCheckBox)
               else QStyle.SubElement.SE_RadioButtonIndicator)
    return _box(window, button, button.style().subElementRect(element, option, button))


class _Window:
    """One spec's widgets in one top-level QWidget, and the truths they answer with."""

    def __init__(self, spec: WindowSpec) -> None:
        self.spec = spec
        self.widget = QWidget()
        self.readers: list[Callable[[], list[Truth]]] = []  # run once the window is drawn

    def read(self, widget: QWidget, role: Role, text: str = "") -> None:
        def truth() -> list[Truth]:
            if not widget.isVisible():
                return []
            button = widget if isinstance(widget, (QCheckBox, QRadioButton)) else None
            return [Truth(role=role.value, box=_box(self.widget, widget), widget=type(widget).__name__, text=text,
                          checked=None if button is None else button.isChecked(),
                          indicator=None if button is None else _indicator(self.widget, button))]
        self.readers.append(truth)

    def truths(self) -> list[Truth]:
        return [t for reader in self.readers for t in reader()]


def _build_part(window: _Window, part: Part) -> QWidget:
    """The widgets of `part` in a container of their own, each recorded for its truth."""
    holder = QWidget()
    row = QHBoxLayout(holder)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(window.spec.padding)
    match part.kind:
        case "label":
            _add(window, row, QLabel(part.texts[0]), Role.TEXT, part.texts[0])
        case "buttons":
            for text in part.texts:
                _add(window, row, QPushButton(text), Role.BUTTON, text)
        case "entry":
            entry = QLineEdit(part.texts[0])
            entry.setMinimumWidth(200)
            _add(window, row, entry, Role.FIELD, part.texts[0])
        case "checks":
            for text, state in zip(part.texts, part.states):
                check = QCheckBox(text)
                check.setChecked(state)
                _add(window, row, check, Role.CHECKBOX, text)
        case "radios":
            group = QButtonGroup(holder)
            for text, state in zip(part.texts, part.states):
                radio = QRadioButton(text)
                group.addButton(radio)
                radio.setChecked(state)
                _add(window, row, radio, Role.RADIO, text)
        case "combo":
            combo = QComboBox()
            combo.addItems(list(part.texts))
            combo.setCurrentIndex(part.value)
            _add(window, row, combo, Role.COMBO, part.texts[part.value])
        case "slider":
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(0, 100)
            slider.setValue(part.value)
            slider.setFixedWidth(180)
            _add(window, row, slider, Role.SLIDER)
        case "list":
            _build_list(window, row, part)
        case "tabs":
            _build_tabs(window, row, part)
        case _:
            raise ValueError(f"unknown part kind {part.kind!r}")
    row.addStretch(1)
    return holder


def _add(window: _Window, row: QHBoxLayout, widget: QWidget, role: Role, text: str = "") -> None:
    row.addWidget(widget)
    window.read(widget, role, text)


def _build_list(window: _Window, row: QHBoxLayout, part: Part) -> None:
    rows = QListWidget()
    rows.addItems(list(part.texts))
    rows.setCurrentRow(part.states.index(True))
    rows.setFixedWidth(240)
    rows.setFixedHeight(rows.sizeHintForRow(0) * len(part.texts) + 2 * rows.frameWidth())
    row.addWidget(rows)

    def truths() -> list[Truth]:
        view, inside = rows.viewport(), rows.viewport().rect()
        out = []
        for i, text in enumerate(part.texts):
            rect = rows.visualItemRect(rows.item(i)).intersected(inside)
            if not rect.isEmpty():
                out.append(Truth(role=Role.ITEM.value, box=_box(window.widget, view, rect), widget="QListWidget",
                                 text=text))
        return out
    window.readers.append(truths)


def _build_tabs(window: _Window, row: QHBoxLayout, part: Part) -> None:
    tabs = QTabWidget()
    for text in part.texts:
        page = QWidget()
        page.setFixedHeight(16)
        tabs.addTab(page, text)
    tabs.setCurrentIndex(part.value)
    row.addWidget(tabs)

    def truths() -> list[Truth]:
        bar = tabs.tabBar()
        return [Truth(role=Role.TAB.value, box=_box(window.widget, bar, bar.tabRect(i)), widget="QTabBar",
                      text=bar.tabText(i)) for i in range(bar.count())]
    window.readers.append(truths)


def render(app: QApplication, spec: WindowSpec, folder: Path, grabber: Grabber) -> None:
    started = time.perf_counter()
    style = QStyleFactory.create(spec.theme)
    if style is None:
        raise ValueError(f"Qt has no style {spec.theme!r}")
    app.setStyle(style)
    app.setPalette(_dark_palette() if spec.palette == "dark" else style.standardPalette())
    font = QFont(app.font())
    font.setPointSize(spec.font_size)
    app.setFont(font)
    window = _Window(spec)
    grid = QGridLayout(window.widget)
    grid.setContentsMargins(*(spec.padding,) * 4)
    grid.setSpacing(spec.padding)
    rows = -(-len(spec.parts) // spec.columns)
    for i, part in enumerate(spec.parts):
        column, row = divmod(i, rows)
        if part.label is not None:
            label = QLabel(part.label)
            grid.addWidget(label, row, 2 * column)
            window.read(label, Role.TEXT, part.label)
        grid.addWidget(_build_part(window, part), row, 2 * column + 1)
    window.widget.move(QPoint(16, 16))
    window.widget.show()
    try:
        app.processEvents()
        geometry = window.widget.geometry()
        region = Rect(left=geometry.x(), top=geometry.y(), width=geometry.width(), height=geometry.height())
        image = settled_image(grabber, region, app.processEvents)
        write_sample(folder, spec, image, window.truths(), time.perf_counter() - started)
    finally:
        window.widget.close()
        window.widget.deleteLater()
        app.processEvents()


def main(argv: list[str]) -> int:
    specs = [WindowSpec.from_json(s) for s in json.loads(Path(argv[0]).read_text())]
    app = QApplication(["widget_qt"])
    app.setCursorFlashTime(0)  # no blinking caret: two grabs in a row can agree
    grabber = Grabber()
    for spec in specs:
        render(app, spec, Path(argv[1]), grabber)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
