"""A virtual X display (Xvfb) for the demo, the end-to-end tests and the benchmark, with the buses its
applications' accessibility needs (`accessibility.atspi.session`)."""
from __future__ import annotations

import os
import select
import shutil
import subprocess
from dataclasses import dataclass

from desktop_agent.accessibility.atspi.session import AccessibilityBuses, start_buses
from desktop_agent.core.errors import AgentError


def end_process(process: subprocess.Popen, timeout_s: float = 5.0) -> None:
    """Terminate `process` if it still runs, and kill it if it hasn't ended after `timeout_s`."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(slots=True)
class VirtualDisplay:
    name: str
    process: subprocess.Popen
    buses: AccessibilityBuses | None = None

    @property
    def environment(self) -> dict[str, str]:
        """What an application started on this display needs in its environment (Qt finds the
        accessibility bus through the session bus)."""
        env = {"DISPLAY": self.name}
        if self.buses is not None:
            env["DBUS_SESSION_BUS_ADDRESS"] = self.buses.session_address
        return env

    def stop(self) -> None:
        if self.buses is not None:
            self.buses.stop()
        end_process(self.process)

    def __enter__(self) -> VirtualDisplay:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def start_virtual_display(*, width: int = 1920, height: int = 1080, timeout_s: float = 10.0,
                          accessibility: bool = True) -> VirtualDisplay:
    """Start Xvfb on a display number it picks itself (-displayfd), and its accessibility buses (the
    display never resets, so the root window keeps their address)."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        raise AgentError("Xvfb is not installed; run installer/install.sh (Debian package xvfb)")
    read_fd, write_fd = os.pipe()
    args = [xvfb, "-displayfd", str(write_fd), "-nolisten", "tcp", "-ac", "-noreset",
            "-screen", "0", f"{width}x{height}x24"]
    process = subprocess.Popen(args, pass_fds=(write_fd,), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        ready, _, _ = select.select([pipe], [], [], timeout_s)
        number = pipe.readline().strip() if ready else ""
    if not number.isdigit():
        process.kill()
        raise AgentError("Xvfb did not start (no display number reported)")
    name = f":{number}"
    return VirtualDisplay(name=name, process=process, buses=start_buses(name) if accessibility else None)
