"""The expense thread's grammar: corrections and commands in Japanese and English, and hostile
input (huge, negative, very long, invisible and full-width characters) refused with a reason."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import strings
from bot.receipts.corrections import (
    MAX_CHARS,
    ParseError,
    Remove,
    SetField,
    ShowSummary,
    StartReceipts,
    Undo,
    apply,
    invoice_check_digit_ok,
    parse,
    parse_amount,
)
from bot.receipts.model import Receipt


@pytest.mark.parametrize(("text", "expected"), [
    ("total 1280", SetField("total", Decimal("1280"))),
    ("Total: ¥1,280", SetField("total", Decimal("1280"), currency="JPY")),
    ("合計 1280円", SetField("total", Decimal("1280"), currency="JPY")),
    ("合計は1,280円です", SetField("total", Decimal("1280"), currency="JPY")),
    ("合計を1280円に修正してください", SetField("total", Decimal("1280"), currency="JPY")),
    ("ｔｏｔａｌ　１２８０", SetField("total", Decimal("1280"))),
    ("set total to 6.41 USD", SetField("total", Decimal("6.41"), currency="USD")),
    ("tax 80", SetField("tax", Decimal("80"))),
    ("税率 8%", SetField("tax_rate", Decimal("8"))),
    ("category 交通費", SetField("category", "transport")),
    ("#2 category lodging", SetField("category", "lodging", n=2)),
    ("2番の科目 交際費", SetField("category", "entertainment", n=2)),
    ("date 2026-11-20", SetField("date", date(2026, 11, 20))),
    ("日付 2026年11月20日", SetField("date", date(2026, 11, 20))),
    ("日付は2026/11/20", SetField("date", date(2026, 11, 20))),
    ("merchant Tokyo Station Café", SetField("merchant", "Tokyo Station Café")),
    ("店名 はなまるうどん", SetField("merchant", "はなまるうどん")),
    ("店名はローソン", SetField("merchant", "ローソン")),
    ("payment cash", SetField("payment_method", "cash")),
    ("支払い クレカ", SetField("payment_method", "credit_card")),
    ("payment Suica", SetField("payment_method", "ic_card")),
    ("currency usd", SetField("currency", "USD")),
    ("登録番号 T1234567890123", SetField("invoice_number", "T1234567890123")),
    ("remove 3", Remove(3)),
    ("削除 3", Remove(3)),
    ("3番を削除", Remove(3)),
    ("undo", Undo()),
    ("取り消し", Undo()),
    ("summary", ShowSummary()),
    ("集計", ShowSummary()),
    ("receipts", StartReceipts()),
    ("経費", StartReceipts()),
])
def test_accepted_forms(text, expected) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(("text", "key"), [
    ("hello there", "receipts.unknown"),
    ("total", "receipts.no_value"),
    ("total -5", "receipts.negative_amount"),
    ("合計 −1280円", "receipts.negative_amount"),
    ("total 1e5", "receipts.bad_amount"),
    ("total 12,50", "receipts.bad_amount"),
    ("total 1.234", "receipts.bad_amount"),
    ("total ¥5 USD", "receipts.bad_amount"),
    ("total NaN", "receipts.bad_amount"),
    ("total Infinity", "receipts.bad_amount"),
    ("total 99999999999999999", "receipts.amount_too_large"),
    ("total " + "9" * 5000, "receipts.too_long"),
    ("total 20000000000", "receipts.amount_too_large"),
    ("税率 150%", "receipts.bad_rate"),
    ("date 2026-02-30", "receipts.bad_date"),
    ("date 1800-01-01", "receipts.bad_date"),
    ("date tomorrow", "receipts.bad_date"),
    ("category snacks", "receipts.bad_category"),
    ("payment bitcoin", "receipts.bad_payment"),
    ("currency dollars", "receipts.bad_currency"),
    ("invoice 12345", "receipts.bad_invoice"),
    ("merchant " + "x" * 150, "receipts.bad_merchant"),
    ("remove 0", "receipts.bad_number"),
    ("remove 99999999999999999999", "receipts.bad_number"),
    ("#99999 total 5", "receipts.bad_number"),
    ("a" * 10_000, "receipts.too_long"),
])
def test_refused_with_a_reason_that_has_both_languages(text, key) -> None:
    result = parse(text)
    assert result == ParseError(key)
    assert strings.t(key, "en") and strings.t(key, "ja") != strings.t(key, "en")


def test_invisible_and_bidi_characters_do_not_hide_a_keyword_or_smuggle_a_value() -> None:
    assert parse("to\u200btal 1280") == SetField("total", Decimal("1280"))
    assert parse("\u202etotal 1280") == SetField("total", Decimal("1280"))
    merchant = parse("merchant Lawson\u202e\u200b")
    assert merchant == SetField("merchant", "Lawson")
    assert parse("total ١٢٨٠") == ParseError("receipts.bad_amount")  # Arabic-Indic digits


def test_amounts_are_decimals_not_floats() -> None:
    assert parse_amount("0.10") == (Decimal("0.10"), None)
    amount, _ = parse_amount("$6.41")  # type: ignore[misc]
    assert isinstance(amount, Decimal) and amount * 3 == Decimal("19.23")


def test_apply_marks_the_field_sure_and_keeps_the_rest() -> None:
    r = Receipt(merchant="A", total=None, confidence={"total": 0.0, "merchant": 0.4},
                totals_disagree=True)
    fixed = apply(r, SetField("total", Decimal("1280"), currency="JPY"))
    assert fixed.total == Decimal("1280") and fixed.currency == "JPY"
    assert fixed.confidence == {"total": 1.0, "merchant": 0.4}
    assert not fixed.totals_disagree and fixed.merchant == "A"
    assert "total" not in fixed.unsure() and "merchant" in fixed.unsure()


def test_invoice_check_digit() -> None:
    # 国税庁's own example registration number: T + corporate number 8700110005901
    assert invoice_check_digit_ok("T8700110005901")
    assert not invoice_check_digit_ok("T1700110005901")
    assert not invoice_check_digit_ok("T870011000590")
    fixed = apply(Receipt(), SetField("invoice_number", "T8700110005901"))
    assert fixed.invoice_number_valid is True


def test_accepted_forms_exist_in_both_languages() -> None:
    assert "total 1280" in strings.t("receipts.forms", "en")
    assert "合計 1280円" in strings.t("receipts.forms", "ja")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=MAX_CHARS * 5))
def test_any_text_gives_a_command_or_a_known_error(text) -> None:
    result = parse(text)
    if isinstance(result, ParseError):
        assert result.key in strings.MESSAGES
    elif isinstance(result, SetField) and isinstance(result.value, Decimal):
        assert Decimal(0) <= result.value <= Decimal("10000000000")
