"""The receipts' second opinion outside expense threads: ``POST /v1/receipts`` on the real
server and real Redis, the OCR port faked (``FakeOcr``'s words of a receipt), and a local
stand-in vision engine named like a model backend, so ``build_app`` wires its opinion
(``model_checks``) and the real ``ReceiptOpinions`` asks it: agreement raises the
confidences, a difference is listed in ``checks`` with the OCR value kept, a timeout, an error
or an absurd answer is the same as no model, and no model leaves the entry as it was."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from bot.api.apikeys import ApiKeys
from bot.api.server import ApiServer, start
from bot.errors import EngineUnavailable
from bot.models import Answer, AnswerRequest
from bot.receipts.codec import CONTRACT_FIELDS
from bot.receipts.opinion import DISAGREE_CAP
from tests.fakes import CountingEngine, FakeOcr, exposed
from tests.service.test_receipts import paper, receipt_words

pytestmark = pytest.mark.redis

OFF = '[defaults]\nconsent = "off"\n'
# What the fake OCR's words read as: CAFE MIRU, 2026-11-28, total 8.00, paid by card
AGREES = {"is_receipt": True, "merchant": "Cafe Miru", "date": "2026-11-28", "total": "8.00",
          "tax": None, "tax_rate": None, "currency": None, "payment_method": None,
          "category": None, "invoice_number": None}


class Vision(CountingEngine):
    """A stand-in vision model: named like the OpenAI-compatible backend (so ``model_checks``
    wires the second opinion over it), answering ``text`` after ``pause_s``, or failing."""

    name = "openai"
    model_id = "stand-in-vl"

    def __init__(self, text: str = "", *, pause_s: float = 0.0,
                 fail: BaseException | None = None) -> None:
        super().__init__(lambda _: text, fail=fail)
        self.pause_s = pause_s

    async def answer(self, request: AnswerRequest) -> Answer:
        self.requests.append(request)
        await asyncio.sleep(self.pause_s)
        if self.fail is not None:
            raise self.fail
        return Answer(text=self.say(request), engine=self.name, model=self.model_id)


def says(**fields: Any) -> Vision:
    return Vision(json.dumps({**AGREES, **fields}))


@pytest.fixture
async def post(redis_rig) -> AsyncIterator[Callable[..., Any]]:
    """``await post(engine, **settings)``: one receipt through ``/v1/receipts`` of an app over
    ``engine`` (None: the OCR engine, no model); returns (entry, verdict audit record, rig)."""
    runners = []

    async def call(engine: Any, **settings: Any) -> tuple[dict[str, Any], dict[str, Any], Any]:
        r = await redis_rig(OFF, ocr=FakeOcr("", receipt_words()), engine=engine, **settings)
        keys = ApiKeys(r.app.redis)
        runner, port = await start(ApiServer(r.app, keys), host="127.0.0.1", port=0)
        runners.append(runner)
        _, key = await keys.create(f"k-{uuid.uuid4().hex[:10]}", ("receipts",), "T1")
        async with httpx.AsyncClient(timeout=30) as client:
            got = await client.post(
                f"http://127.0.0.1:{port}/v1/receipts", headers={"Authorization": f"Bearer {key}"},
                files=[("image", ("r.jpg", paper(), "image/jpeg"))])
        assert got.status_code == 200, got.text
        (entry,) = got.json()
        (record,) = r.audit("verdict")
        return entry, record, r

    yield call
    for runner in runners:
        await runner.cleanup()


async def test_no_model_leaves_the_entry_as_it_was_and_checks_empty(post) -> None:
    entry, record, r = await post(None)
    assert list(entry) == ["file", "verdict", *CONTRACT_FIELDS, "checks", "error"]
    assert (entry["total"], entry["merchant"], entry["error"]) == ("8.00", "CAFE MIRU", None)
    assert entry["checks"] == []
    assert r.app.services.receipt_opinion is None and r.engine.requests == []
    assert "second_opinion" not in record["detail"]
    # the model configured but checks turned off: the same entry, nothing asked
    off, record_off, r_off = await post(says(), vlm_checks=False)
    assert off == entry and r_off.engine.requests == []
    assert "second_opinion" not in record_off["detail"]


async def test_agreement_raises_the_confidences_and_lists_no_check(post) -> None:
    plain, _, _ = await post(None)
    entry, record, r = await post(says())
    assert entry["checks"] == [] and entry["total"] == "8.00"
    for field in ("merchant", "date", "total"):
        assert entry["confidence"][field] > plain["confidence"][field], field
    assert record["detail"]["second_opinion"]["status"] == "answered"
    assert {"merchant", "date", "total"} <= set(record["detail"]["second_opinion"]["agree"])
    (asked,) = r.engine.requests
    assert len(asked.images) == 1 and asked.json_schema is not None


async def test_a_difference_is_listed_and_the_ocr_value_kept(post) -> None:
    entry, record, _ = await post(says(total="80.00", category="supplies"))
    assert entry["checks"] == [{"field": "total", "model": "80.00"},
                               {"field": "category", "model": "supplies"}]
    assert entry["total"] == "8.00"  # the OCR reading stays; a person decides
    assert entry["confidence"]["total"] <= DISAGREE_CAP
    opinion = record["detail"]["second_opinion"]
    assert opinion["differ"] == ["total", "category"]
    assert "80.00" not in json.dumps(record)  # the audit keeps the names, not the values


@pytest.mark.parametrize("engine", [
    Vision(json.dumps(AGREES), pause_s=2.0),  # past MIRU_VLM_CHECK_TIMEOUT_S
    Vision(fail=EngineUnavailable("model server down")),
    Vision("The total is 8.00."),  # prose, not the JSON asked for
    says(total="1" * 40),  # an absurd amount: the answer's schema refuses it
    says(merchant="x" * 5000),  # a name far past the schema's limit
    says(is_receipt=False),
], ids=["timeout", "error", "prose", "absurd_amount", "absurd_name", "not_receipt"])
async def test_a_failed_or_refused_answer_is_the_same_as_no_model(post, engine) -> None:
    plain, _, _ = await post(None)
    entry, record, r = await post(engine, vlm_check_timeout_s=0.3)
    assert entry == plain  # confidences too: nothing changed
    assert len(r.engine.requests) == 1  # asked once, and not again
    status = record["detail"]["second_opinion"]["status"]
    assert status in ("timeout", "error", "unreadable", "not_receipt")


async def test_only_an_allowed_readable_receipt_is_shown_to_the_model(redis_rig) -> None:
    """A file that does not decode, or that the gates stop, gets no opinion (``checks``
    empty): the model sees only what the expense thread would show it."""
    r = await redis_rig(OFF, ocr=FakeOcr("", receipt_words()), engine=says(total="80.00"))
    r.screener.sees(exposed())
    keys = ApiKeys(r.app.redis)
    runner, port = await start(ApiServer(r.app, keys), host="127.0.0.1", port=0)
    try:
        _, key = await keys.create(f"k-{uuid.uuid4().hex[:10]}", ("receipts",), "T1")
        async with httpx.AsyncClient(timeout=30) as client:
            got = await client.post(
                f"http://127.0.0.1:{port}/v1/receipts", headers={"Authorization": f"Bearer {key}"},
                files=[("image", ("bad.jpg", b"\xff\xd8\xff not a jpeg", "image/jpeg")),
                       ("image", ("r.jpg", paper(), "image/jpeg"))])
    finally:
        await runner.cleanup()
    bad, stopped = got.json()
    assert bad["error"]["code"] == "corrupt" and bad["checks"] == []
    assert stopped["verdict"] not in (None, "allow", "allow_blurred")
    assert stopped["checks"] == [] and stopped["total"] is None
    assert r.engine.requests == []
