"""The manifest of a model trained here (`perception.models` reads it): the fields that describe the
file itself, and the YAML written beside it — last, once the model and its numbers are final."""
from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

RUNTIME = "onnxruntime CPUExecutionProvider"


def file_fields(model: Path) -> dict:
    """`source`, `sha256` and `size_bytes` of the committed file `model` (beside its manifest)."""
    data = model.read_bytes()
    return {"source": {"file": model.name}, "sha256": hashlib.sha256(data).hexdigest(), "size_bytes": len(data)}


def write(manifest_path: Path, what: str, manifest: dict) -> None:
    """`manifest` as YAML at `manifest_path`, headed by a comment naming `what` the model is for."""
    manifest_path.write_text(f"# {what} (written by make models).\n"
                             + yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True))
