"""Amounts and currencies as receipts print them (bot.receipts.amounts)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.receipts.amounts import detect_currency, find_amounts, parse_number


@pytest.mark.parametrize(("text", "value", "currency"), [
    ("合計 ¥1,234", "1234", "JPY"),
    ("小計 1,234円", "1234", "JPY"),
    ("合計 ¥1,234-", "1234", "JPY"),
    ("合計 ￥ 1,080".replace("￥", "¥"), "1080", "JPY"),
    ("TOTAL $6.41", "6.41", "USD"),
    ("Total 12,50 €", "12.50", "EUR"),
    ("Summe 1.234,56 EUR", "1234.56", "EUR"),
    ("TOTAL RM10.05", "10.05", "MYR"),
    ("TOTAL S$3.50", "3.50", "SGD"),
    ("Total £1,204.99", "1204.99", "GBP"),
    ("TOTAL USD 20.00", "20.00", "USD"),
    ("値引 △100", "-100", None),
    ("Rounding Adj -0.02", "-0.02", None),
])
def test_amount_forms(text: str, value: str, currency: str | None) -> None:
    found = find_amounts(text)
    assert found, text
    assert found[-1].value == Decimal(value)
    assert found[-1].currency == currency


@pytest.mark.parametrize("text", [
    "TEL 03-1234-5678", "2026/11/20 12:34", "No.1234-5", "", "合計", "〒107-0052",
])
def test_not_amounts(text: str) -> None:
    assert find_amounts(text) == []


def test_jpy_dot_is_thousands() -> None:
    assert find_amounts("合計 1.234", "JPY")[0].value == Decimal("1234")
    assert find_amounts("TOTAL 1.23", "USD")[0].value == Decimal("1.23")


def test_two_amounts_on_one_row_keep_order() -> None:
    found = find_amounts("10%対象 ¥1,000 (内消費税 ¥90)")
    assert [a.value for a in found] == [Decimal(1000), Decimal(90)]


def test_currency_detection() -> None:
    assert detect_currency("合計 ¥1,234\nお釣り 766円", japanese=True)[0] == "JPY"
    assert detect_currency("TOTAL $12.00\nCASH $20.00")[0] == "USD"
    assert detect_currency("TOTAL 12.00")[0] is None
    assert detect_currency("合計 1,234", japanese=True)[0] == "JPY"  # no mark, Japanese slip


def test_hostile_text_is_bounded() -> None:
    text = "¥" + "9" * 5000 + " " + "1," * 3000
    found = find_amounts(text)
    assert all(isinstance(a.value, Decimal) for a in found)
    assert find_amounts("\x00\u202e¥12\ufeff") is not None


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=99))
def test_formatted_amounts_round_trip(whole: int, cents: int) -> None:
    value = Decimal(f"{whole}.{cents:02d}")
    assert find_amounts(f"TOTAL ${value:,.2f}")[-1].value == value
    assert find_amounts(f"合計 ¥{whole:,}")[-1].value == Decimal(whole)
    parsed = parse_number(f"{whole:,}".replace(",", "."), "JPY")
    assert parsed is not None and parsed[0] == Decimal(whole)


def test_ocr_confusions_in_amounts() -> None:
    from bot.receipts.fields import clean_row

    assert find_amounts(clean_row("TOTAL £52:37"))[-1].value == Decimal("52.37")
    assert find_amounts(clean_row("BALANCE DUE £103;71"))[-1].value == Decimal("103.71")
    assert find_amounts(clean_row("AMOUNT DUE S$34 .13"))[-1].value == Decimal("34.13")
    assert find_amounts(clean_row("CASH TENDERED100,00 €"))[-1].value == Decimal("100.00")
    assert find_amounts(clean_row("12:34 TOTAL $5.00"))[-1].value == Decimal("5.00")
    assert find_amounts(clean_row("2026/11/20 12:34")) == []
