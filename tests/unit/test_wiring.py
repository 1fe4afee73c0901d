"""build_app's ports (issue 18): each override reaches the parts that use it, nothing is set on
Services after wiring, and what differs between platforms comes from the adapter's
PlatformInfo. No models are loaded: the screener, the OCR and the engine are stand-ins."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image as PILImage

from bot.app import build_app
from bot.cli.local import LocalConversation, cli_message
from bot.imaging.ingest import IngestLimits
from bot.models import Image, IncomingMessage
from bot.ports import Adapters, PlatformInfo
from bot.review.desk import outcome_notice
from bot.review.model import Case, Decision
from bot.stores.memory import MemoryStateStore, MemoryThreadMemory
from bot.vision.ocr_words import Word
from safety.types import Action
from tests.fakes import (
    CountingEngine,
    FakeClock,
    FakeDirectory,
    FakeOcr,
    FakePlatform,
    FakeScreener,
    InThreadIngestor,
)


def _png(tmp_path: Path) -> Path:
    buf = io.BytesIO()
    PILImage.new("RGB", (64, 48), (200, 180, 40)).save(buf, "PNG")
    path = tmp_path / "sign.png"
    path.write_bytes(buf.getvalue())
    return path


def _app(make_settings, counting_engine, **ports):
    settings = make_settings('[defaults]\nconsent = "off"\n')
    return build_app(settings, memory_only=True, engine=counting_engine,
                     screener=FakeScreener(), ingestor=InThreadIngestor(IngestLimits()),
                     **ports)


@pytest.fixture
def counting_engine() -> CountingEngine:
    return CountingEngine()


async def test_the_ocr_port_gives_the_engine_its_text(make_settings, counting_engine, tmp_path):
    ocr = FakeOcr("OPEN 9-5")
    app = _app(make_settings, counting_engine, ocr=ocr)
    try:
        out = await app.pipeline.handle(LocalConversation(cli_message([_png(tmp_path)], "hours?")))
    finally:
        await app.close()
    assert out.verdict is not None and out.verdict.action is Action.ALLOW
    (request,) = counting_engine.requests
    assert request.ocr_text == "Image 1: OPEN 9-5" and ocr.reads == 1


def test_a_receipt_is_read_in_rows_from_the_ocr_ports_boxes(make_settings, counting_engine):
    words = [Word("TOTAL", 10, 100, 60, 20, 0.9), Word("12.00", 300, 102, 60, 20, 0.9),
             Word("SUBTOTAL", 10, 60, 90, 20, 0.9), Word("11.00", 300, 61, 60, 20, 0.9)]
    app = _app(make_settings, counting_engine, ocr=FakeOcr("TOTAL\nSUBTOTAL", words))
    buf = io.BytesIO()
    PILImage.new("RGB", (400, 300), (255, 255, 255)).save(buf, "PNG")
    img = Image(0, buf.getvalue(), "image/png", 400, 300, "png", "a", "b")
    assert app.services.ocr_context is not None
    assert app.services.ocr_context(img, "auto").splitlines() == ["SUBTOTAL 11.00",
                                                                  "TOTAL 12.00"]


async def test_the_clock_port_reaches_quotas_stores_and_stamps(make_settings, counting_engine,
                                                               tmp_path):
    clock = FakeClock()
    app = _app(make_settings, counting_engine, clock=clock, ocr=FakeOcr(""))
    try:
        assert app.services.clock is clock and app.ingress.clock is clock
        conv = LocalConversation(cli_message([_png(tmp_path)], "what is it?"))
        out = await app.pipeline.handle(conv)
        state = await app.memory.load(out.reply.thread)
        assert [t.ts for t in state.turns] == [clock.t, clock.t]
        clock.m += 10 * 24 * 3600  # past the policy's turn retention (7 days)
        assert (await app.memory.load(out.reply.thread)).turns == ()
    finally:
        await app.close()


async def test_stores_and_one_shot_memory_are_ports(make_settings, counting_engine):
    memory, state = MemoryThreadMemory(), MemoryStateStore()
    made: list[MemoryThreadMemory] = []

    def one_shot() -> MemoryThreadMemory:
        made.append(MemoryThreadMemory())
        return made[-1]

    app = _app(make_settings, counting_engine, memory=memory, state=state, one_shot=one_shot,
               ocr=FakeOcr(""))
    try:
        assert app.memory is memory and app.state is state
        first, second = app.one_shot(), app.one_shot()
        assert first is not second and first.s.memory is made[0] and second.s.memory is made[1]
        assert first.s.state is state  # only the thread memory is the request's own
    finally:
        await app.close()


async def test_gateways_come_from_the_app_with_the_directory_given(make_settings,
                                                                  counting_engine):
    directory = FakeDirectory()
    app = _app(make_settings, counting_engine, directories={"slack": directory},
               ocr=FakeOcr(""))
    try:
        platform = FakePlatform(info=PlatformInfo(
            "slack", "Slack", lambda m: f"link:{m.message_id}", deletes_uploads=False))
        gateway = app.gateway(platform)
        assert gateway.access.directory is directory
        assert app.adapters.get("slack") is platform  # registered for cards and links
        message = IncomingMessage("slack", "T1", "C1", "1.2", "1.2", "U1", "hi")
        assert app.adapters.link(message) == "link:1.2"
        assert gateway.app.ingress is app.ingress  # one ingress, shared with the API
    finally:
        await app.close()


def test_what_the_uploader_is_told_comes_from_the_platforms_info():
    case = Case(id="c1", action="hold", reasons=(), scores={}, created=0.0, platform="x",
                workspace="W", channel="C", thread="t", message_id="m", user="U")
    keeps = PlatformInfo("x", "Chatty", deletes_uploads=False)
    text, delete = outcome_notice(case, Decision.REJECT, keeps)
    assert "Chatty does not let bots delete" in text and delete is False
    text, delete = outcome_notice(case, Decision.REJECT, PlatformInfo("x", "Chatty"))
    assert "delete" not in text.split("appeal")[0].lower() and delete is True
    assert Adapters().info("cli") == PlatformInfo("cli")  # a platform nobody serves here


async def test_the_ocr_reader_gets_miru_ocr_threads_for_rapidocr(make_settings):
    """MIRU_OCR_THREADS reaches the RapidOCR engine of the reader build_app makes (here under
    the OCR-only engine); nothing is read, so no model loads."""
    from bot.vision.ocr import OcrReader
    from bot.vision.ocr_engine import OcrEngine
    from bot.wiring import build_ocr

    assert build_ocr(make_settings()).rapid.threads == 1
    settings = make_settings('[defaults]\nconsent = "off"\n', ocr_threads=3)
    app = build_app(settings, memory_only=True, screener=FakeScreener(),
                    ingestor=InThreadIngestor(IngestLimits()))
    try:
        engine = app.services.engine
        assert isinstance(engine, OcrEngine) and isinstance(engine.reader, OcrReader)
        assert engine.reader.rapid.threads == 3
    finally:
        await app.close()
