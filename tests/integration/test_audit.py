"""The audit log: keyed chain, every tamper kind, two writer processes, Redis mirror and head
anchor (truncation), no bytes."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import multiprocessing
import uuid
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from bot import keys
from bot.errors import AuditError
from bot.evidence.audit import (
    GENESIS,
    Anchor,
    AuditLog,
    VerifyResult,
    canonical,
    chain_of,
    derive_chain_key,
    verify,
)
from bot.models import AuditRecord
from bot.stores.redis_base import open_client
from tests.conftest import REDIS_URL

# Runs again in the cluster pass (make test): multi-key commands, scripts and transactions.
pytestmark = pytest.mark.redis

SECRET = b"test-secret-0123456789abcdef-0123456789"
KEY = derive_chain_key(SECRET)


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
        assert b["prev"] == a["hash"] and b["chain"] == a["chain"]
    assert [w["n"] for w in written] == [1, 2, 3, 4]
    assert [json.loads(x) for x in _lines(path)] == written
    assert verify(path, KEY).ok and verify(path, KEY).count == 4
    assert chain_of(path) == written[0]["chain"]
    assert (path.stat().st_mode & 0o777) == 0o600


async def test_a_second_log_object_continues_the_chain(tmp_path):
    path = tmp_path / "log.jsonl"
    await _write_n(path, 2)
    await _write_n(path, 2, start=2)
    assert verify(path, KEY).ok and verify(path, KEY).count == 4


async def test_changed_record_is_named(tmp_path):
    path = tmp_path / "log.jsonl"
    await _write_n(path, 5)
    lines = _lines(path)
    lines[2] = lines[2].replace(b'"action":"allow"', b'"action":"block"')
    path.write_bytes(b"".join(lines))
    res = verify(path, KEY)
    assert (res.ok, res.bad_line, res.count) == (False, 3, 2)
    assert "changed" in res.reason


def _sha256_chain(lines: list[bytes], start: int) -> list[bytes]:
    """What a forger without the key does: recompute plain SHA-256 hashes from ``start`` on."""
    out = lines[:start]
    prev = json.loads(lines[start - 1])["hash"] if start else GENESIS
    for raw in lines[start:]:
        obj = json.loads(raw)
        obj["prev"] = prev
        body = canonical({k: v for k, v in obj.items() if k != "hash"})
        obj["hash"] = prev = hashlib.sha256(body).hexdigest()
        out.append(canonical(obj) + b"\n")
    return out


async def test_block_turned_into_allow_and_rechained_with_sha256_is_named(tmp_path):
    """Regression: a plain SHA-256 chain let anyone who can write the file re-chain an edit."""
    path = tmp_path / "log.jsonl"
    log = AuditLog(path, SECRET)
    for i in range(5):
        await log.write(_record(i, action="block" if i == 2 else "allow"))
    lines = _lines(path)
    lines[2] = lines[2].replace(b'"action":"block"', b'"action":"allow"')
    path.write_bytes(b"".join(_sha256_chain(lines, 2)))
    res = verify(path, KEY)
    assert (res.ok, res.bad_line, res.count) == (False, 3, 2)
    assert "another key" in res.reason
    with pytest.raises(AuditError, match="does not verify under this key"):
        await log.write(_record(9))


@pytest.mark.parametrize("edit", ["prepended", "nested", "spaced", "escaped"])
async def test_a_line_whose_bytes_differ_from_what_was_maced_is_named(tmp_path, edit):
    """Regression (issue 19): the verifier MACed the parsed object, so a key put in front of a
    line (which json.loads drops for the later duplicate, but other readers show) verified."""
    path = tmp_path / "log.jsonl"
    log = AuditLog(path, SECRET)
    for i in range(4):
        await log.write(_record(i, action="block" if i == 1 else "allow"))
    lines = _lines(path)
    obj = json.loads(lines[1])
    lines[1] = {
        "prepended": b'{"action":"allow",' + lines[1][1:],
        "nested": lines[1].replace(b'"detail":{', b'"detail":{"n":99,'),
        "spaced": json.dumps(obj, sort_keys=True, ensure_ascii=False).encode() + b"\n",
        "escaped": canonical(obj).replace("日本語".encode(), b"\\u65e5\\u672c\\u8a9e") + b"\n",
    }[edit]
    assert json.loads(lines[1]) == obj  # what a parser sees is the record as written
    path.write_bytes(b"".join(lines))
    res = verify(path, KEY)
    assert (res.ok, res.bad_line, res.count) == (False, 2, 1), res
    assert ("duplicate key" in res.reason) if edit in ("prepended", "nested") else (
        "bytes" in res.reason)
    with pytest.raises(AuditError):  # nor does a writer chain onto such a line
        path.write_bytes(b"".join(lines[:2]))
        await log.write(_record(9))


# Written by the writer before the verifier compared bytes (the format did not change): logs from
# then verify as they are, no version field needed.
_OLD_LOG = (
    '{"action":"allow","actor":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","chain":"86bc467ee408410da516f1'
    'cf6349ad9d","channel":"C1","detail":{"n":0,"note":"日本語"},"hash":"2780e625047b655f2d2f059d'
    '0c14fcb218e607d1f017f46aa51054cad22145ee","image_sha256":["000000000000000000000000000000000'
    '0000000000000000000000000000000"],"kind":"verdict","model_versions":{"nudenet":"3.4"},"n":1,'
    '"platform":"slack","prev":"0000000000000000000000000000000000000000000000000000000000000000",'
    '"reasons":["clean"],"request_id":"req-0","scores":{"nsfw":0.0},"thread":"1.0","ts":170000000'
    '0.0}\n'
    '{"action":"block","actor":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","chain":"86bc467ee408410da516f1'
    'cf6349ad9d","channel":"C1","detail":{"n":1,"note":"日本語"},"hash":"b73998f45316b809b28968b4'
    '4f0ac932b4c9287afee7b5f7615b4b13721658b6","image_sha256":["000000000000000000000000000000000'
    '0000000000000000000000000000001"],"kind":"verdict","model_versions":{"nudenet":"3.4"},"n":2,'
    '"platform":"slack","prev":"2780e625047b655f2d2f059d0c14fcb218e607d1f017f46aa51054cad22145ee",'
    '"reasons":["clean"],"request_id":"req-1","scores":{"nsfw":0.01},"thread":"1.0","ts":17000000'
    '00.142857}\n')


async def test_a_log_written_before_the_byte_check_still_verifies_and_continues(tmp_path):
    path = tmp_path / "old.jsonl"
    path.write_text(_OLD_LOG, encoding="utf-8")
    assert verify(path, KEY) == VerifyResult(True, 2, chain="86bc467ee408410da516f1cf6349ad9d")
    await AuditLog(path, SECRET).write(_record(2))
    assert verify(path, KEY).count == 3


async def test_a_log_chained_under_another_key_does_not_verify(tmp_path):
    path = tmp_path / "log.jsonl"
    await _write_n(path, 2)
    assert verify(path, derive_chain_key(b"x" * 40)).bad_line == 1
    assert not verify(path, SECRET).ok  # the pseudonym secret itself is not the chain key
    assert verify(path, KEY).ok


async def test_deleted_record_is_named(tmp_path):
    path = tmp_path / "log.jsonl"
    await _write_n(path, 5)
    lines = _lines(path)
    del lines[1]
    path.write_bytes(b"".join(lines))
    res = verify(path, KEY)
    assert (res.ok, res.bad_line) == (False, 2)
    assert "chain" in res.reason


async def test_deleted_first_record_is_named(tmp_path):
    path = tmp_path / "log.jsonl"
    await _write_n(path, 3)
    path.write_bytes(b"".join(_lines(path)[1:]))
    assert verify(path, KEY).bad_line == 1


async def test_reordered_records_are_named(tmp_path):
    path = tmp_path / "log.jsonl"
    await _write_n(path, 5)
    lines = _lines(path)
    lines[3], lines[2] = lines[2], lines[3]
    path.write_bytes(b"".join(lines))
    assert verify(path, KEY).bad_line == 3


async def test_two_valid_files_joined_are_named(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    await _write_n(a, 2)
    await _write_n(b, 2)
    joined = tmp_path / "joined.jsonl"
    joined.write_bytes(a.read_bytes() + b.read_bytes())
    assert verify(joined, KEY).bad_line == 3


async def test_half_a_line_at_the_end_is_named(tmp_path):
    path = tmp_path / "log.jsonl"
    await _write_n(path, 3)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) - 20])
    res = verify(path, KEY)
    assert (res.ok, res.bad_line, res.count) == (False, 3, 2)
    assert "truncated" in res.reason
    with pytest.raises(AuditError, match="torn"):
        await AuditLog(path, SECRET).write(_record(9))


def test_missing_and_empty_files(tmp_path):
    assert not verify(tmp_path / "nope.jsonl", KEY).ok
    (tmp_path / "empty.jsonl").write_bytes(b"")
    assert verify(tmp_path / "empty.jsonl", KEY) == VerifyResult(True, 0)
    assert chain_of(tmp_path / "empty.jsonl") is None


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


def _child(path: str, start: int, n: int, redis_url: str | None, stream: str) -> None:
    async def go() -> None:
        redis = open_client(redis_url) if redis_url else None
        log = AuditLog(Path(path), SECRET, redis, stream=stream)
        for i in range(start, start + n):
            await log.write(_record(i))
        if redis is not None:
            await redis.aclose()

    asyncio.run(go())


async def _anchor(redis, chain: str) -> Anchor | None:
    return Anchor.parse(await redis.hgetall(keys.audit_head(chain)))


@pytest.mark.parametrize("with_redis", [False, True])
async def test_processes_appending_keep_one_valid_chain(tmp_path, redis, with_redis):
    path = tmp_path / "log.jsonl"
    stream = f"test:{{audit}}:{uuid.uuid4().hex}"
    ctx = multiprocessing.get_context("fork")
    url = REDIS_URL if with_redis else None
    procs = [ctx.Process(target=_child, args=(str(path), k * 1000, 100, url, stream))
             for k in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    lines = _lines(path)
    assert len({json.loads(x)["request_id"] for x in lines}) == 300
    anchor = await _anchor(redis, chain_of(path)) if with_redis else None
    res = verify(path, KEY, anchor)
    assert (res.ok, res.count) == (True, 300), res
    if with_redis:
        # the anchor never moved back, whatever order the writers mirrored in
        assert anchor == Anchor(300, json.loads(lines[-1])["hash"])
        assert res.head_checked and res.unanchored == 0
        assert await redis.xlen(stream) == 300
        await redis.delete(stream, keys.audit_head(chain_of(path)))


async def test_mirrored_to_a_redis_stream_with_its_head(tmp_path, redis):
    stream = f"test:{{audit}}:{uuid.uuid4().hex}"
    log = AuditLog(tmp_path / "log.jsonl", SECRET, redis, stream=stream)
    written = [await log.write(_record(i)) for i in range(3)]
    try:
        entries = await redis.xrange(stream)
        assert [json.loads(fields[b"line"]) for _, fields in entries] == written
        assert await _anchor(redis, written[0]["chain"]) == Anchor(3, written[-1]["hash"])
    finally:
        await redis.delete(stream, keys.audit_head(written[0]["chain"]))


async def test_a_late_mirror_never_moves_the_anchor_back(tmp_path, redis):
    """Writers append under the file lock but mirror after it: line 2's mirror may land after
    line 3's, and must not lower the anchor (a cut after line 2 would then go unseen)."""
    stream = f"test:{{audit}}:{uuid.uuid4().hex}"
    log = AuditLog(tmp_path / "log.jsonl", SECRET, redis, stream=stream)
    written = [await log.write(_record(i)) for i in range(3)]
    try:
        await log._mirror(written[1])  # the late mirror of an earlier line
        assert await _anchor(redis, written[0]["chain"]) == Anchor(3, written[2]["hash"])
    finally:
        await redis.delete(stream, keys.audit_head(written[0]["chain"]))


async def test_records_cut_off_the_end_are_reported_against_the_anchor(tmp_path, redis):
    """Regression: a file cut at a line boundary used to verify as a shorter valid chain."""
    path = tmp_path / "log.jsonl"
    stream = f"test:{{audit}}:{uuid.uuid4().hex}"
    log = AuditLog(path, SECRET, redis, stream=stream)
    for i in range(6):
        await log.write(_record(i))
    chain = chain_of(path)
    try:
        anchor = await _anchor(redis, chain)
        assert verify(path, KEY, anchor).head_checked
        path.write_bytes(b"".join(_lines(path)[:4]))
        assert verify(path, KEY).ok  # without the anchor the cut cannot be seen
        res = verify(path, KEY, anchor)
        assert (res.ok, res.count, res.bad_line) == (False, 4, 5)
        assert res.reason.startswith("truncated: 2 records missing at the end")
    finally:
        await redis.delete(stream, keys.audit_head(chain))


async def test_anchor_behind_the_file_is_reported_not_failed(tmp_path, redis):
    path = tmp_path / "log.jsonl"
    written = await _write_n(path, 3)  # written while Redis was away: no anchor moved
    res = verify(path, KEY, Anchor(2, written[1]["hash"]))
    assert (res.ok, res.head_checked, res.unanchored) == (True, True, 1)
    bad = verify(path, KEY, Anchor(2, "f" * 64))
    assert (bad.ok, bad.bad_line) == (False, 2) and "anchor" in bad.reason


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
