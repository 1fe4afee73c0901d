"""Ninth round of the receipt rules (issue 21): the sale's own date among rival dates, a name
broken after its "&", and categories from words that meant something else. Each rule both
ways: it fires, and its guard holds. The slips are written here in the style of blind set W
(bench/data/blind/README.md)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.receipts import merchant as M
from bot.receipts.categories import category
from bot.receipts.reader import read_fields

TODAY = date(2026, 11, 28)
HEAD = ["ANEKA JAYA TRADING SDN BHD", "(123456-A)", "NO. 8, JALAN CERDAS, 56000 KUALA LUMPUR"]


def _date(*rows: str) -> date | None:
    return read_fields([*HEAD, *rows], today=TODAY).date


def test_a_labelled_sale_date_outranks_a_slogans_date_at_the_foot() -> None:
    """"01-12-2018" reads either way round (day or month first), so it was less sure than the
    survey's "15-12-2018" at the foot; its label says which is the sale's."""
    foot = ["Total 31.40", "Do our survey before", "15-12-2018 for a FREE drink"]
    assert _date("Date : 01-12-2018", "Time : 21:07", *foot) == date(2018, 12, 1)
    assert _date("Bill Date/Time: 01-12-2018 21:07", *foot) == date(2018, 12, 1)
    assert _date("Tarikh: 01-12-2018", *foot) == date(2018, 12, 1)


def test_a_rival_dates_label_earns_no_bonus() -> None:
    """Guard: "Due Date" and "Delivery Date" are dates, but not the sale's."""
    rows = ["Invoice No : BC-1904-0087", "Due Date : 01-12-2018", "Total 31.40",
            "Cheque date 15-11-2018"]
    assert _date(*rows) == date(2018, 11, 15)


def test_a_labelled_sale_date_outranks_a_printed_on_date_at_the_foot() -> None:
    """"05/01/2017" reads either way round; "Printed on 2017-01-09" (a copy printed later)
    does not, but the sale's label says which is the sale's."""
    rows = ["Sale Date: 05/01/2017", "17:36", "Cashier: Kumar", "NINETEEN EIGHTY-FOUR 39.90",
            "KAMUS DWIBAHASA OXFORD 45.00", "Subtotal 84.90", "Total 76.41", "Cash 100.00",
            "Change 23.60", "Printed on 2017-01-09 10:02 by ADMIN"]
    assert _date(*rows) == date(2017, 1, 5)
    # a reprint's date is a rival whatever the order
    assert _date("Reprint 09/01/2017", "Total 76.40", "05/01/2017 17:36") == date(2017, 1, 5)
    # the only date on the slip is kept, whatever its label
    assert _date("Total 76.40", "Printed on 2017-01-09 10:02 by ADMIN") == date(2017, 1, 9)


def test_a_name_broken_after_its_ampersand_is_joined() -> None:
    rows = ["CHUAN HUAT HARDWARE &", "MACHINERY (M) SDN BHD", "(Co. Reg. 455123-U)",
            "NO. 35, JALAN SEKSYEN 1/9, 43000 KAJANG"]
    assert M.merchant(rows)[0] == "CHUAN HUAT HARDWARE & MACHINERY (M) SDN BHD"
    # guard: a company row above is a name of its own, not the first half of this one
    rows = ["SIN HUAT SDN BHD &", "KEDAI EMAS ABC SDN BHD", "(Co. Reg. 455123-U)"]
    assert M.merchant(rows)[0] != "SIN HUAT SDN BHD & KEDAI EMAS ABC SDN BHD"


def test_categories_from_words_that_meant_something_else() -> None:
    # plural shop words
    assert category("MPH BOOKSTORES SDN BHD", "NINETEEN EIGHTY-FOUR 39.90")[0] == "supplies"
    # a cleaning contractor's invoice ("Office Cleaning") is a service bought
    text = "Office Cleaning (Monthly) 850.00\nCarpet Shampoo 360.00"
    assert category("BERSIH CEMERLANG SERVICES SDN BHD", text)[0] == "outsourcing"
    # "This is a computer generated invoice" sells no computer
    text = "Courier charges 12.00\nThis is a computer generated invoice."
    assert category("ABC SDN BHD", text)[0] == "communication"
    assert category("ABC SDN BHD", "Computer mouse 30.00")[0] == "supplies"  # guard
    # a wireless mouse is no phone plan
    assert category("GADGETZONE TRADING", "Wireless Mouse 69.00\nUSB drive 60.00")[0] == (
        "supplies")
    assert category("ABC SDN BHD", "Wireless broadband plan 99.00")[0] == "communication"
    # an express bus from its terminal
    text = "TERMINAL BERSEPADU SELATAN\nPlatform: 12\nAdult 2 x 58.60"
    assert category("TRANSNASIONAL EXPRESS SDN BHD", text)[0] == "transport"


def test_two_dates_on_one_row_each_by_its_own_label() -> None:
    """"Date : 19/03/18" and "Due Date : 18/04/18" printed side by side on one row."""
    assert _date("Date : 19/03/18   Due Date : 18/04/18", "Total 31.40") == date(2018, 3, 19)
    assert _date("Due Date : 18/04/18   Date : 19/03/18", "Total 31.40") == date(2018, 3, 19)
    # guard: a range on one row is no sale's date; the slip's own date is
    rows = ["Total 31.40", "Inv 0031 12/05/2018", "Promo 01/06/2018 - 30/06/2018"]
    assert _date(*rows) == date(2018, 5, 12)


def test_a_date_to_act_before_is_no_sale_date() -> None:
    assert _date("12.06.17", "Total 8.40", "Best before: 14.06.17") == date(2017, 6, 12)
    rows = ["Printed on: 27/02/2018 13:17", "Total 8.40", "Register your card before 31/03/2018"]
    assert _date(*rows) == date(2018, 2, 27)


def test_the_names_own_words_before_the_brand_above_it() -> None:
    text = ("SUNWAY MEDICAL CENTRE CAR PARK\nCENTRAL PARKING SYSTEM (M) SDN. BHD.\n"
            "Parking Fee 6.00")
    assert category("CENTRAL PARKING SYSTEM (M) SDN. BHD.", text)[0] == "transport"
    # guard: a name with no trade of its own still takes the brand's
    text = "SUNWAY MEDICAL CENTRE\nSMC HOLDINGS SDN BHD\nConsultation 60.00"
    assert category("SMC HOLDINGS SDN BHD", text)[0] == "misc"


def test_serviced_suites_are_lodging() -> None:
    text = "Arrival : 25-03-2017\nRoom Rate 3 x 230.00 690.00"
    assert category("SKYVIEW SUITES MANAGEMENT SDN BHD", text)[0] == "lodging"


def test_a_name_of_two_trades_goes_by_what_was_bought() -> None:
    text = "HP 85A BLACK TONER 490.00\nKINGSTON 32GB USB 75.00\nWIRELESS MOUSE 60.00"
    assert category("CSL COMPUTER & TRADING SDN. BHD.", text)[0] == "supplies"
    assert category("CSL COMPUTER & TRADING SDN. BHD.", "Prepaid reload 30.00\nSIM card 10.00"
                    )[0] == "communication"


def test_eight_digits_after_a_date_label() -> None:
    """SROIE 314: "Date/Time 20180428/191204", the date and time printed without separators."""
    assert _date("Date/Time 20180428/191204", "Total 20.00") == date(2018, 4, 28)
    assert _date("Tarikh: 28042018", "Total 20.00") == date(2018, 4, 28)
    # guard: eight digits with no date label are a number, not a date
    assert _date("Doc No 20180428", "Total 20.00") is None


def test_a_registration_number_with_letters_read_for_digits_is_no_part_of_the_name() -> None:
    """A photo of SROIE 396: "FOUR QUARTERS SDN BHD(IU7S369-P)"."""
    rows = ["FOUR QUARTERS SDN BHD(IU7S369-P)", "NO. 2, JALAN PJU 1A/3, 47301 PETALING JAYA"]
    assert M.merchant(rows)[0] == "FOUR QUARTERS SDN BHD"
    # guard: a branch in brackets keeps its name
    rows = ["KEDAI UBAT (BANGSAR)", "NO. 2, JALAN PJU 1A/3, 47301 PETALING JAYA"]
    assert M.merchant(rows)[0] == "KEDAI UBAT (BANGSAR)"


def test_a_tilted_names_tall_box_stays_off_the_address_row_under_it() -> None:
    """A photo of SROIE 245: the name's box, tall from the tilt, reached the address row's
    centre, and the name was read as the end of the address."""
    from bot.receipts.layout import group_rows
    from bot.vision.ocr_words import Word

    words = [Word("MEI LET RESTAURANT", 136, 220, 649, 66, 0.99),
             Word("NO 2, JALAN BULAN BM U5/BM, SEKSYEN U5,", 117, 255, 704, 72, 0.98),
             Word("40150 SHAH ALAM, SELANGOR", 241, 303, 457, 56, 0.96)]
    rows = [r.text for r in group_rows(words, "en")]
    assert rows[0] == "MEI LET RESTAURANT" and len(rows) == 3
    assert M.merchant(rows)[0] == "MEI LET RESTAURANT"
    # guard: a label and its amount side by side, the amount printed tall, are one row
    words = [Word("NET TOTAL", 40, 1000, 160, 40, 0.95), Word("67.85", 600, 985, 120, 72, 0.95)]
    assert [r.text for r in group_rows(words, "en")] == ["NET TOTAL 67.85"]
    # guard: Tesseract's Japanese boxes overlap on one centre line ("野" over "店"; "東京"
    # spanning the row's other words): still one row each
    words = [Word("ダイ", 150, 104, 68, 36, 0.9), Word("上", 307, 105, 34, 34, 0.9),
             Word("野", 343, 105, 72, 35, 0.9), Word("ソー", 226, 109, 67, 29, 0.9),
             Word("店", 387, 100, 30, 50, 0.9), Word("東京", 150, 162, 264, 28, 0.9),
             Word("都", 217, 158, 33, 43, 0.9), Word("港", 249, 158, 23, 43, 0.9)]
    assert len(group_rows(words, "ja")) == 2


@pytest.mark.parametrize(("rows", "want"), [
    # day names, Malay months and labels
    (("Sat, Jul 21, 2018 13:05",), date(2018, 7, 21)),
    (("03 APR 2019 (WED)",), date(2019, 4, 3)),
    (("Khamis, 17 Jan 2019",), date(2019, 1, 17)),
    (("Tarikh: 17 OGOS 2018",), date(2018, 8, 17)),
    (("Date : 05 MAC 18",), date(2018, 3, 5)),
    (("Tarikh Bayaran: 12/05/2016",), date(2016, 5, 12)),
    # rival dates: a tax's start or end, a cheque, a voucher, the next service, a reprint
    (("GST effective date 01/04/2015", "Date: 12/05/2016"), date(2016, 5, 12)),
    (("Date: 12/05/2016", "GST ends 31/05/2018"), date(2016, 5, 12)),
    (("Cheque date: 30/03/2018", "Date 05/03/2018"), date(2018, 3, 5)),
    (("Voucher expiry: 31/12/2018", "Date 05/03/2018"), date(2018, 3, 5)),
    (("Next service: 05/06/2018 or 10,000km", "Date 05/03/2018"), date(2018, 3, 5)),
    (("Reprinted: 06/03/2018 09:00", "Date 05/03/2018"), date(2018, 3, 5)),
    (("PO Date: 01/03/2018", "Invoice Date: 05/03/2018"), date(2018, 3, 5)),
    # a car park's ticket is paid on the way out
    (("Entry: 11/06/2018 22:10", "Exit: 12/06/2018 08:40", "Parking fee 12.00"),
     date(2018, 6, 12)),
])
def test_dates_as_the_blind_sets_writers_described_them(rows: tuple[str, ...],
                                                        want: date) -> None:
    """The printed forms and rival dates the writers of sets W, X and Y listed in their
    reports (not their slips), each on a slip of its own."""
    assert _date(*rows, "Total 31.40") == want


@pytest.mark.parametrize(("rows", "want"), [
    # a one-digit day or month after a date label
    (("Date : 4/4/19", "Order Date : 2/4/19"), date(2019, 4, 4)),
    (("Date : 3/8/18 12:45PM",), date(2018, 8, 3)),
    # a balance "as at", a shift opened the night before, points valid until
    (("BONUSLINK PTS AS AT 13/03/2018 : 2,315", "14/03/2018 19:42"), date(2018, 3, 14)),
    (("Shift Open : 10/04/17 22:00", "01:12:45 11/04/17"), date(2017, 4, 11)),
    (("Tkh : 09/08/16", "Mata Ganjaran sah sehingga 31/12/16"), date(2016, 8, 9)),
    # a period on one row, in English or Malay
    (("21/07/2016 15:47", "From 21/07/2016 To 20/07/2017"), date(2016, 7, 21)),
    (("Tarikh / Masa : 10-02-2018 11:03:27", "Tempoh : 14-02-2018 hingga 13-02-2019"),
     date(2018, 2, 10)),
])
def test_dates_among_the_rivals_set_z_printed(rows: tuple[str, ...], want: date) -> None:
    assert _date(*rows, "Total 31.40") == want


def test_a_shift_number_after_the_sales_date_is_no_rival() -> None:
    """Guard: "2016-08-21 07:58:12" and "Shift 1" side by side on one row (blind set W)."""
    rows = ["2016-08-21 07:58:12   Shift 1", "Total 30.00", "Points expire 31/12/2017"]
    assert read_fields([*HEAD, *rows], today=date(2026, 8, 1)).date == date(2016, 8, 21)


def test_a_lone_one_digit_date_without_a_label_is_no_date() -> None:
    """Guard: "4/4/19" with no date label may be a code or a fraction."""
    assert _date("Item 4/4/19 HOSE", "Total 31.40") is None


def test_a_trade_word_alone_finishes_the_brand_above_it() -> None:
    rows = ["AZ MOBILE", "COMMUNICATION", "NO. 14, JALAN PASAR BARU, 41000 KLANG"]
    assert M.merchant(rows)[0] == "AZ MOBILE COMMUNICATION"
    # guard: a trade word under an address is no part of a name
    rows = ["NO. 14, JALAN PASAR BARU", "RESTAURANT", "TAX INVOICE"]
    assert M.merchant(rows)[0] != "NO. 14, JALAN PASAR BARU RESTAURANT"


def test_an_aircond_service_is_a_service_and_its_gas_top_up_no_phone_credit() -> None:
    text = "CHEMICAL WASH 1.0HP 360.00\nGAS TOP UP R32 60.00"
    assert category("COOL BREEZE AIRCOND SERVICES", text)[0] == "outsourcing"
    assert category("ABC SDN BHD", "Prepaid top up RM30 30.00")[0] == "communication"
