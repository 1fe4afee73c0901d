"""The total's cross-checks (``bot.receipts.votes``) on rows written here in the style of real
Malaysian and English slips as OCR reads them: misread labels, columns glued into one row, a
minus added, a cent digit lost. Each case names the slip pattern it stands for."""

from __future__ import annotations

from datetime import date as Date
from decimal import Decimal

import pytest

from bot.receipts import fields as F
from bot.receipts import totals as T
from bot.receipts import votes as V
from bot.receipts.reader import read_fields

TODAY = Date(2026, 11, 28)


def total(rows: list[str]) -> Decimal | None:
    return read_fields(rows, today=TODAY).total


def test_tax_row_with_a_whole_number_from_the_next_column() -> None:
    rows = ["KEDAI RUNCIT", "ITEM A 1 50.00 50.00", "ITEM B 1 42.50 42.50", "SUB-TOTAL 92.50",
            "GST 1.50", "TAX 0.00 94", "ROUNDING 0.00", "T 94.00", "CASH 94.00", "CHANGE 0.00"]
    got = read_fields(rows, today=TODAY)
    assert (got.total, got.tax) == (Decimal("94.00"), Decimal("1.50"))


def test_no_total_word_an_amount_printed_three_times_below_the_items() -> None:
    rows = ["ROTI SHOP", "KAYA PUFF 4 1.60 6.40", "SLICE CAKE 1 8.70 8.70", "Qty 2 15.10",
            "anG 15.10", "Fay 15.10", "Change 0.00"]
    assert total(rows) == Decimal("15.10")


def test_no_total_word_a_row_that_sums_the_items_above_it() -> None:
    rows = ["FLORIST", "ROSE BUNCH", "122 pcs @ 18.90 2,305.80 SR", "CRYSTAL BUNCH 3,336.00 SR",
            "240 pcs @ 13.90", "TULIP BUNCH 2,197.00 SR", "130 pcs @ 16.90", "7,838.80",
            "-7,840.00", "1.20"]
    assert total(rows) == Decimal("7838.80")


def test_per_rate_totals_outvote_a_misread_payable() -> None:
    rows = ["BAKERIES SDN BHD", "WHITE 2.13 3 6.39", "Total 0% supplies: 20.67",
            "CHOC 6.90 6 41.40", "Total 6% supplies (excl. GST): 69.36", "GST: 4.16",
            "Total 6% supplies (Inc. GST): 73.52", "Total 0% supplies: 20.67",
            "Total Payable: 194.19"]
    assert total(rows) == Decimal("94.19")


def test_a_minus_on_the_payable_row_is_dropped_but_not_on_a_refund() -> None:
    rows = ["BAKERIES SDN BHD", "WHITE 2.13 3 6.39", "Total 0% supplies: 19.83",
            "Total 6% supplies (Inc. GST): 32.05", "Total 0% supplies: 19.83",
            "Total Payable: -51.88"]
    assert total(rows) == Decimal("51.88")
    assert total(["REFUND SLIP", *rows[1:]]) != Decimal("51.88")


def test_a_total_above_with_the_rounding_between_outvotes_a_misread_final_total() -> None:
    rows = ["WHOLESALE S/B", "1 CTN 31.50 31.50 SR", "Total Inc. GST 6%: 758.70",
            "Rounding Adjustment: 0.00", "Final Total 753.70", "Cash 760.00", "GST Summary",
            "SR 6 % 435.29 26.12", "758.70"]
    assert total(rows) == Decimal("758.70")


def test_a_total_with_one_cent_digit_gives_way_to_the_item() -> None:
    rows = ["MARKETING SDN BHD", "Cashier : A", "Description qty Price Amount",
            "SOAP BAR 1 4.70 4.70", "Totel:", "Total Item Discount: 0.00",
            "Total Sales Inclusive GST : 4.0", "Cash Received : 4.70"]
    assert total(rows) == Decimal("4.70")


def test_a_subtotal_printed_twice_outvotes_a_misread_cash_row() -> None:
    rows = ["PASAR MINI", "SEAFOOD 23.40", "VEGETABLES 21.50", "SUBTOTAL: 44.90",
            "TL:RM 44.90", "6% GST 0.38", "CASH 100.00", "CASH CHANGE 5.10"]
    assert total(rows) == Decimal("44.90")


def test_two_items_at_one_price_do_not_outvote_a_backed_total() -> None:
    rows = ["CAFE", "LATTE 3.50", "MOCHA 3.50", "TOTAL 7.00", "CASH 10.00", "CHANGE 3.00"]
    assert total(rows) == Decimal("7.00")


def test_totel_is_no_telephone_header() -> None:
    assert not T.find_dates_cheap("Totel:")
    assert T.find_dates_cheap("TEL: 03-1234 5678")


@pytest.mark.parametrize("rows, expected", [
    (["Total Item Discount: 0.00", "Total 5.00"], False),
    (["Member Discount -0.24", "Total 5.00"], True),
])
def test_a_zero_discount_row_is_no_discount(rows: list[str], expected: bool) -> None:
    assert T.discounted(F.lines_of(rows, "MYR")) is expected


def test_rate_totals_need_two_rates() -> None:
    one = F.lines_of(["Total 6% supplies (Inc. GST): 32.05"], "MYR")
    two = F.lines_of(["Total 6% supplies (Inc. GST): 32.05", "Total 0% supplies: 19.83",
                      "Total 0% supplies: 19.83"], "MYR")
    assert V._rate_totals(one) is None
    assert V._rate_totals(two) == Decimal("51.88")


def test_hostile_rows_end_without_a_total_or_an_error() -> None:
    rows = ["9" * 5000, "-" * 3000, "TOTAL", "1.00 " * 500, "@ " * 500]
    got = read_fields(rows, today=TODAY)
    assert got.total is None or got.total >= 0


def test_a_summing_row_is_checked_against_a_bounded_run_of_rows() -> None:
    items = [f"ITEM {i} 1.00" for i in range(V.SUM_ROWS + 5)]
    near = ["SHOP", *items, f"{V.SUM_ROWS:.2f}"]
    assert V._sum_row(F.lines_of(near, "MYR"), "MYR") == Decimal(V.SUM_ROWS)
    far = ["SHOP", *items, f"{V.SUM_ROWS + 5:.2f}"]  # would need more rows than are looked at
    assert V._sum_row(F.lines_of(far, "MYR"), "MYR") is None


def test_cash_paid_with_no_change_agrees_with_an_amount_printed_again() -> None:
    # a total label the OCR garbled ("SUBTUTA"), a machine number on a card-like label ("MC
    # #01"): the cash tendered, with no change printed, and the same amount above it agree
    rows = ["THE ROTI MAN BAKERY", "117, JALAN RADIN BAGUS, SRI PETALING", "MC #01",
            "REG C01 04-05-2018 16:07 456277", "Bacon RM4.90S", "Walnut Raisin RM8.60S",
            "Dark Rye Bun RM6.90 S", "3 No", "SUBTUTA RM20.40", "CASH RM20.40",
            "TAX INVOICE NO 223894"]
    assert total(rows) == Decimal("20.40")
    # guard: cash with change printed is not the total
    rows = ["KEDAI RUNCIT AH KOW", "MILO 3IN1 RM12.90", "GULA RM3.10", "TTL AMT RM16.00",
            "CASH RM20.00", "CHANGE RM4.00"]
    assert total(rows) == Decimal("16.00")


def test_a_zero_rounding_between_subtotal_and_total_is_no_second_vote_for_the_subtotal() -> None:
    # SROIE 234 through OCR: a 6 read as 0 in the subtotal and the card row; the total row
    # stands, since "Rounding Adj : 0.00" adds nothing to the subtotal's one vote
    rows = ["BEMED (SP) SDN. BHD.", "CB#:58273599475 02/Jan/2017 10:49:25",
            "ALPHA LIPID LIFE LINE 450MG 450G", "1 184810 165.00 1053R", "SubTotal: 105.00",
            "Rounding Adj : 0.00", "Total Inclusive GST: 165.00", "MASTER 105.00",
            "GST Summary: Amount Tax", "SA 155.00 9.34"]
    assert total(rows) == Decimal("165.00")
    # guard: a delivery fee between them still backs the total against subtotal and items
    rows = ["FOODPANDA ORDER #x7", "1x Nasi Lemak RM 12.50", "1x Teh Tarik RM 12.50",
            "Subtotal RM 25.00", "Delivery fee RM 3.40", "Total RM 28.40", "Card RM 28.40"]
    assert total(rows) == Decimal("28.40")


def test_a_total_one_digit_off_the_way_ocr_misreads_gives_way_to_what_backs_it() -> None:
    # a phone photo of SROIE 397: the total's 8 read as a 3; the amount before GST and the GST
    # make 78.30, and no OCR misreads a 3 as an 8 so often as the other way round
    rows = ["eCosway.com SDN BHD", "V2.60 29/07/2016 12:13:52", "PM BATHROOM CLEANER",
            "8 741698 2 1.40 25.80 51.60ER", "AMT PAID Incl. GST : RM73.30",
            "Amt Pald excl. GST :RM 73.87", "GST AMT:RM4.43", "PAID BY:CC7186:RM78.30",
            "TOTAL QTY:10 RC EARNED :2"]
    assert total(rows) == Decimal("78.30")
    # guards: the other way round (the backing rows make 73.30, the total reads 78.30: a 3
    # is rarely read as an 8) the total stands, and so it does against a value further off
    rows[4:7] = ["AMT PAID Incl. GST : RM78.30", "Amt Paid excl. GST :RM 68.87",
                 "GST AMT:RM4.43"]
    assert total(rows) == Decimal("78.30")
    rows[4:7] = ["AMT PAID Incl. GST : RM73.30", "Amt Paid excl. GST :RM 75.00",
                 "GST AMT:RM4.50"]
    assert total(rows) == Decimal("73.30")


def test_misread_digit_is_one_digit_the_likelier_way() -> None:
    from bot.receipts.amounts import misread_digit

    assert misread_digit(Decimal("78.30"), Decimal("73.30"))  # an 8 read as a 3
    assert not misread_digit(Decimal("73.30"), Decimal("78.30"))  # rarely so
    assert not misread_digit(Decimal("78.30"), Decimal("73.35"))  # two digits
    assert not misread_digit(Decimal("78.30"), Decimal("178.30"))


def test_a_net_total_backed_across_its_rounding_outvotes_a_misread_item() -> None:
    """SROIE 274 photographed: "@0.98" read as "60.98" made the items sum 73.63 and put the
    total under the dearest "item"; the net total is backed by the total with tax above the
    rounding ("Total Sales (Incl. GST @6%)": the tax's rate, not a per-rate total) and by the
    cash received, whose label the photo misread ("Fecsived Cash")."""
    rows = ["SUPER SEVEN CASH & CARRY SDN BHD", "22-06-2017 10:20:00 AM",
            "KK KACANG GORENG 400G 07.20", "5556524004265 *3 21.60 SR",
            "BAWANG BESAR INDIA 60.98", "42901 *1 0.98 ZR", "QUANTITY: 6 Units",
            "Total Sales (Incl. GST @6%) RM28.03", "Rounding Adjustment RM0.02",
            "Net Total RM28.05", "Payment Method CASH", "Fecsived Cash RM28.05", "Change RM0.00"]
    assert read_fields(rows, today=TODAY).total == Decimal("28.05")
    without_cash = rows[:-2]
    assert read_fields(without_cash, today=TODAY).total == Decimal("28.05")
    lines = F.lines_of(rows, "MYR")
    assert V.cash_and_change(lines) == (Decimal("28.05"), Decimal("0.00"))
    # guard: a per-rate total stays one ("Total 6% supplies (Inc. GST)")
    assert V._RATE_TOTAL.search("Total 6% supplies (Inc. GST):")
    assert V._RATE_TOTAL.search("Total Sales SR 6%")
    assert not V._RATE_TOTAL.search("Total Sales (Incl. GST @6%)")


def test_total_paid_over_the_change_is_the_cash_given_not_the_total() -> None:
    """A bakery's till (SROIE 521, 538): "Grand Total RM21.85", then "Total Paid RM50.00" and
    "Change RM28.15": what was handed over. On an app's receipt with no change under it
    "Total Paid" is the total (blind sets Q and G)."""
    rows = ["MOONLIGHT CAKE HOUSE SDN BHD 862725-U", "Date :04/06/2018 18:17:54",
            "Butter slice Cheese *# RM4.15 ST", "Discount RM-0.20", "Europe Bun *# RM3.70 ST",
            "Total(Incl GST) RM21.83", "Rounding RM0.02", "Grand TotalRM21.85",
            "Total Paid RM50.00", "Change RM28.15", "Discount Summary", "Discount RM1.12"]
    assert read_fields(rows, today=TODAY).total == Decimal("21.85")
    rows = ["GRAB", "Ride Fare RM 19.00", "Toll RM 3.00", "Platform & partner fee RM 1.00",
            "Total Paid RM 23.00", "Paid by Mastercard ****8821"]
    assert read_fields(rows, today=TODAY).total == Decimal("23.00")
    rows = ["KIOSK", "Amount RM 30.00", "Total Paid RM 30.00", "CASH RM 50.00",
            "CHANGE RM 20.00"]
    assert read_fields(rows, today=TODAY).total == Decimal("30.00")


def test_a_total_and_its_rounding_read_as_one_row_are_two() -> None:
    """SROIE 524: OCR put "Grand TotalRM15.40" and "Rounding RM0.01" on one row, whose last
    label (Rounding) made 0.01 the total."""
    rows = ["MOONLIGHT CAKE HOUSE SDN BHD", "Date :09/06/2018 18:47:29",
            "T-Butter Sugar Bun *# RM2.25 ST", "Discount RM-0.45",
            "Total (Incl GST, 0%) RM15.39", "Grand TotalRM15.40 Rounding RM0.01",
            "Total Paid RM50.00", "Change RM34.60"]
    assert read_fields(rows, today=TODAY).total == Decimal("15.40")
    rows[5] = "Grand TotaRM15.40 Rounding RM0.01"  # its L lost too (--photo 13)
    assert read_fields(rows, today=TODAY).total == Decimal("15.40")
    # guard: an item row with a count and a price is one row
    rows = ["KEDAI", "ROUNDING TOOL 2 3.00 6.00", "TOTAL 6.00"]
    assert read_fields(rows, today=TODAY).total == Decimal("6.00")


def test_points_lost_on_the_total_and_the_change_are_put_back() -> None:
    """SROIE 256 photographed (--photo 14): "Totai 1200", "Total Sales Inclusive GST @6.00%
    1200", "Cash Received 50.00", "Change 38 00": the change's point read as a space made it
    0, the cash alone voted and 50.00 became the total. The change reads 38.00, and the cash
    less it backs the 12.00 the item row prints."""
    rows = ["BILLION SIX ENTERPRISE", "Date 04/05/2017 7:19:43 AM 12",
            "Description Q1y Price Amount", "1 SR 9555255201803 1200 12.00",
            "5001 BAKERY DEEP TRAY(18 14 6CM,KT", "Totai 1200", "Discount",
            "Total Sales Inclusive GST @6.00% 1200", "Cash Received 50.00", "Change 38 00"]
    assert read_fields(rows, today=TODAY).total == Decimal("12.00")
    lines = F.lines_of([F.clean_row(r) for r in rows], "MYR")
    assert V.cash_and_change(lines) == (Decimal("50.00"), Decimal("38.00"))
    # guard: a space between a count and a price is no point
    assert F.lines_of(["ITEM 2 50"], "MYR")[0].amount == Decimal("50")
