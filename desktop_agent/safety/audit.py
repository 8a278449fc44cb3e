"""Append-only JSONL audit log with a hash chain.

Each line is one JSON object: `seq` (1-based line number), `ts` (UTC, ISO 8601), `kind`, `fields`,
`prev` (the previous entry's `hash`; 64 zeros for the first) and `hash` (sha256 of the canonical JSON of
the entry without `hash`). Every `record` is flushed and fsynced before it returns.

Guaranteed by `verify_audit`: an edited entry, and an entry removed from, inserted into or moved within
the chain, are detected. Not guaranteed: removing (or rewriting) the last entries — a chain alone cannot
tell a truncated log from a short one; pass the `head` hash kept elsewhere (e.g. the run report) to catch
that. Nor does it stop someone who rewrites the whole file and recomputes every hash. The log stores
what it is given: callers redact secrets before recording (guard.Guard does).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import threading
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

from desktop_agent.core.errors import AgentError
from desktop_agent.core.jsonable import to_jsonable

GENESIS = "0" * 64


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class AuditCheck:
    ok: bool
    entries: int  # entries verified before the first problem (all of them when ok)
    problem: str = ""


class AuditLog:
    """Appends hash-chained entries to `path`, continuing the chain if the file already has entries.
    Safe to share between threads; not between processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._seq, self._head = _tail(path)

    @property
    def head(self) -> str:
        """Hash of the last entry written (GENESIS when empty): keep it elsewhere to detect truncation."""
        return self._head

    def record(self, kind: str, **fields: object) -> int:
        """Append one entry; returns its `seq`."""
        with self._lock:
            seq = self._seq + 1
            entry = {"seq": seq, "ts": _now(), "kind": kind, "fields": to_jsonable(fields),
                     "prev": self._head}
            digest = entry["hash"] = _entry_hash(entry)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("ab") as file:
                file.write(_canonical(entry) + b"\n")
                file.flush()
                os.fsync(file.fileno())
            self._seq, self._head = seq, digest
            return self._seq


def verify_audit(path: Path, *, head: str | None = None) -> AuditCheck:
    """Check the chain of `path`; with `head`, also check that the last entry is that one."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return AuditCheck(ok=False, entries=0, problem=f"cannot read {path}: {exc.strerror or exc}")
    if data and not data.endswith(b"\n"):
        return AuditCheck(ok=False, entries=0, problem="the last line is incomplete")
    prev = GENESIS
    lines = data.split(b"\n")[:-1]
    for number, line in enumerate(lines, start=1):
        problem = _line_problem(line, number, prev)
        if problem:
            return AuditCheck(ok=False, entries=number - 1, problem=f"line {number}: {problem}")
        prev = json.loads(line)["hash"]
    if head is not None and prev != head:
        return AuditCheck(ok=False, entries=len(lines),
                          problem="the last entry is not the expected head: entries were removed "
                                  "from the end or rewritten")
    return AuditCheck(ok=True, entries=len(lines))


def _line_problem(line: bytes, number: int, prev: str) -> str:
    try:
        entry = json.loads(line)
    except ValueError:
        return "not valid JSON"
    if not isinstance(entry, dict) or not {"seq", "hash", "prev"} <= entry.keys():
        return "not an audit entry"
    if entry["hash"] != _entry_hash({k: v for k, v in entry.items() if k != "hash"}):
        return "the entry does not match its hash: it was edited"
    if entry["prev"] != prev:
        return (f"the entry does not follow line {number - 1}: entries were removed, inserted or "
                "reordered" if number > 1 else "the first entry does not start the chain")
    if entry["seq"] != number:
        return f"sequence number {entry['seq']} where {number} was expected"
    return ""


def _tail(path: Path) -> tuple[int, str]:
    """(seq, hash) of the last entry in `path`; (0, GENESIS) when it is missing or empty."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return 0, GENESIS
    if not data:
        return 0, GENESIS
    damaged = AgentError(f"audit log {path} ends in a damaged entry; refusing to extend it",
                         details={"path": str(path)})
    if not data.endswith(b"\n"):
        raise damaged
    try:
        entry = json.loads(data[:-1].rsplit(b"\n", 1)[-1])
        return int(entry["seq"]), str(entry["hash"])
    except (ValueError, KeyError, TypeError):
        raise damaged from None


def _entry_hash(entry: Mapping[str, object]) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


def _canonical(entry: Mapping[str, object]) -> bytes:
    return json.dumps(entry, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")
