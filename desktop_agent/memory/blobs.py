"""Content-addressed PNG files next to the memory: `<db folder>/<db stem>.blobs/ab/abcdef….png`, named by
the SHA-256 of their bytes (so a screenshot or crop seen twice is stored once).

Guaranteed: a blob is complete once it has its name (written to a temporary file, flushed to disk, then
renamed), files are 0600 and folders 0700; only PNG data is accepted. What references a blob (a row in
the memory) is the caller's business: callers write a blob, and delete one, while they hold the memory's
write transaction, so a blob is written before the row that refers to it, and no other writer can start
referring to a blob while it is being deleted. Recency of use is the file's modification time.
Not guaranteed: a blob a row refers to may be missing (deleted by hand): readers treat it as absent.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from desktop_agent.core.errors import AgentError

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True, kw_only=True)
class BlobInfo:
    sha256: str
    size: int
    used_at: float  # the file's modification time (seconds since the epoch)


class BlobStore:
    """The blob folder of one memory; folders are created on the first write."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        if not SHA256.fullmatch(sha256):
            raise AgentError(f"not a blob name: {sha256!r}", details={"blob": sha256})
        return self.root / sha256[:2] / f"{sha256}.png"

    def put(self, data: bytes) -> str:
        """Store PNG bytes (once per content) and return their SHA-256; a blob stored already is only
        marked as used now. AgentError for data that is not a PNG or a folder that cannot be written."""
        if not data.startswith(PNG_MAGIC):
            raise AgentError(f"memory blobs are PNG images; refusing {len(data)} bytes of something else")
        sha256 = hashlib.sha256(data).hexdigest()
        path = self.path(sha256)
        if self.touch(sha256):
            return sha256
        try:
            for folder in (self.root, path.parent):
                folder.mkdir(mode=0o700, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".blob-")  # mode 0600
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise AgentError(f"cannot write memory blob {path}: {exc}", details={"path": str(path)}) from exc
        return sha256

    def put_image(self, image: np.ndarray) -> str:
        """Store `image` (BGR or grey pixels) as a PNG; returns its SHA-256."""
        ok, encoded = cv2.imencode(".png", image)
        if not ok:
            raise AgentError(f"cannot encode a {image.shape} {image.dtype} image as PNG")
        return self.put(encoded.tobytes())

    def read(self, sha256: str) -> bytes:
        path = self.path(sha256)
        try:
            return path.read_bytes()
        except OSError as exc:
            raise AgentError(f"cannot read memory blob {path}: {exc}", details={"path": str(path)}) from exc

    def touch(self, sha256: str) -> bool:
        """Mark a blob as used now; False when there is no such blob."""
        try:
            os.utime(self.path(sha256))
        except (FileNotFoundError, NotADirectoryError):
            return False
        return True

    def remove(self, shas: Iterable[str]) -> int:
        """Delete these blobs; returns how many existed."""
        removed = 0
        for sha256 in shas:
            try:
                self.path(sha256).unlink()
                removed += 1
            except FileNotFoundError:
                pass
        return removed

    def blobs(self) -> list[BlobInfo]:
        """Every stored blob (temporary files of interrupted writes are not blobs)."""
        found = []
        for path in self.root.glob("??/*.png"):
            if SHA256.fullmatch(path.stem) and path.parent.name == path.stem[:2]:
                try:
                    stat = path.stat()
                except FileNotFoundError:
                    continue
                found.append(BlobInfo(sha256=path.stem, size=stat.st_size, used_at=stat.st_mtime))
        return found

    def prune(self, referenced: AbstractSet[str], *, limit_bytes: int) -> int:
        """Delete blobs no row refers to, least recently used first, until all blobs together take at most
        `limit_bytes`; returns how many were deleted. Referenced blobs are never deleted, so the total may
        stay above the limit."""
        blobs = self.blobs()
        total = sum(blob.size for blob in blobs)
        doomed = []
        for blob in sorted((b for b in blobs if b.sha256 not in referenced), key=lambda b: b.used_at):
            if total <= limit_bytes:
                break
            doomed.append(blob.sha256)
            total -= blob.size
        return self.remove(doomed)
