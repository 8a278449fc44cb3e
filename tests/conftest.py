"""Fixtures for the end-to-end tests: one Xvfb per session and real applications on it.

`xdisplay` starts a fresh 1920x1080 Xvfb once per session. `desktop` gives one test that display with a
clean screen, launches applications on it with their stdout captured, runs the agent's CLI in this
process (or as a subprocess) and tears everything down afterwards.

House rules enforced here: a missing tool FAILS the test with a clear message, it never skips; every
process a test starts is killed in teardown and its windows are gone before the next test; a test that
leaves a window, a child process or a thread behind errors in teardown.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from desktop_agent.accessibility.atspi.reader import AtspiReader
from desktop_agent.cli import main as cli
from desktop_agent.core.errors import AgentError
from desktop_agent.core.values import Point, Rect
from desktop_agent.demo.display import VirtualDisplay, end_process, start_virtual_display
from desktop_agent.screen.windows import WindowLister

WINDOW_TIMEOUT_S = 15.0   # a window must map within this (a cold GTK start on a busy 2-core box)
OUTPUT_TIMEOUT_S = 10.0   # an application's expected stdout must arrive within this
REGISTER_TIMEOUT_S = 15.0  # an application must answer on the accessibility bus within this
QUIET_S = 0.7             # how long "printed nothing" is watched after the agent finished


def require(tool: str) -> str:
    """The tool's path, or fail (never skip) naming the package that provides it."""
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed; run installer/install.sh (it installs the Debian packages "
                    "xvfb, xdotool, xclip, yad, xterm, x11-apps)", pytrace=False)
    return path


def new_display() -> VirtualDisplay:
    require("Xvfb")
    try:
        return start_virtual_display()
    except AgentError as exc:
        pytest.fail(f"cannot start Xvfb: {exc}", pytrace=False)


@pytest.fixture(autouse=True)
def private_user_data(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Runs remember themselves in the user's data folder: in tests that is a fresh temporary one for
    each test (also for the agent processes it starts), never the real ~/.local/share — and what one
    test's runs taught the memory never changes another test."""
    folder = tmp_path_factory.mktemp("xdg-data")
    monkeypatch.setenv("XDG_DATA_HOME", str(folder))
    return folder


@pytest.fixture(scope="session")
def xdisplay() -> Iterator[str]:
    """A fresh Xvfb 1920x1080 with its accessibility buses for the whole session; yields its name
    (":N"). What its applications need in their environment is set for the session."""
    with new_display() as display, pytest.MonkeyPatch.context() as patch:
        for name, value in display.environment.items():
            if name != "DISPLAY":
                patch.setenv(name, value)
        yield display.name


@pytest.fixture
def spare_display(desktop: Desktop) -> Iterator[str]:
    """Another fresh Xvfb with nothing on it (a solid black screen), for this test only. (It depends on
    `desktop` so that it stops before `desktop` checks for leftover child processes.)"""
    with new_display() as display:
        yield display.name


# ---------------------------------------------------------------- applications
class App:
    """A launched application: its process, its mapped window and everything it printed on stdout."""

    def __init__(self, *, name: str, process: subprocess.Popen, display: str) -> None:
        self.name = name
        self.process = process
        self.display = display
        self.window = ""
        self._lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, name=f"stdout of {name}", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            with self._changed:
                self._lines.append(line)
                self._changed.notify_all()

    @property
    def output(self) -> str:
        with self._changed:
            return "".join(self._lines)

    def wait_for_output(self, predicate: Callable[[str], bool], timeout_s: float = OUTPUT_TIMEOUT_S) -> str:
        """Everything printed so far, once `predicate(output)` holds; fails after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while not predicate("".join(self._lines)):
                left = deadline - time.monotonic()
                if left <= 0 or not self._reader.is_alive():  # the reader appends under this lock
                    pytest.fail(f"{self.name} did not print what was expected within {timeout_s:g} s; "
                                f"it printed {''.join(self._lines)!r}")
                self._changed.wait(min(left, 0.1))
            return "".join(self._lines)

    def events(self) -> list[dict]:
        """stdout parsed as one JSON object per line (the sample app's protocol)."""
        return [json.loads(line) for line in self.output.splitlines() if line.strip()]

    def assert_quiet(self, quiet_s: float = QUIET_S) -> None:
        """The application printed nothing, watched for another `quiet_s` seconds."""
        time.sleep(quiet_s)
        assert self.output == "", f"{self.name} printed {self.output!r}"

    def settled(self, quiet_s: float = QUIET_S, timeout_s: float = OUTPUT_TIMEOUT_S) -> str:
        """Everything printed, once nothing more was printed for `quiet_s`; fails after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        seen = self.output
        while time.monotonic() < deadline:
            time.sleep(quiet_s)
            if (now := self.output) == seen:
                return now
            seen = now
        pytest.fail(f"{self.name} kept printing for {timeout_s:g} s")

    def wait_exit(self, timeout_s: float = OUTPUT_TIMEOUT_S) -> int:
        """The exit code, once the process ended and all of its output was read."""
        try:
            code = self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{self.name} was still running after {timeout_s:g} s; it printed {self.output!r}")
        self._reader.join(timeout_s)
        return code

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def box(self) -> Rect:
        """The window's box on screen, as xdotool reports it."""
        shell = xdotool(self.display, "getwindowgeometry", "--shell", self.window)
        values = dict(line.split("=", 1) for line in shell.splitlines() if "=" in line)
        return Rect(left=int(values["X"]), top=int(values["Y"]), width=int(values["WIDTH"]),
                    height=int(values["HEIGHT"]))

    def point(self, dx: int, dy: int) -> Point:
        """A point given relative to the window's top-left corner."""
        box = self.box()
        return Point(x=box.left + dx, y=box.top + dy)

    def stop(self) -> None:
        end_process(self.process)
        self._reader.join(5)
        self.process.stdout.close()


def xdotool(display: str, *args: str, timeout_s: float = 15.0) -> str:
    done = subprocess.run([require("xdotool"), *args], env={**os.environ, "DISPLAY": display},
                          capture_output=True, text=True, timeout=timeout_s, check=False)
    if done.returncode != 0:
        pytest.fail(f"xdotool {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


# ---------------------------------------------------------------- the agent
@dataclass(frozen=True, slots=True, kw_only=True)
class AgentRun:
    """One `desktop-agent` invocation: exit code and what it printed."""

    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> dict:
        try:
            return json.loads(self.stdout)
        except json.JSONDecodeError:
            pytest.fail(f"desktop-agent did not print one JSON object (exit {self.code}):\n"
                        f"stdout: {self.stdout}\nstderr: {self.stderr}")


def _with_trace_dir(args: Sequence[str], trace_dir: Path) -> list[str]:
    args = list(args)
    if args and args[0] == "run" and "--trace-dir" not in args:
        args[1:1] = ["--trace-dir", str(trace_dir)]
    return args


class Desktop:
    """One test's view of the session display."""

    def __init__(self, *, display: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.display = display
        self.tmp_path = tmp_path
        self.trace_dir = tmp_path / "traces"
        self._monkeypatch = monkeypatch
        self._apps: list[App] = []
        self._logs: list[io.TextIOBase] = []

    # ------------------------------------------------------------ applications
    def launch(self, argv: Sequence[str], *, title: str, name: str = "", cwd: Path | None = None,
               env: dict[str, str] | None = None) -> App:
        """Start `argv` on this display (stdout captured; a Qt application on X, whatever the GUI tests
        set for themselves) and wait until a window titled exactly `title` is mapped."""
        require(argv[0])
        name = name or Path(argv[0]).name
        log = (self.tmp_path / f"{name}-{len(self._apps)}.stderr").open("w")
        self._logs.append(log)
        process = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=log, text=True, cwd=cwd,
                                   env={**os.environ, "QT_QPA_PLATFORM": "xcb", **(env or {}), "DISPLAY": self.display})
        app = App(name=name, process=process, display=self.display)
        self._apps.append(app)
        app.window = self._wait_for_window(app, title)
        return app

    def registered(self, app: App) -> App:
        """`app`, once it answers on the accessibility bus (it may map its window first)."""
        reader = AtspiReader(display=self.display)
        try:
            if not reader.wait_registered(app.process.pid, timeout_s=REGISTER_TIMEOUT_S):
                pytest.fail(f"{app.name} did not register on the accessibility bus in {REGISTER_TIMEOUT_S:g} s")
        finally:
            reader.close()
        return app

    def sample_app(self, *, at: tuple[int, int] = (420, 200), save_path: Path | None = None,
                   font_scale: float = 1.0) -> App:
        """The bundled order form at screen position `at`."""
        save_path = save_path or self.tmp_path / "order.json"
        app = self.launch([sys.executable, "-m", "desktop_agent.demo.sample_app",
                           "--geometry", f"+{at[0]}+{at[1]}", "--save-path", str(save_path),
                           "--font-scale", str(font_scale)],
                          title="Sample Order Form", name="sample-app")
        time.sleep(0.3)  # let Tk finish its first layout before anything looks at it
        return app

    def _wait_for_window(self, app: App, title: str) -> str:
        pattern = f"^{re.escape(title)}$"
        try:
            found = subprocess.run([require("xdotool"), "search", "--sync", "--onlyvisible", "--name", pattern],
                                   env={**os.environ, "DISPLAY": self.display}, capture_output=True,
                                   text=True, timeout=WINDOW_TIMEOUT_S, check=True)
        except subprocess.TimeoutExpired:
            state = f"exited with code {app.process.poll()}" if not app.running else "is running"
            pytest.fail(f'{app.name}: no window titled "{title}" within {WINDOW_TIMEOUT_S:g} s '
                        f"(the process {state}; stderr in {self.tmp_path})")
        return found.stdout.split()[0]

    def point_at(self, point: Point) -> None:
        """Move the pointer (with no window manager, keyboard focus follows it)."""
        xdotool(self.display, "mousemove", str(point.x), str(point.y))  # --sync hangs if already there

    def click(self, point: Point) -> None:
        """A plain xdotool click, for setting up or checking a test outside the agent."""
        xdotool(self.display, "mousemove", str(point.x), str(point.y), "sleep", "0.1",
                "click", "1")

    def xdotool(self, *args: str) -> str:
        return xdotool(self.display, *args)

    # ------------------------------------------------------------ the agent
    def agent(self, *args: str, stdin: str = "") -> AgentRun:
        """`desktop-agent ARGS` in this process (the CLI's own `main`), stdin not a terminal.
        `run` gets `--trace-dir` under the test's tmp_path unless one is given."""
        out, err = io.StringIO(), io.StringIO()
        with self._monkeypatch.context() as patch:
            patch.setenv("DISPLAY", self.display)
            patch.setattr(sys, "stdin", io.StringIO(stdin))
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = cli.main(_with_trace_dir(args, self.trace_dir))
        return AgentRun(code=code, stdout=out.getvalue(), stderr=err.getvalue())

    def agent_process(self, *args: str, display: str | None = None, timeout_s: float = 120) -> AgentRun:
        """`python -m desktop_agent.cli.main ARGS` as a subprocess on `display` (default: this one)."""
        done = subprocess.run([sys.executable, "-m", "desktop_agent.cli.main",
                               *_with_trace_dir(args, self.trace_dir)],
                              env={**os.environ, "DISPLAY": display or self.display},
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout_s,
                              cwd=self.tmp_path, check=False)
        return AgentRun(code=done.returncode, stdout=done.stdout, stderr=done.stderr)

    # ------------------------------------------------------------ teardown
    def close(self) -> None:
        for app in self._apps:
            app.stop()
        for log in self._logs:
            log.close()


def visible_windows(display: str) -> tuple:
    lister = WindowLister(display=display)
    try:
        return lister.list_windows()
    finally:
        lister.close()


def _kill_clients(display: str, windows: Sequence) -> None:
    from Xlib import display as xdisplay

    connection = xdisplay.Display(display)
    try:
        for window in windows:
            connection.create_resource_object("window", window.id).kill_client()
        connection.sync()
    finally:
        connection.close()


def _wait_until_no_windows(display: str, timeout_s: float) -> tuple:
    deadline = time.monotonic() + timeout_s
    while (windows := visible_windows(display)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return windows


def _child_processes() -> set[int]:
    """Live (not zombie) child processes of this pytest process."""
    me, children = str(os.getpid()), set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me and fields[0] != "Z":
            children.add(int(stat.parent.name))
    return children


@pytest.fixture
def desktop(xdisplay: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desktop]:
    """The session display with a clean screen; every application launched through it is killed after
    the test, and the test errors if it left a window, a child process or a thread behind."""
    leftovers = visible_windows(xdisplay)
    if leftovers:  # an earlier test leaked them (and errored for it); don't let them spoil this one
        _kill_clients(xdisplay, leftovers)
        _wait_until_no_windows(xdisplay, 5.0)
    xdotool(xdisplay, "mousemove", "960", "1000")  # no --sync: it hangs when already there
    threads_before = set(threading.enumerate())
    children_before = _child_processes()
    desk = Desktop(display=xdisplay, tmp_path=tmp_path, monkeypatch=monkeypatch)
    try:
        yield desk
    finally:
        desk.close()
    problems = []
    left = _wait_until_no_windows(xdisplay, 5.0)
    if left:
        _kill_clients(xdisplay, left)
        problems.append("windows left on screen: " + ", ".join(f'"{w.title}"' for w in left))
    deadline = time.monotonic() + 2.0
    while (extra := [t for t in threading.enumerate() if t not in threads_before and t.is_alive()]) \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    if extra:
        problems.append("threads left running: " + ", ".join(t.name for t in extra))
    stray = _child_processes() - children_before
    for pid in stray:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)
    if stray:
        problems.append(f"child processes left running: {sorted(stray)}")
    assert not problems, "; ".join(problems)
