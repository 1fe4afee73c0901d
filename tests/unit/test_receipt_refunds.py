"""Refund slips and credit notes (issue 21, blind set Q): the reader gives the amount handed
back as a negative total, so that a thread's sums net it off what was spent; the accounting
imports leave a refund out (their 支出 rows take positive amounts) and say why. The slips are
written here in the style of the blind sets' refunds: a supermarket's refund note, a
marketplace's credit note, a hotel's refund voucher paid back to a card."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bench.receipts import correct
from bot.models import ThreadKey
from bot.receipts import fields as F
from bot.receipts import totals as T
from bot.receipts.entry import Entry
from bot.receipts.export_common import Item, select_for_import
from bot.receipts.model import Receipt
from bot.receipts.reader import read_fields
from bot.receipts.summary import summarize

TODAY = date(2026, 11, 28)
HEAD = ["PASARAYA MAJU JAYA SDN BHD (Co. No. 123456-A)", "NO. 8, JALAN SS 2/4, 47300 PJ"]


def test_a_refund_slips_total_is_negative() -> None:
    rows = [*HEAD, "** REFUND **", "Orig Receipt : 0112-004-000311",
            "RICE COOKER 1.8L -1 x 89.00 -89.00 SR", "Total Qty : -1",
            "Refund Total (Incl SST) -89.00", "Refund Cash -89.00", "15/05/2026 14:27:55"]
    assert read_fields(rows, today=TODAY).total == Decimal("-89.00")


def test_a_credit_notes_total_is_negative_and_the_card_number_no_amount() -> None:
    rows = ["SEASIDE RESORT SDN BHD", "CREDIT NOTE / REFUND VOUCHER", "Date 04-09-2026",
            "Early departure - 1 night refunded -300.00", "Service Tax 6% -18.00",
            "Total Refund -318.00", "Refund via VISA ending 4417"]
    got = read_fields(rows, today=TODAY)
    assert got.total == Decimal("-318.00")
    rows = ["Lazada", "CREDIT NOTE", "ABC TECH SDN. BHD.", "Date: 14/02/2026",
            "Power Bank 10000mAh -1 60.00 -60.00", "Total Excluding SST | -60.00",
            "Total Credit Amount | -60.00", "Refunded to original payment method."]
    assert read_fields(rows, today=TODAY).total == Decimal("-60.00")


def test_a_refund_amount_row_is_the_total_of_a_marketplace_refund() -> None:
    rows = ["Shopee", "Return/Refund Details", "Refund Date: 03-06-2026", "Seller:",
            "HOME LIVING ENTERPRISE", "Pillow Memory Foam 2 -45.80", "Refund Amount | -RM45.80",
            "Refund to: ShopeePay"]
    assert read_fields(rows, today=TODAY).total == Decimal("-45.80")


def test_a_refund_policy_in_the_footer_makes_no_refund_slip() -> None:
    rows = [*HEAD, "SUGAR 1KG 2.85", "TOTAL 2.85", "CASH 10.00", "CHANGE 7.15",
            "Goods sold are not refundable", "No refund"]
    assert not T.refund_slip(F.lines_of(rows, "MYR"))
    assert read_fields(rows, today=TODAY).total == Decimal("2.85")


def _entry(n: int, total: str, currency: str = "MYR") -> Entry:
    r = Receipt(total=Decimal(total), currency=currency, date=date(2026, 5, 15),
                category="supplies")
    return Entry(n, r, r, "UALICE", 1_700_000_000.0 + n, f"sha{n}", added_by_name="Alice")


def test_a_refund_nets_off_the_summary() -> None:
    s = summarize([_entry(1, "120.00"), _entry(2, "-89.00")])
    assert s.currencies[0].total == Decimal("31.00")
    assert s.currencies[0].count == 2


def test_the_accounting_imports_leave_a_refund_out_and_say_why() -> None:
    thread = ThreadKey("slack", "T1", "C1", "1700000000.000100")
    items = [Item(thread, _entry(1, "3300", "JPY")), Item(thread, _entry(2, "-1100", "JPY"))]
    chosen = select_for_import(items, ("pending", "approved"))
    assert [i.entry.n for i in chosen.items] == [1]
    assert chosen.left_out == {"refund": [2]}


def test_the_bench_scores_a_refunds_amount_against_the_keys() -> None:
    assert correct("total", Receipt(total=Decimal("-32.90")), Decimal("32.90"))
    assert not correct("total", Receipt(total=Decimal("-32.90")), Decimal("23.90"))


def test_the_card_says_a_refund_is_money_back() -> None:
    from bot import strings
    from bot.receipts.card import card

    r = Receipt(merchant="MYDIN", total=Decimal("-32.90"), currency="MYR")
    e = Entry(5, r, r, "UALICE", 1.0, "sha5")
    assert "Total: -32.90 MYR" in card(e, "en")
    assert strings.t("receipts.refund", "en", n=5) in card(e, "en")
    sale = Receipt(merchant="MYDIN", total=Decimal("32.90"), currency="MYR")
    assert strings.t("receipts.refund", "en", n=5) not in card(Entry(5, sale, sale, "U", 1.0,
                                                                     "sha6"), "en")


def test_an_exchange_that_costs_nothing_totals_zero() -> None:
    rows = [*HEAD, "EXCHANGE / REFUND RECEIPT", "01/11/2026 15:22 POS: 0412", "RETURN",
            "BATH TOWEL 70X140 1 -29.90", "EXCHANGE", "BATH TOWEL 70X140 BLUE 1 29.90",
            "Sub-Total 0.00", "Total 0.00", "Change Amt 0.00"]
    assert read_fields(rows, today=TODAY).total == Decimal("0")
    # a zero total row does not stand in for the total a slip prints elsewhere
    rows = [*HEAD, "SUGAR 1KG 2.85", "Total Savings 0.00", "TOTAL 2.85", "CASH 2.85"]
    assert read_fields(rows, today=TODAY).total == Decimal("2.85")


def test_a_japanese_return_policy_makes_no_refund_slip() -> None:
    rows = ["DAISO", "クリアファイル A4 ¥100", "合計 ¥110", "返品・交換はレシートをお持ちの上",
            "14日以内にお願いします"]
    assert not T.refund_slip(F.lines_of(rows, "JPY"))
    assert T.refund_slip(F.lines_of(["ローソン", "返品", "おにぎり -¥150", "合計 -¥150"], "JPY"))
