"""The buses a desktop session's accessibility needs, for a display the agent started itself (the demo,
the tests, the benchmark): a private session bus, the accessibility bus (at-spi-bus-launcher, which
starts the registry when it is first asked) and the root window's AT_SPI_BUS property, which GTK 3 and
Qt read to find it (Qt registers only when it is set). On a real desktop they already run.

Guaranteed: `stop` ends every process `start_buses` started (each runs in its own process group) and
removes its runtime folder. Not guaranteed: that applications started before the buses register.
"""
from __future__ import annotations

import logging
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from jeepney import DBusAddress, MessageType, new_method_call
from jeepney.io.blocking import open_dbus_connection

log = logging.getLogger(__name__)

LAUNCHER = Path("/usr/libexec/at-spi-bus-launcher")
_START_TIMEOUT_S = 10.0


@dataclass(slots=True)
class AccessibilityBuses:
    session_address: str
    address: str
    processes: list[subprocess.Popen] = field(default_factory=list)
    runtime: Path | None = None

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
        self.processes.clear()
        if self.runtime is not None:
            shutil.rmtree(self.runtime, ignore_errors=True)
            self.runtime = None


def start_buses(display: str) -> AccessibilityBuses | None:
    """Start the buses for X display `display`; None (and one line in the log) when this machine lacks
    them (Debian: dbus, at-spi2-core): the agent then sees by vision alone."""
    daemon = shutil.which("dbus-daemon")
    if daemon is None or not LAUNCHER.exists():
        log.warning("no accessibility bus on %s (install dbus and at-spi2-core): vision only", display)
        return None
    runtime = Path(tempfile.mkdtemp(prefix="desktop-agent-a11y-"))
    runtime.chmod(0o700)
    buses = AccessibilityBuses(session_address="", address="", runtime=runtime)
    try:
        read_fd, write_fd = os.pipe()
        session = subprocess.Popen([daemon, "--session", "--nofork", "--nopidfile", f"--print-address={write_fd}",
                                    f"--address=unix:path={runtime / 'session-bus'}"],
                                   pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        os.close(write_fd)
        buses.processes.append(session)
        buses.session_address = _read_line(read_fd)
        env = {**os.environ, "DISPLAY": display, "DBUS_SESSION_BUS_ADDRESS": buses.session_address,
               "XDG_RUNTIME_DIR": str(runtime)}
        buses.processes.append(subprocess.Popen([str(LAUNCHER), "--launch-immediately"], env=env,
                                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                                start_new_session=True))
        buses.address = _accessibility_address(buses.session_address)
        _set_root_property(display, buses.address)
    except (OSError, TimeoutError) as exc:
        buses.stop()
        log.warning("could not start the accessibility bus on %s (%s): vision only", display, exc)
        return None
    return buses


def _read_line(fd: int) -> str:
    with os.fdopen(fd) as pipe:
        ready, _, _ = select.select([pipe], [], [], _START_TIMEOUT_S)
        line = pipe.readline().strip() if ready else ""
    if not line:
        raise TimeoutError("dbus-daemon printed no address")
    return line


def _accessibility_address(session_address: str) -> str:
    """Ask the launcher (on the session bus) where the accessibility bus is, once it is up."""
    deadline = time.monotonic() + _START_TIMEOUT_S
    connection = open_dbus_connection(session_address)
    try:
        ask = new_method_call(DBusAddress("/org/a11y/bus", bus_name="org.a11y.Bus", interface="org.a11y.Bus"),
                              "GetAddress")
        while time.monotonic() < deadline:
            reply = connection.send_and_get_reply(ask, timeout=max(0.1, deadline - time.monotonic()))
            if reply.header.message_type is MessageType.method_return and reply.body[0]:
                return str(reply.body[0])
            time.sleep(0.05)  # the launcher has not taken its name yet
    finally:
        connection.close()
    raise TimeoutError("at-spi-bus-launcher did not say where the accessibility bus is")


def _set_root_property(display: str, address: str) -> None:
    from Xlib import X, Xatom
    from Xlib import display as xdisplay

    connection = xdisplay.Display(display)
    try:
        root = connection.screen().root
        root.change_property(connection.intern_atom("AT_SPI_BUS"), Xatom.STRING, 8, address.encode(),
                             X.PropModeReplace)
        connection.sync()
    finally:
        connection.close()
