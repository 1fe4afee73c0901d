"""Expense threads on the real Redis with the OCR port faked: a receipt's words come from
``FakeOcr`` (no Tesseract), so the thread's branch runs the pipeline's shared steps (fetch,
decode, gates, verdict audit, blocked and held replies), reads only allowed images, and keeps
the ledger."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw

from bot import strings
from bot.models import ReplyKind
from bot.vision.ocr_words import Word
from tests.fakes import FakeOcr, exposed

pytestmark = pytest.mark.redis

OFF = '[defaults]\nconsent = "off"\n'
ROWS = [("CAFE", "MIRU"), ("2026-11-28", ""), ("Coffee", "4.50"), ("Cake", "3.50"),
        ("TOTAL", "8.00"), ("VISA", "8.00")]


def receipt_words() -> list[Word]:
    words, y = [], 40
    for label, amount in ROWS:
        words.append(Word(label, 20, y, 120, 24, 0.95))
        if amount:
            words.append(Word(amount, 400, y + 1, 80, 24, 0.95))
        y += 40
    return words


def paper() -> bytes:
    """A sheet with dark bars where the words are: readable to the quality check, and
    nothing but the fake OCR's words to read."""
    img = Image.new("RGB", (520, 720), (250, 250, 250))
    draw = ImageDraw.Draw(img)
    for k in range(len(ROWS)):
        draw.rectangle((20, 40 + k * 40, 140, 64 + k * 40), fill=(20, 20, 20))
        draw.rectangle((400, 41 + k * 40, 480, 65 + k * 40), fill=(20, 20, 20))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


async def _thread(r):
    start = await r.ask("receipts", images=())
    return start.reply.thread


async def test_receipts_starts_an_expense_thread(redis_rig):
    r = await redis_rig(OFF, ocr=FakeOcr("", receipt_words()))
    thread = await _thread(r)
    assert r.last().text == strings.t("receipts.started", "en")
    assert await r.app.services.ledger.is_expense_thread(thread)
    assert r.engine.requests == []


async def test_a_receipt_in_the_thread_is_read_into_the_ledger(redis_rig):
    r = await redis_rig(OFF, ocr=FakeOcr("", receipt_words()))
    thread = await _thread(r)
    out = await r.ask("", images=(paper(),), thread=thread.thread)
    (entry,) = await r.app.services.ledger.entries(thread)
    assert str(entry.receipt.total) == "8.00" and entry.receipt.merchant == "CAFE MIRU"
    assert entry.added_by == "UALICE" and entry.image_sha256
    card = r.last()
    assert card.kind is ReplyKind.ANSWER and strings.t("receipts.card_head", "en", n=1) in card.text
    assert card.actions  # approve / reject buttons under the card
    assert out.verdict is not None and "verdict" in r.kinds()
    assert r.audit("receipt")[0]["detail"]
    assert r.engine.requests == []  # receipts are read, no vision model is asked


async def test_a_channel_whose_policy_says_receipts_makes_every_thread_one(redis_rig):
    r = await redis_rig(OFF + '[channels.CEXP]\nreceipts = true\n',
                        ocr=FakeOcr("", receipt_words()))
    out = await r.ask("", images=(paper(),), channel="CEXP")
    assert len(await r.app.services.ledger.entries(out.reply.thread)) == 1


async def test_a_picture_that_is_not_a_receipt_adds_nothing(redis_rig):
    r = await redis_rig(OFF, ocr=FakeOcr("", [Word("hello", 10, 10, 50, 20, 0.9)]))
    thread = await _thread(r)
    out = await r.ask("", images=(paper(),), thread=thread.thread)
    assert await r.app.services.ledger.entries(thread) == []
    name = r.platform.fetched[-1]
    assert r.last().text.startswith(strings.t("receipts.not_receipt", "en", name=name)[:30])
    assert out.verdict is not None


async def test_a_blocked_image_in_an_expense_thread_is_never_read_as_a_receipt(redis_rig):
    """Its text is read once, before the decision, for the policy's age cues only (a caption
    stating an age makes a block ``block_and_preserve``: docs/policy.md); never for the ledger."""
    ocr = FakeOcr("", receipt_words())
    r = await redis_rig(OFF, ocr=ocr)
    thread = await _thread(r)
    r.screener.sees(exposed())
    await r.ask("", images=(paper(),), thread=thread.thread)
    assert r.last().kind is ReplyKind.BLOCKED
    assert ocr.reads == 1 and await r.app.services.ledger.entries(thread) == []
    assert r.audit("verdict")[-1]["action"] == "block"


async def test_expense_threads_need_the_edit_level(redis_rig):
    r = await redis_rig(OFF, ocr=FakeOcr("", receipt_words()))
    thread = await _thread(r)
    await r.ask("", images=(paper(),), thread=thread.thread, access="view")
    assert r.last().text == strings.t("access.need_edit", "en", level="view")
    assert await r.app.services.ledger.entries(thread) == []


async def test_a_correction_in_the_thread_edits_the_entry(redis_rig):
    r = await redis_rig(OFF, ocr=FakeOcr("", receipt_words()))
    thread = await _thread(r)
    await r.ask("", images=(paper(),), thread=thread.thread)
    await r.ask("#1 total 9.00", images=(), thread=thread.thread)
    (entry,) = await r.app.services.ledger.entries(thread)
    assert str(entry.receipt.total) == "9.00" and str(entry.original.total) == "8.00"
    assert "receipt_edit" in r.kinds()


async def test_the_same_receipt_twice_is_flagged_as_a_duplicate(redis_rig):
    r = await redis_rig(OFF, ocr=FakeOcr("", receipt_words()))
    thread = await _thread(r)
    image = paper()
    await r.ask("", images=(image,), thread=thread.thread)
    await r.ask("", images=(image,), thread=thread.thread)
    _first, second = await r.app.services.ledger.entries(thread)
    assert second.duplicate_of == 1


async def test_the_plan_can_turn_expense_threads_off(redis_rig):
    r = await redis_rig(OFF + "[tiers.default]\nreceipts = false\n",
                        ocr=FakeOcr("", receipt_words()))
    await r.ask("receipts", images=())
    assert r.last().kind is ReplyKind.INFO
    assert len(r.engine.requests) == 0
    assert not await r.app.services.ledger.is_expense_thread(r.last().thread)
