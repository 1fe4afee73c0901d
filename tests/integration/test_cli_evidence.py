"""``miru screen`` and ``miru receipt`` keep what they stop (issue 19): a hash-listed file is
preserved and gets a case, as in chat, on the shared queue when Redis answers and in the local
quarantine folder when it does not; where it can be kept nowhere, no verdict is printed and the
command fails. A benign photo is "listed" by a hash list of its own SHA-256."""

from __future__ import annotations

import gc
import hashlib
import json
import subprocess
import warnings
from pathlib import Path

import pytest

from bot.evidence.secrets import open_shared_quarantine
from config.settings import load_settings
from tests.clirun import miru

pytestmark = pytest.mark.slow

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens there


@pytest.fixture
def listed_env(env: dict[str, str], tmp_path: Path, coffee_jpeg: bytes) -> dict[str, str]:
    known = tmp_path / "known.sha256"
    known.write_text(hashlib.sha256(coffee_jpeg).hexdigest() + "\n")
    policy = tmp_path / "policy.toml"
    policy.write_text(f'[hash_lists]\nsha256_files = ["{known}"]\n')
    (tmp_path / "listed.jpg").write_bytes(coffee_jpeg)
    return dict(env, MIRU_POLICY_FILE=str(policy))


def _audit(env: dict[str, str]) -> list[dict]:
    return [json.loads(x) for x in Path(env["MIRU_AUDIT_PATH"]).read_text().splitlines()]


async def test_screen_opens_a_case_on_the_shared_queue(listed_env, tmp_path, coffee_jpeg,
                                                       redis, opened_cases):
    sha = hashlib.sha256(coffee_jpeg).hexdigest()
    proc = miru(listed_env, "screen", str(tmp_path / "listed.jpg"))
    assert proc.returncode == 0, proc.stderr
    assert "block_and_preserve" in proc.stdout
    cases = [c for c in await opened_cases() if sha in c.images and c.platform == "cli"]
    assert len(cases) == 1 and cases[0].action == "block_and_preserve"
    assert cases[0].id not in proc.stdout  # a preserved case's id is the moderators'
    settings = load_settings(data_dir=Path(listed_env["MIRU_DATA_DIR"]))
    vault = open_shared_quarantine(settings, redis)
    assert await vault.get(cases[0].evidence[0]) == coffee_jpeg
    assert "review_opened" in [r["kind"] for r in _audit(listed_env)]


def test_screen_and_receipt_without_redis_keep_it_in_the_quarantine_folder(listed_env,
                                                                           tmp_path):
    offline = dict(listed_env, MIRU_REDIS_URL=DEAD_REDIS)
    folder = Path(listed_env["MIRU_DATA_DIR"]) / "quarantine"
    proc = miru(offline, "screen", str(tmp_path / "listed.jpg"))
    assert proc.returncode == 0, proc.stderr
    assert "block_and_preserve" in proc.stdout
    kept = sorted(p.name for p in folder.iterdir())
    assert kept, "nothing in the quarantine folder"
    proc = miru(offline, "receipt", str(tmp_path / "listed.jpg"), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["verdict"] == "block_and_preserve"
    assert len(list(folder.iterdir())) > len(kept)


def test_nothing_kept_means_no_verdict_and_a_failure(listed_env, tmp_path):
    """No Redis and no writable quarantine folder: screen, receipt and ask print no verdict,
    exit 1 and audit it."""
    offline = dict(listed_env, MIRU_REDIS_URL=DEAD_REDIS)
    data = Path(listed_env["MIRU_DATA_DIR"])
    data.mkdir(parents=True, exist_ok=True)
    (data / "quarantine").write_text("not a folder")  # the local quarantine cannot be written
    proc = miru(offline, "screen", str(tmp_path / "listed.jpg"))
    assert proc.returncode == 1
    assert "not screened" in proc.stdout and "block_and_preserve" not in proc.stdout
    proc = miru(offline, "screen", str(tmp_path / "listed.jpg"), "--json")
    assert proc.returncode == 1
    line = json.loads(proc.stdout)
    assert line["error"]["code"] == "not_preserved" and "verdict" not in line
    proc = miru(offline, "receipt", str(tmp_path / "listed.jpg"), "--json")
    assert proc.returncode == 1
    [entry] = json.loads(proc.stdout)
    assert entry["verdict"] is None and entry["error"]["code"] == "not_preserved"
    proc = miru(offline, "ask", str(tmp_path / "listed.jpg"), "--json")
    assert proc.returncode == 1 and proc.stdout == ""
    assert "could not be screened" in proc.stderr
    assert len([r for r in _audit(offline) if r["kind"] == "error"
                and r["detail"].get("code") == "not_preserved"]) == 4


def _leaks(env: dict[str, str], *args: str) -> tuple[subprocess.CompletedProcess[str], list]:
    """Run ``miru ARGS`` and collect the ResourceWarnings of what it left open (a Redis client
    left to the garbage collector warns as it is collected)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        proc = miru(env, *args)
        gc.collect()
    return proc, [w for w in caught if issubclass(w.category, ResourceWarning)]


@pytest.mark.parametrize("command", ["screen", "receipt"])
def test_a_keeper_that_cannot_open_closes_the_redis_client(listed_env, tmp_path, command):
    """A bad quarantine key fails the evidence keeper after the shared queue's client was
    opened: the same one-line error and exit 2, and the client is closed all the same."""
    bad = dict(listed_env, MIRU_QUARANTINE_KEY="not-a-key")
    proc, leaked = _leaks(bad, command, str(tmp_path / "listed.jpg"))
    assert proc.returncode == 2
    assert "MIRU_QUARANTINE_KEY is not a Fernet key" in proc.stderr
    assert not leaked, [str(w.message) for w in leaked]
