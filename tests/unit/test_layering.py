"""The engine's shape: it never imports Qt or the ui package, only the actuator imports pyautogui, each
package imports only the packages its `__init__` says it may ("May import: ..."), and no module imports
itself back through others."""
import ast
import re
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


def module_name(path: Path) -> str:
    parts = path.relative_to(ENGINE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def engine_imports(path: Path) -> set[str]:
    """The engine modules `path` imports (at module level, in functions, or for type checking)."""
    modules = {module_name(p) for p in ENGINE.rglob("*.py")}
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.update(f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules
                         else node.module for alias in node.names)
    return {name for name in found if name in modules} - {module_name(path)}


def part(module: str) -> str:
    """The package (or top-level module) a module belongs to: `desktop_agent.run.verify` -> `run`."""
    return module.split(".")[1] if module.count(".") else ""


def allowed_parts(owner: Path) -> set[str]:
    said = re.search(r"May import:(.*?)(?:\.\n|\n\n|\"\"\")", ast.get_docstring(ast.parse(owner.read_text())) + '"""',
                     re.S)
    assert said, f"{owner.relative_to(ENGINE)}: its docstring must say what it may import"
    words = said.group(1).replace("\n", " ").strip().rstrip(".")
    return set() if words.startswith("nothing") else {w.strip() for w in words.split(",")}


def test_engine_does_not_import_qt_or_ui():
    offenders = {str(p.relative_to(ENGINE)): sorted(imported_modules(p) & {"PySide6", "PyQt5", "PyQt6", "ui"})
                 for p in ENGINE.rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_only_the_actuator_imports_pyautogui():
    users = sorted(str(p.relative_to(ENGINE)) for p in ENGINE.rglob("*.py")
                   if "pyautogui" in imported_modules(p))
    assert users == ["act/actuator.py"]


def test_every_module_lives_in_a_package_but_the_composition_root():
    loose = sorted(p.name for p in ENGINE.glob("*.py") if p.name != "__init__.py")
    assert loose == ["compose.py"]


def test_each_part_imports_only_what_its_init_allows():
    rules = {p.parent.name: allowed_parts(p) for p in ENGINE.glob("*/__init__.py")}
    rules["compose"] = allowed_parts(ENGINE / "compose.py")
    breaches = []
    for path in ENGINE.rglob("*.py"):
        own = part(module_name(path))
        if not own:
            continue
        for used in sorted(engine_imports(path)):
            other = part(used)
            if other and other != own and other not in rules[own]:
                breaches.append(f"{path.relative_to(ENGINE)} imports {used} ({own} may not import {other})")
    assert breaches == []


def test_no_module_imports_itself_back_through_others():
    graph = {module_name(p): engine_imports(p) for p in ENGINE.rglob("*.py")}
    cycles = []

    def visit(module: str, path: list[str], done: set[str]) -> None:
        for used in sorted(graph[module]):
            if used in path:
                cycles.append(" -> ".join(path[path.index(used):] + [used]))
            elif used not in done:
                visit(used, path + [used], done)
        done.add(module)

    done: set[str] = set()
    for module in sorted(graph):
        if module not in done:
            visit(module, [module], done)
    assert cycles == []
