"""Quality hints only where they bear on the request (issue 22): the "image is small, small text
may be misread" hint fired on an ordinary photo of a cat. The real ``assess`` on a small photo,
through the one path (memory stores, a counting engine)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image as PILImage
from skimage import data as samples

from bot import strings
from bot.app import build_app
from bot.cli.local import LocalConversation, cli_message
from bot.core.hints import hints_bear_on, reading_question
from bot.models import Image

HEADER = strings.t("quality.header", "en")


@pytest.fixture
def small_cat(tmp_path: Path) -> Path:
    """Chelsea the cat at 300 px: small enough for the size hint."""
    pil = PILImage.fromarray(samples.chelsea()).resize((300, 200))
    path = tmp_path / "cat.jpg"
    buf = io.BytesIO()
    pil.save(buf, format="JPEG", quality=90)
    path.write_bytes(buf.getvalue())
    return path


@pytest.fixture
async def app(make_settings, counting_engine):
    application = build_app(make_settings('[defaults]\nconsent = "off"\n'),
                            engine=counting_engine, memory_only=True)
    yield application
    await application.close()


async def _answer(app, path: Path, question: str) -> str:
    out = await app.pipeline.handle(LocalConversation(cli_message([path], question)))
    assert out.reply is not None
    return out.reply.text


async def test_no_quality_hint_for_what_the_photo_shows(app, small_cat) -> None:
    text = await _answer(app, small_cat, "what animal is this?")
    assert HEADER not in text and "small" not in text


async def test_a_reading_question_gets_the_hint(app, small_cat) -> None:
    """The same small image: the hint bears on reading, so it comes (the first test can fail)."""
    text = await _answer(app, small_cat, "what does the text say?")
    assert HEADER in text
    assert strings.t("quality.small", "en", width=300, height=200) in text


@pytest.mark.parametrize("question", [
    "what does this sign say?", "summarise this slide in 100 characters",
    "which allergens are on this menu?", "How much is the total?", "この看板の文字を読んで",
    "合計はいくら？", "日本語に翻訳して", "what's the model number?",
])
def test_reading_questions(question: str) -> None:
    assert reading_question(question)


@pytest.mark.parametrize("question", [
    "what animal is this?", "この動物は何？", "what colour is the cup?", "is she smiling?",
    "", "どこで撮った写真？",
])
def test_questions_about_what_is_shown(question: str) -> None:
    assert not reading_question(question)


def test_a_receipt_gets_hints_whatever_the_question() -> None:
    receipt = Image(0, b"", "image/png", 8, 8, "png", "a" * 64, "b" * 64,
                    ocr_text="小計 1,000\n消費税 80\n合計 1,080")
    assert hints_bear_on("what is this?", [receipt])
    assert not hints_bear_on("what is this?", [Image(0, b"", "image/png", 8, 8, "png",
                                                     "a" * 64, "b" * 64, ocr_text="MEOW")])
