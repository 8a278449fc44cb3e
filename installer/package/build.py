"""`make package`: build/desktop-agent_<version>_amd64.deb, a Debian package of the agent and its app.

The package holds a virtualenv on Debian's own Python 3.11 at /opt/desktop-agent (the project and its
dependencies installed from wheels, pinned to the development virtualenv's versions; byte-compiled), the
`desktop-agent` command (/usr/bin), a menu entry and an icon, and no maintainer scripts: installing,
upgrading and removing touch only the package's own files, never a person's data.

Guarantees: the version is pyproject.toml's; the .deb is rebuilt only when its inputs (the sources it is
built from, this folder, the pinned versions) changed, and the record of those inputs is written after
the .deb, so an interrupted build is never taken for a finished one. Run with the development
virtualenv's Python (`make package`): it needs pip, PySide6 (to draw the icon's PNGs) and the Debian
python3.11, python3-venv and dpkg-deb.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
BUILD = ROOT / "build"
WORK = BUILD / "package"
PREFIX = "/opt/desktop-agent"
PYTHON = "/usr/bin/python3.11"  # Debian's: the package's virtualenv runs on it
SOURCES = ("pyproject.toml", "README.md", "desktop_agent", "ui", "models")  # what the wheel is built from
ICON_SIZES = (48, 128, 256)
# Run-time Debian packages besides Qt's xcb plugin libraries (ui.platform_check names those): the Python
# the virtualenv runs on, xdotool (typing, chords), xclip (clipboard checkpoints), a font for the app, and
# what the Qt libraries the app loads link to that the wheels don't bundle (readelf -d; ICU is bundled).
DEPENDS = ("python3.11", "xdotool", "xclip", "fonts-dejavu-core", "libdbus-1-3", "libfontconfig1",
           "libfreetype6", "libglib2.0-0", "libx11-6", "libx11-xcb1", "libxcb1", "libxkbcommon0",
           "libstdc++6", "zlib1g")


def main() -> int:
    for tool, package in ((PYTHON, "python3.11"), ("dpkg-deb", "dpkg")):
        if shutil.which(tool) is None:
            raise SystemExit(f"package build: {tool} is missing (Debian package {package}; "
                             "installer/install.sh installs what the build needs)")
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    deb = BUILD / f"desktop-agent_{version}_amd64.deb"
    record = deb.with_name(deb.name + ".inputs")
    pins = _pinned_versions()
    inputs = _inputs_digest(pins)
    if deb.is_file() and record.is_file() and record.read_text().strip() == inputs:
        print(f"{deb.relative_to(ROOT)} is up to date (inputs {inputs[:12]})")
        return 0
    record.unlink(missing_ok=True)
    shutil.rmtree(WORK, ignore_errors=True)
    stage = WORK / "root"
    _install_application(stage / PREFIX.lstrip("/"), pins)
    _add_desktop_files(stage)
    for folder in [stage, *(p for p in stage.rglob("*") if p.is_dir() and not p.is_symlink())]:
        folder.chmod(0o755)  # the package's folders, "/" among them, as dpkg will leave them
    _write_control(stage, version)
    partial = deb.with_suffix(".partial")
    _run("dpkg-deb", "--build", "--root-owner-group", "-Zzstd", str(stage), str(partial))
    partial.replace(deb)
    record.write_text(inputs + "\n")
    print(f"built {deb.relative_to(ROOT)} ({deb.stat().st_size / 2**20:.0f} MiB)")
    return 0


def _pinned_versions() -> str:
    """The development virtualenv's versions as pip constraints: the package ships what the tests ran on."""
    frozen = _run(sys.executable, "-m", "pip", "freeze", "--exclude-editable", capture=True)
    return "".join(line + "\n" for line in frozen.splitlines() if "==" in line)


def _source_files() -> list[Path]:
    files = []
    for name in (*SOURCES, HERE.relative_to(ROOT)):
        path = ROOT / name
        found = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        files += [p for p in found if "__pycache__" not in p.parts and p.suffix != ".pyc"]
    return files


def _inputs_digest(pins: str) -> str:
    digest = hashlib.sha256(pins.encode())
    for path in _source_files():
        digest.update(f"\0{path.relative_to(ROOT)}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _install_application(app: Path, pins: str) -> None:
    """A virtualenv at `app` (its paths are those of PREFIX once installed) holding the project."""
    source = WORK / "source"  # a copy: setuptools' build/ folder inside it starts empty every time
    for path in _source_files():
        if HERE not in path.parents:
            target = source / path.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    constraints = WORK / "constraints.txt"
    constraints.write_text(pins)
    _run(PYTHON, "-m", "venv", "--without-pip", str(app))
    _run(sys.executable, "-m", "pip", "--python", str(app / "bin" / "python3"), "install", "--quiet",
         "--no-compile", "--no-warn-script-location", "--constraint", str(constraints), str(source))
    for script in (app / "bin").iterdir():  # pip's scripts and activate name the build folder
        if not script.name.startswith("python"):
            script.unlink()
    for direct_url in app.glob("lib/python3*/site-packages/desktop_agent-*.dist-info/direct_url.json"):
        direct_url.unlink()
    launcher = app / "bin" / "desktop-agent"
    launcher.write_text(f"#!{PREFIX}/bin/python3 -IB\n"
                        "# desktop-agent in its own Python: -I ignores PYTHONPATH, user site-packages and\n"
                        "# the current folder; -B leaves no bytecode in the package's folder, even as root.\n"
                        "import sys\n\nfrom desktop_agent.cli.main import main\n\nsys.exit(main())\n")
    launcher.chmod(0o755)
    (app / "pyvenv.cfg").write_text(f"home = {Path(PYTHON).parent}\ninclude-system-site-packages = false\n"
                                    f"version = {_python_version()}\n")
    # Byte-compiled here, as they will be found there: a person's run can't write into /opt.
    _run(str(app / "bin" / "python3"), "-m", "compileall", "-q", "-j", "0", "-s", str(app.parents[1]),
         "-p", "/", "-x", r"\.tmpl\.py$", str(app / "lib"))  # PySide6's deploy templates aren't Python


def _python_version() -> str:
    return _run(PYTHON, "-c", "import platform; print(platform.python_version())", capture=True).strip()


def _add_desktop_files(stage: Path) -> None:
    usr = stage / "usr"
    (usr / "bin").mkdir(parents=True)
    (usr / "bin" / "desktop-agent").symlink_to(f"{PREFIX}/bin/desktop-agent")
    _install_file(HERE / "desktop-agent.desktop", usr / "share" / "applications" / "desktop-agent.desktop")
    icons = usr / "share" / "icons" / "hicolor"
    _install_file(HERE / "desktop-agent.svg", icons / "scalable" / "apps" / "desktop-agent.svg")
    for size in ICON_SIZES:
        _draw_png(HERE / "desktop-agent.svg", icons / f"{size}x{size}" / "apps" / "desktop-agent.png", size)
    _install_file(HERE / "copyright", usr / "share" / "doc" / "desktop-agent" / "copyright")


def _install_file(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    target.chmod(0o644)


def _draw_png(svg: Path, target: Path, size: int) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    QSvgRenderer(str(svg)).render(painter)
    painter.end()
    target.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(target)):
        raise SystemExit(f"cannot write the icon {target}")
    target.chmod(0o644)


def _write_control(stage: Path, version: str) -> None:
    from ui.platform_check import XCB_LIBRARIES

    installed_kib = sum(p.lstat().st_size for p in stage.rglob("*")) // 1024 + 1
    control = stage / "DEBIAN"
    control.mkdir()
    template = (HERE / "control").read_text(encoding="utf-8")
    (control / "control").write_text(template.format(
        version=version, installed_size=installed_kib,
        depends=", ".join((*DEPENDS, *sorted(set(XCB_LIBRARIES.values()))))))
    files = [p for p in sorted(stage.rglob("*"))
             if p.is_file() and not p.is_symlink() and control not in p.parents]
    sums = [f"{hashlib.md5(p.read_bytes()).hexdigest()}  {p.relative_to(stage)}\n" for p in files]
    (control / "md5sums").write_text("".join(sums))


def _run(*argv: str, capture: bool = False) -> str:
    done = subprocess.run(argv, check=False, text=True, stdout=subprocess.PIPE if capture else None)
    if done.returncode != 0:
        raise SystemExit(f"package build: `{' '.join(argv)}` failed with exit code {done.returncode}")
    return done.stdout or ""


if __name__ == "__main__":
    sys.exit(main())
