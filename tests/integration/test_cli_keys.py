"""`miru audit verify` against the Redis anchor, `miru quarantine purge`, and bad keys or
secrets as one-line messages (the `miru` helper fails the test on any traceback)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot import keys
from bot.evidence.audit import AuditLog, chain_of, derive_chain_key
from bot.models import AuditRecord
from tests.clirun import cli_env, miru
from tests.conftest import REDIS_URL, redis_client
from tests.integration.test_housekeeping import put_aged


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = cli_env(tmp_path)
    e["MIRU_REDIS_URL"] = REDIS_URL
    return e


def _secret_file(path: Path, data: bytes, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.chmod(path, mode)
    return path


async def test_verify_checks_the_head_and_reports_truncation(env):
    path = Path(env["MIRU_AUDIT_PATH"])
    secret = env["MIRU_AUDIT_SECRET"].encode()
    redis = redis_client()
    log = AuditLog(path, secret, redis, chain_key=derive_chain_key(secret))
    for i in range(5):
        await log.write(AuditRecord(kind="verdict", request_id=f"r{i}", ts=float(i),
                                    action="block"))
    chain = chain_of(path)
    try:
        proc = miru(env, "audit", "verify")
        assert proc.returncode == 0, proc.stdout
        assert proc.stdout.startswith("ok 5 records")
        assert "head: ok, the file's end matches the Redis anchor" in proc.stdout

        offline = {**env, "MIRU_REDIS_URL": "redis://127.0.0.1:1/0"}
        proc = miru(offline, "audit", "verify")
        assert proc.returncode == 0
        assert "head: NOT CHECKED: Redis unreachable" in proc.stdout

        path.write_bytes(b"".join(path.read_bytes().splitlines(keepends=True)[:3]))
        proc = miru(env, "audit", "verify")
        assert proc.returncode == 1
        assert "line 4: truncated: 2 records missing at the end" in proc.stdout

        proc = miru({**env, "MIRU_AUDIT_KEY": "k" * 40}, "audit", "verify")
        assert proc.returncode == 1 and "bad record at line 1" in proc.stdout
    finally:
        await redis.delete(keys.AUDIT_STREAM, keys.audit_head(chain))
        await redis.aclose()


def test_quarantine_purge_applies_the_policy_retention(env, tmp_path):
    key = Fernet.generate_key()
    key_file = _secret_file(tmp_path / "keys" / "quarantine.key", key)
    env["MIRU_QUARANTINE_KEY_FILE"] = str(key_file)
    policy = tmp_path / "policy.toml"
    policy.write_text("[retention]\nquarantine_days = 10\n")
    env["MIRU_POLICY_FILE"] = str(policy)
    proc = miru(env, "quarantine", "purge")
    assert proc.returncode == 0 and proc.stdout.startswith("removed 0 case(s)")
    folder = Path(env["MIRU_DATA_DIR"]) / "quarantine"
    put_aged(folder, key, "eleven-days", 11)
    put_aged(folder, key, "nine-days", 9)
    proc = miru(env, "quarantine", "purge", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert (out["removed"], out["kept"], out["retention_days"]) == (1, 1, 10)
    assert [p.name for p in folder.glob("*.bin")] == ["nine-days.bin"]


@pytest.mark.parametrize(("extra", "expected"), [
    ({"MIRU_QUARANTINE_KEY_FILE": "{tmp}/missing.key"}, "does not exist"),
    ({"MIRU_QUARANTINE_KEY_FILE": "{tmp}/loose.key"}, "chmod 600"),
    ({"MIRU_QUARANTINE_KEY_FILE": "{tmp}/garbage.key"}, "is not a Fernet key"),
    ({"MIRU_QUARANTINE_KEY": "not-a-key"}, "MIRU_QUARANTINE_KEY is not a Fernet key"),
])
def test_bad_quarantine_keys_are_one_line(env, tmp_path, extra, expected):
    _secret_file(tmp_path / "loose.key", Fernet.generate_key(), 0o644)
    _secret_file(tmp_path / "garbage.key", b"garbage")
    put_aged(Path(env["MIRU_DATA_DIR"]) / "quarantine", Fernet.generate_key(), "case", 1)
    env.update({k: v.format(tmp=tmp_path) for k, v in extra.items()})
    proc = miru(env, "quarantine", "purge")
    assert proc.returncode == 2
    assert expected in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("extra", "expected"), [
    ({"MIRU_AUDIT_SECRET": "change-me"}, "MIRU_AUDIT_SECRET must be a random value"),
    ({"MIRU_AUDIT_KEY": "short"}, "MIRU_AUDIT_KEY must hold at least 32"),
    ({"MIRU_AUDIT_KEY_FILE": "{tmp}/nope"}, "MIRU_AUDIT_KEY_FILE"),
])
def test_bad_audit_secrets_are_one_line(env, tmp_path, extra, expected):
    Path(env["MIRU_AUDIT_PATH"]).parent.mkdir(parents=True)
    Path(env["MIRU_AUDIT_PATH"]).write_text("")
    env.update({k: v.format(tmp=tmp_path) for k, v in extra.items()})
    proc = miru(env, "audit", "verify")
    assert proc.returncode == 2
    assert expected in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
