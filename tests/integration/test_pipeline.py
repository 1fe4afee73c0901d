"""The one path end to end: real ingest, real gates, in-memory stores, a counting engine."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from PIL import Image as PILImage

from bot.app import build_app
from bot.cli.local import LocalConversation, cli_message
from bot.models import ReplyKind, Status
from safety.types import Action


def _conv(tmp_path: Path, files: dict[str, bytes], text: str, **kw) -> LocalConversation:
    paths = []
    for name, data in files.items():
        p = tmp_path / name
        p.write_bytes(data)
        paths.append(p)
    return LocalConversation(cli_message(paths, text, **kw))


def _audit_kinds(settings) -> list[str]:
    lines = settings.audit_path.read_text().splitlines()
    return [json.loads(line)["kind"] for line in lines]


@pytest.fixture
def consent_off_policy() -> str:
    return '[defaults]\nconsent = "off"\n'


async def test_allowed_photo_reaches_engine_without_metadata(
        make_settings, counting_engine, coffee_jpeg, tmp_path, consent_off_policy):
    settings = make_settings(consent_off_policy)
    app = build_app(settings, memory_only=True, engine=counting_engine)
    try:
        out = await app.pipeline.handle(_conv(tmp_path, {"coffee.jpg": coffee_jpeg}, "what is it?"))
    finally:
        await app.close()
    assert out.verdict is not None and out.verdict.action is Action.ALLOW
    assert out.reply is not None and out.reply.kind is ReplyKind.ANSWER
    assert len(counting_engine.requests) == 1
    sent = counting_engine.requests[0].images[0]
    img = PILImage.open(io.BytesIO(sent.data))
    assert "exif" not in img.info and "icc_profile" not in img.info
    assert sent.sha256 == hashlib.sha256(sent.data).hexdigest()
    assert _audit_kinds(settings) == ["verdict", "answer"]


async def test_hash_listed_image_never_reaches_engine(
        make_settings, counting_engine, coffee_jpeg, tmp_path):
    listed = tmp_path / "known.sha256"
    listed.write_text(hashlib.sha256(coffee_jpeg).hexdigest() + "\n")
    settings = make_settings(f'[hash_lists]\nsha256_files = ["{listed}"]\n')
    app = build_app(settings, memory_only=True, engine=counting_engine)
    conv = _conv(tmp_path, {"c.jpg": coffee_jpeg}, "hi")
    try:
        out = await app.pipeline.handle(conv)
    finally:
        await app.close()
    assert out.verdict.action is Action.BLOCK_AND_PRESERVE
    assert counting_engine.requests == []
    assert out.reply.kind is ReplyKind.BLOCKED
    assert Status.BLOCKED in conv.statuses
    # evidence is kept, and encrypted: the original bytes are nowhere in the quarantine folder
    stored = [p.read_bytes() for p in (settings.data_dir / "quarantine").rglob("*") if p.is_file()]
    assert stored and all(coffee_jpeg[:64] not in blob for blob in stored)


async def test_consent_required_waits_for_the_uploader(
        make_settings, counting_engine, astronaut_jpeg, tmp_path):
    settings = make_settings('[defaults]\nconsent = "require"\n')
    app = build_app(settings, memory_only=True, engine=counting_engine)
    try:
        conv = _conv(tmp_path, {"a.jpg": astronaut_jpeg}, "describe")
        out = await app.pipeline.handle(conv)
        assert out.verdict.action is Action.CONFIRM
        assert out.reply.kind is ReplyKind.CONSENT and out.reply.ephemeral_to == "cli-user"
        assert counting_engine.requests == []
        # someone else cannot confirm for the uploader
        assert await app.account.confirm_consent(out.request_id, "other", confirmed=True) is None
        again = await app.account.confirm_consent(out.request_id, "cli-user", confirmed=True)
        assert again is not None and again.consent_confirmed
        out2 = await app.pipeline.handle(LocalConversation(again))
    finally:
        await app.close()
    assert out2.verdict.action is Action.ALLOW
    assert len(counting_engine.requests) == 1
    assert "consent" in _audit_kinds(settings)


async def test_follow_up_without_image_keeps_the_thread(
        make_settings, counting_engine, coffee_jpeg, tmp_path, consent_off_policy):
    settings = make_settings(consent_off_policy)
    app = build_app(settings, memory_only=True, engine=counting_engine)
    try:
        await app.pipeline.handle(_conv(tmp_path, {"c.jpg": coffee_jpeg}, "first", thread="t1"))
        out = await app.pipeline.handle(_conv(tmp_path, {}, "and now?", thread="t1"))
    finally:
        await app.close()
    assert out.reply.kind is ReplyKind.ANSWER
    second = counting_engine.requests[1]
    assert len(second.images) == 1  # the image from the first turn, from memory
    assert [t.text for t in second.history] == ["first", "saw 1 image(s); asked: first"]


async def test_bad_file_is_reported_and_good_one_still_answered(
        make_settings, counting_engine, coffee_jpeg, tmp_path, consent_off_policy):
    settings = make_settings(consent_off_policy)
    app = build_app(settings, memory_only=True, engine=counting_engine)
    try:
        out = await app.pipeline.handle(_conv(
            tmp_path, {"notes.jpg": b"just some text, not an image", "c.jpg": coffee_jpeg}, "?"))
    finally:
        await app.close()
    assert [r.name for r in out.rejections] == ["notes.jpg"]
    assert out.reply.kind is ReplyKind.ANSWER
    assert len(counting_engine.requests[0].images) == 1


async def test_only_bad_files_gives_a_clear_rejection(make_settings, counting_engine, tmp_path):
    app = build_app(make_settings(), memory_only=True, engine=counting_engine)
    try:
        out = await app.pipeline.handle(_conv(tmp_path, {"empty.png": b""}, "?"))
    finally:
        await app.close()
    assert out.reply.kind is ReplyKind.REJECTED
    assert "empty.png" in out.reply.text
    assert counting_engine.requests == []


async def test_same_request_answers_once(
        make_settings, counting_engine, coffee_jpeg, tmp_path, consent_off_policy):
    app = build_app(make_settings(consent_off_policy), memory_only=True, engine=counting_engine)
    conv = _conv(tmp_path, {"c.jpg": coffee_jpeg}, "?")
    try:
        await app.pipeline.handle(conv)
        await app.pipeline.handle(conv)  # a re-delivered job for the same message
    finally:
        await app.close()
    assert len(conv.replies) == 1


async def test_japanese_question_gets_japanese_messages(
        make_settings, counting_engine, tmp_path):
    app = build_app(make_settings(), memory_only=True, engine=counting_engine)
    try:
        out = await app.pipeline.handle(_conv(tmp_path, {}, "この看板は何と書いてありますか？"))
    finally:
        await app.close()
    assert out.language == "ja"
    assert out.reply.kind is ReplyKind.INFO and "画像" in out.reply.text


async def test_thread_memory_keeps_what_the_policy_retention_says(make_settings, counting_engine):
    settings = make_settings("[retention]\nturns_days = 2\nimages_days = 0.5\n")
    app = build_app(settings, engine=counting_engine)  # Redis-backed, as the bot runs
    try:
        assert (app.memory.turn_ttl_s, app.memory.image_ttl_s) == (2 * 86400, 43200)
    finally:
        await app.close()


async def test_submitted_job_waits_for_a_worker_that_starts_later(make_settings, counting_engine):
    import uuid

    from bot import keys
    from bot.jobs.queue import JobQueue

    app = build_app(make_settings(), engine=counting_engine)
    base = f"miru:test-jobs:{{{uuid.uuid4().hex}}}"
    app.queue = JobQueue(app.redis, base=base, group=keys.JOB_GROUP, consumer="w1")
    try:
        msg = cli_message([], "queued before any worker", thread="late")
        assert (await app.submit(msg)).status == "accepted"
        worker = app.queue.serving([msg.platform])
        await worker.ensure_group()  # what a worker does when it starts
        jobs = await worker.take(block_ms=100)
        assert [j.message.text for j in jobs] == ["queued before any worker"]
    finally:
        await app.redis.delete(keys.job_stream(msg.platform, base), keys.job_platforms(base))
        await app.close()


async def test_the_plans_largest_image_is_enforced_per_workspace(
        make_settings, counting_engine, coffee_jpeg, tmp_path, consent_off_policy):
    """A tier's ``max_image_mb`` caps the fetch below the global limit: the same photo is
    refused as too large on the small plan and answered on the default one."""
    from dataclasses import replace

    size_mb = len(coffee_jpeg) / (1024 * 1024)
    settings = make_settings(
        consent_off_policy
        + f"[tiers.default]\n[tiers.small]\nmax_image_mb = {size_mb / 2:.6f}\n"
        + '[plans]\ndefault = "default"\n[plans.workspaces]\nTSMALL = "small"\n')
    app = build_app(settings, memory_only=True, engine=counting_engine)
    try:
        small = _conv(tmp_path, {"c.jpg": coffee_jpeg}, "what is it?")
        small.message = replace(small.message, workspace="TSMALL")
        refused = await app.pipeline.handle(small)
        answered = await app.pipeline.handle(_conv(tmp_path, {"c.jpg": coffee_jpeg}, "what?"))
    finally:
        await app.close()
    assert [r.code for r in refused.rejections] == ["too_large"]
    assert refused.decoded == [] and len(counting_engine.requests) == 1
    assert answered.verdict is not None and answered.verdict.action is Action.ALLOW
