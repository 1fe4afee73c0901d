"""The OCR-only engine over the real Tesseract reader, on rendered receipts and blank images."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

import pytest

from bot import strings
from bot.errors import EngineError
from bot.models import AnswerRequest, Image, Turn
from bot.receipts.model import Receipt
from bot.vision.base import Engine
from bot.vision.ocr import OcrReader
from bot.vision.ocr_engine import OcrEngine
from tests.render import blank, fuzzy_contains, image_bytes, receipt, sign


def as_image(pil, index: int = 0) -> Image:
    data = image_bytes(pil)
    digest = hashlib.sha256(data).hexdigest()
    return Image(index=index, data=data, mime="image/png", width=pil.width, height=pil.height,
                 source_format="png", original_sha256=digest, sha256=digest)


@pytest.fixture(scope="module")
def reader() -> OcrReader:
    # Tesseract only: this tier loads no models (RapidOCR's are tested in tests/integration)
    return OcrReader(engines_by_lang={"ja": "tesseract", "en": "tesseract"})


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


FOLLOW_UP = (Turn("user", "first"), Turn("assistant", "answer"))


def ask(image: Image | tuple[Image, ...], question: str, lang: str, *,
        first: bool = False) -> AnswerRequest:
    images = image if isinstance(image, tuple) else (image,)
    return AnswerRequest(images=images, question=question, language=lang,
                         history=() if first else FOLLOW_UP)


@pytest.fixture(scope="module")
def ja_sign() -> Image:
    return as_image(sign(["営業時間 10:00〜20:00", "定休日 水曜日", "駐車場 あり",
                          "おにぎり ¥160"], "ja").image)


@pytest.fixture(scope="module")
def en_sign() -> Image:
    return as_image(sign(["OPEN 9AM - 5PM", "CLOSED SUNDAYS", "NO PARKING", "EXIT ->"],
                         "en").image)


@pytest.mark.parametrize("lang", ["ja", "en"])
async def test_the_note_comes_once_per_thread_with_the_first_answer(
        reader: OcrReader, ja_receipt: Image, lang: str) -> None:
    engine = OcrEngine(reader)
    first = await engine.answer(ask(ja_receipt, "全文", lang, first=True))
    rest, note = first.text.rsplit("\n\n", 1)
    assert note == strings.t("ocr.no_model", lang)
    assert "MIRU_" not in first.text and "docs/" not in first.text  # nothing for operators
    header, body = rest.split("\n", 1)
    assert header == strings.t("engine.ocr_header", lang)
    assert fuzzy_contains(body, "合計 ¥1,234")
    assert first.engine == "ocr" and first.model == reader.model_id
    assert first.timings_ms["ocr"] > 0
    later = await engine.answer(ask(ja_receipt, "全文", lang))
    assert strings.t("ocr.no_model", lang) not in later.text
    assert later.text.startswith(header)


@pytest.mark.parametrize(("question", "lang", "expected", "absent"), [
    ("合計はいくら？", "ja", "合計 ¥1,234", "ミックスサンド"),
    ("登録番号は？", "ja", "T1234567890123", "プリン"),
    ("What is the tax?", "en", "消費税", "からあげ"),
    ("からあげはいくら？", "ja", "からあげ ¥280", "プリン"),
])
async def test_a_ja_receipt_answers_the_field_asked(reader: OcrReader, ja_receipt: Image,
                                                   question, lang, expected, absent) -> None:
    text = (await OcrEngine(reader).answer(ask(ja_receipt, question, lang))).text
    assert text.startswith(strings.t("ocr.lines_header", lang) + "\n> ")
    assert fuzzy_contains(text, expected) and absent not in text
    assert text.endswith(strings.t("ocr.full_hint", lang))


@pytest.mark.parametrize(("question", "expected", "absent"), [
    ("What's the total?", "Total $23.45", "Subtotal"),
    ("how much was the bagel?", "Bagel $2.75", "Total"),
    ("which shop is this?", "CORNER MARKET", "Coffee"),
])
async def test_an_en_receipt_answers_the_field_asked(reader: OcrReader, en_receipt: Image,
                                                    question, expected, absent) -> None:
    text = (await OcrEngine(reader).answer(ask(en_receipt, question, "en"))).text
    assert fuzzy_contains(text, expected, lang="en") and absent not in text


@pytest.mark.parametrize(("question", "lang", "expected", "absent"), [
    ("何時まで開いていますか？", "ja", "営業時間", "駐車場"),
    ("駐車場はありますか", "ja", "駐車場", "営業時間"),
    ("おにぎりはいくら？", "ja", "おにぎり ¥160", "定休日"),
])
async def test_a_ja_sign_answers_with_the_matching_lines(reader: OcrReader, ja_sign: Image,
                                                         question, lang, expected,
                                                         absent) -> None:
    text = (await OcrEngine(reader).answer(ask(ja_sign, question, lang))).text
    assert fuzzy_contains(text, expected) and absent not in text


@pytest.mark.parametrize(("question", "expected", "absent"), [
    ("when does it open?", "OPEN 9AM - 5PM", "EXIT"),
    ("where is the exit?", "EXIT", "OPEN"),
    ("Can I park here?", "NO PARKING", "EXIT"),
])
async def test_an_en_sign_answers_with_the_matching_lines(reader: OcrReader, en_sign: Image,
                                                          question, expected, absent) -> None:
    text = (await OcrEngine(reader).answer(ask(en_sign, question, "en"))).text
    assert fuzzy_contains(text, expected, lang="en") and absent not in text


@pytest.mark.parametrize(("question", "lang"), [("全文", "ja"), ("full text", "en"),
                                                ("何と書いてありますか", "ja"),
                                                ("what does it say?", "en")])
async def test_full_text_on_request(reader: OcrReader, en_sign: Image, question, lang) -> None:
    text = (await OcrEngine(reader).answer(ask(en_sign, question, lang))).text
    assert text.startswith(strings.t("engine.ocr_header", lang) + "\n")
    for line in ("OPEN", "CLOSED SUNDAYS", "NO PARKING", "EXIT"):
        assert line in text
    assert strings.t("ocr.full_hint", lang) not in text


@pytest.mark.parametrize("lang", ["ja", "en"])
async def test_nothing_matching_says_so_and_offers_the_full_text(
        reader: OcrReader, en_sign: Image, lang: str) -> None:
    text = (await OcrEngine(reader).answer(ask(en_sign, "what about dogs?", lang))).text
    assert text == strings.t("ocr.no_match", lang) + "\n\n" + strings.t("ocr.full_hint", lang)


@pytest.mark.parametrize("question", ["Qu'est-ce que dit ce panneau ?",
                                      "이 표지판에 뭐라고 써 있어요?", "¿Dónde está la salida?"])
async def test_a_question_in_another_language_gets_a_clear_answer(
        reader: OcrReader, en_sign: Image, question: str) -> None:
    text = (await OcrEngine(reader).answer(ask(en_sign, question, "en"))).text
    assert text.startswith(strings.t("ocr.other_language", "en") + "\n\n"
                           + strings.t("engine.ocr_header", "en"))
    assert "NO PARKING" in text


async def test_fields_come_from_the_receipt_reader_when_there_is_one(
        reader: OcrReader, ja_receipt: Image, en_sign: Image) -> None:
    """The reader in bot/receipts is wired by build_app once it lands; here its contract
    (image in, ``Receipt`` out) is filled from the model with the rendered receipt's values."""
    read: list[tuple[int, int]] = []

    def receipts(pil) -> Receipt:
        read.append(pil.size)
        return Receipt(merchant="ファミリーストア 渋谷道玄坂店", total=Decimal("1234"),
                       tax=Decimal("112"), tax_rate=Decimal("10"), currency="JPY",
                       date=date(2026, 11, 20), is_receipt=pil.height > pil.width)

    engine = OcrEngine(reader, receipts=receipts)
    text = (await engine.answer(ask(ja_receipt, "合計と消費税は？", "ja"))).text
    assert text.startswith("合計: 1,234円\n消費税: 112円 (10%)")
    text = (await engine.answer(ask(ja_receipt, "What is the registration number?", "en"))).text
    assert text.startswith(strings.t("ocr.field_missing", "en", field="Registration number"))
    assert "T1234567890123" in text  # the line that carries it, quoted
    sign_text = (await engine.answer(ask(en_sign, "where is the exit?", "en"))).text
    assert "EXIT" in sign_text and len(read) == 2  # it names a thing: its lines answer
    sign_text = (await engine.answer(ask(en_sign, "what is the date?", "en"))).text
    assert sign_text.startswith(strings.t("ocr.no_match", "en"))  # read: not a receipt
    assert len(read) == 3

    def broken(pil) -> Receipt:
        raise RuntimeError("reader bug")

    text = (await OcrEngine(reader, receipts=broken).answer(ask(ja_receipt, "合計は", "ja"))).text
    assert fuzzy_contains(text, "合計 ¥1,234")  # the lines still answer


@pytest.mark.parametrize("lang", ["ja", "en"])
async def test_a_blank_image_gets_the_no_text_sentence(reader: OcrReader, lang: str) -> None:
    answer = await OcrEngine(reader, note_key=None).answer(
        AnswerRequest(images=(as_image(blank()),), question="?", language=lang))
    assert answer.text == strings.t("engine.ocr_none", lang)


async def test_several_images_are_numbered(reader: OcrReader, en_receipt: Image) -> None:
    request = AnswerRequest(images=(en_receipt, as_image(blank(), 1)), question="全文",
                            language="ja")
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
