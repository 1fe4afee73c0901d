"""Reading fields from a receipt's rows of text (bot.receipts.fields and reader.read_fields),
without OCR: keywords, totals among look-alikes, taxes, payment, category, invoice numbers."""

from datetime import date
from decimal import Decimal

import pytest

from bot.receipts import categories as K
from bot.receipts import fields as F
from bot.receipts import merchant as M
from bot.receipts.model import Receipt
from bot.receipts.reader import read_fields

TODAY = date(2026, 11, 28)


def read(text: str) -> Receipt:
    return read_fields(text.strip().splitlines(), today=TODAY)


@pytest.mark.parametrize("number", ["T7123456789012", "T4011001098993",
                                    "T" + str(F.check_digit("234567890123")) + "234567890123"])
def test_invoice_check_digit_valid(number: str) -> None:
    assert F.invoice_number(f"登録番号 {number}") == (number, True)


def test_invoice_check_digit_rule() -> None:
    # the worked example of 財務省令第七十号 第二条: base 123456789012 -> check digit 7
    assert F.check_digit("123456789012") == 7
    assert F.invoice_number("T8123456789012") == ("T8123456789012", False)
    assert F.invoice_number("T0123456789012")[1] is False
    assert F.invoice_number("登録番号:T 7123-4567-8901-2") == ("T7123456789012", True)
    assert F.invoice_number("T712345678901") == (None, None)  # 12 digits
    assert F.invoice_number("ST7123456789012") == (None, None)


@pytest.mark.parametrize(("label", "strong"), [
    ("合計", True), ("総合計", True), ("お会計", True), ("ご請求額", True), ("TOTAL", True),
    ("GRAND TOTAL", True), ("AMOUNT DUE", True), ("BALANCE", True), ("BALANCE DUE", True),
    ("Total (incl. VAT)", True), ("税込合計", True),
    ("小計", False), ("SUBTOTAL", False), ("SUB TOTAL", False), ("合計点数", False),
    ("TOTAL QTY", False), ("TOTAL SAVINGS", False), ("10%対象計", False), ("お預り", False),
    ("お釣り", False), ("CASH TENDERED", False), ("CHANGE", False), ("消費税", False),
    ("TOTAL TAX", False), ("税抜合計", False), ("Total excl. VAT", False), ("Rounding Adj", False),
])
def test_total_keywords(label: str, strong: bool) -> None:
    assert (F.total_strength(label) >= 0.9) is strong, label


JA_ADDED = """
文具のアオヤマ
東京都港区赤坂1-2-3 TEL 03-1234-5678
登録番号 T7123456789012
2026年11月20日(金) 12:34
ボールペン ¥300
コピー用紙 A4 ¥700
小計 ¥1,000
消費税等(10%) ¥100
合計 ¥1,100
お預り ¥2,000
お釣り ¥900
"""


def test_japanese_tax_added() -> None:
    r = read(JA_ADDED)
    assert r.total == Decimal(1100) and r.subtotal == Decimal(1000) and r.tax == Decimal(100)
    assert r.tax_rate == Decimal(10) and r.tax_style == "added"
    assert r.currency == "JPY" and r.date == date(2026, 11, 20)
    assert r.payment_method == "cash" and r.category == "supplies"
    assert r.merchant == "文具のアオヤマ"
    assert r.invoice_number == "T7123456789012" and r.invoice_number_valid
    assert r.invoice_compliant is True and r.invoice_missing == ()
    assert [i.name for i in r.items] == ["ボールペン", "コピー用紙 A4"]
    assert not r.totals_disagree and r.is_receipt and r.readable


def test_japanese_mixed_rates_included() -> None:
    r = read("""
ローソン 新橋店
R8.11.20 19:41
お茶 ¥150
ティッシュ ¥400
合計 ¥550
(8%対象 ¥150 内消費税 ¥11)
(10%対象 ¥400 内消費税 ¥36)
PayPay ¥550
""")
    assert r.total == Decimal(550) and r.tax == Decimal(47) and r.tax_style == "included"
    assert {(t.rate, t.tax, t.base) for t in r.tax_lines} == {
        (Decimal(8), Decimal(11), Decimal(150)), (Decimal(10), Decimal(36), Decimal(400))}
    assert r.tax_rate is None  # two rates
    assert r.payment_method == "qr_code"
    assert r.invoice_compliant is False and "registration_number" in r.invoice_missing


def test_rounding_adjustment_and_two_totals() -> None:
    r = read("""
GREEN GROCER SDN BHD
Date: 20/11/2026
Apples RM 10.02
Total (Excl. SST) RM 10.02
SST 6% RM 0.60
Total (Incl. SST) RM 10.62
Rounding Adj RM -0.02
Rounded Total RM 10.60
CASH RM 20.00
CHANGE RM 9.40
""")
    assert r.total == Decimal("10.60") and r.currency == "MYR"
    assert r.date == date(2026, 11, 20) and r.payment_method == "cash"
    assert not r.totals_disagree


def test_totals_disagree_flagged() -> None:
    r = read("""
Joe's Bar & Grill
11/20/2026
Burger $10.00
SUBTOTAL $10.00
TAX 8% $0.80
TOTAL $12.80
VISA ****1234 $12.80
""")
    assert r.total == Decimal("12.80") and r.totals_disagree
    assert r.payment_method == "credit_card" and r.category == "entertainment"
    assert r.invoice_compliant is None  # not a Japanese receipt


def test_label_and_amount_on_separate_rows() -> None:
    r = read("CITY TAXI\nNov 20 2026\nTOTAL\n$18.40\nCASH $20.00\nCHANGE $1.60")
    assert r.total == Decimal("18.40") and r.category == "transport"


def test_no_total_found_is_marked() -> None:
    r = read("居酒屋 さくら\n2026/11/20\n生ビール ¥600\n枝豆 ¥300")
    assert r.total is None and r.confidence["total"] == 0.0 and "total" in r.unsure()


def test_tendered_is_never_the_total() -> None:
    r = read("SHOP\nCASH TENDERED $50.00\nTOTAL $12.00\nCHANGE $38.00")
    assert r.total == Decimal("12.00")


def test_payment_methods() -> None:
    assert F.payment_method("交通系IC ¥500")[0] == "ic_card"
    assert F.payment_method("Suica 残高 ¥1,200")[0] == "ic_card"
    assert F.payment_method("デビットカード ¥500")[0] == "debit_card"
    assert F.payment_method("お預り ¥1,000 お釣り ¥500")[0] == "cash"
    assert F.payment_method("VISA ************1234")[0] == "credit_card"
    assert F.payment_method("d払い ¥500")[0] == "qr_code"
    assert F.payment_method("Transaction ID 1234")[0] is None


def test_loyalty_card_is_not_a_credit_card() -> None:
    r = read("ファミリーマート\n2026/11/20\n合計 ¥500\nポイントカード 1234\nお預り ¥500")
    assert r.payment_method == "cash"


@pytest.mark.parametrize(("merchant", "category"), [
    ("日本交通タクシー", "transport"), ("ホテル銀座プラザ", "lodging"),
    ("居酒屋 さくら", "entertainment"),
    ("ソフトバンク 新宿", "communication"), ("Hilton Garden Inn", "lodging"),
    ("Yellow Cab Co.", "transport"), ("Staples", "supplies"), ("Walgreens", "misc"),
])
def test_category(merchant: str, category: str) -> None:
    assert K.category(merchant, "")[0] == category


def test_not_a_receipt_text() -> None:
    r = read("Chapter 1\nIt was a bright cold day in April\nand the clocks were striking")
    assert not r.is_receipt and r.total is None


@pytest.mark.parametrize("text", [
    "", "\x00" * 100, "合計" * 5000, "¥" * 10000, "TOTAL\n" * 2000, "\u202e合計 ¥1,000\u202c",
    "T" + "1" * 5000, "1/" * 5000, "%" * 3000 + "対象",
])
def test_hostile_text_never_raises(text: str) -> None:
    r = read_fields(text.splitlines() or [""], today=TODAY)
    assert len(r.items) <= 100
    assert r.merchant is None or len(r.merchant) <= M.MAX_MERCHANT


def test_receipt_context_detection() -> None:
    from bot.receipts.context import looks_like_receipt

    assert looks_like_receipt("小計\n消費税\n合計")
    assert looks_like_receipt("SUBTOTAL 1.00\nTOTAL 1.08")
    assert not looks_like_receipt("出口\nEXIT")
    assert not looks_like_receipt("The total eclipse")


def test_total_after_rounding_adjustment_wins() -> None:
    r = read("""
KEDAI RUNCIT SDN BHD
20/11/2026
Bread RM 10.02
SST 6% RM 0.60
Total Sales (Incl. SST) RM 10.62
Rounding Adj -RM 0.02
Total RM 10.60
CASH RM 20.00
CHANGE RM 9.40
""")
    assert r.total == Decimal("10.60")


def test_tax_row_amount_survives_count_blanking() -> None:
    # "x 14" in "tax 14,03" is not a quantity; "x 2" and "@ 3" are
    assert F.lines_of(["City tax 14,03 €"], "EUR")[0].amount == Decimal("14.03")
    assert F.lines_of(["Tax 1.23"], "USD")[0].amount == Decimal("1.23")
    assert F.lines_of(["Coffee x 2 $7.00"], "USD")[0].amounts[-1].value == Decimal("7.00")
    assert len(F.lines_of(["Coffee x 2 $7.00"], "USD")[0].amounts) == 1


def test_item_names_are_not_keywords() -> None:
    r = read("""
OFFICE DEPOT
Nov 20 2026
Ballpoint pens $4.00
City tax $1.00
Room charge $10.00
TOTAL $15.00
VISA $15.00
""")
    assert [i.name for i in r.items] == ["Ballpoint pens", "City tax", "Room charge"]
    assert r.tax is None and r.total == Decimal("15.00")


def test_currency_mark_read_as_a_digit() -> None:
    r = read("タクシー\n2026/11/20\n運賃 ¥1,920\n小計 ¥1,920\n合計 42112\n消費税等(10%) ¥192")
    assert r.total == Decimal(2112)
    r = read("HOTEL\nNov 20 2026\nRoom $71.79\nSUBTOTAL $71.79\nTAX $6.46\nTOTAL $578.25")
    assert r.total == Decimal("78.25")


def test_change_given_means_cash() -> None:
    assert F.payment_method("お預り ¥1,000\nお釣り ¥120\n**** 1234")[0] == "cash"
    assert F.payment_method("VISA ¥880\nお釣り ¥0")[0] == "credit_card"
    assert M.merchant(["7-Eleven", "Nov 20 2026"])[0] == "7-Eleven"


def test_implausible_total_gives_way_to_what_was_paid() -> None:
    r = read("SHOP\nNov 20 2026\nDay pass 23,13 €\nMwSt 19% incl. 3,69 €\nTOTAL 2\nOYSTER 23,13 €")
    assert r.total == Decimal("23.13")  # the item and the payment agree
    r = read("SHOP\nNov 20 2026\nMwSt 19% incl. 3,69 €\nTOTAL 2\nOYSTER 23,13 €")
    assert r.total == Decimal("23.13") and r.confidence["total"] < 0.6  # one source: unsure
    r = read("CAB\nNov 20 2026\nFare £58.35\nBALANCE DUE 7.12\nVISA £107.12")
    assert r.total == Decimal("107.12")
    r = read("CAB\nNov 20 2026\nFare £58.35\nBALANCE DUE £103;71\nAMEX £103.71")
    assert r.total == Decimal("103.71")
