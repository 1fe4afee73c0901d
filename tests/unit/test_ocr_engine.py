"""The OCR-only engine over the real Tesseract reader, on rendered receipts and blank images."""

from __future__ import annotations

import hashlib

import pytest

from bot import strings
from bot.errors import EngineError
from bot.models import AnswerRequest, Image
from bot.vision.base import Engine
from bot.vision.ocr import OcrReader
from bot.vision.ocr_engine import OcrEngine
from tests.render import blank, fuzzy_contains, image_bytes, receipt


def as_image(pil, index: int = 0) -> Image:
    data = image_bytes(pil)
    digest = hashlib.sha256(data).hexdigest()
    return Image(index=index, data=data, mime="image/png", width=pil.width, height=pil.height,
                 source_format="png", original_sha256=digest, sha256=digest)


@pytest.fixture(scope="module")
def reader() -> OcrReader:
    return OcrReader()


@pytest.fixture(scope="module")
def ja_receipt() -> Image:
    return as_image(receipt("ja").image)


@pytest.fixture(scope="module")
def en_receipt() -> Image:
    return as_image(receipt("en").image)


def test_implements_the_engine_protocol(reader: OcrReader) -> None:
    engine = OcrEngine(reader)
    assert isinstance(engine, Engine)
    assert engine.name == "ocr" and engine.model_id == reader.model_id
    assert engine.model_id.startswith("tesseract-")


@pytest.mark.parametrize("lang", ["ja", "en"])
async def test_answers_with_the_note_then_the_text(reader: OcrReader, ja_receipt: Image,
                                                  lang: str) -> None:
    answer = await OcrEngine(reader).answer(
        AnswerRequest(images=(ja_receipt,), question="合計はいくら？", language=lang))
    note, rest = answer.text.split("\n\n", 1)
    assert note == strings.t("engine.unavailable", lang)
    header, body = rest.split("\n", 1)
    assert header == strings.t("engine.ocr_header", lang)
    assert fuzzy_contains(body, "合計 ¥1,234")
    assert answer.engine == "ocr" and answer.model == reader.model_id
    assert answer.timings_ms["ocr"] > 0


async def test_without_a_note_only_the_text(reader: OcrReader, en_receipt: Image) -> None:
    answer = await OcrEngine(reader, note_key=None).answer(
        AnswerRequest(images=(en_receipt,), question="What's the total?", language="en"))
    assert answer.text.startswith(strings.t("engine.ocr_header", "en") + "\n")
    assert strings.t("engine.unavailable", "en") not in answer.text
    assert fuzzy_contains(answer.text, "Total $23.45", lang="en")


@pytest.mark.parametrize("lang", ["ja", "en"])
async def test_a_blank_image_gets_the_no_text_sentence(reader: OcrReader, lang: str) -> None:
    answer = await OcrEngine(reader, note_key=None).answer(
        AnswerRequest(images=(as_image(blank()),), question="?", language=lang))
    assert answer.text == strings.t("engine.ocr_none", lang)


async def test_several_images_are_numbered(reader: OcrReader, en_receipt: Image) -> None:
    request = AnswerRequest(images=(en_receipt, as_image(blank(), 1)), question="?", language="ja")
    text = (await OcrEngine(reader, note_key=None).answer(request)).text
    first, second = text.split("\n\n")
    assert first.startswith(strings.t("engine.ocr_header", "ja") + "\n"
                            + strings.t("engine.ocr_image", "ja", n=1))
    assert fuzzy_contains(first, "Total $23.45", lang="en")
    assert second == strings.t("engine.ocr_image", "ja", n=2) + "\n" + strings.t(
        "engine.ocr_none", "ja")


async def test_stream_yields_the_whole_answer_once(reader: OcrReader, en_receipt: Image) -> None:
    engine = OcrEngine(reader)
    request = AnswerRequest(images=(en_receipt,), question="?", language="en")
    chunks = [chunk async for chunk in engine.stream(request)]
    assert chunks == [(await engine.answer(request)).text]
    await engine.close()


async def test_undecodable_image_is_an_engine_error(reader: OcrReader) -> None:
    broken = Image(index=0, data=b"\x89PNG\r\n\x1a\nnot really", mime="image/png", width=1,
                   height=1, source_format="png", original_sha256="x", sha256="x")
    with pytest.raises(EngineError):
        await OcrEngine(reader).answer(AnswerRequest(images=(broken,), question="?"))


def test_unknown_note_key_fails_at_construction(reader: OcrReader) -> None:
    with pytest.raises(KeyError):
        OcrEngine(reader, note_key="no.such.key")
