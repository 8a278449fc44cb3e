"""Which process owns a run, and whether it is still alive: tells a crashed run from one still running.

A process is named by its pid and, on Linux, its start time (field 22 of /proc/<pid>/stat, in clock
ticks after boot), so a pid the kernel handed to a new process after the owner died does not count as
the owner. Guaranteed on Linux: `alive` is False once the owner has exited or been killed (a zombie
waiting to be reaped counts as gone). Elsewhere only the pid is known, and a reused pid reads as alive.
Not guaranteed: anything across machines or PID namespaces (a ledger on a shared disk).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")


@dataclass(frozen=True, slots=True, kw_only=True)
class Owner:
    pid: int
    started: str | None  # /proc/<pid>/stat field 22; None where there is no /proc

    @classmethod
    def current(cls) -> Owner:
        pid = os.getpid()
        return cls(pid=pid, started=_start_time(pid))

    def alive(self) -> bool:
        if self.started is not None:
            return _start_time(self.pid) == self.started
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # someone else's process: it exists
            return True
        return True


def _start_time(pid: int) -> str | None:
    """Field 22 of /proc/<pid>/stat, or None when there is no such (living) process or no /proc."""
    try:
        stat = _PROC.joinpath(str(pid), "stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the command name, in parentheses, may hold anything
    state, started = fields[0], fields[19]  # fields 3 and 22
    return None if state in ("Z", "X") else started
