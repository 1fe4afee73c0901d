"""Answering from read text without a vision model (bot/vision/ocr_answer.py): what a question
asks, which lines answer it (Japanese without a tokenizer, English with OCR noise), receipt
fields worded from the Receipt model, and questions in other languages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.receipts.model import Receipt, TaxLine
from bot.vision.ocr_answer import (
    field_lines,
    field_text,
    item_lines,
    looks_like_receipt,
    matching_lines,
    plan,
    question_language,
)

SIGN_JA = "営業時間 10:00~20:00\n定休日 水曜日\n駐車場あり\nおにぎり ¥160\nTEL 03-1234-5678"
SIGN_EN = "OPEN 9AM - 5PM\nCLOSED SUNDAYS\nNO PARKING\nEXIT ->\nCall 555-123-4567"
RECEIPT_EN = ("CORNER MARKET\n123 Main Street\nDate: 2026-11-20 14:32\nBagel $2.75\n"
              "Subtotal $21.71\nTax (8%) $1.74\nTotal $23.45")


@pytest.mark.parametrize(("question", "kind", "fields"), [
    ("全文", "full", ()),
    ("全文を見せて", "full", ()),
    ("full text please", "full", ()),
    ("Show me the FULL TEXT", "full", ()),
    ("", "full", ()),
    ("?", "full", ()),
    ("what does this sign say?", "full", ()),
    ("何と書いてありますか", "full", ()),
    ("読んで", "full", ()),
    ("remind me?", "full", ()),
    ("and this one?", "full", ()),
    ("もう一度読んで", "full", ()),
    ("合計はいくら？", "fields", ("total",)),
    ("What's the total?", "fields", ("total",)),
    ("日付は？", "fields", ("date",)),
    ("登録番号を教えて", "fields", ("invoice_number",)),
    ("tax registration number?", "fields", ("invoice_number",)),
    ("how much tax?", "fields", ("total", "tax")),
    ("消費税はいくら", "fields", ("total", "tax")),
    ("which shop is this from?", "fields", ("merchant",)),
    ("駐車場はありますか", "lines", ()),
    ("can I park here?", "lines", ()),
    ("Qu'est-ce que dit ce panneau ?", "other_language", ()),
    ("Was steht auf dem Schild?", "other_language", ()),
    ("¿Cuánto cuesta?", "other_language", ()),
    ("이 표지판에 뭐라고 써 있어요?", "other_language", ()),
    ("Что здесь написано?", "other_language", ()),
])
def test_plan(question: str, kind: str, fields: tuple) -> None:
    got = plan(question)
    assert (got.kind, got.fields) == (kind, fields)


@pytest.mark.parametrize(("question", "lang"), [
    ("exit?", "en"), ("Total", "en"), ("これは何", "ja"), ("この sign は何?", "ja"),
    ("Où est la sortie ?", "other"), ("Wo ist der Ausgang?", "other"), ("", "en"),
    ("x" * 10_000, "en"),
])
def test_question_language(question: str, lang: str) -> None:
    assert question_language(question) == lang


@pytest.mark.parametrize(("question", "text", "lines"), [
    ("何時まで開いていますか？", SIGN_JA, ["営業時間 10:00~20:00"]),
    ("おにぎりはいくら？", SIGN_JA, ["おにぎり ¥160"]),
    ("駐車場はありますか", SIGN_JA, ["駐車場あり"]),
    ("電話番号は？", SIGN_JA, ["TEL 03-1234-5678"]),
    ("where is the exit?", SIGN_EN, ["EXIT ->"]),
    ("Can I park here?", SIGN_EN, ["NO PARKING"]),
    ("what's the phone number?", SIGN_EN, ["Call 555-123-4567"]),
    ("is it clsoed on sundays?", SIGN_EN, ["CLOSED SUNDAYS"]),  # a typo, fuzzy
    ("what about dogs?", SIGN_EN, []),
    ("ペットは入れますか", SIGN_JA, []),
])
def test_matching_lines(question: str, text: str, lines: list[str]) -> None:
    assert matching_lines(question, text) == lines


def test_matching_lines_has_a_limit_and_keeps_the_order() -> None:
    text = "\n".join(f"coffee {n}" for n in range(100))
    got = matching_lines("coffee?", text)
    assert got == [f"coffee {n}" for n in range(8)]
    assert matching_lines("coffee?", "x\n" * 50_000 + "coffee") == ["coffee"]


def test_hostile_questions_and_texts_do_not_break_it() -> None:
    assert matching_lines("\x00" * 5000 + "(((", "a\n(((\n\x00") in ([], ["((("])
    assert plan("全" * 100_000).kind in ("full", "lines", "fields")
    assert matching_lines("", "") == []


def test_items_named_in_a_fields_question() -> None:
    assert item_lines("how much was the bagel?", RECEIPT_EN) == ["Bagel $2.75"]
    assert item_lines("What's the total?", RECEIPT_EN) == []


def test_field_lines_without_a_reader() -> None:
    assert looks_like_receipt(RECEIPT_EN) and not looks_like_receipt(SIGN_EN)
    assert field_lines("total", RECEIPT_EN) == ["Total $23.45"]
    assert field_lines("tax", RECEIPT_EN) == ["Tax (8%) $1.74"]
    assert field_lines("date", RECEIPT_EN) == ["Date: 2026-11-20 14:32"]
    assert field_lines("merchant", RECEIPT_EN) == ["CORNER MARKET"]
    assert field_lines("invoice_number", "店\n登録番号 T1234567890123") == [
        "登録番号 T1234567890123"]


JA = Receipt(merchant="ファミリーストア", date=date(2026, 11, 20), total=Decimal("1234"),
             tax=Decimal("112"), tax_rate=Decimal("10"), currency="JPY",
             invoice_number="T1234567890123", invoice_number_valid=True)
EN = Receipt(merchant="CORNER MARKET", date=date(2026, 11, 20), total=Decimal("23.45"),
             tax=Decimal("1.74"), currency="USD",
             tax_lines=(TaxLine(Decimal("8"), Decimal("1.74")),))


@pytest.mark.parametrize(("field", "receipt", "lang", "said"), [
    ("total", JA, "ja", "合計: 1,234円"),
    ("total", JA, "en", "Total: ¥1,234"),
    ("total", EN, "en", "Total: $23.45"),
    ("tax", JA, "ja", "消費税: 112円 (10%)"),
    ("tax", EN, "en", "Tax: $1.74 (8%)"),
    ("date", JA, "ja", "日付: 2026年11月20日"),
    ("date", EN, "en", "Date: 2026-11-20"),
    ("merchant", JA, "ja", "店名: ファミリーストア"),
    ("invoice_number", JA, "en", "Registration number: T1234567890123"),
    ("invoice_number", EN, "en", None),
])
def test_field_text(field, receipt, lang, said) -> None:
    assert field_text(field, receipt, lang) == said


def test_a_number_that_fails_its_check_says_so() -> None:
    from dataclasses import replace

    said = field_text("invoice_number", replace(JA, invoice_number_valid=False), "en")
    assert said is not None and said.startswith("Registration number: T1234567890123 (")


def test_a_question_with_no_subject_picks_no_line_by_chance():
    """Regression: "and once more?" fuzzily matched "ZONE" (partial ratio of "once" ~ "one")."""
    assert matching_lines("and once more?", "NO PARKING\nTOW AWAY ZONE") == []
