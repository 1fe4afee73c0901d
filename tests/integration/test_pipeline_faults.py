"""Faults inside a request end in a reply and an audit record, never a raise or a re-run.

Real ingest, real gates (NudeNet, open_nsfw), in-memory stores; the faults are injected through
``build_app``'s keyword parts or a conversation whose platform refuses posts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.app import build_app
from bot.cli.local import LocalConversation, cli_message
from bot.errors import AuditError, DeliveryFailed
from bot.models import Reply, ReplyKind, Status
from tests.fakes import CountingEngine


def _kinds(settings) -> list[str]:
    path = settings.audit_path
    return [json.loads(x)["kind"] for x in path.read_text().splitlines()] if path.exists() else []


@dataclass
class RefusingConversation(LocalConversation):
    """A platform that refuses the first ``refusals`` posts (retryable or not)."""

    refusals: int = 1
    retryable: bool = False
    attempts: list[Reply] = field(default_factory=list)

    async def reply(self, reply: Reply) -> None:
        self.attempts.append(reply)
        if len(self.attempts) <= self.refusals:
            raise DeliveryFailed("msg_too_long", retryable=self.retryable)
        await super().reply(reply)


def _conv(tmp_path: Path, data: bytes, text: str = "what is it?", cls=LocalConversation, **kw):
    path = tmp_path / "c.jpg"
    path.write_bytes(data)
    return cls(cli_message([path], text, thread="t-faults"), **kw)


@pytest.fixture
def settings(make_settings):
    return make_settings('[defaults]\nconsent = "off"\n')


async def test_a_refused_answer_is_not_remembered_and_the_user_is_told(
        settings, counting_engine, coffee_jpeg, tmp_path):
    app = build_app(settings, memory_only=True, engine=counting_engine)
    conv = _conv(tmp_path, coffee_jpeg, cls=RefusingConversation, refusals=1, retryable=False)
    try:
        out = await app.pipeline.handle(conv)
        state = await app.memory.load(conv.message.thread_key)
    finally:
        await app.close()
    assert len(counting_engine.requests) == 1
    assert [r.kind for r in conv.attempts] == [ReplyKind.ANSWER, ReplyKind.ERROR]
    assert conv.replies[0].kind is ReplyKind.ERROR  # the notice got through
    assert state.turns == () and state.image_ids == ()  # nothing remembered of an unseen answer
    assert not out.delivered
    assert "delivery_failed" in _kinds(settings)


async def test_a_retryable_refusal_is_tried_again_then_remembered(
        settings, counting_engine, coffee_jpeg, tmp_path):
    app = build_app(settings, memory_only=True, engine=counting_engine)
    app.services.delivery_wait_s = 0.01
    conv = _conv(tmp_path, coffee_jpeg, cls=RefusingConversation, refusals=2, retryable=True)
    try:
        out = await app.pipeline.handle(conv)
        state = await app.memory.load(conv.message.thread_key)
    finally:
        await app.close()
    assert out.delivered and [r.kind for r in conv.attempts] == [ReplyKind.ANSWER] * 3
    assert len(counting_engine.requests) == 1
    assert len(state.turns) == 2 and len(state.image_ids) == 1


async def test_a_bug_anywhere_ends_in_an_error_reply_and_a_record(
        settings, coffee_jpeg, tmp_path):
    engine = CountingEngine(fail=RuntimeError("a bug in an engine"))
    app = build_app(settings, memory_only=True, engine=engine)
    conv = _conv(tmp_path, coffee_jpeg)
    try:
        out = await app.pipeline.handle(conv)
    finally:
        await app.close()
    assert out.reply.kind is ReplyKind.ERROR and Status.FAILED in conv.statuses
    lines = [json.loads(x) for x in settings.audit_path.read_text().splitlines()]
    assert lines[-1]["kind"] == "error"
    assert lines[-1]["detail"]["code"] == "internal:RuntimeError"


async def test_an_audit_failure_in_the_error_path_still_replies(
        settings, counting_engine, coffee_jpeg, tmp_path):
    app = build_app(settings, memory_only=True, engine=counting_engine)

    async def broken_write(record):
        raise AuditError("disk full")

    app.services.audit.write = broken_write  # the log's disk is gone
    conv = _conv(tmp_path, coffee_jpeg)
    try:
        out = await app.pipeline.handle(conv)
    finally:
        await app.close()
    # the verdict could not be recorded, so no model saw the image: fail closed, but answer
    assert counting_engine.requests == []
    assert out.reply.kind is ReplyKind.ERROR and len(conv.replies) == 1


async def test_a_failed_quarantine_write_keeps_the_block(
        make_settings, counting_engine, coffee_jpeg, tmp_path):
    import hashlib

    listed = tmp_path / "known.sha256"
    listed.write_text(hashlib.sha256(coffee_jpeg).hexdigest() + "\n")
    settings = make_settings(f'[hash_lists]\nsha256_files = ["{listed}"]\n')
    app = build_app(settings, memory_only=True, engine=counting_engine)

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    app.services.quarantine.put = full_disk
    conv = _conv(tmp_path, coffee_jpeg)
    try:
        out = await app.pipeline.handle(conv)
    finally:
        await app.close()
    assert out.reply.kind is ReplyKind.BLOCKED and counting_engine.requests == []
    assert "preserve_failed" not in out.reply.text


async def test_files_past_the_per_message_cap_are_skipped_with_a_note(
        make_settings, counting_engine, coffee_jpeg, tmp_path):
    settings = make_settings('[defaults]\nconsent = "off"\n', max_files=2)
    paths = []
    for n in range(3):
        p = tmp_path / f"c{n}.jpg"
        p.write_bytes(coffee_jpeg)
        paths.append(p)
    app = build_app(settings, memory_only=True, engine=counting_engine)
    try:
        out = await app.pipeline.handle(LocalConversation(cli_message(paths, "?")))
    finally:
        await app.close()
    assert [r.code for r in out.rejections] == ["too_many_files"]
    assert "c2.jpg" in out.rejections[0].message
    assert len(counting_engine.requests[0].images) == 2


async def test_an_over_long_answer_is_cut_with_a_note(settings, coffee_jpeg, tmp_path):
    engine = CountingEngine(lambda _request: "word " * 50_000)
    app = build_app(settings, memory_only=True, engine=engine)
    conv = _conv(tmp_path, coffee_jpeg)
    try:
        out = await app.pipeline.handle(conv)
    finally:
        await app.close()
    limit = settings.max_answer_chars
    assert out.reply.kind is ReplyKind.ANSWER
    assert len(out.reply.text) < limit + 1000
    assert "cut short" in out.reply.text


async def test_a_dropped_job_tells_the_user_once(
        settings, counting_engine, coffee_jpeg, tmp_path):
    app = build_app(settings, memory_only=True, engine=counting_engine)
    answered = _conv(tmp_path, coffee_jpeg)
    dropped = LocalConversation(cli_message([], "?", thread="t-dropped"))
    try:
        await app.pipeline.handle(answered)
        await app.pipeline.give_up(answered, None)  # already answered: no second reply
        await app.pipeline.give_up(dropped, RuntimeError("worker died"))
    finally:
        await app.close()
    assert [r.kind for r in answered.replies] == [ReplyKind.ANSWER]
    assert [r.kind for r in dropped.replies] == [ReplyKind.ERROR]
    codes = [json.loads(x)["detail"].get("code") for x in
             settings.audit_path.read_text().splitlines()]
    assert "job_dropped:RuntimeError" in codes and "job_dropped:workers_died" in codes
