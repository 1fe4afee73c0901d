"""Faults inside a request: the engine fails or breaks mid-answer, the OCR fails, a bug
anywhere, the platform refuses the post. Each ends in one reply and an audit record, and
nothing of an unseen answer is remembered."""

from __future__ import annotations

from bot import strings
from bot.errors import EngineBusy, EngineError, EngineInterrupted, EngineUnavailable
from bot.models import ReplyKind, Status
from bot.vision.ocr_words import Word
from tests.fakes import CountingEngine, FakeOcr, exposed

OFF = '[defaults]\nconsent = "off"\n'


async def _turns(r, out) -> int:
    return len((await r.app.memory.load(out.reply.thread)).turns)


async def test_an_engine_error_is_told_audited_and_not_remembered(rig):
    r = rig(OFF, engine=CountingEngine(fail=EngineUnavailable("no model")))
    out = await r.ask()
    assert r.kinds_posted() == [ReplyKind.ERROR]
    assert r.last().text == strings.t("engine.unavailable", "en")
    assert r.audit("engine_error")[0]["detail"] == {"code": "engine_unavailable"}
    assert "answer" not in r.kinds()
    assert await _turns(r, out) == 0
    assert r.platform.statuses[-1][1] is Status.FAILED


async def test_a_busy_engine_gets_its_own_sentence(rig):
    r = rig(OFF, engine=CountingEngine(fail=EngineBusy("429")))
    await r.ask()
    assert r.last().text == strings.t("engine.busy", "en")
    assert r.audit("engine_error")[0]["detail"]["code"] == "engine_busy"


async def test_a_stream_cut_after_text_keeps_the_text_and_says_so(rig):
    engine = CountingEngine(fail=EngineInterrupted("stream broke"), after_text=True)
    r = rig(OFF, engine=engine)
    out = await r.ask("what is it?")
    answer = r.last()
    assert answer.kind is ReplyKind.ANSWER
    assert answer.text.startswith("saw 1 image(s); a")
    assert strings.t("engine.cut_short", "en") in answer.text
    assert r.audit("answer")[0]["detail"]["cut_short"] == "engine_interrupted"
    assert await _turns(r, out) == 2


async def test_a_stream_cut_before_any_text_is_an_error(rig):
    r = rig(OFF, engine=CountingEngine(fail=EngineInterrupted("no text")))
    await r.ask()
    assert r.kinds_posted() == [ReplyKind.ERROR]
    assert r.audit("engine_error")[0]["detail"]["code"] == "engine_interrupted"


async def test_an_empty_answer_gets_the_empty_sentence(rig):
    r = rig(OFF, engine=CountingEngine(say=lambda _req: "   "))
    await r.ask()
    assert r.last().kind is ReplyKind.ANSWER
    assert r.last().text.startswith(strings.t("engine.empty", "en"))


async def test_a_long_answer_is_capped(rig):
    r = rig(OFF, engine=CountingEngine(say=lambda _req: "x" * 5000), max_answer_chars=200)
    await r.ask()
    text = r.last().text
    assert text.startswith("x" * 200) and "x" * 201 not in text
    assert strings.t("engine.truncated", "en") in text


async def test_links_and_mentions_in_an_answer_are_neutralised(rig):
    r = rig(OFF, engine=CountingEngine(say=lambda _req: "see https://evil.test <@U999> @here"))
    await r.ask()
    text = r.last().text
    assert "https://evil.test" not in text and "<@U999>" not in text


async def test_a_bug_in_the_engine_ends_in_the_generic_apology(rig):
    r = rig(OFF, engine=CountingEngine(fail=RuntimeError("bug")))
    out = await r.ask()
    assert out.reply.kind is ReplyKind.ERROR
    assert r.last().text == strings.t("error.generic", "en")
    assert r.audit("error")[-1]["detail"]["code"] == "internal:RuntimeError"


async def test_the_ocr_port_gives_the_model_the_images_text(rig):
    ocr = FakeOcr("OPEN 9-5")
    r = rig(OFF, ocr=ocr)
    await r.ask("hours?")
    assert r.engine.requests[0].ocr_text == "Image 1: OPEN 9-5"
    assert ocr.reads == 1


async def test_the_ocr_context_is_grouped_into_rows_from_word_boxes(rig):
    words = [Word("TOTAL", 10, 100, 60, 20, 0.9), Word("12.00", 300, 102, 60, 20, 0.9),
             Word("SUBTOTAL", 10, 60, 90, 20, 0.9), Word("11.00", 300, 61, 60, 20, 0.9)]
    r = rig(OFF, ocr=FakeOcr("TOTAL 12.00", words))
    await r.ask("how much?")
    assert r.engine.requests[0].ocr_text.splitlines()[0].startswith("Image 1:")


async def test_a_failing_ocr_leaves_the_image_without_text_and_still_answers(rig):
    ocr = FakeOcr("never", error=EngineError("tesseract failed"))
    r = rig(OFF, ocr=ocr)
    await r.ask()
    assert r.engine.requests[0].ocr_text == ""
    assert r.last().kind is ReplyKind.ANSWER


async def test_a_refused_answer_is_told_audited_and_not_remembered(rig):
    r = rig(OFF)
    r.platform.refuse = 1  # the answer; the short notice gets through
    out = await r.ask()
    assert [x.kind for x in r.platform.attempts] == [ReplyKind.ANSWER, ReplyKind.ERROR]
    assert r.kinds_posted() == [ReplyKind.ERROR]
    failed = r.audit("delivery_failed")[0]["detail"]
    assert failed["code"] == "delivery_failed" and failed["retryable"] is False
    assert failed["reply"] == "answer"
    assert not out.delivered and await _turns(r, out) == 0


async def test_a_retryable_refusal_is_tried_again_and_then_remembered(rig):
    r = rig(OFF)
    r.app.services.delivery_wait_s = 0.001  # the back-off, not the behaviour, is shortened
    r.platform.refuse, r.platform.retryable = 2, True
    out = await r.ask()
    assert [x.kind for x in r.platform.attempts] == [ReplyKind.ANSWER] * 3
    assert out.delivered and r.kinds_posted() == [ReplyKind.ANSWER]
    assert await _turns(r, out) == 2
    assert len(r.engine.requests) == 1  # a failed post never calls the model again


async def test_a_platform_that_refuses_everything_leaves_a_record(rig):
    r = rig(OFF)
    r.platform.refuse = 10
    out = await r.ask()
    assert r.platform.replies == [] and not out.delivered
    assert r.kinds().count("delivery_failed") >= 1
    assert r.platform.statuses[-1][1] is Status.FAILED


async def test_a_refused_block_notice_is_audited_too(rig):
    r = rig(OFF)
    r.screener.sees(exposed())
    r.platform.refuse = 1
    await r.ask()
    assert r.audit("delivery_failed")[0]["detail"]["reply"] == "blocked"
    assert r.engine.requests == []


async def test_a_job_given_up_on_tells_the_user_once(rig):
    r = rig(OFF)
    msg = r.message()
    await r.app.pipeline.give_up(r.platform.conversation(msg), RuntimeError("died"))
    await r.app.pipeline.give_up(r.platform.conversation(msg), RuntimeError("died"))
    assert r.kinds_posted() == [ReplyKind.ERROR]
    assert r.audit("error")[0]["detail"]["code"] == "job_dropped:RuntimeError"
