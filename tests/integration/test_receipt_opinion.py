"""The receipts' second opinion end to end: an expense thread on real Redis, the real receipt
reader (Tesseract) on a rendered receipt, and the real ``OpenAIEngine`` asking a local stand-in
that agrees, disagrees, answers garbage or too slowly."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest

from bot import strings
from bot.app import build_app
from bot.cli.local import LocalConversation, cli_message
from bot.receipts.card import UNSURE
from bot.vision.openai_engine import OpenAIEngine
from config.policy import PolicyConfig
from safety.policy import decide
from tests.openai_standin import Script, completion, running
from tests.platform.receipt_flow import RECEIPT_EN, audit_records

pytestmark = [pytest.mark.timeout(120)]

READING = {"is_receipt": True, "merchant": "Corner Market", "date": None, "total": "23.45",
           "tax": None, "tax_rate": None, "currency": "USD", "payment_method": None,
           "category": None, "invoice_number": None}


class Clean:
    """A screener that finds nothing (the real policy then allows)."""

    async def screen(self, images, ctx):
        return decide([], [], ctx, PolicyConfig())


@pytest.fixture
async def server():
    async for s in running():
        yield s


async def _card(make_settings, server, tmp_path: Path, **settings: object):
    app = build_app(make_settings('[defaults]\nconsent = "off"\n', **settings),
                    screener=Clean(),
                    engine=OpenAIEngine(server.base_url, "", "qwen-vl", timeout_s=5, retries=0))
    photo = tmp_path / "market.png"
    photo.write_bytes(RECEIPT_EN)
    msg = cli_message([photo], "receipts", thread=f"opinion-{uuid.uuid4().hex}")
    out = await app.pipeline.handle(LocalConversation(msg))
    await app.close()
    [record] = audit_records(app.services.settings.audit_path, "receipt")
    return out.reply.text, record["detail"]


async def test_agreement_leaves_no_check(make_settings, server, tmp_path) -> None:
    server.script = [completion(json.dumps(READING))]
    text, detail = await _card(make_settings, server, tmp_path)
    assert "23.45 USD" in text and "CORNER MARKET" in text
    assert strings.t("receipts.check_field", "en", field="Total", value="23.45 USD") not in text
    assert f"23.45 USD {UNSURE}" not in text
    assert detail["second_opinion"]["status"] == "answered"
    assert {"merchant", "total", "currency"} <= set(detail["second_opinion"]["agree"])
    body = server.bodies[0]
    assert body["response_format"]["json_schema"]["schema"]["additionalProperties"] is False
    assert body["messages"][-1]["content"][1]["image_url"]["url"].startswith("data:image/")


async def test_a_difference_names_the_field(make_settings, server, tmp_path) -> None:
    server.script = [completion(json.dumps({**READING, "total": "32.45"}))]
    text, detail = await _card(make_settings, server, tmp_path)
    assert strings.t("receipts.check_field", "en", field="Total", value="32.45 USD") in text
    assert f"23.45 USD {UNSURE}" in text  # the OCR reading stays, marked
    assert detail["second_opinion"]["differ"] == ["total"]
    assert "32.45" not in json.dumps(detail)  # the audit keeps field names, not values


@pytest.mark.parametrize("script", [completion("The total is 23.45."), Script(status=500)])
async def test_garbage_or_an_error_changes_nothing(make_settings, server, tmp_path,
                                                   script) -> None:
    server.script = [script]
    text, detail = await _card(make_settings, server, tmp_path)
    assert "23.45 USD" in text and "vision model" not in text
    assert detail["second_opinion"]["status"] in ("unreadable", "error")


async def test_a_slow_model_is_not_waited_for(make_settings, server, tmp_path) -> None:
    server.script = [completion(json.dumps(READING), pause_s=3.0)]
    started = time.perf_counter()
    text, detail = await _card(make_settings, server, tmp_path, vlm_check_timeout_s=0.5)
    assert detail["second_opinion"]["status"] == "timeout"
    assert "23.45 USD" in text and "vision model" not in text
    assert time.perf_counter() - started < 30  # Tesseract's reading plus the half second
