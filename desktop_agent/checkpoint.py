"""Workspace checkpoints: content-addressed copies of the files a task may change, and putting them back.

Layout under a store's root:

    blobs/<sha[:2]>/<sha256>          file contents; written once (temp + fsync + rename), never rewritten
    checkpoints/<seq>-<label>.json    one manifest per checkpoint, written last and atomically

Guaranteed: a checkpoint exists only once its manifest does (blobs without a manifest are ignored);
every file under the workspace paths is either in the manifest with its bytes stored, or listed in
`skipped` with a reason (the size cap, or not a regular file/directory/symlink); symlinks are recorded
as links and never followed; `restore` creates, rewrites and removes only at paths under the
checkpoint's workspace paths and refuses any path whose parent resolves elsewhere (a symlink escape);
before changing anything it snapshots the current state (`RestoreReport.undo`), and it leaves in place
— reported as not restorable — whatever that snapshot could not keep, so no bytes are lost.
Not guaranteed: a whole restore is not atomic (each file is replaced atomically; restoring again after a
crash finishes the job); owners, timestamps, extended attributes and hard links (stored as separate
files) are not kept; one store has one writer at a time; the symlink check is made just before each
change, so a process swapping directories at that very moment is not defended against; a directory
without write permission at restore time makes its changed children fail (reported, not lost).
"""
from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import os
import re
import stat
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from desktop_agent.errors import AgentError

_frozen = dataclass(frozen=True, slots=True, kw_only=True)
DEFAULT_SIZE_CAP = 200 * 1024 * 1024
_FORMAT = 1
_MANIFEST = re.compile(r"^(\d+)-([a-z0-9-]+)\.json$")
_STEP_LABEL = re.compile(r"^step(\d+)$")
_CHUNK = 1 << 20


class CheckpointError(AgentError):
    """A checkpoint that can't be found or used (no such run, malformed or escaping manifest)."""


class Kind(enum.Enum):
    FILE = "file"
    DIR = "dir"
    LINK = "symlink"


@_frozen
class FileEntry:
    """One path as it was: `mode` holds the permission bits; `sha256`/`size` for files, `link` for links."""

    path: Path
    kind: Kind
    mode: int
    size: int = 0
    sha256: str = ""
    link: str = ""


@_frozen
class Skipped:
    path: Path
    size: int
    reason: str


@_frozen
class Root:
    """A declared workspace path. `anchor` is where it resolved to (its parent's real path + its name)."""

    path: Path
    anchor: Path
    exists: bool


@_frozen
class Checkpoint:
    id: str
    seq: int
    label: str
    created: str
    roots: tuple[Root, ...]
    entries: tuple[FileEntry, ...]
    skipped: tuple[Skipped, ...]
    manifest: Path


@_frozen
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


class WorkspaceStore:
    """Checkpoints of workspace paths kept under `root` (created on first write)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(os.path.abspath(root))
        self._blobs = self.root / "blobs"
        self._manifests = self.root / "checkpoints"

    # ------------------------------------------------------------ snapshot
    def snapshot(self, paths: Sequence[Path], *, label: str,
                 size_cap_bytes: int = DEFAULT_SIZE_CAP) -> Checkpoint:
        """Store every file under `paths` (directories recursively) while their total size stays within
        `size_cap_bytes`; files that would exceed it are skipped and listed. The manifest comes last."""
        roots = _roots(paths)
        entries: dict[Path, FileEntry] = {}
        skipped: list[Skipped] = []
        budget = size_cap_bytes
        for root in roots:
            for path, st in _walk(root.path):
                mode = stat.S_IMODE(st.st_mode)
                if stat.S_ISDIR(st.st_mode):
                    entries[path] = FileEntry(path=path, kind=Kind.DIR, mode=mode)
                elif stat.S_ISLNK(st.st_mode):
                    entries[path] = FileEntry(path=path, kind=Kind.LINK, mode=mode, link=os.readlink(path))
                elif not stat.S_ISREG(st.st_mode):
                    skipped.append(Skipped(path=path, size=0, reason="not a regular file, directory or symlink"))
                elif st.st_size > budget:
                    skipped.append(Skipped(path=path, size=st.st_size,
                                           reason=f"size cap: {st.st_size} bytes would exceed the "
                                                  f"{size_cap_bytes}-byte limit of this checkpoint"))
                else:
                    digest, size = self._store_blob(path)
                    budget -= size
                    entries[path] = FileEntry(path=path, kind=Kind.FILE, mode=mode, size=size, sha256=digest)
        return self._write_manifest(label, roots, tuple(entries.values()), tuple(skipped))

    def _store_blob(self, path: Path) -> tuple[str, int]:
        """Copy `path` into a temp file while hashing it, then rename it to its hash (unless present)."""
        self._blobs.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        fd, temp = tempfile.mkstemp(dir=self._blobs, prefix=".blob-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
                while chunk := src.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            blob = self._blob(digest.hexdigest())
            if blob.exists():
                return digest.hexdigest(), size
            blob.parent.mkdir(exist_ok=True)
            os.replace(temp, blob)
            _fsync_dir(blob.parent)
            return digest.hexdigest(), size
        finally:
            if os.path.exists(temp):
                os.unlink(temp)

    def _blob(self, sha256: str) -> Path:
        return self._blobs / sha256[:2] / sha256

    def _write_manifest(self, label: str, roots: tuple[Root, ...], entries: tuple[FileEntry, ...],
                        skipped: tuple[Skipped, ...]) -> Checkpoint:
        self._manifests.mkdir(parents=True, exist_ok=True)
        label = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") or "checkpoint"
        seq = max((int(m.group(1)) for p in self._manifests.iterdir() if (m := _MANIFEST.match(p.name))),
                  default=0) + 1
        ident = f"{seq:04d}-{label}"
        path = self._manifests / f"{ident}.json"
        checkpoint = Checkpoint(id=ident, seq=seq, label=label, roots=roots, entries=entries,
                                skipped=skipped, manifest=path,
                                created=dt.datetime.now().astimezone().isoformat(timespec="milliseconds"))
        fd, temp = tempfile.mkstemp(dir=self._manifests, prefix=f".{ident}-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(_to_json(checkpoint), out, indent=1)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, path)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
        _fsync_dir(self._manifests)
        return checkpoint

    # ------------------------------------------------------------ reading
    def checkpoints(self) -> list[Checkpoint]:
        """Every checkpoint with a manifest, oldest first; temp files of unfinished ones are ignored."""
        if not self._manifests.is_dir():
            return []
        found = [p for p in self._manifests.iterdir() if _MANIFEST.match(p.name)]
        return sorted((_from_json(p) for p in found), key=lambda c: c.seq)

    def before_step(self, step: int | None = None) -> Checkpoint:
        """The checkpoint taken before step `step` (1-based) of a run; None: the first one. Steps that
        only look have no checkpoint of their own: the next acting step's is the same state."""
        taken = [(int(m.group(1)), c) for c in self.checkpoints() if (m := _STEP_LABEL.match(c.label))]
        for number, checkpoint in taken:
            if step is None or number >= step:
                return checkpoint
        where = "" if step is None else f" at or after step {step}"
        raise CheckpointError(f"no workspace checkpoint{where} in {self.root}")

    # ------------------------------------------------------------ restore
    def restore(self, checkpoint: Checkpoint, *, dry_run: bool = False) -> RestoreReport:
        """Put the checkpoint's workspace paths back exactly: rewrite changed files, recreate deleted
        ones, remove what appeared since, restore modes. `dry_run`: report what would happen, touch nothing."""
        plan = _Plan(self, checkpoint, dry_run)
        undo = None
        if not dry_run and plan.has_changes():
            snapshot = self.snapshot([r.path for r in checkpoint.roots], label=f"before-restore-{checkpoint.seq}")
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
            if _anchor(root.path) == root.anchor:
                self.roots.append(root)
            else:
                self.problems.append(Skipped(path=root.path, size=0, reason=(
                    f"refused: the workspace path now resolves to {_anchor(root.path)}, not {root.anchor}")))
        inside = [r.path for r in self.roots]
        self.entries = [e for e in checkpoint.entries if _root_of(e.path, inside) is not None]
        wanted = {e.path for e in checkpoint.entries} | {s.path for s in checkpoint.skipped}
        self.extras = [p for r in self.roots for p, _ in _walk(r.path) if p not in wanted]

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
            self.problems.append(Skipped(path=path, size=_size(path), reason=str(exc)))
            return False
        except OSError as exc:
            self.problems.append(Skipped(path=path, size=_size(path), reason=f"failed: {exc}"))
            return False
        done.append(path)
        return True

    def _check_parent(self, path: Path) -> None:
        """Refuse `path` unless its parent directory resolves to where the checkpoint says it is."""
        root = next(r for r in self.roots if _root_of(path, [r.path]) is not None)
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
                        and _sha256(entry.path) == entry.sha256)

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
        blob = self.store._blob(entry.sha256)
        if not blob.is_file():
            raise _Unsafe(f"stored copy {blob} is missing")
        fd, temp = tempfile.mkstemp(dir=entry.path.parent, prefix=f".{entry.path.name}.", suffix=".restore")
        try:
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as out, open(blob, "rb") as src:
                while chunk := src.read(_CHUNK):
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
    lines += [f"  restored  {p}" for p in report.restored]
    lines += [f"  removed   {p}" for p in report.removed]
    lines += [f"  NOT RESTORED {s.path} ({s.size} bytes): {s.reason}" for s in report.not_restorable]
    if report.undo:
        lines.append(f"  the state before this restore is checkpoint {report.undo}")
    return "\n".join(lines)


# ---------------------------------------------------------------- helpers
def _roots(paths: Sequence[Path]) -> tuple[Root, ...]:
    """Absolute, de-duplicated roots; a path inside another declared path is covered by it."""
    absolute = sorted({Path(os.path.abspath(p)) for p in paths}, key=lambda p: p.parts)
    kept: list[Path] = []
    for path in absolute:
        if _root_of(path, kept) is None:
            kept.append(path)
    return tuple(Root(path=p, anchor=_anchor(p), exists=os.path.lexists(p)) for p in kept)


def _anchor(path: Path) -> Path:
    return Path(os.path.realpath(path.parent)) / path.name


def _root_of(path: Path, roots: Sequence[Path]) -> Path | None:
    return next((r for r in roots if path == r or r in path.parents), None)


def _walk(path: Path) -> Iterator[tuple[Path, os.stat_result]]:
    """`path` and everything under it, parents first, never following symlinks."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    yield path, st
    if stat.S_ISDIR(st.st_mode):
        with os.scandir(path) as listing:
            names = sorted(entry.name for entry in listing)
        for name in names:
            yield from _walk(path / name)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as src:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _size(path: Path) -> int:
    try:
        st = os.lstat(path)
    except OSError:
        return 0
    return st.st_size if stat.S_ISREG(st.st_mode) else 0


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _to_json(checkpoint: Checkpoint) -> dict[str, object]:
    return {"format": _FORMAT, "id": checkpoint.id, "seq": checkpoint.seq, "label": checkpoint.label,
            "created": checkpoint.created,
            "roots": [{"path": str(r.path), "anchor": str(r.anchor), "exists": r.exists}
                      for r in checkpoint.roots],
            "entries": [{"path": str(e.path), "kind": e.kind.value, "mode": e.mode, "size": e.size,
                         "sha256": e.sha256, "link": e.link} for e in checkpoint.entries],
            "skipped": [{"path": str(s.path), "size": s.size, "reason": s.reason}
                        for s in checkpoint.skipped]}


def _from_json(manifest: Path) -> Checkpoint:
    """Read and check a manifest: every path must be absolute, normal and inside a declared root."""
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        roots = tuple(Root(path=Path(r["path"]), anchor=Path(r["anchor"]), exists=bool(r["exists"]))
                      for r in data["roots"])
        entries = tuple(FileEntry(path=Path(e["path"]), kind=Kind(e["kind"]), mode=int(e["mode"]),
                                  size=int(e["size"]), sha256=str(e["sha256"]), link=str(e["link"]))
                        for e in data["entries"])
        skipped = tuple(Skipped(path=Path(s["path"]), size=int(s["size"]), reason=str(s["reason"]))
                        for s in data["skipped"])
        checkpoint = Checkpoint(id=str(data["id"]), seq=int(data["seq"]), label=str(data["label"]),
                                created=str(data["created"]), roots=roots, entries=entries,
                                skipped=skipped, manifest=manifest)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"unreadable checkpoint manifest {manifest}: {exc}") from exc
    root_paths = [r.path for r in roots]
    for path in [r.path for r in roots] + [e.path for e in entries] + [s.path for s in skipped]:
        if not path.is_absolute() or os.path.normpath(path) != str(path) or (
                path not in root_paths and _root_of(path, root_paths) is None):
            raise CheckpointError(f"checkpoint {manifest} names {path}, outside its workspace paths")
    if any(e.kind is Kind.FILE and not re.fullmatch(r"[0-9a-f]{64}", e.sha256) for e in entries):
        raise CheckpointError(f"checkpoint {manifest} has a malformed content hash")
    return checkpoint
