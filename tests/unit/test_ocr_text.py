"""OCR text tidying that RapidOCR needs: kanji its recogniser reads in simplified Chinese form."""

from __future__ import annotations

from bot.vision.ocr import normalise_text


def test_simplified_forms_read_on_japanese_receipts_become_japanese() -> None:
    assert normalise_text("消费税等(10%) 142円", "ja") == "消費税等(10%) 142円"
    assert normalise_text("(10%对象 ¥1,050-", "ja") == "(10%対象 ¥1,050-"


def test_english_text_is_left_as_it_is() -> None:
    assert normalise_text("消费税 TOTAL 10.00", "en") == "消费税 TOTAL 10.00"
