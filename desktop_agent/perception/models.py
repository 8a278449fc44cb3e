"""The one place that resolves model files: from the manifests in `models/` — the checkout's, or where an
installed package put them (`<prefix>/share/desktop-agent/models`) — to verified paths.

Guarantees: a returned path is the file the manifest names — inside the installed wheel named by
`source.package`, or a committed file `source.file` beside the manifest — with the manifest's sha256.
Nothing is downloaded; a missing or altered file is an error, not a fallback.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import yaml

from desktop_agent.core.errors import AgentError

_CHECKOUT_MODELS = Path(__file__).resolve().parents[2] / "models"
_INSTALLED_MODELS = Path(sys.prefix) / "share" / "desktop-agent" / "models"
MANIFEST_DIR = _CHECKOUT_MODELS if _CHECKOUT_MODELS.is_dir() else _INSTALLED_MODELS


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelFile:
    name: str
    path: Path
    sha256: str
    licence: str


def manifest(name: str) -> dict:
    path = MANIFEST_DIR / f"{name}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise AgentError(f"cannot read model manifest {path}: {exc}") from exc
    for key in ("name", "source", "sha256", "inputs", "licence"):
        if key not in data:
            raise AgentError(f"model manifest {path} lacks {key!r}")
    return data


@functools.cache
def resolve(name: str) -> ModelFile:
    """The verified file of manifest `models/<name>.yaml` (hashed once per process)."""
    data = manifest(name)
    path = _located(data)
    if not path.is_file():
        raise AgentError(f"model {data['name']}: {path} is missing")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != data["sha256"]:
        raise AgentError(f"model {data['name']}: {path} has sha256 {digest}, manifest says "
                         f"{data['sha256']}; refusing to load it")
    return ModelFile(name=data["name"], path=path, sha256=digest, licence=data["licence"])


def _located(data: dict) -> Path:
    if "file" in data["source"]:
        return MANIFEST_DIR / data["source"]["file"]
    package_path = Path(data["source"]["path"])
    spec = importlib.util.find_spec(package_path.parts[0])
    if spec is None or spec.origin is None:
        raise AgentError(f"model {data['name']}: package {package_path.parts[0]!r} is not installed")
    return Path(spec.origin).parent.joinpath(*package_path.parts[1:])


class LazySession:
    """The onnxruntime session of one model of ours, opened on first use (once, whichever thread asks
    first): the committed file of manifest `name`, verified by `resolve`, or an unverified `path` (only
    training, before the manifest exists). `threads`: onnxruntime's intra-op threads."""

    def __init__(self, name: str, *, path: Path | None = None, threads: int = 1) -> None:
        self._name = name
        self._path = path
        self._threads = threads
        self._session = None
        self._lock = threading.Lock()

    def get(self):
        with self._lock:
            if self._session is None:
                import onnxruntime as ort

                options = ort.SessionOptions()
                options.intra_op_num_threads = self._threads
                options.inter_op_num_threads = 1
                path = self._path or resolve(self._name).path
                self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        return self._session
