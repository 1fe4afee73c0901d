"""Answers to the thread's questions and reports, from entries built directly: currencies are
never added together, rejected receipts and receipts without a total are named and not counted,
categories and people shown as users see them, in both languages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot import strings
from bot.receipts.answers import answer, select
from bot.receipts.entry import PENDING, Approval, Entry
from bot.receipts.model import Receipt
from bot.receipts.queries import (
    CountQuery,
    FieldQuery,
    ListQuery,
    MissingQuery,
    SumQuery,
    TopQuery,
)
from bot.receipts.report import report_text
from bot.receipts.scope import Scope

T_VALID = "T1234567890123"


def entry(n: int, *, by: str = "UALICE", name: str = "Alice", approval: Approval = PENDING,
          **fields: object) -> Entry:
    r = Receipt(**fields)  # type: ignore[arg-type]
    return Entry(n, r, r, by, 1_700_000_000.0 + n, f"sha{n}", added_by_name=name,
                 approval=approval)


LEDGER = [
    entry(1, merchant="ファミリーマート", date=date(2026, 11, 28), total=Decimal("3300"),
          currency="JPY", category="transport", invoice_number=T_VALID,
          invoice_number_valid=True, invoice_compliant=True),
    entry(2, merchant="東横イン", date=date(2026, 12, 1), total=Decimal("9000"), currency="JPY",
          category="lodging", invoice_compliant=False, by="UBOB", name="Bob"),
    entry(3, merchant="CORNER MARKET", date=date(2026, 12, 2), total=Decimal("23.45"),
          currency="USD", category="entertainment"),
    entry(4, merchant="タクシー", date=date(2026, 12, 2), total=Decimal("1500"), currency="JPY",
          category="transport", approval=Approval("rejected", "UBOSS", "Boss", 1.0, "私用")),
    entry(5, merchant="ローソン", date=date(2026, 12, 3), currency="JPY", category="supplies",
          invoice_compliant=True),
    entry(6, merchant="JR東日本", date=date(2026, 12, 3), total=Decimal("480"), currency="JPY",
          category="transport", by="UBOB", name="Bob",
          approval=Approval("approved", "UBOSS", "Boss", 1.0)),
]


def test_a_field_of_one_receipt() -> None:
    assert answer(FieldQuery(1, "total"), LEDGER, "en") == "#1 Total: 3,300 JPY"
    assert answer(FieldQuery(1, "total"), LEDGER, "ja") == "#1 の合計: 3,300 JPY"
    assert answer(FieldQuery(5, "total"), LEDGER, "en") == strings.t(
        "expense.field_missing", "en", n=5, field="Total")
    assert answer(FieldQuery(9, "total"), LEDGER, "en") == strings.t("receipts.no_such", "en",
                                                                     n=9)
    whole = answer(FieldQuery(4), LEDGER, "en")
    assert whole.startswith("Receipt #4") and "rejected by Boss (私用)" in whole


def test_sums_per_currency_never_added_and_rejected_not_counted() -> None:
    got = answer(SumQuery(Scope()), LEDGER, "en")
    assert got.splitlines()[0] == "all receipts: 12,780 JPY (3) · 23.45 USD (1)"
    assert "Rejected, not counted: #4." in got and "No total, not counted: #5." in got
    transport = answer(SumQuery(Scope(category="transport")), LEDGER, "ja")
    assert transport.splitlines()[0] == "交通費: 3,780 JPY (2)"
    december = answer(SumQuery(Scope(month=(2026, 12), category="lodging")), LEDGER, "en")
    assert december == "Lodging, 2026-12: 9,000 JPY (1)"


def test_people_by_the_names_their_platform_showed() -> None:
    bob = answer(SumQuery(Scope(person_name="bob")), LEDGER, "en")
    assert bob == "Bob: 9,480 JPY (2)"
    assert answer(SumQuery(Scope(person="UBOB")), LEDGER, "en") == bob
    nobody = answer(SumQuery(Scope(person_name="carol")), LEDGER, "en")
    assert nobody == strings.t("expense.no_person", "en", name="carol")


def test_top_spender_per_currency() -> None:
    got = answer(TopQuery(Scope()), LEDGER, "en").splitlines()
    assert got[0] == "Who spent most (all receipts), per currency:"
    assert got[1:4] == ["1. Bob: 9,480 JPY (2)", "2. Alice: 3,300 JPY (1)",
                        "1. Alice: 23.45 USD (1)"]
    assert "Rejected, not counted: #4." in got


def test_missing_registration_numbers_only_where_one_is_expected() -> None:
    got = answer(MissingQuery("invoice_number", Scope()), LEDGER, "en")
    # #3 is an American receipt: no registration number expected; #1 has a valid one
    assert got.startswith("Without Invoice reg. no. (4): #2 (東横イン")
    assert "#3" not in got and "#1 " not in got
    ja = answer(MissingQuery("invoice_number", Scope(month=(2026, 11))), LEDGER, "ja")
    assert ja == strings.t("expense.missing_none", "ja", what="2026年11月", field="登録番号")


def test_counts_and_lists_by_status() -> None:
    assert answer(CountQuery(Scope()), LEDGER, "en") == (
        "all receipts: 6 receipts (1 approved, 4 pending, 1 rejected).")
    assert answer(CountQuery(Scope(status="pending")), LEDGER, "ja").startswith("未承認: 4 件")
    rejected = answer(ListQuery(Scope(status="rejected")), LEDGER, "en")
    assert rejected == "rejected (1): #4 (タクシー, 2026-12-02, 1,500 JPY)"
    assert answer(ListQuery(Scope(category="outsourcing")), LEDGER, "en") == strings.t(
        "expense.none_match", "en", what="Outsourcing")


def test_select_raises_for_an_unknown_name() -> None:
    with pytest.raises(LookupError):
        select(LEDGER, Scope(person_name="nobody"))


def test_report_by_status_currency_category_person_and_month() -> None:
    text = report_text(LEDGER, "all receipts", "en")
    lines = text.splitlines()
    assert lines[0] == "Expense report, all receipts: 6 receipts"
    assert lines[1] == "Approved 1 · pending 4 · rejected 1"
    assert lines[2] == ("Totals (rejected receipts not counted): 12,780 JPY (3) · "
                        "23.45 USD (1)")
    assert "  • Lodging: 9,000 JPY (1)" in lines and "  • Transport: 3,780 JPY (2)" in lines
    assert "  • Bob: 9,480 JPY (2)" in lines
    assert "  • Alice: 3,300 JPY (1) · 23.45 USD (1)" in lines
    assert "  • 2026-11: 3,300 JPY (1)" in lines
    assert lines[-2:] == ["Rejected, not counted: #4.", "No total, not counted: #5."]
    ja = report_text(LEDGER[:2], "2026年11月", "ja")
    assert ja.startswith("経費レポート（2026年11月）: 2 件")
    assert report_text([], "x", "en") == strings.t("expense.none_match", "en", what="x")
