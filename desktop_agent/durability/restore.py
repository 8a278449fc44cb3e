"""Putting a workspace checkpoint back (see `snapshots.py` for what a checkpoint holds).

Guaranteed: `restore` creates, rewrites and removes only at paths under the checkpoint's workspace
paths and refuses any path whose parent resolves elsewhere (a symlink escape); before changing anything
it snapshots the current state (`RestoreReport.undo`), and it leaves in place — reported as not
restorable — whatever that snapshot could not keep, so no bytes are lost. Not guaranteed: a whole
restore is not atomic (each file is replaced atomically; restoring again after a crash finishes the
job); the symlink check is made just before each change, so a process swapping directories at that
very moment is not defended against; a directory without write permission makes its changed children
fail (reported, not lost).
"""
from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from pathlib import Path

from desktop_agent.core.values import frozen
from desktop_agent.durability.snapshots import (
    READ_CHUNK,
    Checkpoint,
    FileEntry,
    Kind,
    Skipped,
    WorkspaceStore,
    anchor_of,
    file_size,
    root_of,
    sha256_of,
    walk,
)


@frozen
class RestoreReport:
    checkpoint: str
    dry_run: bool
    restored: tuple[Path, ...]
    removed: tuple[Path, ...]
    unchanged: tuple[Path, ...]
    not_restorable: tuple[Skipped, ...]
    bytes_restored: int
    undo: str | None = None  # id of the snapshot of the state just before this restore

    @property
    def complete(self) -> bool:
        return not self.not_restorable


def restore(store: WorkspaceStore, checkpoint: Checkpoint, *, dry_run: bool = False) -> RestoreReport:
    """Put the checkpoint's workspace paths back exactly: rewrite changed files, recreate deleted
    ones, remove what appeared since, restore modes. `dry_run`: report what would happen, touch nothing."""
    plan = _Plan(store, checkpoint, dry_run)
    undo = None
    if not dry_run and plan.has_changes():
        snapshot = store.snapshot([r.path for r in checkpoint.roots], label=f"before-restore-{checkpoint.seq}")
        undo, plan.keep = snapshot.id, {s.path for s in snapshot.skipped}
    plan.run()
    return RestoreReport(checkpoint=checkpoint.id, dry_run=dry_run, restored=tuple(plan.restored),
                         removed=tuple(plan.removed), unchanged=tuple(plan.unchanged),
                         not_restorable=tuple(plan.problems), bytes_restored=plan.bytes, undo=undo)


class _Unsafe(Exception):
    """Internal: this path can't be changed safely; the reason goes into the report."""


class _Plan:
    """One restore: compares the workspace now with the checkpoint, then acts (unless dry run)."""

    def __init__(self, store: WorkspaceStore, checkpoint: Checkpoint, dry_run: bool) -> None:
        self.store, self.checkpoint, self.dry_run = store, checkpoint, dry_run
        self.keep: set[Path] = set()
        self.restored: list[Path] = []
        self.removed: list[Path] = []
        self.unchanged: list[Path] = []
        self.problems: list[Skipped] = list(checkpoint.skipped)
        self.bytes = 0
        self.roots = []
        for root in checkpoint.roots:
            if anchor_of(root.path) == root.anchor:
                self.roots.append(root)
            else:
                self.problems.append(Skipped(path=root.path, size=0, reason=(
                    f"refused: the workspace path now resolves to {anchor_of(root.path)}, not {root.anchor}")))
        inside = [r.path for r in self.roots]
        self.entries = [e for e in checkpoint.entries if root_of(e.path, inside) is not None]
        wanted = {e.path for e in checkpoint.entries} | {s.path for s in checkpoint.skipped}
        self.extras = [p for r in self.roots for p, _ in walk(r.path) if p not in wanted]

    def has_changes(self) -> bool:
        return bool(self.extras) or any(not self._same(e) for e in self.entries)

    def run(self) -> None:
        for path in sorted(self.extras, key=lambda p: len(p.parts), reverse=True):  # deepest first
            self._guarded(path, lambda p=path: self._remove(p), self.removed)
        dirs, recreated = [], set()
        for entry in sorted(self.entries, key=lambda e: e.path.parts):  # parents before children
            fresh = any(p in recreated for p in entry.path.parents)  # its directory is (to be) new
            if not fresh and self._same(entry):
                self.unchanged.append(entry.path)
                continue
            if entry.kind is Kind.DIR and not (os.path.isdir(entry.path) and not os.path.islink(entry.path)):
                recreated.add(entry.path)
            if self._guarded(entry.path, lambda e=entry: self._put(e), self.restored,
                             check=not (fresh and self.dry_run)):
                self.bytes += entry.size
            if entry.kind is Kind.DIR:
                dirs.append(entry)
        if not self.dry_run:  # modes of directories last: a read-only one would block its children
            for entry in reversed(dirs):
                if os.path.isdir(entry.path) and not os.path.islink(entry.path):
                    os.chmod(entry.path, entry.mode)

    def _guarded(self, path: Path, change, done: list[Path], *, check: bool = True) -> bool:
        try:
            if path in self.keep:
                raise _Unsafe("left in place: too large to keep a copy of before changing it")
            if check:
                self._check_parent(path)
            if not self.dry_run:
                change()
        except _Unsafe as exc:
            self.problems.append(Skipped(path=path, size=file_size(path), reason=str(exc)))
            return False
        except OSError as exc:
            self.problems.append(Skipped(path=path, size=file_size(path), reason=f"failed: {exc}"))
            return False
        done.append(path)
        return True

    def _check_parent(self, path: Path) -> None:
        """Refuse `path` unless its parent directory resolves to where the checkpoint says it is."""
        root = next(r for r in self.roots if root_of(path, [r.path]) is not None)
        expected = (root.anchor.parent if path == root.path
                    else root.anchor / path.parent.relative_to(root.path))
        if Path(os.path.realpath(path.parent)) != expected:
            raise _Unsafe(f"refused: {path.parent} resolves to {os.path.realpath(path.parent)} "
                          f"(a symlink out of the workspace)")

    def _same(self, entry: FileEntry) -> bool:
        try:
            st = os.lstat(entry.path)
        except FileNotFoundError:
            return False
        if stat.S_IMODE(st.st_mode) != entry.mode and entry.kind is not Kind.LINK:
            return False
        match entry.kind:
            case Kind.DIR:
                return stat.S_ISDIR(st.st_mode)
            case Kind.LINK:
                return stat.S_ISLNK(st.st_mode) and os.readlink(entry.path) == entry.link
            case Kind.FILE:
                return (stat.S_ISREG(st.st_mode) and st.st_size == entry.size
                        and sha256_of(entry.path) == entry.sha256)

    def _remove(self, path: Path) -> None:
        if os.path.isdir(path) and not os.path.islink(path):
            os.rmdir(path)  # its contents were removed first (deepest first)
        else:
            os.unlink(path)

    def _put(self, entry: FileEntry) -> None:
        path = entry.path
        current = os.lstat(path) if os.path.lexists(path) else None
        if current is not None and stat.S_ISDIR(current.st_mode) != (entry.kind is Kind.DIR):
            self._remove(path)  # a directory where a file was, or the other way round
            current = None
        match entry.kind:
            case Kind.DIR:
                if current is None:
                    os.mkdir(path, 0o700)
            case Kind.LINK:
                if current is not None:
                    os.unlink(path)
                os.symlink(entry.link, path)
            case Kind.FILE:
                self._write_file(entry)

    def _write_file(self, entry: FileEntry) -> None:
        blob = self.store.blob(entry.sha256)
        if not blob.is_file():
            raise _Unsafe(f"stored copy {blob} is missing")
        fd, temp = tempfile.mkstemp(dir=entry.path.parent, prefix=f".{entry.path.name}.", suffix=".restore")
        try:
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as out, open(blob, "rb") as src:
                while chunk := src.read(READ_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if digest.hexdigest() != entry.sha256:
                raise _Unsafe(f"stored copy {blob} is damaged")
            os.chmod(temp, entry.mode)
            os.replace(temp, entry.path)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)


def describe(report: RestoreReport) -> str:
    """A few human-readable lines: what was (or would be) restored and removed, and what was not."""
    verb = "would restore" if report.dry_run else "restored"
    summary = (f"checkpoint {report.checkpoint}: {verb} {len(report.restored)} paths "
               f"({report.bytes_restored} bytes), {'would remove' if report.dry_run else 'removed'} "
               f"{len(report.removed)}, {len(report.unchanged)} unchanged, "
               f"{len(report.not_restorable)} not restorable")
    lines = [summary]
    restored, removed = ("would restore", "would remove") if report.dry_run else ("restored ", "removed  ")
    lines += [f"  {restored} {p}" for p in report.restored]
    lines += [f"  {removed} {p}" for p in report.removed]
    lines += [f"  NOT RESTORED {s.path} ({s.size} bytes): {s.reason}" for s in report.not_restorable]
    if report.undo:
        lines.append(f"  the state before this restore is checkpoint {report.undo}")
    return "\n".join(lines)
