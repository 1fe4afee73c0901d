"""The shared quarantine and the review queue on a real Redis: evidence never in plaintext,
retention as TTL (legal hold longer), key rotation, one decision per case, approve continues
the request, appeal once, purge. Held verdicts are forced by a screener whose gate fails
(``tests.fakes.FakeScreener``: the policy holds it); preserved ones by a hash list of a benign
photo."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from redis.asyncio import Redis

from bot import keys
from bot.app import build_app
from bot.cli.local import LocalConversation, cli_message
from bot.errors import QuarantineError
from bot.evidence.vault import RedisQuarantine
from bot.models import ReplyKind
from bot.review.model import CaseStatus, Decision
from bot.review.service import Actor, ReviewRefused, blurred_preview
from config.policy import Retention
from safety.types import Action
from tests.conftest import REDIS_URL, redis_client
from tests.fakes import FakeScreener, ReviewPlatform

# Runs again in the cluster pass (make test): multi-key commands, scripts and transactions.
pytestmark = pytest.mark.redis

DAY = 24 * 3600


async def _clear(r: Redis) -> None:
    """Cases, evidence and any thread's stored images: the no-plaintext checks scan the whole
    database, and an earlier module's stored copy of the same sample photo is not this one's."""
    for pattern in ("miru:review:*", "miru:quarantine:*", "miru:thread:*"):
        async for key in r.scan_iter(match=pattern, count=500):
            await r.delete(key)


@pytest.fixture
async def redis():
    client = redis_client()
    await _clear(client)
    yield client
    await _clear(client)
    await client.aclose()


async def _all_values(r: Redis) -> list[bytes]:
    out = []
    async for key in r.scan_iter(count=1000):
        kind = (await r.type(key)).decode()
        if kind == "string":
            out.append(await r.get(key) or b"")
        elif kind == "hash":
            out.extend((await r.hgetall(key)).values())
        elif kind == "stream":
            for _, fields in await r.xrange(key):
                out.extend(fields.values())
    return out


def _chunks(data: bytes) -> list[bytes]:
    """Slices of the image that any plaintext copy would contain."""
    return [data[i:i + 48] for i in range(0, len(data) - 48, max(1, len(data) // 7))]


def assert_no_plaintext(blobs: list[bytes], images: list[bytes]) -> None:
    for image in images:
        for chunk in _chunks(image):
            for blob in blobs:
                assert chunk not in blob


# -- the shared quarantine ------------------------------------------------------------------

async def test_evidence_is_encrypted_and_expires_with_the_retention(redis, coffee_jpeg):
    q = RedisQuarantine(redis, Fernet.generate_key(), retention=Retention(quarantine_days=2))
    await q.put("c1.0", coffee_jpeg, {"channel": "C-secret"})
    assert await q.get("c1.0") == coffee_jpeg
    assert (await q.meta("c1.0"))["meta"] == {"channel": "C-secret"}
    values = await _all_values(redis)
    assert_no_plaintext(values, [coffee_jpeg])
    assert not any(b"C-secret" in v for v in values)
    ttl = await redis.ttl("miru:quarantine:{c1.0}:blob")
    assert 2 * DAY - 60 < ttl <= 2 * DAY
    await q.set_legal_hold("c1.0")
    assert await redis.ttl("miru:quarantine:{c1.0}:blob") > 300 * DAY
    with pytest.raises(QuarantineError, match="bad evidence id"):
        await q.put("../etc", b"x")


async def test_keys_rotate_and_a_wrong_key_reads_nothing(redis, coffee_jpeg):
    old, new = Fernet.generate_key(), Fernet.generate_key()
    await RedisQuarantine(redis, old).put("c2.0", coffee_jpeg)
    with pytest.raises(QuarantineError, match="another key"):
        await RedisQuarantine(redis, new).get("c2.0")
    both = RedisQuarantine(redis, new + b"," + old)
    assert await both.get("c2.0") == coffee_jpeg
    assert await both.rotate() == 1
    assert await RedisQuarantine(redis, new).get("c2.0") == coffee_jpeg
    with pytest.raises(QuarantineError):
        await RedisQuarantine(redis, old).get("c2.0")
    with pytest.raises(QuarantineError, match="not a valid Fernet key"):
        RedisQuarantine(redis, b"not-a-key")


async def test_sweep_forgets_expired_and_keeps_legal_hold(redis, coffee_jpeg):
    q = RedisQuarantine(redis, Fernet.generate_key(),
                        retention=Retention(quarantine_days=1, legal_hold_days=10))
    for eid in ("old.0", "held.0", "new.0"):
        await q.put(eid, coffee_jpeg)
    await q.set_legal_hold("held.0")
    await redis.delete("miru:quarantine:{gone.0}:blob")
    await redis.zadd("miru:quarantine:index", {"gone.0": 1.0})  # its keys expired already
    result = await q.sweep(now=__import__("time").time() + 2 * DAY)
    assert (result.removed, result.kept) == (3, 1)  # old, new (past 1 day), gone; held kept
    assert await q.get("held.0") == coffee_jpeg
    with pytest.raises(QuarantineError, match="expired or purged"):
        await q.get("old.0")


# -- the pipeline opens cases ---------------------------------------------------------------

def _conv(tmp_path: Path, data: bytes, text: str = "what is this?") -> LocalConversation:
    p = tmp_path / "photo.jpg"
    p.write_bytes(data)
    return LocalConversation(cli_message([p], text))


async def _held_case(make_settings, counting_engine, coffee_jpeg, tmp_path, redis):
    settings = make_settings('[defaults]\nconsent = "off"\n')
    app = build_app(settings, memory_only=True, engine=counting_engine,
                    screener=FakeScreener().fails(), review_redis=redis)
    conv = _conv(tmp_path, coffee_jpeg)
    out = await app.pipeline.handle(conv)
    return settings, app, conv, out


async def test_a_held_upload_opens_a_pending_case(
        make_settings, counting_engine, coffee_jpeg, tmp_path, redis):
    settings, app, _, out = await _held_case(make_settings, counting_engine, coffee_jpeg,
                                             tmp_path, redis)
    await app.close()
    assert out.reply.kind is ReplyKind.HELD and counting_engine.requests == []
    [case] = await app.services.review.store.list()
    assert case.status is CaseStatus.PENDING and case.action == "hold"
    assert case.reasons == ("gate_error",) and case.id in out.reply.text
    # the command line has exited by the time anyone decides: it promises no notice
    assert "I'll tell you" not in out.reply.text and f"miru review show {case.id}" in out.reply.text
    assert case.images == (hashlib.sha256(coffee_jpeg).hexdigest(),)
    assert await app.services.review.quarantine.get(case.evidence[0]) == coffee_jpeg
    # nothing readable at rest: not in Redis, not in the data folder
    assert_no_plaintext(await _all_values(redis), [coffee_jpeg])
    files = [p.read_bytes() for p in settings.data_dir.rglob("*") if p.is_file()]
    assert_no_plaintext(files, [coffee_jpeg])
    kinds = [json.loads(line)["kind"] for line in settings.audit_path.read_text().splitlines()]
    assert kinds == ["verdict", "review_opened"]


async def test_a_preserved_upload_has_a_case_and_no_preview(
        make_settings, counting_engine, coffee_jpeg, tmp_path, redis):
    listed = tmp_path / "known.sha256"
    listed.write_text(hashlib.sha256(coffee_jpeg).hexdigest() + "\n")
    settings = make_settings(f'[hash_lists]\nsha256_files = ["{listed}"]\n')
    app = build_app(settings, memory_only=True, engine=counting_engine, review_redis=redis)
    out = await app.pipeline.handle(_conv(tmp_path, coffee_jpeg))
    await app.close()
    assert out.verdict.action is Action.BLOCK_AND_PRESERVE
    [case] = await app.services.review.store.list()
    assert case.id not in out.reply.text  # the case id is the moderators' business
    review = app.services.review
    assert await review.previews(case) == []
    with pytest.raises(ReviewRefused, match="preserved"):
        await review.reveal(case.id, Actor("slack", "UMOD"))


async def test_blurred_preview_keeps_no_detail(coffee_jpeg, chelsea_jpeg):
    import io

    import numpy as np
    from PIL import Image

    preview = blurred_preview(coffee_jpeg)
    assert preview is not None and preview != coffee_jpeg
    arr = np.asarray(Image.open(io.BytesIO(preview)).convert("L"), dtype=float)
    # neighbouring pixels barely differ: edges and text are gone
    assert np.abs(np.diff(arr, axis=1)).mean() < 1.5
    assert blurred_preview(b"not an image") is None


async def test_two_simultaneous_approvals_make_one_decision(
        make_settings, counting_engine, coffee_jpeg, tmp_path, redis):
    _, app, _, _ = await _held_case(make_settings, counting_engine, coffee_jpeg, tmp_path, redis)
    await app.close()
    review = app.services.review
    [case] = await review.store.list()
    results = await asyncio.gather(*[
        review.decide(case.id, Decision.APPROVE, Actor("slack", f"U{n}")) for n in range(8)])
    assert sorted(r.outcome for r in results) == ["decided"] * 7 + ["ok"]
    assert (await review.store.get(case.id)).status is CaseStatus.APPROVED
    late = await review.decide(case.id, Decision.REJECT, Actor("slack", "U9"))
    assert late.outcome == "decided" and late.case.status is CaseStatus.APPROVED
    gone = await review.decide("cnosuchcase", Decision.APPROVE, Actor("slack", "U1"))
    assert gone.outcome == "gone"


async def test_approve_continues_the_original_request(
        make_settings, counting_engine, coffee_jpeg, tmp_path, redis):
    _, app, conv, _ = await _held_case(make_settings, counting_engine, coffee_jpeg,
                                       tmp_path, redis)
    review = app.services.review
    [case] = await review.store.list()
    again = review.continued(case)
    assert again.review_case == case.id and again.event_id != conv.message.event_id
    # before the decision, the marked request is still held
    early = replace(again, event_id=again.event_id + ":early")
    out = await app.pipeline.handle(LocalConversation(early))
    assert out.reply.kind is ReplyKind.HELD and counting_engine.requests == []
    await review.decide(case.id, Decision.APPROVE, Actor("cli", "alice"))
    out = await app.pipeline.handle(LocalConversation(again))
    assert out.reply.kind is ReplyKind.ANSWER and len(counting_engine.requests) == 1
    assert "review_approved" in out.verdict.reasons
    # another image under the same case id is not let through
    other = replace(again, event_id="x", images=(again.images[0],))
    p = tmp_path / "other.jpg"
    p.write_bytes(coffee_jpeg[:-200] + b"\x00" * 10 + coffee_jpeg[-200:])
    other = replace(other, images=(replace(other.images[0], path=str(p)),))
    out = await app.pipeline.handle(LocalConversation(other))
    assert out.reply.kind in (ReplyKind.HELD, ReplyKind.REJECTED)
    assert len(counting_engine.requests) == 1
    await app.close()


async def test_escalate_sets_legal_hold_and_appeal_works_once(
        make_settings, counting_engine, coffee_jpeg, tmp_path, redis):
    _, app, conv, _ = await _held_case(make_settings, counting_engine, coffee_jpeg, tmp_path,
                                       redis)
    await app.close()
    review = app.services.review
    [case] = await review.store.list()
    assert (await review.decide(case.id, Decision.REJECT, Actor("slack", "UMOD"))).outcome == "ok"
    uploader = Actor(conv.message.platform, conv.message.user)
    here = conv.message.workspace
    assert await review.appeal(case.id, Actor("slack", "someone-else"),
                               workspace=here) == "not_yours"
    assert await review.appeal(case.id, uploader, workspace=here) == "ok"
    assert (await review.store.get(case.id)).status is CaseStatus.PENDING
    assert (await review.decide(case.id, Decision.REJECT, Actor("slack", "UMOD"))).outcome == "ok"
    assert await review.appeal(case.id, uploader, workspace=here) == "already"
    # a second held case, escalated: kept for the legal-hold retention
    _, app2, _, _ = await _held_case(make_settings, counting_engine, coffee_jpeg,
                                     tmp_path, redis)
    await app2.close()
    second = next(c for c in await review.store.list() if c.id != case.id)
    await review.decide(second.id, Decision.ESCALATE, Actor("slack", "UMOD"))
    got = await review.store.get(second.id)
    assert got.status is CaseStatus.ESCALATED and got.legal_hold
    assert await redis.ttl(f"miru:review:{{{second.id}}}:case") > 300 * DAY
    assert await redis.ttl(f"miru:quarantine:{{{second.evidence[0]}}}:blob") > 300 * DAY


async def test_purge_removes_expired_keeps_legal_hold_and_the_log_verifies(
        make_settings, counting_engine, coffee_jpeg, tmp_path, redis):
    settings, app, _, _ = await _held_case(make_settings, counting_engine, coffee_jpeg,
                                           tmp_path, redis)
    await _held_case(make_settings, counting_engine, coffee_jpeg, tmp_path, redis)
    await app.close()
    review = app.services.review
    first, second = await review.store.list()
    await review.decide(second.id, Decision.ESCALATE, Actor("cli", "bob"))
    import time

    result = await review.purge(Actor("cli", "ops"), now=time.time() + 31 * DAY)
    assert (result.removed, result.kept) == (1, 1)
    assert await review.store.get(first.id) is None
    with pytest.raises(QuarantineError):
        await review.quarantine.get(first.evidence[0])
    assert await review.quarantine.get(second.evidence[0]) == coffee_jpeg
    env = {"MIRU_DATA_DIR": str(settings.data_dir), "MIRU_AUDIT_PATH": str(settings.audit_path),
           "MIRU_AUDIT_SECRET": settings.audit_secret.get_secret_value(),
           "MIRU_REDIS_URL": REDIS_URL, "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", "bot", "audit", "verify"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("ok ")


async def test_a_reveal_is_cleaned_and_its_copy_is_deleted_when_the_case_is_purged(
        make_settings, counting_engine, coffee_jpeg, tmp_path, redis):
    """Reveal gives the image without metadata (never the original bytes); its tracked copy
    is deleted by a worker when the case's time is up (the purge), and that is audited."""
    from bot.review.reveals import RevealPost

    with_exif = coffee_jpeg[:2] + b"\xff\xe1\x00\x10Exif\x00\x00SECRETGPS" + coffee_jpeg[2:]
    settings, app, _, _ = await _held_case(make_settings, counting_engine, with_exif,
                                           tmp_path, redis)
    review = app.services.review
    poster = ReviewPlatform("cli")
    app.adapters.add(poster)
    try:
        [case] = await review.store.list()
        [copy] = await review.reveal(case.id, Actor("cli", "mod"))
        assert copy != with_exif and b"SECRETGPS" not in copy and copy[:3] == b"\xff\xd8\xff"
        await review.revealed(case.id, RevealPost("cli", "D1", ("F1", "F2")))
        # a tested limit: past 20 copies out at once, Reveal is refused (and audited)
        for n in range(keys.REVEALS_PER_CASE_MAX - 1):
            await review.revealed(case.id, RevealPost("cli", "D1", (f"G{n}",)))
        with pytest.raises(ReviewRefused, match="limit"):
            await review.reveal(case.id, Actor("cli", "mod"))
        import time

        await redis.delete("miru:review:notices:cli")
        await review.purge(Actor("cli", "ops"), now=time.time() + 31 * DAY)
        assert await review.store.get(case.id) is None
        assert await app.notices.handle_one()
        assert sorted(poster.deleted) == sorted(
            [("F1", "F2"), *((f"G{n}",) for n in range(keys.REVEALS_PER_CASE_MAX - 1))])
        assert not await redis.exists(f"miru:review:{{{case.id}}}:reveals")
        assert case.id.encode() not in await redis.smembers("miru:review:reveals")
    finally:
        await redis.delete("miru:review:notices:cli")
        await app.close()
    kinds = [json.loads(x) for x in settings.audit_path.read_text().splitlines()]
    [withdrawn] = [r for r in kinds if r["kind"] == "review_reveal_withdrawn"]
    assert withdrawn["detail"] == {"case": case.id, "deleted": keys.REVEALS_PER_CASE_MAX,
                                   "failed": 0}
    assert "review_reveal" in [r["kind"] for r in kinds]


async def test_the_workers_hourly_purge_sweeps_the_review_queue(
        make_settings, counting_engine, coffee_jpeg, tmp_path, redis):
    from bot.jobs.housekeeping import purge_loop

    settings = make_settings('[defaults]\nconsent = "off"\n'
                             '[retention]\nquarantine_days = 0.00002\n')
    app = build_app(settings, memory_only=True, engine=counting_engine,
                    screener=FakeScreener().fails(), review_redis=redis)
    await app.pipeline.handle(_conv(tmp_path, coffee_jpeg))  # kept for about 1.7 s
    await app.close()
    review = app.services.review
    [case] = await review.store.list()
    await asyncio.sleep(2.5)
    stop = asyncio.Event()
    loop = asyncio.create_task(purge_loop(app.services.quarantine, stop, interval_s=60,
                                          review=review))
    deadline = asyncio.get_running_loop().time() + 20
    while "review_purge" not in settings.audit_path.read_text():
        assert asyncio.get_running_loop().time() < deadline, "no purge ran"
        await asyncio.sleep(0.05)
    stop.set()
    await loop
    assert await review.store.get(case.id) is None and await review.store.ids() == []
    assert await redis.zcard("miru:quarantine:index") == 0
