"""Fields read the way real shop slips print them (issue 21): the issuer's registered name, the
total among its rivals (tax summaries, payment rows, rounding, quantities), dates in every
printed order, printed tax rates only, items without tips, cross-checks that do not cry wolf,
categories in both languages. Each rule both ways: it fires, and its false-alarm guard holds.
The texts are written here in the style of Malaysian, English and Japanese slips."""

from datetime import date
from decimal import Decimal

import pytest

from bot.receipts import categories as K
from bot.receipts import fields as F
from bot.receipts import merchant as M
from bot.receipts.amounts import find_amounts
from bot.receipts.dates import find_dates, purchase_date
from bot.receipts.model import Receipt
from bot.receipts.reader import read_fields

TODAY = date(2026, 11, 28)


def read(text: str) -> Receipt:
    return read_fields(text.strip().splitlines(), today=TODAY)


# --- merchant -------------------------------------------------------------------------------

def test_registered_company_row_beats_a_bigger_brand() -> None:
    rows = ["KOPI HOUSE", "MERIDIAN FOODS SDN BHD", "(123456-A)", "NO 5, JALAN MAWAR 3"]
    assert M.merchant(rows, [40, 20, 20, 20])[0] == "MERIDIAN FOODS SDN BHD"
    # guard: without a company row, the brand printed biggest at the top
    assert M.merchant(rows[:1] + rows[2:], [40, 20, 20])[0] == "KOPI HOUSE"


@pytest.mark.parametrize("suffix", ["SDN BHD", "SDN. BHD.", "ENTERPRISE", "TRADING", "Inc.",
                                    "Ltd.", "S/B"])
def test_company_suffixes(suffix: str) -> None:
    rows = ["GOOD MORNING", f"Lotus Wholesale {suffix}", "TEL 03-1234 5678"]
    assert M.merchant(rows, [30, 20, 20])[0] == f"Lotus Wholesale {suffix}"


@pytest.mark.parametrize("name", ["株式会社ミドリ薬品", "ミドリ薬品(株)"])
def test_japanese_company_row(name: str) -> None:
    rows = ["ドラッグ ミドリ", name, "東京都港区赤坂1-2-3"]
    assert M.merchant(rows, [30, 20, 20])[0] == name
    assert M.merchant(["ドラッグ ミドリ", "東京都港区赤坂1-2-3"], [30, 20])[0] == "ドラッグ ミドリ"


def test_address_and_slogan_rows_are_never_the_merchant() -> None:
    rows = ["POSTED", "CASH SALE", "NO 8, JALAN KENARI 2,", "BANDAR PUCHONG JAYA,",
            "47100 PUCHONG", "GOODS SOLD ARE NOT RETURNABLE", "TEL: 03-1234 5678"]
    assert M.merchant(rows, [20, 20, 40, 40, 40, 20, 20])[0] is None
    # guard: an address word inside a registered name does not hide it
    assert M.merchant(["JALAN JAYA TRADING", "NO 8, JALAN KENARI 2"])[0] == "JALAN JAYA TRADING"
    assert M.merchant(["Park Lane Hotel", "LEVEL 3, 12 PARK LANE"])[0] == "Park Lane Hotel"


def test_name_printed_over_two_rows_is_joined() -> None:
    rows = ["SUNRISE BOOK", "CO. (M) SDN BHD", "NO. 3, JALAN 7/1"]
    assert M.merchant(rows)[0] == "SUNRISE BOOK CO. (M) SDN BHD"
    assert M.merchant(["SUNRISE BOOK", "NO. 3, JALAN 7/1"])[0] == "SUNRISE BOOK"


def test_registration_number_and_old_name_are_dropped() -> None:
    assert M.merchant(["HARMONI MART SDN BHD (778899-K)"])[0] == "HARMONI MART SDN BHD"
    assert M.merchant(["#000012 HARMONI MART SDN BHD"])[0] == "HARMONI MART SDN BHD"
    assert M.merchant(["88 FRESH MART", "TEL 03-1234 5678"])[0] == "88 FRESH MART"
    assert M.merchant(["KEDAI ROTI S/B 273500-U (KSB)"])[0] == "KEDAI ROTI S/B"
    assert M.merchant(["EL", "Petrol Jaya"], [40, 20])[0] == "Petrol Jaya"  # specks are no name
    assert M.merchant(["旅館 花月", "TEL 03-1234-5678"])[0] == "旅館 花月"  # guard: short words
    rows = ["PELANGI FOODS SDN BHD", "FORMERLY KNOWN AS", "OLD PELANGI SDN BHD"]
    assert M.merchant(rows, [20, 20, 40])[0] == "PELANGI FOODS SDN BHD"


# --- total against its rivals ------------------------------------------------------------------

SUMMARY_AFTER_TOTAL = """
MAJU HARDWARE SDN BHD
20/11/2026 10:12
TOTAL 42.40
CASH 50.00
CHANGE 7.60
GST SUMMARY AMOUNT TAX
SR @ 6% 40.00 2.40
TOTAL 40.00 2.40
"""


def test_tax_summary_after_the_total_is_not_the_total() -> None:
    r = read(SUMMARY_AFTER_TOTAL)
    assert r.total == Decimal("42.40") and not r.totals_disagree
    # guard: a TOTAL row under an ordinary tax row is still the total
    r = read("KEDAI ABC\n20/11/2026\nSUBTOTAL 40.00\nGST 6% 2.40\nTOTAL 42.40\nCASH 50.00")
    assert r.total == Decimal("42.40")


def test_rows_after_the_payment_are_not_the_total() -> None:
    r = read("KEDAI ABC\n20/11/2026\nTOTAL RM 18.90\nCASH RM 20.00\nCHANGE RM 1.10\n"
             "MEMBER TOTAL RM 250.00")
    assert r.total == Decimal("18.90")
    # guard: a total printed after a cash row with nothing before it is still found
    r = read("SHOP\nCASH TENDERED $50.00\nTOTAL $12.00\nCHANGE $38.00")
    assert r.total == Decimal("12.00")


def test_rounded_total_is_the_amount_paid() -> None:
    r = read("KEDAI ABC\n20/11/2026\nTOTAL SALES (INCLUSIVE GST) RM 42.33\n"
             "ROUNDING RM 42.35\nCREDIT RM 42.35")
    assert r.total == Decimal("42.35")
    r = read("KEDAI ABC\n20/11/2026\nSUBTOTAL (QTY 4) RM41.43\nROUNDING RM0.02\n"
             "SUBTOTAL (QTY 4) RM41.45\nCASH RM51.50\nCHANGE RM10.05")
    assert r.total == Decimal("41.45") and r.tax is None  # the 0.02 is no tax
    # guard: an adjustment row is never added twice nor taken as the total
    r = read("KEDAI ABC\n20/11/2026\nTOTAL INCL. OF GST 130.00\nTOTAL AMT ROUNDED 130.00\n"
             "PAYMENT 130.00\nCHANGE DUE 0.00")
    assert r.total == Decimal("130.00")
    r = read("KEDAI ABC\n20/11/2026\nTOTAL 12.37\nROUNDING ADJ -0.02\nNETT TOTAL 12.35")
    assert r.total == Decimal("12.35")


def test_quantity_rows_are_not_totals_or_items() -> None:
    r = read("KEDAI ROTI\n11/03/2026 21:30\nKAYA PUFF 4 1.60 6.40\nCHEESE TART 1 3.40 3.40\n"
             "QTY 5 9.80\nROUNDING ADJ 0.00\nDUE 9.80\nPAY 10.00\nCHANGE 0.20\n"
             "(TOTAL INCLUDED GST @ 6% : 0.55)")
    assert r.total == Decimal("9.80")
    assert [i.name for i in r.items] == ["KAYA PUFF 4 1.60", "CHEESE TART 1 3.40"]
    # guard: a total printed after the quantity on the same row is read
    r = read("KEDAI ABC\n20/11/2026\nQTY : 1 TOTAL RM : 11.60\nCASH : 12.00\nCHANGE : 0.40")
    assert r.total == Decimal("11.60")


def test_included_gst_row_is_tax_but_incl_gst_total_is_total() -> None:
    assert F.total_strength("(TOTAL INCLUDED GST @ 6% :") == 0
    assert F.total_strength("*6% GST INCLUDED :") == 0
    assert F.total_strength("TOTAL AMT INCL. GST @ 6%:") >= 0.9
    assert F.total_strength("TOTAL DUE (GST INC):") >= 0.9
    assert F.total_strength("TAXABLE AMOUNT") == 0 and F.total_strength("AMOUNT") > 0


@pytest.mark.parametrize("label", ["Tota] (Inclusive of GST):", "Tatal Inclusive GST:",
                                   "T0TAL", "Totai", "Iotal", "Total Sales (') clusive of GST)",
                                   "Grand Tota:", "iolal Sales (Incl. GST 06%)", "GRAND TOTIAI"])
def test_total_as_ocr_misreads_it(label: str) -> None:
    assert F.total_strength(label) >= 0.9
    # guard: a word that only looks alike is no total
    assert F.total_strength("Tote bag") == 0 and F.total_strength("Tutorial") == 0
    assert F.total_strength("TOTA BRAND SOCKS") == 0  # its last letter lost: only before ":"
    assert F.total_strength("TOTIA BAG") == 0


def test_rounded_total_word_wins_over_its_tax_word() -> None:
    assert F.total_strength("Total After Adj Inct GST") == 1.0  # "Incl" misread
    assert F.total_strength("Total GST") == 0  # guard: the tax's own total
    assert F.total_strength("Total Sales (Exclusive of GST)") == 0


def test_discount_keeps_the_total_the_items_lose() -> None:
    r = read("PIZZA PLACE\n20/11/2026\n1 LARGE PIZZA 30.30\n1 LARGE PIZZA 30.30\n"
             "SUB-TOTAL : 60.60\nCOUPON DISCOUNT : 27.60\nGRAND TOTAL : 33.00\n"
             "PAYMENT : 50.00\nCHANGE DUE : 17.00")
    assert r.total == Decimal("33.00")
    # guard: with no discount, items and subtotal still correct a misread total
    r = read("HOTEL\nNov 20 2026\nRoom $71.79\nSUBTOTAL $71.79\nTAX $6.46\nTOTAL $578.25")
    assert r.total == Decimal("78.25")


def test_no_total_row_takes_what_two_sources_agree_on() -> None:
    r = read("NASI KANDAR\n05/01/2026\nNASI LEMAK 9.80\nTEH ICE 4.30\nSUBTOTAL 14.10\n"
             "CASH 100.000\nCHANGE 85.90")
    assert r.total == Decimal("14.10")
    r = read("CITY TAXI\nNov 20 2026\nTOTAL\n$18.40\nCASH $20.00\nCHANGE $1.60")
    assert r.total == Decimal("18.40")


def test_amount_forms_on_slips() -> None:
    assert find_amounts("ROUNDING ADJUSTMENTS 0.02-")[-1].value == Decimal("-0.02")
    assert find_amounts("ROUNDING ADJUSTMENT : (0.01)")[-1].value == Decimal("-0.01")
    assert find_amounts("合計 ¥1,000-")[-1].value == Decimal(1000)  # a style, not a minus
    assert find_amounts("CHANGE 15,15-€")[-1].value == Decimal("15.15")
    assert F.lines_of([F.clean_row("1X 000000118927 16.90SR")], None)[0].amount == Decimal(
        "16.90")
    assert F.lines_of(["FM411000055 *4 252.00 ZR"], None)[0].amount == Decimal("252.00")
    assert F.lines_of(["BERAS 10KG @53.50"], None)[0].amount == Decimal("53.50")


def test_tax_registration_number_is_no_tax() -> None:
    r = read("KEDAI ABC\n20/11/2026\nSOAP 5.00\nTOTAL 5.00\nGST REG NO : 000123456789")
    assert r.tax is None
    r = read("KEDAI ABC\n20/11/2026\nSOAP 5.00\nSUBTOTAL 5.00\nGST 6% 0.30\nTOTAL 5.30")
    assert r.tax == Decimal("0.30") and r.tax_rate == Decimal(6)


# --- dates -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "want"), [
    ("28/03/2026", date(2026, 3, 28)), ("28-03-26", date(2026, 3, 28)),
    ("2026-03-28", date(2026, 3, 28)), ("28 Mar 2026", date(2026, 3, 28)),
    ("28/03/202610:36:13", date(2026, 3, 28)), ("DATE:28/03/2610:36", date(2026, 3, 28)),
    ("15/APR/2026 04:56:46", date(2026, 4, 15)), ("05-AUG-2026 02:11:23 PM", date(2026, 8, 5)),
    ("令和元年5月1日", date(2019, 5, 1)), ("2026年3月28日(土)", date(2026, 3, 28)),
    ("R8.03.28", date(2026, 3, 28)),
])
def test_date_forms(text: str, want: date) -> None:
    assert [f.value for f in find_dates(text, currency="MYR", today=TODAY)] == [want]


def test_date_forms_guard() -> None:
    assert find_dates("INV 12/03/20265", currency="MYR", today=TODAY) == []
    assert find_dates("TEL 03-1234 5678", currency="MYR", today=TODAY) == []


def test_purchase_date_passes_over_expiry_and_promotions() -> None:
    text = ("05/03/26 15:02 SLIP NO 1010\nCARD EXPIRY : 31/05/28\n"
            "PROMO 24 NOVEMBER 2026 - 4 MARCH 2027")
    best = purchase_date(text, find_dates(text, currency="MYR", today=TODAY))
    assert best is not None and best.value == date(2026, 3, 5)
    # guard: a date printed only at the foot of the slip is still the date
    text = "KEDAI ABC\nTOTAL 5.00\nTHANK YOU\n20/11/2026 18:00"
    best = purchase_date(text, find_dates(text, currency="MYR", today=TODAY))
    assert best is not None and best.value == date(2026, 11, 20)


def test_year_misread_by_one_digit_is_repaired() -> None:
    assert [f.value for f in find_dates("Date: 22/03/2078", currency="MYR", today=TODAY)] == [
        date(2018, 3, 22)]
    assert [f.value for f in find_dates("12-02-2618 11:34", currency="MYR", today=TODAY)] == [
        date(2018, 2, 12)]
    # guard: a plausible date is left alone; a year two digits away stays as read, unsure
    assert [f.value for f in find_dates("22/03/2019", currency="MYR", today=TODAY)] == [
        date(2019, 3, 22)]
    found = find_dates("01/01/1999", currency="MYR", today=TODAY)
    assert [f.value for f in found] == [date(1999, 1, 1)] and found[0].confidence < 0.5


def test_year_outside_the_gst_era_is_read_as_the_digit_ocr_misreads() -> None:
    # Malaysia's GST ran from April 2015 to August 2018: a GST slip's "13" is an 8 read as a 3
    # (2016 and 2017 are one digit away too, but the OCR rarely misreads those digits so)
    today = date(2026, 11, 28)
    slip = "TOTAL INCL. GST 6% RM 119.70\nGST SUMMARY\n15-03-13 15:41 SH01 B019"
    assert [f.value for f in find_dates(slip, currency="MYR", today=today)] == [
        date(2018, 3, 15)]
    # guards: a GST slip's year inside the era stays, however long ago; without GST, or with
    # the SST that replaced it, the year is not narrowed and "2013" stays as read, unsure
    assert [f.value for f in find_dates("GST 6%\n06/12/2015", currency="MYR", today=today)
            ] == [date(2015, 12, 6)]
    for text in ("TOTAL RM 5.00\n15-03-13 15:41", "SST 6%\nGST ID 000\n15-03-13 15:41"):
        found = find_dates(text, currency="MYR", today=today)
        assert [f.value for f in found] == [date(2013, 3, 15)] and found[0].confidence < 0.5


def test_date_whose_year_lost_its_separator_and_ran_into_the_time() -> None:
    # a phone photo of a dot-matrix slip: "04-05-2018 16:07" read as "04-05201816:07"
    assert [f.value for f in find_dates("REG C01 04-05201816:07 456277", currency="MYR",
                                        today=TODAY)] == [date(2018, 5, 4)]
    # guards: a phone number with a time after it, and no time at all, are no dates
    assert find_dates("TEL 03-78201816:07", currency="MYR", today=TODAY) == []
    assert find_dates("INV 04-0520181", currency="MYR", today=TODAY) == []


def test_implausible_date_gives_way() -> None:
    text = "DATE 20/11/2026\nWARRANTY UNTIL 20/11/2036"
    assert read(text).date == date(2026, 11, 20)


# --- tax rate, items, cross-checks ------------------------------------------------------------

def test_tax_rate_only_from_a_printed_tax_rate() -> None:
    r = read("RESTORAN ABC\n20/11/2026\nNASI 26.60\nSUBTOTAL 26.60\nSERV. CHARGE (10%) : 2.66\n"
             "GST : 1.76\nTOTAL 31.02")
    assert r.tax_rate is None and r.tax == Decimal("1.76") and not r.totals_disagree
    r = read("TABLE 19\nPAX 1\n20/11/2026\nBURGER $10.00\nSUBTOTAL $10.00\nTAX $1.19\n"
             "TOTAL $11.19")
    assert r.tax_rate is None
    # guard: a printed rate is read, "6.00%" as 6
    r = read("KEDAI ABC\n20/11/2026\nSOAP 5.00\nSUBTOTAL 5.00\nGST 6.00% 0.30\nTOTAL 5.30")
    assert r.tax_rate == Decimal(6) and str(r.tax_rate) == "6"


def test_tips_and_totals_are_not_items() -> None:
    r = read("Olive Tree Restaurant\nNov 20 2026\nTiramisu $6.00\nBurger $10.00\nTip $2.00\n"
             "TOTAL $18.00\nVISA $18.00")
    assert [i.name for i in r.items] == ["Tiramisu", "Burger"]  # guard: "Tiramisu" stays
    r = read("KEDAI ROTI\n20/11/2026\nCR-CORN 0.72 20 14.40\nTOTAL 6% SUPPLIES (EXCL. GST): 14.40\n"
             "GST: 0.86\nTOTAL PAYABLE: 15.26")
    assert [i.name for i in r.items] == ["CR-CORN 0.72 20"] and r.total == Decimal("15.26")


@pytest.mark.parametrize("text", [
    "Olive Tree Restaurant\nNov 20 2026\nPasta $20.00\nSUBTOTAL $20.00\nSALES TAX 8.875% $1.78\n"
    "TOTAL $21.78\nVISA $21.78",
    "RESTORAN ABC\n05/05/2026\nSUB TOTAL 24.43\n10% SRV CHG: 2.45\nGST @6% 1.61\nTOTAL: 28.49\n"
    "ROUNDING: 0.01\nTOTAL: 28.50\nCASH 50.00\nCHANGE DUE: 21.50",
    "KEDAI ABC\n31/03/2026\nSOAP 4.90\nSHAMPOO 6.60\nSUB-TOTAL (GST) 12.19\nGST 0.69\n"
    "ROUNDING -0.04\nTOTAL 12.15\nCASH 50.15\nCHANGE 38.00",
    "GUARDIAN\n20/11/2026\nWATER 2.56\nTOTAL 2.56\nCASH 5.00\nCHANGE 2.44\nSUBTOTAL 2.42\n"
    "GST 0.14",
])
def test_correct_receipts_are_not_flagged(text: str) -> None:
    assert not read(text).totals_disagree


def test_wrong_arithmetic_is_still_flagged() -> None:
    r = read("Joe's Bar & Grill\n11/20/2026\nBurger $10.00\nSUBTOTAL $10.00\nTAX 8% $0.80\n"
             "TOTAL $12.80\nVISA ****1234 $12.80")
    assert r.totals_disagree


# --- categories --------------------------------------------------------------------------------

@pytest.mark.parametrize(("merchant", "text", "want"), [
    ("ホテル京都駅前", "駐車料金 ¥1,000", "lodging"), ("旅館 山水", "", "lodging"),
    ("Harbour View Inn", "Parking $20.00", "lodging"), ("", "Room charge $120\nParking $20",
                                                       "lodging"),
    ("Innovation Labs", "", "misc"), ("日本交通タクシー", "", "transport"),
    ("MAJU SDN BHD", "OPERATOR TRAINEE CASHIER\nPADLOCK 40MM", "misc"),
    ("", "KTM RAILWAY\nTrain ticket", "transport"),
    # plural and bakery names (set U): a stationers' shop sells supplies, a bread house food
    ("BOOKWORM STATIONERS (M) SDN. BHD.", "FOLDER L-SHAPE", "supplies"),
    ("BREAD HOUSE (M) SDN BHD", "CHEESE DOG 8.40", "entertainment"),
])
def test_category_words(merchant: str, text: str, want: str) -> None:
    assert K.category(merchant, text)[0] == want


@pytest.mark.parametrize(("merchant", "items", "want"), [
    ("ローソン 新橋店", ["ビール", "おにぎり"], "misc"),
    ("セブン-イレブン 赤坂店", ["切手 84円"], "communication"),
    ("7-Eleven", ["Printer paper"], "supplies"), ("FamilyMart", ["Coffee", "Sandwich"], "misc"),
    ("Blue Bottle Cafe", ["Coffee"], "entertainment"),
])
def test_convenience_store_by_what_was_bought(merchant: str, items: list[str], want: str) -> None:
    assert K.category(merchant, "\n".join(items), items)[0] == want
