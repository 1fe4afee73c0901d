"""Age cues from the thread's context and the images' text on the one path (issue 20.2), on the
fakes: what the policy decides, and each signal's source."""

from __future__ import annotations

from bot.models import ReplyKind
from safety.types import Action
from tests.fakes import FakeOcr, exposed, nsfw

OFF = '[defaults]\nconsent = "off"\n'
ADULT = '[defaults]\naudience = "adult"\nconsent = "off"\n'
THREAD = "1699999999.000100"


def _cues(out) -> set[tuple[str, str | None]]:
    assert out.verdict is not None
    return {(f.label, f.source) for f in out.verdict.findings if f.code == "minor_cue"}


async def test_a_text_only_message_is_context_for_the_image_that_follows(rig):
    r = rig(OFF)
    r.screener.sees(nsfw(0.3))  # a weak sexual signal: allowed on its own
    first = await r.ask("this is my 14 year old daughter", images=(), thread=THREAD)
    assert first.reply is not None and first.reply.kind is ReplyKind.INFO
    out = await r.ask("rate her", thread=THREAD)
    assert out.verdict is not None and out.verdict.action is Action.BLOCK_AND_PRESERVE
    assert _cues(out) == {("age:14", "turn")}
    assert r.engine.requests == []


async def test_without_that_context_the_same_image_is_answered(rig):
    r = rig(OFF)
    r.screener.sees(nsfw(0.3))
    await r.ask("this is my holiday photo", images=(), thread=THREAD)
    out = await r.ask("rate her", thread=THREAD)
    assert out.verdict is not None and out.verdict.action is Action.ALLOW
    assert len(r.engine.requests) == 1


async def test_with_history_off_nothing_is_kept_to_read(rig):
    r = rig('[defaults]\nconsent = "off"\nhistory = "off"\n')
    r.screener.sees(nsfw(0.3))
    await r.ask("this is my 14 year old daughter", images=(), thread=THREAD)
    out = await r.ask("rate her", thread=THREAD)
    assert out.verdict is not None and out.verdict.action is Action.ALLOW


async def test_an_age_in_the_image_text_stops_a_weak_signal(rig):
    ocr = FakeOcr("MIA, 14 YEARS OLD")
    r = rig(OFF, ocr=ocr)
    r.screener.sees(nsfw(0.3))
    out = await r.ask("rate her")
    assert out.verdict is not None and out.verdict.action is Action.BLOCK_AND_PRESERVE
    assert _cues(out) == {("age:14", "image_text")}
    assert r.engine.requests == []


async def test_an_age_in_the_image_text_keeps_an_adult_channels_hold_from_approval(rig):
    r = rig(ADULT, ocr=FakeOcr("中学2年 さくら"))
    r.screener.sees(exposed())
    out = await r.ask("")
    assert out.verdict is not None and out.verdict.action is Action.BLOCK_AND_PRESERVE
    assert _cues(out) == {("school:中2", "image_text")}


async def test_the_text_read_for_the_policy_is_the_answers_ocr_block(rig):
    ocr = FakeOcr("HARBOUR VIEW")
    r = rig(OFF, ocr=ocr)
    out = await r.ask("what does it say?")
    assert out.verdict is not None and out.verdict.action is Action.ALLOW
    (request,) = r.engine.requests
    assert "HARBOUR VIEW" in request.ocr_text
    assert ocr.reads == 1  # read once, before the decision, and reused
