"""The card an expense thread answers with: unsure and missing fields marked, and what needs a
person said (no total, totals that disagree, duplicate, incomplete qualified invoice)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot import strings
from bot.receipts.card import UNSURE, card
from bot.receipts.entry import Entry
from bot.receipts.model import Receipt

SURE = dict.fromkeys(("merchant", "date", "total", "tax", "tax_rate", "currency",
                      "payment_method", "category", "invoice_number"), 0.95)


def entry(r: Receipt, **kw) -> Entry:
    return Entry(n=kw.pop("n", 4), receipt=r, original=r, added_by="u", added_at=0.0, **kw)


def test_sure_english_receipt_has_no_marks_and_no_invoice_line() -> None:
    r = Receipt(merchant="CORNER MARKET", date=date(2026, 11, 20), total=Decimal("23.45"),
                tax=Decimal("1.74"), tax_rate=Decimal("8"), currency="USD",
                payment_method="credit_card", category="supplies", confidence=SURE)
    text = card(entry(r), "en")
    assert text.splitlines()[0] == "Receipt #4"
    assert "Total: 23.45 USD" in text and "Tax: 1.74 (8%)" in text
    assert "Payment: credit card" in text and "Category: Supplies" in text
    assert UNSURE not in text and "Invoice" not in text


def test_missing_total_is_marked_and_asked_for() -> None:
    r = Receipt(merchant="ファミマ", currency="JPY", invoice_compliant=False,
                invoice_missing=("registration_number",), confidence={"merchant": 0.3})
    text = card(entry(r, n=2), "ja")
    assert f"合計: {strings.t('receipts.not_found', 'ja')} {UNSURE}" in text
    assert f"店名: ファミマ {UNSURE}" in text
    assert strings.t("receipts.no_total", "ja", n=2) in text
    assert "registration_number" in text  # what the qualified invoice lacks
    assert strings.t("receipts.unsure_legend", "ja") in text


def test_disagreeing_totals_and_duplicates_are_flagged() -> None:
    r = Receipt(merchant="A", date=date(2026, 1, 2), total=Decimal("1000"), currency="JPY",
                totals_disagree=True, confidence=SURE)
    text = card(entry(r, n=5, duplicate_of=3), "en")
    assert strings.t("receipts.totals_disagree", "en", n=5) in text
    assert strings.t("receipts.duplicate", "en", n=5, of=3) in text
    assert "Total: 1,000 JPY" in text
