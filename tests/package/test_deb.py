"""The Debian package, tried as a person would: built by `make package` (cached while its inputs don't
change), installed with `apt-get install ./build/….deb` as an upgrade over a stand-in older version,
used from an empty folder with no virtualenv on the PATH and no network, then purged — nothing of it
left, the person's data untouched throughout.

Runs as root (apt-get; CI runs as root): as anyone else it fails, it does not skip. Whatever happens,
the package is purged at the end of the session. A desktop-agent package installed before the session
is purged first, so what is tried is the one just built.
"""
from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import mss
import mss.tools
import pytest

from tests.conftest import WINDOW_TIMEOUT_S, require

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
DEB = ROOT / "build" / f"desktop-agent_{VERSION}_amd64.deb"
SCREENSHOT = ROOT / "build" / "package-gui.png"  # the packaged app's window, to look at
SAMPLE_SCREEN = ROOT / "tests" / "fixtures" / "screens" / "sample_app.png"
SUBMIT_BUTTON = (20, 365, 151, 35)  # "Submit order" on SAMPLE_SCREEN: left, top, width, height
APP_TITLE = "Untitled task — Desktop Agent"
# What the package may hold: its application folder, its command, its menu entry, icon and docs.
OWN_PLACES = ("./opt/desktop-agent/", "./usr/bin/desktop-agent",
              "./usr/share/applications/desktop-agent.desktop",
              "./usr/share/icons/hicolor/", "./usr/share/doc/desktop-agent/")
FORM_POLICY = """\
version: 1
default: deny
rules:
  - decision: allow
    actions: [type, click]
    window_title: '^Sample Order Form$'
    reason: "the test's own order form"
"""
# Libraries every Debian system has (Priority: required); the rest must come from the package's Depends,
# but for those a library opens only if they are there (dlopen).
REQUIRED = {"libc6", "libgcc-s1", "zlib1g"}
OPTIONAL = {"libfribidi0"}  # Pillow's text layout (PIL/_imagingft) uses it when present
OLDER_VERSION = "0~older"
OBSOLETE = Path("/opt/desktop-agent/a-file-only-the-older-version-had")


@dataclass(frozen=True, slots=True, kw_only=True)
class Installed:
    files: tuple[Path, ...]  # `dpkg -L desktop-agent` right after installing: files and links only
    data_from_before: Path  # a person's memory file, written while the older version was installed


def apt_get(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["apt-get", "-y", "-q", "-o", "DPkg::Lock::Timeout=300", *args],
                          env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, capture_output=True,
                          text=True, timeout=600, check=False)


def is_installed() -> bool:
    done = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "desktop-agent"], capture_output=True,
                          text=True, check=False)
    return done.stdout.endswith(" installed")


def install(deb: Path) -> None:
    done = apt_get("install", str(deb))
    assert done.returncode == 0, f"apt-get install {deb} failed:\n{done.stdout}\n{done.stderr}"


def older_package(folder: Path) -> Path:
    """A small stand-in for an older desktop-agent: its command, its menu entry and a file the new one
    doesn't have."""
    root = folder / "root"
    files = {"DEBIAN/control": f"Package: desktop-agent\nVersion: {OLDER_VERSION}\nArchitecture: amd64\n"
                               "Maintainer: tests <tests@localhost>\nDescription: an older desktop-agent\n",
             "opt/desktop-agent/bin/desktop-agent": f"#!/bin/sh\necho desktop-agent {OLDER_VERSION}\n",
             str(OBSOLETE).lstrip("/"): "",
             "usr/share/applications/desktop-agent.desktop": "[Desktop Entry]\nType=Application\n"
                                                             "Name=Desktop Agent\nExec=desktop-agent gui\n"}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "opt/desktop-agent/bin/desktop-agent").chmod(0o755)
    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/bin/desktop-agent").symlink_to("/opt/desktop-agent/bin/desktop-agent")
    for directory in [root, *(p for p in root.rglob("*") if p.is_dir())]:
        directory.chmod(0o755)
    deb = folder / "desktop-agent-older.deb"
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", "-Zgzip", str(root), str(deb)],
                   capture_output=True, check=True)
    return deb


def purge() -> None:
    done = apt_get("purge", "desktop-agent")
    assert done.returncode == 0, f"apt-get purge desktop-agent failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="session")
def built() -> Path:
    if os.geteuid() != 0:
        pytest.fail("tests/package installs a Debian package with apt-get: run them as root "
                    "(CI does)", pytrace=False)
    done = subprocess.run([sys.executable, str(ROOT / "installer" / "package" / "build.py")],
                          capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0 and DEB.is_file(), f"make package failed:\n{done.stdout}\n{done.stderr}"
    return DEB


@pytest.fixture(scope="session")
def installed(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    """The package installed with apt-get as an upgrade over an older version, while a person's memory
    file existed; purged at the end whatever happens."""
    if is_installed():
        purge()
    folder = tmp_path_factory.mktemp("upgrade")
    data = folder / "home" / ".local" / "share" / "desktop-agent" / "memory.sqlite3"
    try:
        install(older_package(folder))
        assert OBSOLETE.is_file(), "the older version did not install"
        data.parent.mkdir(parents=True)
        data.write_text("the person's own")
        install(built)
        listed = subprocess.run(["dpkg", "-L", "desktop-agent"], capture_output=True, text=True,
                                check=True).stdout.split("\n")
        files = tuple(Path(p) for p in listed if p and (Path(p).is_symlink() or Path(p).is_file()))
        yield Installed(files=files, data_from_before=data)
    finally:
        if is_installed():
            purge()


@pytest.fixture
def person(tmp_path: Path) -> dict[str, str]:
    """A person's environment: a home of their own, the system PATH (no virtualenv on it)."""
    home = tmp_path / "home"
    home.mkdir()
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
            "XDG_DATA_HOME": str(home / ".local" / "share"), "XDG_CONFIG_HOME": str(home / ".config")}


def settings_file(person: dict[str, str]) -> Path:
    """Where the app keeps its settings (QSettings), as the README says."""
    return Path(person["XDG_CONFIG_HOME"]) / "desktop-agent" / "desktop-agent.conf"


def desktop_agent(*args: str, env: dict[str, str], cwd: Path, user: str = "",
                  timeout_s: float = 180) -> subprocess.CompletedProcess[str]:
    """The installed `desktop-agent ARGS`, found on the PATH, run from `cwd` with no network (`unshare
    --net`: nothing it does may need one), as `user` if given (else root)."""
    ids = pwd.getpwnam(user) if user else None
    as_user = ["setpriv", f"--reuid={ids.pw_uid}", f"--regid={ids.pw_gid}", "--clear-groups"] if ids else []
    done = subprocess.run(["unshare", "--net", *as_user, "desktop-agent", *args], env=env, cwd=cwd,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout_s,
                          check=False)
    if done.stderr.startswith("unshare:"):
        pytest.fail(f"cannot take the network away from desktop-agent here ({done.stderr.strip()}): "
                    "`unshare --net` needs root with CAP_SYS_ADMIN (a plain Docker container lacks it)",
                    pytrace=False)
    return done


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    """An empty folder to start the command in."""
    folder = tmp_path / "empty"
    folder.mkdir()
    return folder


# ---------------------------------------------------------------- the .deb itself
def test_the_deb_holds_only_its_own_files_and_runs_no_scripts(built):
    """dpkg touches only the files a package lists and runs only its maintainer scripts: with none,
    installing, upgrading and removing can't touch a person's memory, traces or settings."""
    fields = {name: subprocess.run(["dpkg-deb", "-f", str(built), name], capture_output=True, text=True,
                                   check=True).stdout.strip() for name in ("Package", "Version", "Depends")}
    assert fields["Package"] == "desktop-agent" and fields["Version"] == VERSION
    assert {"python3.11", "xdotool", "xclip", "libxcb-cursor0"} <= set(fields["Depends"].split(", "))
    control = subprocess.run(f"dpkg-deb --ctrl-tarfile {built} | tar -t", shell=True, capture_output=True,
                             text=True, check=True).stdout.split()
    assert sorted(control) == ["./", "./control", "./md5sums"]
    contents = subprocess.run(["dpkg-deb", "--contents", str(built)], capture_output=True, text=True,
                              check=True).stdout.splitlines()
    paths = [line.split()[5] for line in contents]
    parents = {place[:i + 1] for place in OWN_PLACES for i, c in enumerate(place) if c == "/"}  # ./usr/ …
    strays = [p for p in paths if not p.startswith(OWN_PLACES) and p not in parents]
    assert strays == []
    for needed in ("safety/policies/default.yaml", "demo/order_task.yaml", "share/desktop-agent/models/pp-ocrv6-det-small.yaml",
                   "rapidocr/models/PP-OCRv6_det_small.onnx", "rapidocr/models/PP-OCRv6_rec_small.onnx",
                   "rapidocr/config.yaml"):
        assert any(p.endswith(needed) for p in paths), f"the package lacks {needed}"


def test_it_upgraded_the_older_version_replacing_its_files_and_keeping_the_persons_data(installed):
    version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "desktop-agent"], capture_output=True,
                             text=True, check=True).stdout
    assert version == VERSION
    assert not OBSOLETE.exists()
    assert installed.data_from_before.read_text() == "the person's own"


# ---------------------------------------------------------------- used as a person would
def test_the_command_prints_pyprojects_version_from_any_folder(installed, person, empty):
    done = desktop_agent("--version", env=person, cwd=empty)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"desktop-agent {VERSION}\n", "")
    assert Path("/usr/bin/desktop-agent").resolve() == Path("/opt/desktop-agent/bin/desktop-agent")


def test_it_grounds_a_target_on_a_saved_screenshot_offline(installed, person, empty):
    found = desktop_agent("ground", '"Submit order"', "--image", str(SAMPLE_SCREEN), "--json",
                          env=person, cwd=empty)
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["box"] == list(SUBMIT_BUTTON)
    for folder in (empty, *empty.parents):  # pytest's temporary folders are root's alone
        if folder == Path(tempfile.gettempdir()):
            break
        folder.chmod(0o755)
    shutil.copy(SAMPLE_SCREEN, empty / "shot.png")
    not_root = desktop_agent("ground", '"Submit order"', "--image", "shot.png", "--json",
                             env={**person, "HOME": "/nonexistent"}, cwd=empty, user="nobody")
    assert not_root.returncode == 0, f"as a user who is not root: {not_root.stderr}"
    assert json.loads(not_root.stdout)["box"] == list(SUBMIT_BUTTON)
    missing = desktop_agent("ground", '"Cancel order"', "--image", str(SAMPLE_SCREEN), "--json",
                            env=person, cwd=empty)
    assert missing.returncode == 1 and "Cancel order" in json.loads(missing.stdout)["error"]


def test_it_runs_steps_against_a_real_application(installed, person, desktop, empty):
    app = desktop.sample_app()
    (empty / "form.yaml").write_text(FORM_POLICY)
    done = desktop_agent("run", "--json", "--policy", "form.yaml",
                         "--step", 'type "Grace Hopper" into the field right of "Customer name"',
                         "--step", 'click "Submit order"', env={**person, "DISPLAY": desktop.display},
                         cwd=empty)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "succeeded"
    app.wait_for_output(lambda out: '"submit"' in out)
    submitted = [e for e in app.events() if e["event"] == "submit"][-1]
    assert submitted["customer"] == "Grace Hopper"
    assert (empty / "traces").is_dir() and (Path(person["XDG_DATA_HOME"]) / "desktop-agent").is_dir()


def test_the_desktop_app_shows_its_window_and_never_reads_it(installed, person, desktop, empty):
    env = {**person, "DISPLAY": desktop.display}
    # Offline too; unshare execs the app, so gui.pid is the app's.
    gui = subprocess.Popen(["unshare", "--net", "desktop-agent", "gui"], env=env, cwd=empty,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
    try:
        found = subprocess.run([require("xdotool"), "search", "--sync", "--onlyvisible", "--name",
                                f"^{re.escape(APP_TITLE)}$"], env=env, capture_output=True, text=True,
                               timeout=WINDOW_TIMEOUT_S * 2, check=False)
        assert found.returncode == 0 and found.stdout.split(), f"no window titled {APP_TITLE!r}"
        time.sleep(2.0)  # it must stay up, not show a window and die
        assert gui.poll() is None, f"the app exited with {gui.returncode}"
        with mss.MSS(display=desktop.display) as grabber:
            shot = grabber.grab(grabber.monitors[1])
            mss.tools.to_png(shot.rgb, shot.size, output=str(SCREENSHOT))
        loaded = _packages_of_mapped_libraries(gui.pid)
        own = desktop_agent("ground", '"Record"', "--json", env=env, cwd=empty)
        assert own.returncode == 1, f"the agent grounded its own app's toolbar: {own.stdout}"
        assert not any("Record" in c for c in json.loads(own.stdout)["candidates"])
    finally:
        gui.send_signal(signal.SIGINT)  # closes the window as its close button does
        try:
            code = gui.wait(timeout=20)
        except subprocess.TimeoutExpired:
            gui.kill()
            code = gui.wait()
        output = gui.stdout.read()
        gui.stdout.close()
    assert code == 0, output
    assert settings_file(person).is_file(), "closing the app saved no settings where the README says"
    outside = loaded - _dependency_closure(_depends(DEB)) - REQUIRED - OPTIONAL
    assert outside == set(), f"the app loads libraries of packages its Depends doesn't bring: {outside}"


def test_purging_removes_every_file_it_installed_and_keeps_the_persons_data(installed, person):
    """Last in the file (pytest keeps file order): the tests above need the package installed."""
    data = Path(person["XDG_DATA_HOME"]) / "desktop-agent" / "memory.sqlite3"
    settings = settings_file(person)
    for kept in (data, settings):
        kept.parent.mkdir(parents=True)
        kept.write_text("the person's own")
    assert Path("/opt/desktop-agent/bin/desktop-agent").is_file() and installed.files
    verified = subprocess.run(["dpkg", "--verify", "desktop-agent"], capture_output=True, text=True,
                              check=False)  # its md5sums against its files
    assert (verified.returncode, verified.stdout) == (0, ""), "running it as root changed its own files"
    purge()
    assert not is_installed()
    left = [str(p) for p in installed.files if p.is_symlink() or p.exists()]
    assert left == []
    assert not Path("/opt/desktop-agent").exists()
    assert not Path("/usr/share/applications/desktop-agent.desktop").exists()
    assert data.read_text() == "the person's own" and settings.read_text() == "the person's own"


# ---------------------------------------------------------------- helpers
def _packages_of_mapped_libraries(pid: int) -> set[str]:
    """The Debian packages owning the shared libraries process `pid` has mapped, outside /opt."""
    maps = Path(f"/proc/{pid}/maps").read_text().splitlines()
    libraries = {line.split()[-1] for line in maps if ".so" in line.split()[-1]}
    packages = set()
    for library in sorted(libraries):
        if library.startswith("/opt/desktop-agent/"):
            continue
        real = os.path.realpath(library)
        owner = subprocess.run(["dpkg", "-S", real, re.sub("^/usr/lib/", "/lib/", real)], capture_output=True,
                               text=True, check=False).stdout
        assert owner, f"no Debian package owns {library}"
        packages.add(owner.split(":")[0])
    return packages


def _depends(deb: Path) -> list[str]:
    field = subprocess.run(["dpkg-deb", "-f", str(deb), "Depends"], capture_output=True, text=True,
                           check=True).stdout
    return [part.split()[0] for part in field.split(",")]


def _dependency_closure(packages: list[str]) -> set[str]:
    """`packages` and every installed package they depend on, directly or not."""
    done = subprocess.run(["apt-cache", "depends", "--recurse", "--installed", "--no-recommends",
                           "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances",
                           *packages], capture_output=True, text=True, check=True)
    return {line.split(":")[0] for line in done.stdout.splitlines()
            if line and not line.startswith((" ", "<"))}  # package names; indented lines are their fields
