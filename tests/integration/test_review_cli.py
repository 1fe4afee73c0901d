"""`miru review ...` and `miru audit export` in a subprocess, on the cases `miru ask` opens.

A benign photo is held by policy configuration alone (an adult channel whose open_nsfw
thresholds are 0: every score counts as exposure, which an adult channel holds for review); a
hash list of the same photo makes it `block_and_preserve`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import datetime
from pathlib import Path

import pytest

from tests.clirun import miru
from tests.conftest import sync_redis_client

HOLD_POLICY = """
[thresholds]
nsfw_low = 0.0
nsfw_high = 0.0
[channels.cli]
audience = "adult"
consent = "off"
"""


def _clear() -> None:
    r = sync_redis_client()
    for pattern in ("miru:review:*", "miru:quarantine:*"):
        for key in r.scan_iter(match=pattern, count=500):
            r.delete(key)
    r.close()


@pytest.fixture(autouse=True)
def clean_queue():
    _clear()
    yield
    _clear()


def _ask(env, tmp_path: Path, data: bytes, policy: str) -> dict:
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(policy)
    env["MIRU_POLICY_FILE"] = str(policy_file)
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(data)
    proc = miru(env, "ask", str(photo), "-q", "what is this?", "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _cases(env) -> list[dict]:
    proc = miru(env, "review", "list", "--json", "--by", "auditor")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_held_case_from_ask_is_listed_decided_once_and_audited(env, tmp_path, coffee_jpeg):
    out = _ask(env, tmp_path, coffee_jpeg, HOLD_POLICY)
    assert out["verdict"]["action"] == "hold"
    [case] = _cases(env)
    assert set(case) >= {"id", "action", "reasons", "status", "created"}
    assert case["action"] == "hold" and case["status"] == "pending"
    assert "sexual_exposure_review" in case["reasons"]
    assert datetime.fromisoformat(case["created"]).tzinfo is not None
    assert case["id"] in out["reply"]

    show = miru(env, "review", "show", case["id"], "--json", "--by", "alice")
    assert show.returncode == 0 and json.loads(show.stdout)["images"] == [
        hashlib.sha256(coffee_jpeg).hexdigest()]
    first = miru(env, "review", "approve", case["id"], "--by", "alice")
    assert first.returncode == 0, first.stderr
    assert "approved by alice" in first.stdout and "command line" in first.stdout
    again = miru(env, "review", "reject", case["id"], "--by", "bob")
    assert again.returncode == 1 and "already approved by alice" in again.stderr
    [case] = _cases(env)
    assert case["status"] == "approved" and case["decided_by"] == "alice"

    missing = miru(env, "review", "approve", "cdeadbeef00", "--by", "alice")
    assert missing.returncode == 1 and "no case cdeadbeef00" in missing.stderr
    hostile = miru(env, "review", "show", "../../etc/passwd")
    assert hostile.returncode == 2 and "not a case id" in hostile.stderr

    kinds = [json.loads(line)["kind"]
             for line in Path(env["MIRU_AUDIT_PATH"]).read_text().splitlines()]
    assert kinds.count("review_decision") == 1 and "review_stale" in kinds
    assert {"review_opened", "review_view"} <= set(kinds)
    verify = miru(env, "audit", "verify")
    assert verify.returncode == 0 and verify.stdout.startswith("ok "), verify.stdout


def test_preserved_case_cannot_be_approved_is_escalated_and_survives_purge(
        env, tmp_path, coffee_jpeg):
    listed = tmp_path / "known.sha256"
    listed.write_text(hashlib.sha256(coffee_jpeg).hexdigest() + "\n")
    out = _ask(env, tmp_path, coffee_jpeg, f'[hash_lists]\nsha256_files = ["{listed}"]\n')
    assert out["verdict"]["action"] == "block_and_preserve"
    [case] = _cases(env)
    assert case["action"] == "block_and_preserve" and case["id"] not in out["reply"]
    refused = miru(env, "review", "approve", case["id"], "--by", "alice")
    assert refused.returncode == 1 and "never approved into a model" in refused.stderr
    shown = miru(env, "review", "show", case["id"])
    assert "docs/reporting.md" in shown.stdout
    assert miru(env, "review", "escalate", case["id"], "--by", "alice").returncode == 0
    purge = miru(env, "review", "purge", "--json", "--by", "ops")
    assert purge.returncode == 0
    assert json.loads(purge.stdout)["kept"] == 1
    [case] = _cases(env)
    assert case["status"] == "escalated" and case["legal_hold"] is True


def test_audit_export_csv_since_and_a_bad_date(env, tmp_path, coffee_jpeg):
    _ask(env, tmp_path, coffee_jpeg, HOLD_POLICY)
    _cases(env)
    lines = Path(env["MIRU_AUDIT_PATH"]).read_text().splitlines()
    proc = miru(env, "audit", "export")
    assert proc.returncode == 0 and proc.stdout.splitlines() == lines
    proc = miru(env, "audit", "export", "--csv")
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert [r["kind"] for r in rows] == [json.loads(x)["kind"] for x in lines]
    opened = next(r for r in rows if r["kind"] == "review_opened")
    assert opened["case"].startswith("c") and opened["time"].endswith("+00:00")
    future = miru(env, "audit", "export", "--csv", "--since", "2999-01-01")
    assert future.returncode == 0 and future.stdout.strip().splitlines() == [
        ",".join(("n", "time", "kind", "request_id", "actor", "platform", "channel",
                  "thread", "action", "reasons", "case", "images", "detail"))]
    bad = miru(env, "audit", "export", "--since", "last tuesday")
    assert bad.returncode == 2 and "not a date" in bad.stderr


def test_without_redis_the_queue_says_so_and_ask_keeps_evidence_locally(
        env, tmp_path, coffee_jpeg):
    env["MIRU_REDIS_URL"] = "redis://127.0.0.1:1/0"
    proc = miru(env, "review", "list")
    assert proc.returncode == 1 and "Redis is not reachable" in proc.stderr
    out = _ask(env, tmp_path, coffee_jpeg, HOLD_POLICY)
    assert out["verdict"]["action"] == "hold"
    folder = Path(env["MIRU_DATA_DIR"]) / "quarantine"
    stored = [p.read_bytes() for p in folder.glob("*")]
    assert stored and not any(coffee_jpeg[1000:1064] in b for b in stored)


def test_show_lists_every_age_signal_with_its_source_and_not_the_text(env, tmp_path,
                                                                       coffee_jpeg):
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text('[thresholds]\nnsfw_low = 0.0\n[defaults]\nconsent = "off"\n')
    env["MIRU_POLICY_FILE"] = str(policy_file)
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(coffee_jpeg)
    asked = miru(env, "ask", str(photo), "-q", "my daughter is 14, rate her", "--json")
    assert json.loads(asked.stdout)["verdict"]["action"] == "block_and_preserve", asked.stdout
    [case] = _cases(env)
    shown = miru(env, "review", "show", case["id"], "--by", "alice")
    assert shown.returncode == 0
    assert "age signals:\n  - minor cue “age:14” from the message" in shown.stdout
    assert "daughter" not in shown.stdout and "rate her" not in shown.stdout
    as_json = json.loads(miru(env, "review", "show", case["id"], "--json").stdout)
    assert as_json["signals"] == [{"code": "minor_cue", "source": "message", "label": "age:14",
                                   "image": 0, "score": None}]
