"""Fields from real scans read by RapidOCR (issue 21, SROIE round): the shop's name above its
owner's, a legal name cut at its legal form, old-style registration numbers, currency codes used
as words, the locale's date order for receipts kept for years, a total's point read as a dash,
and OCR's misreadings of total labels. Each rule both ways: it fires, and its guard holds. The
texts are written here in the style of Malaysian slips."""

from datetime import date
from decimal import Decimal

import pytest

from bot.receipts import fields as F
from bot.receipts import merchant as M
from bot.receipts.amounts import detect_currency
from bot.receipts.dates import find_dates
from bot.receipts.reader import read_fields

TODAY = date(2026, 11, 28)


# --- merchant -------------------------------------------------------------------------------

def test_shop_name_above_owned_by_company_wins() -> None:
    rows = ["KEDAI ALPHA STATIONERY", "NO. 3, JALAN MERAK 2", "Owned By :",
            "BETA SUPPLY SDN BHD (123456-K)", "CASH SALES"]
    assert M.merchant(rows)[0] == "KEDAI ALPHA STATIONERY"


def test_owner_in_row_in_malay_loses_the_company_bonus() -> None:
    rows = ["KEDAI ALPHA STATIONERY", "Dimiliki oleh BETA SUPPLY SDN BHD", "NO. 3, JALAN MERAK"]
    assert M.merchant(rows)[0] == "KEDAI ALPHA STATIONERY"


def test_company_without_owner_label_still_wins() -> None:
    rows = ["KEDAI ALPHA STATIONERY", "NO. 3, JALAN MERAK 2", "BETA SUPPLY SDN BHD (123456-K)"]
    assert M.merchant(rows)[0] == "BETA SUPPLY SDN BHD"


def test_legal_name_is_cut_where_the_address_was_joined_to_it() -> None:
    rows = ["DELTA HOME SDN BHD L2-09 (A), Level 2,", "12, Jalan Kenari, Kuala Lumpur"]
    assert M.merchant(rows)[0] == "DELTA HOME SDN BHD"


def test_words_after_the_legal_form_without_digits_stay() -> None:
    rows = ["OMEGA BHD SOUTH BRANCH", "12, Jalan Kenari"]
    assert M.merchant(rows)[0] == "OMEGA BHD SOUTH BRANCH"


def test_old_style_registration_number_is_stripped() -> None:
    rows = ["ZETA HOLDINGS SDN. BHD. (3-12345-W)", "8, Jalan Ampang"]
    assert M.merchant(rows)[0] == "ZETA HOLDINGS SDN. BHD."


def test_brackets_that_are_no_number_stay() -> None:
    rows = ["ETA CAFE (KL) SDN BHD", "8, Jalan Ampang"]
    assert M.merchant(rows)[0] == "ETA CAFE (KL) SDN BHD"


def test_name_broken_before_trading_is_joined() -> None:
    rows = ["TIGA POWER TOOLS", "TRADING", "(004512-T)", "13-1, Jalan Damai 5/10"]
    assert M.merchant(rows)[0] == "TIGA POWER TOOLS TRADING"


def test_company_row_is_not_joined_to_a_trading_row() -> None:
    rows = ["OMEGA HARDWARE SDN BHD", "TRADING", "13-1, Jalan Damai 5/10"]
    assert M.merchant(rows)[0] == "OMEGA HARDWARE SDN BHD"


def test_name_broken_before_its_ampersand_is_joined() -> None:
    rows = ["A0417", "THE GREEN KETTLE", "& SCONE HOUSE (M) SDN. BHD.", "Company No.:123456-H"]
    assert M.merchant(rows)[0] == "THE GREEN KETTLE & SCONE HOUSE (M) SDN. BHD."


def test_ampersand_guard_row_above_that_is_an_address_is_not_joined() -> None:
    rows = ["12, Jalan Kenari", "& SCONE HOUSE (M) SDN. BHD.", "Company No.:123456-H"]
    assert M.merchant(rows)[0] == "& SCONE HOUSE (M) SDN. BHD."


# --- currency and dates ---------------------------------------------------------------------

def test_currency_code_followed_by_a_word_is_no_currency() -> None:
    text = "FREE 2019 CNY ANG POW PACKET\nTOTAL RM 12.00"
    assert detect_currency(text)[0] == "MYR"


def test_currency_code_beside_an_amount_still_counts() -> None:
    assert detect_currency("TOTAL CNY 12.00")[0] == "CNY"
    assert detect_currency("Amount in CNY\nTOTAL 12.00")[0] == "CNY"


def test_day_first_short_date_more_than_ten_years_back() -> None:
    found = find_dates("24-01-16 11:44 T1 R000123", currency="MYR", today=TODAY)
    assert [f.value for f in found] == [date(2016, 1, 24)]


def test_locale_order_past_twenty_years_gives_way() -> None:
    found = find_dates("24-01-02 11:44", currency="MYR", today=TODAY)
    assert [f.value for f in found] == [date(2024, 1, 2)]


# --- totals ---------------------------------------------------------------------------------

def test_total_whose_point_was_read_as_a_dash() -> None:
    assert F.lines_of(["TOTAL 22-60"], "MYR")[0].amount == Decimal("22.60")
    r = read_fields(["WAWA MART", "Milo 22.60", "TOTAL 22-60", "CASH 30.00", "CHANGE 7.40"],
                    today=TODAY)
    assert r.total == Decimal("22.60")


def test_dash_guard_item_rows_and_dates() -> None:
    assert F.lines_of(["ITEM 22-60"], "MYR")[0].amount is None
    assert F.lines_of(["TOTAL 05-12-18"], "MYR")[0].amount is None


def test_total_label_misreads_are_read_back() -> None:
    assert F.clean_row("Total Exdl. of GST 98.11") == "Total Excl. of GST 98.11"
    assert F.total_strength("IUIAL (GST INCL)") >= 0.9


def test_label_fix_guard_other_words_unchanged() -> None:
    assert F.clean_row("Exdlance 5.00") == "Exdlance 5.00"
    assert F.total_strength("Initial") == 0.0
    assert F.total_strength("Liuia Cafe") == 0.0


def test_excl_tax_total_misread_is_not_the_total() -> None:
    rows = ["TAX INVOICE", "RM Code", "COTTON THREAD", "4.00 PKTS 26 104.00 SR",
            "Subtotal: 104.00", "Total Exdl. of GST 98.11", "Total Incl. of GST 104.00"]
    assert read_fields(rows, today=TODAY).total == Decimal("104.00")


def test_inclusive_misread_is_read_back() -> None:
    assert F.clean_row("Total Indlusive GST: 35.00") == "Total Inclusive GST: 35.00"


def test_received_cash_minus_change_backs_the_total_over_misread_items() -> None:
    rows = ["MEGA MART", "ONION 60.98", "GINGER 2.30", "Net Total RM3.28",
            "Payment Method CASH", "Received Cash RM3.28", "Change RM0.00"]
    assert read_fields(rows, today=TODAY).total == Decimal("3.28")


def test_received_guard_payment_with_change_still_reconciles() -> None:
    rows = ["MEGA MART", "ONION 0.98", "GINGER 2.30", "Net Total RM3.28",
            "Received Cash RM5.00", "Change RM1.72"]
    assert read_fields(rows, today=TODAY).total == Decimal("3.28")


def test_rm_read_as_pm_glued_to_a_total() -> None:
    assert F.clean_row("Total PM3.00") == "Total RM3.00"
    rows = ["CITY PARKING", "Parking Fee RM2.83", "GST(Included) 6.00% RM0.17", "Total PM3.00",
            "Paid RM3.00"]
    assert read_fields(rows, today=TODAY).total == Decimal("3.00")


def test_pm_guard_time_before_an_amount_stays() -> None:
    assert F.clean_row("Out 10:30 PM3.00") == "Out 10:30 PM3.00"


def test_total_misread_with_a_doubled_o() -> None:
    assert F.total_strength("Tooa1") >= 0.9
    rows = ["CITY PARKING", "Parking Fee Rate A RM5.00", "Amount RM4.72",
            "GST(Included) 6.00 % RM0.28", "Tooa1 RM5.00", "Paid RM5.00", "Change RM0.00"]
    assert read_fields(rows, today=TODAY).total == Decimal("5.00")


def test_rounding_below_the_payment_leaves_the_printed_total() -> None:
    rows = ["KEDAI MAJU", "BISCUIT 2.00", "KOPI 5.47", "SUBTOTAL 7.47", "TOTAL (GST INCL) 7.47",
            "CASH 10.45", "ROUNDING ADJUSTMENTS 0.02-", "CHANGE DUE 3.00"]
    assert read_fields(rows, today=TODAY).total == Decimal("7.47")


def test_rounding_with_no_rounded_total_printed_leaves_the_printed_total() -> None:
    # SROIE's keys (and the slip) give the printed total; the cash rounding is what was paid
    rows = ["KEDAI MAJU", "BISCUIT 2.00", "KOPI 5.47", "TOTAL 7.47", "ROUNDING ADJ -0.02",
            "CASH 10.00", "CHANGE 2.55"]
    assert read_fields(rows, today=TODAY).total == Decimal("7.47")


def test_rounded_total_row_unreadable_takes_total_plus_adjustment() -> None:
    rows = ["KEDAI MAJU", "BISCUIT 2.00", "KOPI 5.47", "TOTAL 7.47", "ROUNDING ADJ -0.02",
            "NETT TOTAL RM", "CASH 10.00", "CHANGE 2.55"]
    assert read_fields(rows, today=TODAY).total == Decimal("7.45")


def test_rounded_total_printed_after_the_adjustment_wins() -> None:
    rows = ["KEDAI MAJU", "BISCUIT 2.00", "KOPI 5.47", "TOTAL 7.47", "ROUNDING ADJ -0.02",
            "AMOUNT TO BE PAID 7.45", "CASH 10.00", "CHANGE 2.55"]
    assert read_fields(rows, today=TODAY).total == Decimal("7.45")


def test_a_logo_read_as_chinese_characters_is_not_a_japanese_slip() -> None:
    rows = ["家家家家凉家 東家京京京京水京家", "SEGI CASH & CARRY SDN BHD", "06/04/17 11:43am",
            "DISHWASH 11L 2 x 11.50 23.00", "TOTAL 23.00"]
    got = read_fields(rows, today=TODAY)
    assert (got.currency, got.date) == (None, date(2017, 4, 6))  # day first, not year first
    assert read_fields(["お買上げ明細 合計 ¥1,200", "2026/11/20"], today=TODAY).currency == "JPY"


def test_merchant_is_the_row_over_its_registration_number_not_a_logo_speck() -> None:
    rows = ["Caitering", "FIVE STAR CASHYCARRY", "(1365663-P)", "G.23, Plaza Seri Setia,",
            "Tel/Fax : 603-7877 9712"]
    assert M.merchant(rows)[0] == "FIVE STAR CASHYCARRY"
    rows = ["NOG N N ASN", "B & BEST RESTAURANT", "(001610235 P)", "GST NO. : 001800839168"]
    assert M.merchant(rows)[0] == "B & BEST RESTAURANT"


def test_a_bare_slip_number_under_a_row_is_no_registration() -> None:
    rows = ["BHPETROL PALEKBANG", "PREPAY CHIT NUMBER", "1234567", "PUMP 3"]
    assert M.merchant(rows)[0] == "BHPETROL PALEKBANG"


@pytest.mark.parametrize(("rows", "expected"), [
    (["TSH POWER HARDWARE", "TRADING", "002458685-T", "13-1, JALAN PJU 5/10,"],
     "TSH POWER HARDWARE TRADING"),
    (["CASH SALE", "SINNATHAMBY HOLDINGS", "SDN. BHD.", "249336-T", "NO.17, JALAN BESAR,"],
     "SINNATHAMBY HOLDINGS SDN. BHD."),
    (["AIK HUAT HARDWARE ENTERPRISE (SETIA", "ALAM) SDN BHD", "(822737-X)", "NO. 17, JALAN"],
     "AIK HUAT HARDWARE ENTERPRISE (SETIA ALAM) SDN BHD"),
    (["110 Block D (Entrance", "MR. D.I.Y. (M) SDN BHD", "(860671-D)"], "MR. D.I.Y. (M) SDN BHD"),
    (["SUPER.SEVEN CASH & CARRY SBN 3HD 28-05", "LOT 1, JALAN 3"],
     "SUPER.SEVEN CASH & CARRY SBN 3HD"),
    (["SUPER.SEVEN CASH & CARRY SEN 3HD 28-05", "LOT 1, JALAN 3"],  # a photo's E for D
     "SUPER.SEVEN CASH & CARRY SEN 3HD"),
    (["MOONLIGHT CAKE HOUSE SDN DHD 8OZTZ 5-U", "(GST Reg No: 001559298048)"],  # D for B
     "MOONLIGHT CAKE HOUSE SDN DHD"),
    # over three rows, the bracket closed on the third (SROIE 506, 513); U read for D (515)
    (["AIK HUAT HARDWARE", "ENTERPRISE(SETIA", "ALAM).SDN~BHD", "822737-X", "NO. 17-G, JALAN"],
     "AIK HUAT HARDWARE ENTERPRISE(SETIA ALAM).SDN~BHD"),
    (["TUCCAR KEPALA", "GAS!!!DAPUR", "AIK HUAT HARUWARL", "ENTERPRISE (SETIA", "ALAM).SDN BHU",
      "822737-X", "NO. 17-G, JALAN"], "AIK HUAT HARUWARL ENTERPRISE (SETIA ALAM).SDN BHU"),
    # the open bracket lost ("ENTERPRISETSETIA", SROIE 506) or ENTERPRISE misread (508)
    (["AIK HUAT HARDWARE", "ENTERPRISETSETIA", "ALAM) SDN~BHD", "822737-X", "NO. 17-G, JALAN"],
     "AIK HUAT HARDWARE ENTERPRISETSETIA ALAM) SDN~BHD"),
    (["AIK HUAT HARIWAKE", "ENTERPR1SE(SETIA", "ALAH) SUN BHU", "822737-X", "NO. 17-G, JALAN"],
     "AIK HUAT HARIWAKE ENTERPR1SE(SETIA ALAH) SUN BHU"),
])
def test_a_name_broken_over_rows_is_joined_once(rows: list[str], expected: str) -> None:
    assert M.merchant(rows)[0] == expected


def test_a_quantity_glued_to_its_colon_is_no_part_of_the_total_label() -> None:
    # PP-OCRv6 tiny prints no space after a colon: "Qty:1 Total RM 11.60" is the quantity and
    # the total on one row, not a row whose label ends "Qty:1 Total RM" (the GST summary's
    # "Total 10.94 0.66" below it then passed for the total)
    rows = ["9555794100234 11.60 11.60 SR", "Qty:1 Total RM 11.60", "CASH 12.00", "CHANGE 0.40",
            "GST Summary Amount Tax", "SR@6% 10.94 0.66", "Total 10.94 0.66"]
    assert read_fields(rows).total == Decimal("11.60")
    assert F.clean_row("Time 12:30 Slip No.:8020") == "Time 12:30 Slip No.: 8020"


@pytest.mark.parametrize("inclusive", ["('ictusive", "(lnclusive", "(Incusive"])
def test_an_inclusive_misread_still_makes_the_gst_row_a_total(inclusive: str) -> None:
    """"Total Sales ('ictusive of GST) 100.00" (a photo's "Inclusive"): a total with the tax in
    it, not a GST amount of 100.00; "Exclusive" misread stays the total without tax."""
    rows = ["PRINT EXPERT SDN BHD", "Cashier USER Date: 12/01/2018", "FLYERS 100 0.73 73.14",
            "Total Sales (Excluding GST) 94.34", "Total GST 5.66", "Rounding 0.00",
            f"Total Sales {inclusive} of GST) 100.00", "THANK YOU"]
    got = read_fields(rows, today=TODAY)
    assert got.total == Decimal("100.00") and got.tax == Decimal("5.66")
    rows = ["PRINT EXPERT SDN BHD", "FLYERS 1 94.34", "Total (Exciusive of GST) 94.34",
            "GST 6% 5.66", "Total 100.00"]
    assert read_fields(rows, today=TODAY).total == Decimal("100.00")


def test_a_blurred_photos_total_labels_are_read_through_their_misreads() -> None:
    """SROIE 230 photographed: "Tatal Amt Ind. GST @ 6%" ("Incl." with "cl" read as "d"),
    "Totel Amnt Peyahle : 8.50"; the GST summary's "Total 00 0.48" under a misread header
    ("FaST Summary") and the payment is no total."""
    assert F.clean_row("Tatal Amt Ind. GST @ 6% : 8.48") == "Tatal Amt Incl. GST @ 6% : 8.48"
    assert F.clean_row("Total Exd. GST 8.00") == "Total Excl. GST 8.00"
    assert F.clean_row("IND. CARGO 12.00") == "IND. CARGO 12.00"  # guard: no tax word after it
    assert F.total_strength("Totel Amnt Peyahle :") >= 0.9
    assert F.total_strength("Hotel charges") == 0
    rows = ["Anzel Advertising (M) Sdn bhd (75e785-H)", "GST No: 002121732096",
            "Plestic Lamination A4 @ 2.00 4.24 81", "Tatal Amt Ind. GST @ 6% : 8.48",
            "Rounding Adjusbrrent (0.02)", "Totel Amnt Peyahle : 8.50", "Paid Amount: 100.00",
            "Change : 91.50", "THANK YOU", "FaST Summary Amount Tau", "(RM) (RM)",
            "Total 00 0.48", "27/03/2018 16:54:04"]
    assert read_fields(rows, today=TODAY).total == Decimal("8.50")


def test_total_with_its_l_read_as_a_one_before_the_amount() -> None:
    """SROIE 538: "Grand Tota1RM14.20": the "1" is TOTAL's L, not the amount's first digit."""
    assert F.clean_row("Grand Tota1RM14.20") == "Grand TotalRM 14.20"
    assert F.clean_row("TOTA1 RM14.20") == "TOTAL RM14.20"
    assert F.clean_row("TOTA1: 8.00") == "TOTAL: 8.00"
    assert F.clean_row("Tota14.20") == "Tota 14.20"  # guard: a digit after it may be the amount's


def test_a_digit_read_inside_a_word_does_not_split_it() -> None:
    assert F.clean_row("ENTERPR1SE(SETIA") == "ENTERPR1SE(SETIA"
    assert F.clean_row("TENDERED100.00") == "TENDERED 100.00"


def test_a_former_name_on_the_names_row_and_a_glued_legal_form() -> None:
    """SROIE 517: "MYNEWS RETAIL SB(306295-X) FKA BISONSTORES SB" (FKA: formerly known as);
    518: "RAPID RAIL SDNBHD" under the brand MRT, its legal form glued."""
    rows = ["TQFOR SHOPPING WITH myNEWS.com", "PUSAT DAGANGAN PHILEO DAMANSARA",
            "UNIT 105, BLOCK A,PUSAT DAGANGAN PHILEO DAMANSARA,",
            "NO.9, JALAN 16/11,,46350,PETALING JAYA,SELANGOR", "myNEWScareline : 1800 88 1231",
            "MYNEWS RETAIL SB(306295-X) FKA BISONSTORES SB", "TAX REG ID CBP 000709361664"]
    assert M.merchant(rows)[0] == "MYNEWS RETAIL SB"
    rows = ["MRT", "rapidKL aperatad by", "TAX INVOICE", "RAPID RAIL SDNBHD",
            "No.1 JALAN PJU 1AV46,", "GST Reg. No:001345261568"]
    assert M.merchant(rows)[0] == "RAPID RAIL SDNBHD"


def test_a_garbled_total_row_still_leaves_the_tax_row_read() -> None:
    """A rendered photo (bench seed 3016): "GRAND TOTIAI1,03 €" (TOTAL 131,03 with letters and
    digits lost) left no total row, and with none the tax row was not read either."""
    rows = ["Walgreens", "Jalan Ampang 88", "RECEIPT", "26/07/2026 10:41", "Tissues 56,16 €",
            "Chocolate 34,59 €", "Toothpaste 9,21 €", "Water 31,07 €", "MwSt 19% incl. 20,92 €",
            "GRAND TOTIAI1,03 €", "QR PAY 131,03 €", "Thank you for your visit!"]
    got = read_fields(rows, today=TODAY)
    assert got.total == Decimal("131.03") and got.tax == Decimal("20.92")
    assert got.tax_rate == Decimal("19")
