"""Workspace checkpoints: content-addressed copies of the files a task may change (`restore.py` puts
them back).

Layout under a store's root:

    blobs/<sha[:2]>/<sha256>          file contents; written once (temp + fsync + rename), never rewritten
    checkpoints/<seq>-<label>.json    one manifest per checkpoint, written last and atomically

Guaranteed: a checkpoint exists only once its manifest does (blobs without a manifest are ignored);
every file under the workspace paths is either in the manifest with its bytes stored, or listed in
`skipped` with a reason (the size cap, or not a regular file/directory/symlink); symlinks are recorded
as links and never followed. Not guaranteed: owners, timestamps, extended attributes and hard links
(stored as separate files) are not kept; one store has one writer at a time.
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
from pathlib import Path

from desktop_agent.core.errors import AgentError
from desktop_agent.core.values import frozen

DEFAULT_SIZE_CAP = 200 * 1024 * 1024
_FORMAT = 1
_MANIFEST = re.compile(r"^(\d+)-([a-z0-9-]+)\.json$")
_STEP_LABEL = re.compile(r"^step(\d+)$")
READ_CHUNK = 1 << 20


class CheckpointError(AgentError):
    """A checkpoint that can't be found or used (no such run, malformed or escaping manifest)."""


class Kind(enum.Enum):
    FILE = "file"
    DIR = "dir"
    LINK = "symlink"


@frozen
class FileEntry:
    """One path as it was: `mode` holds the permission bits; `sha256`/`size` for files, `link` for links."""

    path: Path
    kind: Kind
    mode: int
    size: int = 0
    sha256: str = ""
    link: str = ""


@frozen
class Skipped:
    path: Path
    size: int
    reason: str


@frozen
class Root:
    """A declared workspace path. `anchor` is where it resolved to (its parent's real path + its name)."""

    path: Path
    anchor: Path
    exists: bool


@frozen
class Checkpoint:
    id: str
    seq: int
    label: str
    created: str
    roots: tuple[Root, ...]
    entries: tuple[FileEntry, ...]
    skipped: tuple[Skipped, ...]
    manifest: Path


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
            for path, st in walk(root.path):
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
                while chunk := src.read(READ_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            blob = self.blob(digest.hexdigest())
            if blob.exists():
                return digest.hexdigest(), size
            blob.parent.mkdir(exist_ok=True)
            os.replace(temp, blob)
            _fsync_dir(blob.parent)
            return digest.hexdigest(), size
        finally:
            if os.path.exists(temp):
                os.unlink(temp)

    def blob(self, sha256: str) -> Path:
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


# ---------------------------------------------------------------- helpers
def _roots(paths: Sequence[Path]) -> tuple[Root, ...]:
    """Absolute, de-duplicated roots; a path inside another declared path is covered by it."""
    absolute = sorted({Path(os.path.abspath(p)) for p in paths}, key=lambda p: p.parts)
    kept: list[Path] = []
    for path in absolute:
        if root_of(path, kept) is None:
            kept.append(path)
    return tuple(Root(path=p, anchor=anchor_of(p), exists=os.path.lexists(p)) for p in kept)


def anchor_of(path: Path) -> Path:
    return Path(os.path.realpath(path.parent)) / path.name


def root_of(path: Path, roots: Sequence[Path]) -> Path | None:
    return next((r for r in roots if path == r or r in path.parents), None)


def walk(path: Path) -> Iterator[tuple[Path, os.stat_result]]:
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
            yield from walk(path / name)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as src:
        while chunk := src.read(READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_size(path: Path) -> int:
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
                path not in root_paths and root_of(path, root_paths) is None):
            raise CheckpointError(f"checkpoint {manifest} names {path}, outside its workspace paths")
    if any(e.kind is Kind.FILE and not re.fullmatch(r"[0-9a-f]{64}", e.sha256) for e in entries):
        raise CheckpointError(f"checkpoint {manifest} has a malformed content hash")
    return checkpoint
