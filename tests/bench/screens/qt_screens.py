"""Qt (PySide6) windows of the grounding bench. `python qt_screens.py NAME OUT.json` shows screen NAME
and, once it is drawn, writes the screen boxes of its named parts (Qt's own geometry) to OUT.json."""
from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QModelIndex, QRect, Qt, QTimer, QUrl
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QSplitter,
    QTabBar,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolBar,
    QToolButton,
    QTreeView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

Boxes = dict[str, list[int]]


def box_of(widget: QWidget, rect: QRect | None = None) -> list[int]:
    rect = rect if rect is not None else widget.rect()
    top_left = widget.mapToGlobal(rect.topLeft())
    return [top_left.x(), top_left.y(), rect.width(), rect.height()]


def view_row(view: QAbstractItemView, index: QModelIndex, columns: int) -> list[int]:
    """A row's box across its visible columns, in screen points."""
    rect = view.visualRect(index)
    for column in range(1, columns):
        rect = rect.united(view.visualRect(index.siblingAtColumn(column)))
    rect = rect.intersected(view.viewport().rect())
    return box_of(view.viewport(), rect)


def settings() -> tuple[QWidget, Callable[[], Boxes]]:
    dialog = QDialog()
    dialog.setWindowTitle("Preferences")
    tabs = QTabWidget()
    general = QWidget()
    form = QFormLayout(general)
    name, email, language = QLineEdit(), QLineEdit(), QComboBox()
    language.addItems(["English", "Deutsch", "Français"])
    form.addRow("Name", name)
    form.addRow("Email", email)
    form.addRow("Language", language)
    login, tray = QCheckBox("Start at login"), QCheckBox("Show tray icon")
    form.addRow(login)
    form.addRow(tray)
    theme = QGroupBox("Theme")
    row = QHBoxLayout(theme)
    radios = [QRadioButton(t) for t in ("Light", "Dark", "System")]
    for r in radios:
        row.addWidget(r)
    radios[0].setChecked(True)
    form.addRow(theme)
    tabs.addTab(general, "General")
    for title in ("Appearance", "Network", "Advanced", "Privacy"):
        tabs.addTab(QWidget(), title)
    buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel | QDialogButtonBox.Apply
                               | QDialogButtonBox.Help)
    layout = QVBoxLayout(dialog)
    layout.addWidget(tabs)
    layout.addWidget(buttons)
    dialog.resize(560, 460)
    dialog.move(120, 90)

    def truth() -> Boxes:
        bar = tabs.tabBar()
        out = {f"tab:{bar.tabText(i)}": box_of(bar, bar.tabRect(i)) for i in range(bar.count())}
        out |= {"field:Name": box_of(name), "field:Email": box_of(email), "combo:Language": box_of(language),
                "check:login": box_of(login), "check:tray": box_of(tray)}
        out |= {f"radio:{r.text()}": box_of(r) for r in radios}
        out |= {f"button:{b.text().replace('&', '')}": box_of(b) for b in buttons.buttons()}
        return out
    return dialog, truth


FILES = [("notes.txt", "2 KB", "Text", "2026-11-02"), ("report.pdf", "840 KB", "PDF", "2026-10-28"),
         ("budget.xlsx", "56 KB", "Spreadsheet", "2026-11-20"), ("photo.jpg", "3.1 MB", "Image", "2026-09-14"),
         ("draft.txt", "1 KB", "Text", "2026-11-30"), ("slides.odp", "12 MB", "Presentation", "2026-08-01"),
         ("todo.md", "4 KB", "Markdown", "2026-12-01"), ("archive.zip", "220 MB", "Archive", "2026-05-17")]


def files() -> tuple[QWidget, Callable[[], Boxes]]:
    window = QMainWindow()
    window.setWindowTitle("Files")
    for title in ("File", "Edit", "View", "Go", "Help"):
        window.menuBar().addMenu(title)
    toolbar = window.addToolBar("Main")
    toolbar.setToolButtonStyle(Qt.ToolButtonTextOnly)
    actions = [QAction(t, window) for t in ("Back", "Forward", "Up", "New Folder", "Rename", "Delete")]
    for a in actions:
        toolbar.addAction(a)
    sidebar = QListWidget()
    places = ["Home", "Desktop", "Documents", "Downloads", "Music", "Pictures", "Trash"]
    sidebar.addItems(places)
    sidebar.setMaximumWidth(160)
    table = QTableWidget(len(FILES), 4)
    table.setHorizontalHeaderLabels(["Name", "Size", "Type", "Modified"])
    table.verticalHeader().hide()
    table.setShowGrid(False)
    table.setSelectionBehavior(QAbstractItemView.SelectRows)
    for r, values in enumerate(FILES):
        for c, value in enumerate(values):
            table.setItem(r, c, QTableWidgetItem(value))
    table.setColumnWidth(0, 200)
    table.setColumnWidth(2, 130)
    split = QSplitter()
    split.addWidget(sidebar)
    split.addWidget(table)
    window.setCentralWidget(split)
    window.statusBar().showMessage("8 items")
    window.resize(900, 520)
    window.move(60, 60)

    def truth() -> Boxes:
        bar = window.menuBar()
        out = {f"menu:{a.text()}": box_of(bar, bar.actionGeometry(a)) for a in bar.actions()}
        out |= {f"tool:{a.text()}": box_of(toolbar.widgetForAction(a)) for a in actions}
        out |= {f"place:{p}": box_of(sidebar.viewport(), sidebar.visualItemRect(sidebar.item(i)))
                for i, p in enumerate(places)}
        model = table.model()
        for r, values in enumerate(FILES):
            out[f"row:{values[0]}"] = view_row(table, model.index(r, 0), 4)
            for c in range(4):
                out[f"cell:{values[0]}:{c}"] = box_of(table.viewport(), table.visualRect(model.index(r, c)))
        header = table.horizontalHeader()
        for c in range(4):
            out[f"header:{c}"] = box_of(header, QRect(header.sectionViewportPosition(c), 0,
                                                      header.sectionSize(c), header.height()))
        return out
    return window, truth


PACKAGES = ["python3-numpy", "python3-scipy", "libreoffice-calc", "gimp", "inkscape", "vlc", "git",
            "curl", "htop"]


def packages() -> tuple[QWidget, Callable[[], Boxes]]:
    window = QWidget()
    window.setWindowTitle("Software")
    layout = QHBoxLayout(window)
    checks = QListWidget()
    for i, name in enumerate(PACKAGES):
        item = QListWidgetItem(name)
        item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
        item.setCheckState(Qt.Checked if i % 3 == 0 else Qt.Unchecked)
        checks.addItem(item)
    tree = QTreeWidget()
    tree.setHeaderLabels(["Name", "Size"])
    project = QTreeWidgetItem(tree, ["project", ""])
    for folder, names in (("src", ["main.py", "util.py"]), ("tests", ["test_main.py"]), ("docs", ["index.md"])):
        node = QTreeWidgetItem(project, [folder, ""])
        for n in names:
            QTreeWidgetItem(node, [n, f"{len(n)} KB"])
    QTreeWidgetItem(project, ["README.md", "3 KB"])
    tree.expandAll()
    tree.setColumnWidth(0, 200)
    side = QVBoxLayout()
    side.addWidget(QLabel("Available packages"))
    side.addWidget(checks)
    row = QHBoxLayout()
    install, remove = QPushButton("Install"), QPushButton("Remove")
    row.addWidget(install)
    row.addWidget(remove)
    side.addLayout(row)
    layout.addLayout(side)
    layout.addWidget(tree)
    window.resize(760, 420)
    window.move(200, 150)

    def truth() -> Boxes:
        out: Boxes = {}
        for i, name in enumerate(PACKAGES):
            rect = checks.visualItemRect(checks.item(i))
            out[f"row:{name}"] = box_of(checks.viewport(), rect)
            # the check indicator sits at the row's left, a square as tall as the text line
            option_h = rect.height()
            out[f"check:{name}"] = box_of(checks.viewport(), QRect(rect.left(), rect.top(), option_h + 4,
                                                                   option_h))
        iterator = [project]
        while iterator:
            node = iterator.pop()
            out[f"node:{node.text(0)}"] = view_row(tree, tree.indexFromItem(node), 2)
            iterator.extend(node.child(i) for i in range(node.childCount()))
        out |= {"button:Install": box_of(install), "button:Remove": box_of(remove)}
        return out
    return window, truth


def file_dialog() -> tuple[QWidget, Callable[[], Boxes]]:
    folder = Path(tempfile.mkdtemp(prefix="bench-files-"))
    for name in ("invoice-2026.pdf", "holiday.png", "letter.odt", "minutes.txt", "plan.md"):
        (folder / name).write_text("x")
    (folder / "Archive").mkdir()
    dialog = QFileDialog(None, "Open File", str(folder))
    dialog.setOption(QFileDialog.DontUseNativeDialog, True)
    dialog.setViewMode(QFileDialog.Detail)
    dialog.setSidebarUrls([QUrl.fromLocalFile(p) for p in ("/", "/tmp", str(folder))])
    dialog.resize(760, 460)
    dialog.move(150, 120)

    def truth() -> Boxes:
        out: Boxes = {}
        view = dialog.findChild(QTreeView, "treeView")
        model = view.model()
        root = view.rootIndex()
        for r in range(model.rowCount(root)):
            index = model.index(r, 0, root)
            out[f"row:{index.data()}"] = view_row(view, index, model.columnCount(root))
        header = view.header()
        for c in range(model.columnCount(root)):
            out[f"header:{model.headerData(c, Qt.Horizontal)}"] = box_of(
                header, QRect(header.sectionViewportPosition(c), 0, header.sectionSize(c), header.height()))
        sidebar = dialog.findChild(QListView, "sidebar")
        smodel = sidebar.model()
        for r in range(smodel.rowCount()):
            index = smodel.index(r, 0)
            out[f"place:{index.data()}"] = box_of(sidebar.viewport(), sidebar.visualRect(index))
        out["field:File name"] = box_of(dialog.findChild(QLineEdit, "fileNameEdit"))
        out["combo:Look in"] = box_of(dialog.findChild(QComboBox, "lookInCombo"))
        box = dialog.findChild(QDialogButtonBox, "buttonBox")
        out |= {f"button:{b.text().replace('&', '')}": box_of(b) for b in box.buttons()}
        for name in ("backButton", "forwardButton", "toParentButton", "newFolderButton"):
            out[f"tool:{name}"] = box_of(dialog.findChild(QToolButton, name))
        return out
    return dialog, truth


MONTHS = ["January", "February", "March", "April"]
LEDGER = [("Rent", 900, 900, 950, 950), ("Food", 310, 280, 335, 290), ("Travel", 120, 0, 460, 80),
          ("Power", 75, 82, 64, 58), ("Phone", 30, 30, 30, 35), ("Books", 45, 12, 0, 60)]


def sheet() -> tuple[QWidget, Callable[[], Boxes]]:
    window = QWidget()
    window.setWindowTitle("Household.ods")
    layout = QVBoxLayout(window)
    table = QTableWidget(len(LEDGER), 5)
    table.setHorizontalHeaderLabels(["Item", *MONTHS])
    table.setVerticalHeaderLabels([str(i + 1) for i in range(len(LEDGER))])
    for r, values in enumerate(LEDGER):
        for c, value in enumerate(values):
            table.setItem(r, c, QTableWidgetItem(str(value)))
    tabs = QTabBar()
    for title in ("Expenses", "Income", "Summary", "Notes"):
        tabs.addTab(title)
    tabs.setShape(QTabBar.RoundedSouth)
    layout.addWidget(table)
    layout.addWidget(tabs)
    window.resize(640, 330)
    window.move(300, 200)

    def truth() -> Boxes:
        model = table.model()
        out = {f"sheet:{tabs.tabText(i)}": box_of(tabs, tabs.tabRect(i)) for i in range(tabs.count())}
        for r, values in enumerate(LEDGER):
            out[f"row:{values[0]}"] = view_row(table, model.index(r, 0), 5)
            for c in range(5):
                out[f"cell:{values[0]}:{c}"] = box_of(table.viewport(), table.visualRect(model.index(r, c)))
        header = table.horizontalHeader()
        for c in range(5):
            out[f"header:{c}"] = box_of(header, QRect(header.sectionViewportPosition(c), 0,
                                                      header.sectionSize(c), header.height()))
        return out
    return window, truth


def overlap() -> tuple[QWidget, Callable[[], Boxes]]:
    """A main window with a menu bar, partly covered by a small dialog with a spin box."""
    window = QMainWindow()
    window.setWindowTitle("Editor")
    for title in ("File", "Edit", "Format", "Tools", "Window", "Help"):
        window.menuBar().addMenu(title)
    body = QWidget()
    form = QFormLayout(body)
    title_field, author = QLineEdit("Quarterly report"), QLineEdit()
    form.addRow("Title", title_field)
    form.addRow("Author", author)
    window.setCentralWidget(body)
    window.resize(620, 380)
    window.move(80, 80)
    dialog = QDialog(window)
    dialog.setWindowTitle("Page setup")
    dlayout = QFormLayout(dialog)
    copies = QSpinBox()
    copies.setValue(2)
    dlayout.addRow("Copies", copies)
    portrait, landscape = QRadioButton("Portrait"), QRadioButton("Landscape")
    portrait.setChecked(True)
    dlayout.addRow(portrait)
    dlayout.addRow(landscape)
    ok = QPushButton("Print")
    dlayout.addRow(ok)
    dialog.resize(260, 180)
    window.show()
    dialog.move(470, 60)
    dialog.show()

    def truth() -> Boxes:
        bar = window.menuBar()
        out = {f"menu:{a.text()}": box_of(bar, bar.actionGeometry(a)) for a in bar.actions()}
        out |= {"field:Title": box_of(title_field), "field:Author": box_of(author), "spin:Copies": box_of(copies),
                "radio:Portrait": box_of(portrait), "radio:Landscape": box_of(landscape), "button:Print": box_of(ok)}
        return out
    return window, truth


MESSAGES = [("Ada Lovelace", "Engine notes", "Mon"), ("Grace Hopper", "Compiler draft", "Tue"),
            ("Alan Turing", "Lunch?", "Tue"), ("Edsger Dijkstra", "Re: goto", "Wed"),
            ("Barbara Liskov", "Substitution", "Thu"), ("Ken Thompson", "Plan 9 boot", "Fri")]


def _with_bars(title: str, menus: tuple[str, ...], tools: tuple[str, ...]) -> tuple[QMainWindow, QToolBar,
                                                                                        list[QAction]]:
    """A main window with a menu bar and, right under it, a toolbar of worded buttons."""
    window = QMainWindow()
    window.setWindowTitle(title)
    for menu in menus:
        window.menuBar().addMenu(menu)
    toolbar = window.addToolBar(title)
    toolbar.setToolButtonStyle(Qt.ToolButtonTextOnly)
    actions = [QAction(t, window) for t in tools]
    for a in actions:
        toolbar.addAction(a)
    return window, toolbar, actions


def _bars_truth(window: QMainWindow, toolbar: QToolBar, actions: list[QAction]) -> Boxes:
    bar = window.menuBar()
    out = {f"menu:{a.text()}": box_of(bar, bar.actionGeometry(a)) for a in bar.actions()}
    return out | {f"tool:{a.text()}": box_of(toolbar.widgetForAction(a)) for a in actions}


def _table_truth(table: QTableWidget, rows: list[tuple[str, ...]], columns: int) -> Boxes:
    """Each row (named by its first value), its cells, and the column headers."""
    out: Boxes = {}
    model = table.model()
    for r, values in enumerate(rows):
        out[f"row:{values[0]}"] = view_row(table, model.index(r, 0), columns)
        for c in range(columns):
            out[f"cell:{values[0]}:{c}"] = box_of(table.viewport(), table.visualRect(model.index(r, c)))
    header = table.horizontalHeader()
    for c in range(columns):
        out[f"header:{c}"] = box_of(header, QRect(header.sectionViewportPosition(c), 0,
                                                  header.sectionSize(c), header.height()))
    return out


def mail() -> tuple[QWidget, Callable[[], Boxes]]:
    window, toolbar, actions = _with_bars("Mail", ("File", "Edit", "View", "Message", "Tools"),
                                          ("Get Mail", "Write", "Reply", "Forward", "Junk"))
    folders = QTreeWidget()
    folders.setHeaderHidden(True)
    account = QTreeWidgetItem(folders, ["ada@example.org"])
    for name in ("Inbox", "Sent", "Drafts", "Archive", "Trash"):
        QTreeWidgetItem(account, [name])
    folders.expandAll()
    folders.setMaximumWidth(190)
    table = QTableWidget(len(MESSAGES), 3)
    table.setHorizontalHeaderLabels(["From", "Subject", "Date"])
    table.verticalHeader().hide()
    table.setShowGrid(False)
    for r, values in enumerate(MESSAGES):
        for c, value in enumerate(values):
            item = QTableWidgetItem(value)
            if c == 0:
                item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
                item.setCheckState(Qt.Checked if r == 1 else Qt.Unchecked)
            table.setItem(r, c, item)
    table.setColumnWidth(0, 190)
    table.setColumnWidth(1, 220)
    split = QSplitter()
    split.addWidget(folders)
    split.addWidget(table)
    window.setCentralWidget(split)
    window.resize(820, 440)
    window.move(150, 130)

    def truth() -> Boxes:
        out = _bars_truth(window, toolbar, actions)
        for i in range(account.childCount()):
            child = account.child(i)
            out[f"folder:{child.text(0)}"] = view_row(folders, folders.indexFromItem(child), 1)
        out |= _table_truth(table, MESSAGES, 3)
        for r, values in enumerate(MESSAGES):
            rect = table.visualRect(table.model().index(r, 0))
            out[f"check:{values[0]}"] = box_of(table.viewport(), QRect(rect.left(), rect.top(), 24, rect.height()))
        return out
    return window, truth


ORDERS = [("Marie Curie", "Microscope", "1", "1,240.00", "Shipped"),
          ("Niels Bohr", "Chalkboard", "2", "310.50", "Packing"),
          ("Linus Pauling", "Vitamin C", "12", "86.40", "Refunded"),
          ("Rosalind Franklin", "X-ray film", "5", "455.00", "Awaiting payment"),
          ("Enrico Fermi", "Pile kit", "1", "2,999.99", "Cancelled")]


def orders() -> tuple[QWidget, Callable[[], Boxes]]:
    """A main window whose toolbar of worded buttons sits right under its menu bar, over a table."""
    window, toolbar, actions = _with_bars("Orders", ("File", "Edit", "Orders", "Reports", "Help"),
                                          ("New Order", "Duplicate", "Ship Now", "Refund", "Print"))
    headers = ["Customer", "Item", "Qty", "Total", "Status"]
    table = QTableWidget(len(ORDERS), len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setShowGrid(False)
    for r, values in enumerate(ORDERS):
        for c, value in enumerate(values):
            table.setItem(r, c, QTableWidgetItem(value))
    for c, width in enumerate((170, 130, 60, 100, 150)):
        table.setColumnWidth(c, width)
    window.setCentralWidget(table)
    window.resize(760, 360)
    window.move(220, 160)

    def truth() -> Boxes:
        return _bars_truth(window, toolbar, actions) | _table_truth(table, ORDERS, len(headers))
    return window, truth


SCREENS = {"qt-mail": mail, "qt-settings": settings, "qt-files": files, "qt-packages": packages, "qt-file-dialog": file_dialog,
           "qt-sheet": sheet, "qt-overlap": overlap, "qt-orders": orders}


def main() -> int:
    app = QApplication(sys.argv[:1])
    window, truth = SCREENS[sys.argv[1]]()
    window.show()
    out = Path(sys.argv[2])
    QTimer.singleShot(1500, lambda: out.write_text(json.dumps(truth(), indent=1)))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
