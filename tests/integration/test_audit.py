"""The audit log: hash chain, every tamper kind, two writer processes, Redis mirror, no bytes."""

from __future__ import annotations

import asyncio
import itertools
import json
import multiprocessing
import uuid
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from bot.audit import GENESIS, AuditLog, VerifyResult, verify
from bot.errors import AuditError
from bot.models import AuditRecord

SECRET = b"test-secret"


def _record(i: int, **kw) -> AuditRecord:
    base = dict(kind="verdict", request_id=f"req-{i}", ts=1_700_000_000.0 + i / 7,
                actor="a" * 32, platform="slack", channel="C1", thread="1.0",
                image_sha256=(f"{i:064x}",), action="allow", reasons=("clean",),
                scores={"nsfw": i / 100}, model_versions={"nudenet": "3.4"},
                detail={"n": i, "note": "日本語"})
    base.update(kw)
    return AuditRecord(**base)


async def _write_n(path: Path, n: int, start: int = 0) -> list[dict]:
    log = AuditLog(path, SECRET)
    return [await log.write(_record(i)) for i in range(start, start + n)]


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


async def test_chain_links_each_line_to_the_previous(tmp_path):
    path = tmp_path / "audit" / "log.jsonl"
    written = await _write_n(path, 4)
    assert written[0]["prev"] == GENESIS
    for a, b in itertools.pairwise(written):
        assert b["prev"] == a["hash"]
    assert [json.loads(x) for x in _lines(path)] == written
    assert verify(path).ok and verify(path).count == 4
    assert (path.stat().st_mode & 0o777) == 0o600


async def test_a_second_log_object_continues_the_chain(tmp_path):
    path = tmp_path / "log.jsonl"
    await _write_n(path, 2)
    await _write_n(path, 2, start=2)
    assert verify(path).ok and verify(path).count == 4


async def test_changed_record_is_named(tmp_path):
    path = tmp_path / "log.jsonl"
    await _write_n(path, 5)
    lines = _lines(path)
    lines[2] = lines[2].replace(b'"action":"allow"', b'"action":"block"')
    path.write_bytes(b"".join(lines))
    res = verify(path)
    assert (res.ok, res.bad_line, res.count) == (False, 3, 2)
    assert "changed" in res.reason


async def test_changed_record_with_recomputed_hash_breaks_the_next_link(tmp_path):
    from bot.audit import line_hash

    path = tmp_path / "log.jsonl"
    await _write_n(path, 5)
    lines = _lines(path)
    obj = json.loads(lines[1])
    obj["action"] = "block"
    obj["hash"] = line_hash(obj)
    lines[1] = json.dumps(obj).encode() + b"\n"
    path.write_bytes(b"".join(lines))
    assert verify(path).bad_line == 3


async def test_deleted_record_is_named(tmp_path):
    path = tmp_path / "log.jsonl"
    await _write_n(path, 5)
    lines = _lines(path)
    del lines[1]
    path.write_bytes(b"".join(lines))
    res = verify(path)
    assert (res.ok, res.bad_line) == (False, 2)
    assert "chain" in res.reason


async def test_deleted_first_record_is_named(tmp_path):
    path = tmp_path / "log.jsonl"
    await _write_n(path, 3)
    path.write_bytes(b"".join(_lines(path)[1:]))
    assert verify(path).bad_line == 1


async def test_reordered_records_are_named(tmp_path):
    path = tmp_path / "log.jsonl"
    await _write_n(path, 5)
    lines = _lines(path)
    lines[3], lines[2] = lines[2], lines[3]
    path.write_bytes(b"".join(lines))
    assert verify(path).bad_line == 3


async def test_half_a_line_at_the_end_is_named(tmp_path):
    path = tmp_path / "log.jsonl"
    await _write_n(path, 3)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) - 20])
    res = verify(path)
    assert (res.ok, res.bad_line, res.count) == (False, 3, 2)
    assert "truncated" in res.reason
    with pytest.raises(AuditError, match="torn"):
        await AuditLog(path, SECRET).write(_record(9))


def test_missing_and_empty_files(tmp_path):
    assert not verify(tmp_path / "nope.jsonl").ok
    (tmp_path / "empty.jsonl").write_bytes(b"")
    assert verify(tmp_path / "empty.jsonl") == VerifyResult(True, 0)


@pytest.mark.parametrize("detail", [
    {"image": b"\x89PNG"},
    {"nested": {"frames": [bytearray(b"abc")]}},
    {"slack_token": "anything"},
    {"note": "xoxb-123-456-abc"},
    {"headers": {"Authorization": "Bearer abc"}},
])
async def test_records_with_bytes_or_tokens_are_refused(tmp_path, detail):
    path = tmp_path / "log.jsonl"
    with pytest.raises(AuditError):
        await AuditLog(path, SECRET).write(_record(0, detail=detail))
    assert not path.exists() or path.read_bytes() == b""


def test_pseudonym_is_stable_keyed_and_hides_the_id():
    a, b = AuditLog(Path("x"), SECRET), AuditLog(Path("x"), b"other-secret")
    p = a.pseudonym("slack", "U123ABC")
    assert p == a.pseudonym("slack", "U123ABC")
    assert p != a.pseudonym("discord", "U123ABC")
    assert p != b.pseudonym("slack", "U123ABC")
    assert "U123ABC" not in p and len(p) >= 32
    with pytest.raises(AuditError):
        AuditLog(Path("x"), b"")


def _child(path: str, start: int, n: int) -> None:
    asyncio.run(_write_n(Path(path), n, start=start))


def test_two_processes_appending_keep_one_valid_chain(tmp_path):
    path = tmp_path / "log.jsonl"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_child, args=(str(path), k * 1000, 150)) for k in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    res = verify(path)
    assert (res.ok, res.count) == (True, 300), res
    ids = {json.loads(x)["request_id"] for x in _lines(path)}
    assert len(ids) == 300


async def test_mirrored_to_a_redis_stream(tmp_path):
    redis = Redis(host="127.0.0.1", port=6379, db=15)
    stream = f"test:audit:{uuid.uuid4().hex}"
    try:
        log = AuditLog(tmp_path / "log.jsonl", SECRET, redis, stream=stream)
        written = [await log.write(_record(i)) for i in range(3)]
        entries = await redis.xrange(stream)
        assert [json.loads(fields[b"line"]) for _, fields in entries] == written
    finally:
        await redis.delete(stream)
        await redis.aclose()


async def test_redis_down_never_loses_the_file_record(tmp_path, caplog):
    redis = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5,
                  retry=Retry(NoBackoff(), 0))
    try:
        log = AuditLog(tmp_path / "log.jsonl", SECRET, redis)
        obj = await log.write(_record(1))
    finally:
        await redis.aclose()
    assert [json.loads(x) for x in _lines(tmp_path / "log.jsonl")] == [obj]
    assert "mirror" in caplog.text
