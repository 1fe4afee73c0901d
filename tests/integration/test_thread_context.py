"""Age cues from the thread's context and from the text in images (issue 20.2), read once per
request off the event loop, stored images capped per request and counted against the quota
(issue 19.2), and the signals' sources on review cases (issue 20.5).

The real ``Screener`` with a detector whose findings are given per image (no explicit imagery:
a benign photo is *scored* as a weak sexual signal, which is allowed on its own), real Redis,
real Tesseract where an image's text is read.
"""

from __future__ import annotations

import io
import json
import threading

import numpy as np
import pytest
from PIL import Image as PILImage

import safety.context
from bot import keys
from bot.app import build_app
from bot.models import ReplyKind
from bot.review.signals import signal_lines
from config.policy import load_policy
from handlers.slack_review import card_blocks
from safety.context import text_parts
from safety.types import Action
from tests.conftest import sync_redis_client
from tests.integration.test_rescreen import WEAK_SIGNAL, Thread, _kinds, _sha, screener
from tests.render import image_bytes, sign


@pytest.fixture
def off(make_settings):
    return make_settings('[defaults]\nconsent = "off"\n')


def _cue_sources(verdict) -> set[tuple[str, str | None]]:
    return {(f.label, f.source) for f in verdict.findings if f.code == "minor_cue"}


async def _case(app, out):
    cases = [c for c in await app.services.review.store.list(None, limit=1000)
             if c.request_id == out.request_id]
    assert len(cases) == 1
    return cases[0]


async def test_a_minor_named_in_a_text_only_message_stops_the_image_that_follows(
        off, counting_engine, coffee_jpeg, tmp_path):
    """"this is my 14 year old daughter" in one message, an image with "rate her" in the next:
    the image is decided with the earlier message, and the case says where the cue came from."""
    app = build_app(off, engine=counting_engine,
                    screener=screener(load_policy(off.policy_file),
                                      {_sha(coffee_jpeg): WEAK_SIGNAL}))
    thread = Thread(tmp_path)
    try:
        first = await app.pipeline.handle(thread.conv("this is my 14 year old daughter"))
        assert first.reply.kind is ReplyKind.INFO
        out = await app.pipeline.handle(thread.conv("rate her", {"c.jpg": coffee_jpeg}))
        case = await _case(app, out)
    finally:
        await app.memory.forget_thread(thread.conv("").message.thread_key)
        await app.close()
    assert out.verdict.action is Action.BLOCK_AND_PRESERVE, out.verdict.reasons
    assert ("age:14", "turn") in _cue_sources(out.verdict)
    assert counting_engine.requests == []
    assert [(s.code, s.source, s.label) for s in case.signals] == [
        ("minor_cue", "turn", "age:14")]
    card = json.dumps(card_blocks(case), ensure_ascii=False)
    assert "an earlier turn" in card and "daughter" not in card


async def test_a_minor_named_in_an_earlier_answered_turn_stops_a_new_image(
        off, counting_engine, coffee_jpeg, chelsea_jpeg, tmp_path):
    app = build_app(off, engine=counting_engine,
                    screener=screener(load_policy(off.policy_file),
                                      {_sha(chelsea_jpeg): WEAK_SIGNAL}))
    thread = Thread(tmp_path)
    try:
        first = await app.pipeline.handle(thread.conv("my son is 12, what is on the table?",
                                                      {"c.jpg": coffee_jpeg}))
        assert first.verdict.action is Action.ALLOW
        out = await app.pipeline.handle(thread.conv("and this one?", {"cat.jpg": chelsea_jpeg}))
    finally:
        await app.memory.forget_thread(thread.conv("").message.thread_key)
        await app.close()
    assert out.verdict.action is Action.BLOCK_AND_PRESERVE
    assert ("age:12", "turn") in _cue_sources(out.verdict)
    assert len(counting_engine.requests) == 1


@pytest.mark.parametrize(("lines", "lang", "cue"), [
    (["MIA, 14 YEARS OLD"], "en", "age:14"),
    (["中学2年 さくら"], "ja", "school:中2"),
])
async def test_text_in_the_image_is_read_for_cues_and_reused_for_the_answer(
        off, counting_engine, tmp_path, lines, lang, cue):
    """A caption or name tag stating an age or a school year, read by the real OCR before
    the decision."""
    tag = image_bytes(sign(lines, lang).image)
    plain = image_bytes(sign(["HARBOUR VIEW"], "en").image)
    app = build_app(off, engine=counting_engine,
                    screener=screener(load_policy(off.policy_file),
                                      {_sha(tag): WEAK_SIGNAL}))
    thread, other = Thread(tmp_path), Thread(tmp_path)
    try:
        out = await app.pipeline.handle(thread.conv("rate her", {"tag.png": tag}))
        case = await _case(app, out)
        clean = await app.pipeline.handle(other.conv("what does it say?", {"p.png": plain}))
    finally:
        for t in (thread, other):
            await app.memory.forget_thread(t.conv("").message.thread_key)
        await app.close()
    assert out.verdict.action is Action.BLOCK_AND_PRESERVE, out.verdict.reasons
    assert (cue, "image_text") in _cue_sources(out.verdict)
    assert "text in an image" in "\n".join(signal_lines(case.signals))
    # the text read before the decision is the answer's OCR block: read once
    assert clean.verdict.action is Action.ALLOW
    assert "HARBOUR" in counting_engine.requests[-1].ocr_text.upper()
    assert "HARBOUR" in clean.images[0].ocr_text.upper()


def _distinct_png(n: int) -> bytes:
    rng = np.random.default_rng(n)
    buf = io.BytesIO()
    PILImage.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


async def _store(app, thread: Thread, count: int) -> None:
    for n in range(count):
        out = await app.pipeline.handle(thread.conv(f"picture {n}",
                                                    {f"p{n}.png": _distinct_png(n)}))
        assert out.reply.kind is ReplyKind.ANSWER


async def test_cues_are_read_once_per_request_off_the_event_loop(
        make_settings, counting_engine, tmp_path, monkeypatch):
    """Issue 19: each stored image ran the cue matcher again, on the event loop."""
    settings = make_settings('[defaults]\nconsent = "off"\n', max_stored_images=12)
    app = build_app(settings, engine=counting_engine,
                    screener=screener(load_policy(settings.policy_file), {}))
    thread = Thread(tmp_path)
    calls: list[int] = []
    real = safety.context.find_minor_cues

    def spy(text, cues):
        calls.append(threading.get_ident())
        return real(text, cues)

    try:
        await _store(app, thread, 12)
        monkeypatch.setattr(safety.context, "find_minor_cues", spy)
        text = "tell me about the colours " * 400
        out = await app.pipeline.handle(thread.conv(text))
    finally:
        await app.memory.forget_thread(thread.conv("").message.thread_key)
        await app.close()
    assert out.verdict.action is Action.ALLOW and len(out.stored) == 12
    turns = [t.text for t in out.history if t.role == "user"]
    parts = text_parts(text, turns, [img.ocr_text for img in out.stored])
    assert len(calls) == len(parts)  # once per text, not once per stored image
    assert threading.get_ident() not in calls  # never on the event loop's thread


async def test_stored_images_over_the_cap_are_left_out_and_named(
        make_settings, counting_engine, tmp_path):
    settings = make_settings('[defaults]\nconsent = "off"\n', max_stored_images=2)
    app = build_app(settings, engine=counting_engine,
                    screener=screener(load_policy(settings.policy_file), {}))
    thread = Thread(tmp_path)
    try:
        await _store(app, thread, 3)
        out = await app.pipeline.handle(thread.conv("compare them"))
    finally:
        await app.memory.forget_thread(thread.conv("").message.thread_key)
        await app.close()
    assert len(counting_engine.requests[-1].images) == 2 and out.left_out == 1
    assert "the 1 older ones were left out" in out.reply.text
    verdicts = [json.loads(line) for line in settings.audit_path.read_text().splitlines()
                if json.loads(line)["kind"] == "verdict"]
    assert verdicts[-1]["detail"]["left_out"] == 1


async def test_follow_ups_count_their_stored_images_against_the_quota(
        make_settings, counting_engine, coffee_jpeg, tmp_path):
    settings = make_settings('[defaults]\nconsent = "off"\n'
                             '[tiers.default]\nimages_per_user_per_day = 2\n')
    app = build_app(settings, engine=counting_engine,
                    screener=screener(load_policy(settings.policy_file), {}))
    thread = Thread(tmp_path)
    client = sync_redis_client()
    for key in client.scan_iter(match=f"{keys.PREFIX}:quota:*"):  # today's counts so far
        client.delete(key)
    try:
        await app.pipeline.handle(thread.conv("hi", {"c.jpg": coffee_jpeg}))  # no gateway here
        first = await app.pipeline.handle(thread.conv("and the cup?"))
        second = await app.pipeline.handle(thread.conv("and the saucer?"))
        third = await app.pipeline.handle(thread.conv("and the table?"))
    finally:
        await app.memory.forget_thread(thread.conv("").message.thread_key)
        await app.close()
    assert first.reply.kind is second.reply.kind is ReplyKind.ANSWER
    assert third.reply.kind is ReplyKind.INFO and "2" in third.reply.text
    assert len(counting_engine.requests) == 3
    assert "quota_refused" in _kinds(settings)
