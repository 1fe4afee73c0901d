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
    assert "不足: 登録番号" in text  # what the qualified invoice lacks, by its label
    assert "registration_number" not in text
    assert strings.t("receipts.unsure_legend", "ja") in text


def test_disagreeing_totals_and_duplicates_are_flagged() -> None:
    r = Receipt(merchant="A", date=date(2026, 1, 2), total=Decimal("1000"), currency="JPY",
                totals_disagree=True, confidence=SURE)
    text = card(entry(r, n=5, duplicate_of=3), "en")
    assert strings.t("receipts.totals_disagree", "en", n=5) in text
    assert strings.t("receipts.duplicate", "en", n=5, of=3) in text
    assert "Total: 1,000 JPY" in text


def _every_requirement() -> tuple[str, ...]:
    """Every name the reader can give a qualified invoice's missing parts (all missing)."""
    from bot.receipts.reader import _compliance

    compliant, missing = _compliance(True, "JPY", None, None, None, None, None, [], None, None)
    assert compliant is False
    return missing


def test_every_missing_invoice_part_has_a_label_in_both_languages() -> None:
    """Issue 22: Japanese cards showed "不足: registration_number"."""
    names = _every_requirement()
    assert set(names) >= {"registration_number", "issuer", "date", "amounts", "tax_per_rate"}
    for name in names:
        for lang in strings.LANGS:
            assert f"receipts.requirement.{name}" in strings.MESSAGES, name
            r = Receipt(currency="JPY", invoice_compliant=False, invoice_missing=(name,))
            text = card(entry(r), lang)
            label = strings.t(f"receipts.requirement.{name}", lang)
            assert strings.t("receipts.invoice_noncompliant", lang, missing=label) in text
            assert "_" not in label and ("_" not in name or name not in text), (lang, text)


def test_every_card_field_has_a_label_and_no_internal_name_shows() -> None:
    import re

    r = Receipt(merchant="ローソン", date=date(2026, 11, 20), total=Decimal("1280"),
                tax=Decimal("95"), tax_rate=Decimal("8"), currency="JPY",
                payment_method="ic_card", category="transport", invoice_number="T1234567890123",
                invoice_compliant=False, invoice_missing=_every_requirement(), confidence={})
    for lang in strings.LANGS:
        text = card(entry(r), lang)
        assert not re.findall(r"\b[a-z]+_[a-z_]+\b", text), text
        for name in SURE:
            assert f"receipts.field.{name}" in strings.MESSAGES
