"""The engine never imports Qt or the ui package, and only the actuator imports pyautogui."""
import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "desktop_agent"


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_engine_does_not_import_qt_or_ui():
    offenders = {str(p.relative_to(ENGINE)): sorted(imported_modules(p) & {"PySide6", "PyQt5", "PyQt6", "ui"})
                 for p in ENGINE.rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_only_the_actuator_imports_pyautogui():
    users = sorted(str(p.relative_to(ENGINE)) for p in ENGINE.rglob("*.py")
                   if "pyautogui" in imported_modules(p))
    assert users == ["actuator.py"]
