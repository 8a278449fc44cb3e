from __future__ import annotations

import enum
import hashlib
import json
from pathlib import Path

import pytest

from desktop_agent.core.actions import Click
from desktop_agent.core.errors import AgentError
from desktop_agent.core.jsonable import to_jsonable
from desktop_agent.core.values import Decision, Point, TargetSpec, Verdict
from desktop_agent.safety.audit import GENESIS, AuditCheck, AuditLog, verify_audit


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    log = AuditLog(tmp_path / "run" / "audit.jsonl")
    for n in range(1, 5):
        log.record("event", n=n, verdict=Verdict(decision=Decision.ALLOW, reason=f"entry {n}"))
    return log.path


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def rehash(entry: dict) -> dict:
    body = {k: v for k, v in entry.items() if k != "hash"}
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return {**body, "hash": hashlib.sha256(canonical.encode()).hexdigest()}


def test_chain_verifies(log_path):
    assert verify_audit(log_path) == AuditCheck(ok=True, entries=4)
    entries = [json.loads(line) for line in lines(log_path)]
    assert [e["seq"] for e in entries] == [1, 2, 3, 4]
    assert entries[0]["prev"] == GENESIS
    assert all(b["prev"] == a["hash"] for a, b in zip(entries, entries[1:]))
    assert entries[1]["fields"]["verdict"] == {"type": "Verdict", "decision": "allow",
                                               "reason": "entry 2", "rule": ""}


def test_edited_line_is_detected(log_path):
    text = lines(log_path)
    text[1] = text[1].replace("entry 2", "entry X")
    log_path.write_text("".join(text), encoding="utf-8")
    check = verify_audit(log_path)
    assert (check.ok, check.entries) == (False, 1)
    assert "line 2" in check.problem and "edited" in check.problem


def test_edited_line_with_recomputed_hash_breaks_the_next_link(log_path):
    text = lines(log_path)
    entry = json.loads(text[1])
    entry["fields"]["n"] = 99
    text[1] = json.dumps(rehash(entry), ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
    log_path.write_text("".join(text), encoding="utf-8")
    check = verify_audit(log_path)
    assert not check.ok
    assert check.problem.startswith("line 3")


def test_deleted_middle_line_is_detected(log_path):
    text = lines(log_path)
    del text[1]
    log_path.write_text("".join(text), encoding="utf-8")
    check = verify_audit(log_path)
    assert (check.ok, check.entries) == (False, 1)
    assert "line 2" in check.problem and "removed" in check.problem


def test_truncated_tail_needs_the_head_to_be_detected(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    log.record("a")
    log.record("b")
    head = log.head
    log.path.write_text(lines(log.path)[0], encoding="utf-8")
    assert verify_audit(log.path).ok  # a chain alone can't see it
    assert not verify_audit(log.path, head=head).ok


def test_reopened_log_continues_the_chain(log_path):
    AuditLog(log_path).record("more")
    check = verify_audit(log_path)
    assert (check.ok, check.entries) == (True, 5)


def test_damaged_last_line_refuses_to_extend_and_fails_verification(log_path):
    with log_path.open("a", encoding="utf-8") as file:
        file.write('{"seq": 5, "kin')
    with pytest.raises(AgentError, match="damaged"):
        AuditLog(log_path)
    assert not verify_audit(log_path).ok


def test_missing_log_fails_verification(tmp_path):
    check = verify_audit(tmp_path / "nope.jsonl")
    assert not check.ok and "cannot read" in check.problem


class Colour(enum.Enum):
    RED = "red"


def test_to_jsonable_converts_values():
    value = {"click": Click(target=TargetSpec(point=Point(x=1, y=2))), "path": Path("/tmp/x"),
             "colour": Colour.RED, "set": {2, 1}, "nan": float("nan"), "other": object()}
    safe = to_jsonable(value)
    json.dumps(safe, allow_nan=False)
    assert safe["click"]["target"]["point"] == {"type": "Point", "x": 1, "y": 2}
    assert safe["click"]["button"] == "left"
    assert (safe["path"], safe["colour"], safe["set"], safe["nan"]) == ("/tmp/x", "red", [1, 2], "nan")
    assert safe["other"].startswith("<object")
