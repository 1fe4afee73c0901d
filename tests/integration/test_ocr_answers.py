"""OCR-only answers through the one path (build_app with MIRU_VLM_BACKEND=ocr, the real receipt
reader, real Tesseract, in-memory stores): a receipt's field from the reader in both languages,
the no-model note once per thread, a follow-up answered from the stored image, signs answered
with their matching lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import strings
from bot.app import build_app
from bot.cli.local import LocalConversation, cli_message
from bot.models import ReplyKind
from tests.render import image_bytes, receipt, sign

pytestmark = pytest.mark.slow


def _file(tmp_path: Path, name: str, pil) -> Path:
    path = tmp_path / name
    path.write_bytes(image_bytes(pil))
    return path


async def _ask(app, paths: list[Path], question: str, thread: str, lang: str):
    out = await app.pipeline.handle(LocalConversation(
        cli_message(paths, question, thread=thread, language=lang)))
    assert out.reply is not None and out.reply.kind is ReplyKind.ANSWER, out.reply
    return out.reply.text


@pytest.fixture
async def app(make_settings):
    application = build_app(make_settings('[defaults]\nconsent = "off"\n', vlm_backend="ocr"),
                            memory_only=True)
    yield application
    await application.close()


async def test_ja_receipt_fields_once_noted_then_from_memory(app, tmp_path) -> None:
    path = _file(tmp_path, "receipt.png", receipt("ja").image)
    first = await _ask(app, [path], "合計はいくら？", "r-ja", "ja")
    assert first.startswith("合計: 1,234円")
    assert first.endswith("\n\n" + strings.t("ocr.no_model", "ja"))
    second = await _ask(app, [], "日付と店名は？", "r-ja", "ja")  # the image from memory
    assert strings.t("ocr.no_model", "ja") not in second
    assert "日付: 2026年11月20日" in second and "店名: ファミリーストア" in second


async def test_en_receipt_fields(app, tmp_path) -> None:
    path = _file(tmp_path, "receipt.png", receipt("en").image)
    first = await _ask(app, [path], "What's the total?", "r-en", "en")
    assert "Total: $23.45" in first and "Coffee" not in first
    tax = await _ask(app, [], "and the tax?", "r-en", "en")
    assert tax.startswith("Tax: $1.74") and strings.t("ocr.no_model", "en") not in tax
    full = await _ask(app, [], "full text", "r-en", "en")
    assert "CORNER MARKET" in full and "Bagel" in full


@pytest.mark.parametrize(("lines", "lang", "question", "expected", "absent"), [
    (["営業時間 10:00〜20:00", "定休日 水曜日", "駐車場 あり"], "ja", "駐車場はありますか",
     "駐車場", "営業時間"),
    (["OPEN 9AM - 5PM", "NO PARKING", "EXIT ->"], "en", "when do you open?", "OPEN", "EXIT"),
])
async def test_signs_answer_with_their_lines(app, tmp_path, lines, lang, question, expected,
                                             absent) -> None:
    path = _file(tmp_path, "sign.png", sign(lines, lang).image)
    text = await _ask(app, [path], question, f"s-{lang}", lang)
    body = text.split("\n\n")[0]  # the matching lines come first, the note after
    assert expected in body and absent not in body


async def test_a_question_in_another_language_is_answered_clearly(app, tmp_path) -> None:
    path = _file(tmp_path, "sign.png", sign(["NO PARKING"], "en").image)
    text = await _ask(app, [path], "Qu'est-ce qui est écrit ?", "s-fr", "en")
    assert strings.t("ocr.other_language", "en") in text and "PARKING" in text
