import hashlib
import socket

import numpy as np
import pytest
import yaml

from desktop_agent.core.errors import AgentError
from desktop_agent.perception import models
from desktop_agent.perception.ocr import TextReader

MANIFESTS = sorted(p.stem for p in models.MANIFEST_DIR.glob("*.yaml"))
LICENCES = {"element-detector": "MIT", "element-roles": "MIT", "icon-reader": "MIT", "pp-ocrv6-det-small": "Apache-2.0", "pp-ocrv6-rec-small": "Apache-2.0"}


def test_every_model_used_has_a_manifest():
    assert MANIFESTS == ["element-detector", "element-roles", "icon-reader", "pp-ocrv6-det-small", "pp-ocrv6-rec-small"]


@pytest.mark.parametrize("name", MANIFESTS)
def test_manifest_matches_the_installed_file(name):
    model = models.resolve(name)
    assert hashlib.sha256(model.path.read_bytes()).hexdigest() == model.sha256
    assert model.licence.startswith(LICENCES[name])
    assert model.path.stat().st_size == models.manifest(name)["size_bytes"]


def test_altered_file_is_refused(tmp_path, monkeypatch):
    data = models.manifest("pp-ocrv6-det-small")
    data["sha256"] = "0" * 64
    (tmp_path / "tampered.yaml").write_text(yaml.safe_dump(data))
    monkeypatch.setattr(models, "MANIFEST_DIR", tmp_path)
    with pytest.raises(AgentError, match="refusing to load"):
        models.resolve("tampered")


def test_ocr_loads_and_reads_without_network(monkeypatch):
    def no_network(*_args, **_kwargs):
        raise AssertionError("the OCR tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    import cv2

    image = np.full((60, 320, 3), 255, np.uint8)
    cv2.putText(image, "Submit order", (10, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)
    texts = TextReader(threads=1).read(image)
    assert [t.text for t in texts] == ["Submit order"]


def test_committed_file_is_found_beside_its_manifest_and_refused_when_altered(tmp_path, monkeypatch):
    data = models.manifest("icon-reader")
    (tmp_path / "copy.yaml").write_text(yaml.safe_dump(data))
    (tmp_path / data["source"]["file"]).write_bytes(models.resolve("icon-reader").path.read_bytes()[:-1])
    monkeypatch.setattr(models, "MANIFEST_DIR", tmp_path)
    with pytest.raises(AgentError, match="refusing to load"):
        models.resolve("copy")
