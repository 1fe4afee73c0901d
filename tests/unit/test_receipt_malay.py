"""Malaysian slips as they are printed (issue 21, the blind round): labels in Malay (JUMLAH,
JUMLAH KECIL, TERMASUK, CUKAI, TUNAI, BAKI), e-wallets paid with (Boost, ShopeePay, DuitNow), a
member discount below the subtotal with no discount word, a registered name with no name of its
own under the shop's, a "1" read as "I" after "RM", dates OCR glued or misread, deposits,
categories by Malaysian names; then English slips from Singapore, the US, the UK, Australia and
Hong Kong (the dollar a slip names, a net total before VAT, a rounded total after the payment,
a brand's registered name in the footer). Each rule both ways where it has a guard. The texts
are written here in the style of the blind sets' slips."""

from datetime import date
from decimal import Decimal

from bot.receipts import fields as F
from bot.receipts import merchant as M
from bot.receipts.dates import find_dates
from bot.receipts.reader import read_fields

TODAY = date(2026, 11, 28)
HEAD = ["KEDAI MAKAN SERI INDAH SDN BHD (112233-K)", "NO. 3, JALAN MERAK 2, 43000 KAJANG",
        "BIL : 0019238   15-05-2026 12:51"]


def test_jumlah_including_tax_is_the_total_not_an_item_sum() -> None:
    rows = [*HEAD, "NASI PUTIH 1 1.50 SR", "AYAM MASAK MERAH 1 4.50 SR", "TEH O AIS 1 1.80 SR",
            "JUMLAH (TERMASUK GST) 7.80", "TUNAI 50.00", "BAKI 42.20", "GST 6% 7.36 0.44"]
    got = read_fields(rows, today=TODAY)
    assert got.total == Decimal("7.80")
    assert got.payment_method == "cash"


def test_jumlah_kecil_is_the_subtotal_and_cukai_the_tax() -> None:
    rows = [*HEAD, "MEE GORENG 2 12.00", "JUMLAH KECIL 12.00", "CUKAI PERKHIDMATAN 6% 0.72",
            "JUMLAH BESAR 12.70", "TUNAI 20.00", "BAKI 7.30"]
    got = read_fields(rows, today=TODAY)
    assert got.subtotal == Decimal("12.00")
    assert got.total == Decimal("12.70")


def test_not_including_tax_is_no_total() -> None:
    assert F.total_strength("JUMLAH TIDAK TERMASUK GST") == 0.0
    assert F.total_strength("JUMLAH TERMASUK GST") > 0.0
    assert F.total_strength("BAKI") == 0.0  # the change, not a balance due


def test_e_wallet_row_backs_the_total_after_a_member_discount() -> None:
    rows = ["ROTI MAMA BAKERY (M) SDN BHD", "Date: 31.10.2026 08:03", "Kaya Bun 2 x 2.20 4.40",
            "Chicken Floss Bun 1 x 3.50 3.50", "Subtotal 7.90", "Member 10% -0.79",
            "Total 7.11", "Boost 7.11"]
    got = read_fields(rows, today=TODAY)
    assert got.total == Decimal("7.11")
    assert got.payment_method == "qr_code"
    assert F.payment_method("ShopeePay 7.11")[0] == "qr_code"
    assert F.payment_method("DuitNow QR 7.11")[0] == "qr_code"


def test_rounding_below_the_subtotal_is_no_discount() -> None:
    from bot.receipts.totals import discounted
    rows = ["Subtotal 7.92", "Rounding Adj -0.02", "Total 7.90"]
    assert not discounted(F.lines_of(rows, "MYR"))
    assert discounted(F.lines_of(["Subtotal 7.92", "Member 10% -0.79", "Total 7.13"], "MYR"))


def test_registered_name_without_a_name_of_its_own_finishes_the_row_above() -> None:
    rows = ["HAI XIAN LOU", "SEAFOOD RESTAURANT SDN BHD", "(1012834-P)",
            "NO 8 & 10, JALAN SG 3/2, TAMAN SRI GOMBAK", "TEL : 03-6187 2236"]
    assert M.merchant(rows)[0] == "HAI XIAN LOU SEAFOOD RESTAURANT SDN BHD"


def test_registered_name_with_a_name_of_its_own_stands_alone() -> None:
    rows = ["NYONYA COLORS", "LITTLE CRAVINGS SDN BHD (562007-D)", "HQ 7, JLN SS21/34",
            "TEL: 03-77282288"]
    assert M.merchant(rows)[0] == "LITTLE CRAVINGS SDN BHD"
    rows = ["NO. 3, JALAN MERAK 2", "STATIONERY SDN BHD"]  # an address is no name
    assert M.merchant(rows)[0] == "STATIONERY SDN BHD"


def test_one_read_as_i_after_the_currency_mark() -> None:
    assert F.clean_row("AMT PAID INCL. GST: RMI11.90") == "AMT PAID INCL. GST: RM111.90"
    assert F.clean_row("Total RMl5.00") == "Total RM15.00"
    assert F.clean_row("RMIN 5.00") == "RMIN 5.00"  # a word, no amount glued to it


def test_a_number_glued_to_the_day_and_a_tilde_for_a_dash() -> None:
    found = find_dates("#001-001-0934-000105/01/202613:30-R", currency="MYR", today=TODAY)
    assert [f.value for f in found] == [date(2026, 1, 5)]
    assert [f.value for f in find_dates("05~05-26", currency="MYR", today=TODAY)] == [
        date(2026, 5, 5)]


def test_a_colon_right_before_the_currency_mark() -> None:
    # the total row misread twice ("InGI", 8 as 6): the payment row and the tax back 78.30
    rows = ["AMT PAID InGI. GST: RM76.30", "Amt Paid excl. GST :RM 73.87", "GST AMT :RM4.43",
            "PAID BY:CC:7186:RM78.30", "TOTAL QTY: 10"]
    assert [a.value for a in F.lines_of([F.clean_row(r) for r in rows], "MYR")[2].amounts] == [
        Decimal("4.43")]
    assert read_fields([*HEAD, *rows], today=TODAY).total == Decimal("78.30")


def test_tax_table_after_the_payment_is_no_total_when_the_total_row_was_unread() -> None:
    # the total row's label was lost ("21.otal Sales"): the tax table's "Total :" sums the tax
    rows = [*HEAD, "9557366100208 21 20 2120 SR", "CRISPO MINYAK SAPI 800G", "Total Qty 1 21.20",
            "Total Sales (Excluding GST) 2000", "Discount 000", "Total GST 120",
            "21.otal Sales Rounding 000", "21.20", "(Inclusive of GST)", "CASH: 100.00",
            "Change : 78.80", "GST SUMMARY", "Tax Code % Amt (RM) Tex (RM)", "SR 6 20.00 120",
            "Total : 20.00 1.20"]
    assert read_fields(rows, today=TODAY).total == Decimal("21.20")


def test_a_space_groups_thousands_only_before_a_decimal_comma() -> None:
    from bot.receipts.amounts import find_amounts
    # a unit price or a quantity printed beside the amount is no thousands group
    assert [a.value for a in find_amounts("Durian 2.3kg @ RM45 103.50", "MYR")] == [
        Decimal("45"), Decimal("103.50")]
    assert [a.value for a in find_amounts("MINYAK HITAM 4L 1 120.00", "MYR")] == [
        Decimal("1"), Decimal("120.00")]
    assert [a.value for a in find_amounts("Total 1 234,56 €", "EUR")] == [Decimal("1234.56")]
    rows = [*HEAD, "Durian Musang King 2.3kg @ RM45 103.50", "Durian D24 3kg @ RM20 60.00",
            "Manggis 2kg 16.00", "Jumlah 179.50"]
    assert read_fields(rows, today=TODAY).total == Decimal("179.50")


def test_malay_month_names() -> None:
    found = find_dates("No: 22-00451 12 MAC 2026 10:31", currency="MYR", today=TODAY)
    assert [f.value for f in found] == [date(2026, 3, 12)]
    assert [f.value for f in find_dates("5 Ogos 2026", currency="MYR", today=TODAY)] == [
        date(2026, 8, 5)]
    assert [f.value for f in find_dates("1 Disember 2025", currency="MYR", today=TODAY)] == [
        date(2025, 12, 1)]


def test_registration_number_beside_the_name_marks_the_registered_name() -> None:
    rows = ["CUCI KERETA KILAT", "KILAT AUTO CARE (SA0456789-U)", "NO. 9, JALAN KENARI 5",
            "Tel: 012-345 7788"]
    assert M.merchant(rows)[0] == "KILAT AUTO CARE"
    rows = ["MENTARI BOOKSTORE", "MENTARI BOOKS BHD (Company No. 102938-T)", "Lot F1-23, Ipoh"]
    assert M.merchant(rows)[0] == "MENTARI BOOKS BHD"


def test_registration_row_with_state_letters_under_the_name() -> None:
    rows = ["PUSAT TAYAR & BATERI", "SIN KEONG TYRE & BATTERY SERVICE", "(TR0045678-P)",
            "NO. 88, JALAN KEMAJUAN"]
    assert M.merchant(rows)[0] == "SIN KEONG TYRE & BATTERY SERVICE"


def test_registration_marks_neither_an_owner_nor_a_country() -> None:
    rows = ["SANYU STATIONERY SHOP", "NO. 31G, JALAN SETIA INDAH", "OWNED BY :",
            "SANYU SUPPLY SDN BHD (1234567-K)"]
    assert M.merchant(rows)[0] == "SANYU STATIONERY SHOP"
    rows = ["GL HANDICRAFT & TAILORING", "19, JALAN KANCIL,", "55100 KUALA LUMPUR", "MALAYSIA",
            "COMPANY REG NO. :75495-W"]
    assert M.merchant(rows)[0] == "GL HANDICRAFT & TAILORING"


def test_branch_in_brackets_before_the_legal_form_finishes_the_name() -> None:
    rows = ["HEALTHPLUS PHARMACY", "(BANGSAR) SDN BHD", "Co. Reg. No. 998877-A",
            "NO. 22, JALAN TELAWI 3,"]
    assert M.merchant(rows)[0] == "HEALTHPLUS PHARMACY (BANGSAR) SDN BHD"


def test_the_slip_date_not_a_delivery_nor_a_folio_night() -> None:
    from bot.receipts.dates import purchase_date
    text = ("FLORA'S GARDEN SDN BHD\nReceipt No : FG19-0213-08 Receipt Date: 13-02-2026\n"
            "Delivery : 14 Feb 2026, 10am - 1pm\nHand bouquet 1 150.00\nTotal 150.00")
    best = purchase_date(text, find_dates(text, currency="MYR", today=TODAY))
    assert best is not None and best.value == date(2026, 2, 13)
    text = ("TUNE HOTELS SDN BHD\nFolio No. : 204518\n"
            "Arrival : 23-Mar-2026 Departure : 25-Mar-2026\n23-Mar-2026 Room Charge 189.00\n"
            "24-Mar-2026 Room Charge 189.00\nTotal 378.00\nPrinted : 25/03/2026 11:52")
    best = purchase_date(text, find_dates(text, currency="MYR", today=TODAY))
    assert best is not None and best.value == date(2026, 3, 25)


def test_a_deposit_refunded_is_neither_the_total_nor_a_candidate_after_it() -> None:
    rows = [*HEAD, "Room Charges 460.00", "Service Charge 10% 46.00", "SST 6% 30.36",
            "Total 536.36", "Rounding -0.01", "Grand Total 536.35", "Deposit Received 600.00",
            "Balance Refunded 63.65"]
    assert read_fields(rows, today=TODAY).total == Decimal("536.35")


def test_a_deposit_paid_earlier_leaves_the_bill_as_the_total() -> None:
    rows = [*HEAD, "Frame RB5154 1 280.00", "Lens Progressive 1 480.00", "Sub Total 760.00",
            "Disc 20% -152.00", "Total (incl GST) 608.00",
            "Less: Deposit (Rcpt 0456, 02/11/26) -200.00", "Balance Paid 408.00", "VISA 408.00"]
    assert read_fields(rows, today=TODAY).total == Decimal("608.00")
    rows = [*HEAD, "Frame 280.00", "Lens (Pair) 220.00", "Sub Total 500.00", "Discount 50.00",
            "Deposit 200.00", "Balance 250.00"]
    assert read_fields(rows, today=TODAY).total == Decimal("450.00")
    # no deposit: the balance due is the total
    rows = [*HEAD, "Frame 280.00", "Lens (Pair) 220.00", "Sub Total 500.00", "Discount 50.00",
            "Balance 450.00"]
    assert read_fields(rows, today=TODAY).total == Decimal("450.00")


def _slip_date(rows: list[str], japanese: bool = False) -> date | None:
    return read_fields(rows, today=TODAY, lang_hint="ja" if japanese else None).date


def test_a_folio_is_billed_on_the_departure_date() -> None:
    rows = ["TROPIC INN SDN. BHD.", "TAX INVOICE / GUEST BILL", "Room: 305 Rate: 138.00",
            "Arr: 30-12-2025 Dep: 02-01-2026", "Date Particulars Amount",
            "30-12-25 ROOM CHARGE 138.00", "31-12-25 ROOM CHARGE 138.00",
            "01-01-26 ROOM CHARGE 138.00", "Total 414.00"]
    assert _slip_date(rows) == date(2026, 1, 2)
    rows = ["HOTEL MIRI SDN. BHD.", "Arrival", "06/05/2026", "Departure", "08/05/2026",
            "06/05/26 Room 134.00", "07/05/26 Room 134.00", "Total 268.00"]
    assert _slip_date(rows) == date(2026, 5, 8)


def test_a_job_taken_in_is_billed_on_its_date_out() -> None:
    rows = ["ZEE PHONE REPAIR", "SERVICE INVOICE", "Date In: 27-05-2026", "Date Out: 28-05-2026",
            "Replace LCD 170.00", "Total RM 180.00"]
    assert _slip_date(rows) == date(2026, 5, 28)


def test_a_tickets_departure_without_an_arrival_is_no_purchase_date() -> None:
    rows = ["EXPRESS BAS SDN BHD", "Transaction Date : 16/06/2026 10:22",
            "Departure : 22/06/2026 18:30", "Fare RM 35.00", "Total RM 35.00"]
    assert _slip_date(rows) == date(2026, 6, 16)


def test_a_stay_period_and_an_original_receipt_date_are_no_purchase_date() -> None:
    rows = ["領収書", "¥16,560-", "宿泊期間 2026年06月17日〜06月19日 2泊", "宿泊料 ¥16,560",
            "発行日 2026年06月19日", "東横INN名古屋駅"]
    assert _slip_date(rows, japanese=True) == date(2026, 6, 19)
    rows = ["MYDIN USJ", "** REFUND **", "Orig Date : 07/04/2026", "LED BULB -1 x 14.90 -14.90",
            "Refund Total -14.90", "08/04/2026 14:27:55"]
    assert _slip_date(rows) == date(2026, 4, 8)
    rows = ["Shopee", "Return/Refund Details", "Request Date: 01-06-2026",
            "Refund Date: 03-06-2026", "Refund Amount -RM45.80"]
    assert _slip_date(rows) == date(2026, 6, 3)


def test_a_delivery_fee_between_subtotal_and_total_backs_the_total() -> None:
    rows = ["foodpanda", "Order date: 27/07/2026 19:46", "1 Big Mac Meal (L) 17.45",
            "1 McChicken 7.55", "Subtotal RM 25.00", "Delivery fee RM 3.40", "Total RM 28.40",
            "Payment method Cash on delivery"]
    assert read_fields(rows, today=TODAY).total == Decimal("28.40")


def test_a_car_parks_and_a_toll_gates_charge_is_the_total() -> None:
    rows = ["領収書", "三井のリパーク", "精算日時 26年06月18日 12:31", "駐車時間 2:26",
            "車室 No. 04", "駐車料金 900円", "(うち消費税 81円)", "投入金額 1,000円",
            "おつり 100円"]
    assert read_fields(rows, today=TODAY).total == Decimal("900")
    rows = ["通行料金領収書", "NEXCO中日本御殿場料金所", "2026年06月28日 10:47", "通行料金 ¥2,370",
            "(うち消費税等 ¥215)", "現金", "料金所 No.03 収受員 21"]
    assert read_fields(rows, today=TODAY).total == Decimal("2370")


def test_an_app_receipts_issuer_is_the_company_that_issues_it() -> None:
    trip = ["Booking ID: ADR-3981127-4-192", "Pick-up location:", "Sunway Pyramid, Jalan PJS 11",
            "Drop-off location:", "Menara Ken TTDI", "Vehicle type: GrabCar"]
    rows = ["Grab", "Your Grab E-Receipt", "Date 14 Mar 2026 08:42 PM", *trip,
            "Issued by driver", "MOHD FAIZAL BIN ABDUL RAHMAN", "Ride Fare RM 21.00",
            "TOTAL RM 23.00", "Issued on behalf of the driver by", "GRABCAR SDN. BHD.",
            "(1125465-K)", "LEVEL 35, MENARA ILHAM, NO. 8, JALAN BINJAI,"]
    assert M.merchant(rows)[0] == "GRABCAR SDN. BHD."
    rows = ["foodpanda", "Order date: 27/07/2026 19:46", *trip, "1 Big Mac Meal (L) 17.45",
            "Total RM 28.40", "Receipt issued by:", "DELIVERY HERO (MALAYSIA) SDN. BHD.",
            "(Company No. 1090239-M)"]
    assert M.merchant(rows)[0] == "DELIVERY HERO (MALAYSIA) SDN. BHD."
    # issued by a person (the driver), no company: the brand stands
    rows = ["Grab", "Your Grab E-Receipt", "Issued by driver", "MOHD FAIZAL BIN ABDUL RAHMAN",
            "TOTAL RM 23.00"]
    assert M.merchant(rows)[0] == "Grab"


def test_a_government_office_under_the_governments_name() -> None:
    rows = ["KERAJAAN MALAYSIA", "JABATAN PENGANGKUTAN JALAN MALAYSIA", "JPJ CAWANGAN WANGSA MAJU,",
            "JALAN 1/27A, SEKSYEN 1, WANGSA MAJU,", "RESIT RASMI", "Jumlah 190.00"]
    assert M.merchant(rows)[0] == "JABATAN PENGANGKUTAN JALAN MALAYSIA"
    rows = ["KERAJAAN NEGERI SELANGOR", "PEJABAT TANAH DAN GALIAN NEGERI SELANGOR",
            "TINGKAT 4, BANGUNAN SULTAN SALAHUDDIN,", "40576 SHAH ALAM, SELANGOR",
            "RESIT CUKAI TANAH", "Jumlah Bayaran 187.00"]
    assert M.merchant(rows)[0] == "PEJABAT TANAH DAN GALIAN NEGERI SELANGOR"


def test_initials_give_way_to_the_registered_name_they_stand_for() -> None:
    rows = ["KTM BERHAD", "KERETAPI TANAH MELAYU BERHAD", "(3349-U)", "STESEN KL SENTRAL,",
            "Jumlah RM 105.00"]
    assert M.merchant(rows)[0] == "KERETAPI TANAH MELAYU BERHAD"
    # a brand whose initials the registered name takes keeps the registered name
    rows = ["PIZZA ITALIA", "PI FOODS (M) SDN BHD", "(123456-A)", "NO. 3, JALAN SS 2/4",
            "TOTAL 23.00"]
    assert M.merchant(rows)[0] == "PI FOODS (M) SDN BHD"


# --- categories ---------------------------------------------------------------------------

def _category(merchant: str, text: str, items: tuple[str, ...] = (),
              amounts: tuple[str, ...] = ()) -> str:
    from bot.receipts.categories import category
    return category(merchant, text, items, [Decimal(a) for a in amounts])[0]


def test_malaysian_meals_are_entertainment() -> None:
    assert _category("KAORI F&B SDN. BHD.", "SALMON SASHIMI 1 18.90") == "entertainment"
    assert _category("KEDAI KOPI SIN HUAT", "2 Kopi O 3.20") == "entertainment"
    assert _category("LOOB HOLDING SDN BHD", "Pearl Milk Tea (L) 8.90") == "entertainment"
    assert _category("D'SELERA KAMPUNG ENTERPRISE", "NASI KERABU + AYAM PERCIK 2 24.00") == (
        "entertainment")


def test_clinics_pharmacies_vets_and_florists_are_misc_whatever_their_words() -> None:
    # "Consultation" at a clinic is no consultancy; "FLORAL DESIGN" no design work
    assert _category("POLIKLINIK HALIM SDN. BHD.", "Caj Konsultasi / Consultation 30.00") == "misc"
    assert _category("PAWS & CLAWS VETERINARY SDN BHD", "Consultation 35.00") == "misc"
    assert _category("B&P FLORAL DESIGN", "Hand bouquet 12 red roses 188.00") == "misc"
    assert _category("AL-SYIFA PHARMACY SDN BHD", "STREPSILS HONEY LEMON 16S 11.90") == "misc"


def test_groceries_are_misc_not_a_meal() -> None:
    text = ("MINYAK PAKET 1KG 5 2.50\nGULA HALUS 1KG 2 3.10\nSUSU TEPUNG 400G 1 12.90\n"
            "MEE KUNING 1 2.00")
    assert _category("SRI MAJU TRADING (M) SDN. BHD.", text) == "misc"
    assert _category("GOLDEN MART (SEREMBAN 2) SDN BHD", "KOKO KRUNCH 330G 1 11.99") == "misc"


def test_fuel_stations_and_parking_in_malay_are_transport() -> None:
    assert _category("STESEN MINYAK SRI SENTUL (M) SDN BHD", "PUMP 05 BLAZE 95 50.00") == (
        "transport")
    assert _category("SRI MUTIARA PETROLEUM ENTERPRISE", "Pump 4 RON 95 30.00") == "transport"
    assert _category("PARKIR PINTAR SDN BHD", "Caj Parkir 3.00") == "transport"


def test_hardware_and_stationery_in_malay_are_supplies() -> None:
    assert _category("KEDAI ALAT TULIS CHEONG KEE", "Pensel 2B x 12 6.00") == "supplies"
    assert _category("RAHMAN JAYA ENTERPRISE", "Mentol LED 18W x 4 40.00") == "supplies"
    assert _category("SENHENG ELECTRIC (KL) SDN. BHD.", "WASHER 9KG 1 1499.00") == "supplies"


def test_a_convenience_store_by_what_most_of_the_money_bought() -> None:
    head = "FamilyMart\nQL MAXINCOME SDN BHD\n"  # the brand printed over the company
    items = ("HOTLINK RELOAD RM30", "DUTCH LADY CHOC 200ML", "ONIGIRI TUNA")
    assert _category("QM CONVENIENCE STORES SDN BHD", head, items,
                     ("30.00", "2.40", "4.50")) == "communication"
    items = ("Slurpee Regular", "Maggi Cup Asam Laksa", "Nescafe Can Latte", "Reload Celcom RM2")
    assert _category("QL MAXINCOME SDN BHD", head, items,
                     ("2.70", "2.90", "2.60", "2.00")) == "misc"
    assert _category("QL MAXINCOME SDN BHD", head, ("ONIGIRI TUNA MAYO", "FAMIMA COFFEE L"),
                     ("4.50", "5.90")) == "misc"  # never entertainment


def test_travel_post_and_bills_in_malaysia() -> None:
    assert _category("KTM BERHAD", "KTM KOMUTER\nTIKET / TICKET\nDewasa x 2 RM 11.40") == (
        "transport")
    assert _category("PLUS MALAYSIA BERHAD", "Plaza Tol: JURU\nTol: RM 37.60") == "transport"
    assert _category("SAFARI KERETA SEWA SDN BHD", "Rental 3 days 360.00\n"
                     "Delivery to hotel 60.00") == "transport"  # a hired car, not a hotel
    assert _category("POS MALAYSIA BERHAD", "POS LAJU DOMESTIK 7.00") == "communication"
    assert _category("TELEKOM MALAYSIA BERHAD", "unifi Biz 100Mbps 199.00") == "communication"
    assert _category("GD EXPRESS SDN BHD", "5221 8890 1123 PENANG 2.5 14.50") == "communication"
    assert _category("PRINTCITY SDN BHD", "Name Card 300gsm matt lamination 120.00") == (
        "outsourcing")
    assert _category("SRI SEMARAK FOTOSTAT & STATIONERY", "Fotostat A4 12.00") == "outsourcing"


def test_a_shop_in_a_mall_named_like_a_supermarket_is_not_one() -> None:
    text = ("MR. D.I.Y. (M) SDN BHD\n(860671-D)\nLOT G-23, GROUND FLOOR, AEON MALL BUKIT TINGGI,\n"
            "USB CABLE TYPE C 1M 9.90")
    assert _category("MR. D.I.Y. (M) SDN BHD", text) == "supplies"


def test_the_buyer_named_on_an_invoice_is_not_the_merchant() -> None:
    rows = ["AIMAN HAKIM DESIGN STUDIO", "(202-ENT: 003018842-M)", "17-2, JALAN PUTERI 2/4",
            "INVOICE #AHD-0042", "Issue date: 02/08/2026", "Client: SINAR HALUS MARKETING SDN BHD"]
    assert M.merchant(rows)[0] == "AIMAN HAKIM DESIGN STUDIO"
    rows = ["SURUHANJAYA SYARIKAT MALAYSIA", "COMPANIES COMMISSION OF MALAYSIA", "RESIT RASMI",
            "Tarikh 24/01/2026 11:35:09", "Diterima daripada BINA JAYA ENTERPRISE"]
    assert M.merchant(rows)[0] == "SURUHANJAYA SYARIKAT MALAYSIA"


def test_a_toll_slip_charges_its_one_amount() -> None:
    rows = ["PLUS MALAYSIA BERHAD (1132477-X)", "RESIT / RECEIPT", "Plaza Tol: JURU", "Kelas: 1",
            "Tarikh: 03-07-2026", "Tol: RM 37.60", "Baki Kad: RM 62.15"]
    assert read_fields(rows, today=TODAY).total == Decimal("37.60")
    # two charges and no total: no guess
    rows = [*rows[:-2], "Tol: RM 37.60", "Parkir: RM 3.00"]
    assert read_fields(rows, today=TODAY).total is None


def test_the_day_bought_not_the_day_of_departure_in_malay() -> None:
    from bot.receipts.dates import purchase_date
    text = ("TRANSNASIONAL EXPRESS SDN BHD\nTIKET BAS EKSPRES\n"
            "Tarikh Bertolak: 22/06/2026 Masa: 0930\nDewasa x 1 29.20\nJumlah RM 38.10\n"
            "Dibeli: 20/06/2026 16:11")
    best = purchase_date(text, find_dates(text, currency="MYR", today=TODAY))
    assert best is not None and best.value == date(2026, 6, 20)


def test_a_romanised_name_over_chinese_characters_in_malaysia() -> None:
    rows = ["成發茶室", "SENG HUAT COFFEE SHOP", "NO. 12, JALAN CARPENTER, 93000 KUCHING",
            "Kopi O 1.60", "Jumlah RM 1.60"]
    assert read_fields(rows, today=TODAY).merchant == "SENG HUAT COFFEE SHOP"
    # where the characters are the name people write, they stay (a yen receipt)
    assert M.merchant(["成發茶室", "SENG HUAT"], latin_first=False)[0] == "成發茶室"


def test_a_masked_card_number_with_dots_is_no_amount() -> None:
    rows = ["Payment method Visa ····4821", "Amount billed (excl. tax) RM 500.00",
            "Service Tax 6% RM 30.00", "Paid RM 530.00"]
    assert F.lines_of(rows, "MYR")[0].amount is None


def test_bills_training_and_taxis_in_malay() -> None:
    assert _category("TENAGA NASIONAL BERHAD", "BIL ELEKTRIK / ELECTRICITY BILL\n"
                     "Caj Semasa 178.52") == "misc"
    assert _category("PUSAT LATIHAN KEMAHIRAN BINA MAJU SDN BHD", "Kursus 1200.00") == "misc"
    assert _category("TEKSI BUDIMAN", "RESIT TEKSI\nTambang RM 35.00") == "transport"
    # a highway in the address is no toll
    assert _category("MEASAT BROADCAST NETWORK SYSTEMS SDN BHD",
                     "LEBUHRAYA PUCHONG-SUNGAI BESI, 57000 KUALA LUMPUR\nHD Add-on 10.00") == "misc"


def test_a_transit_or_toll_cards_top_up_is_transport() -> None:
    text = ("TOUCH 'N GO SDN BHD\nRELOAD RECEIPT\nLocation : PLAZA TOL SUNGAI BESI\n"
            "Reload Amount RM 50.00")
    assert _category("TOUCH 'N GO SDN BHD", text) == "transport"
    text = "TRANSITLINK PTE LTD\nTOP-UP RECEIPT\nCard Type ADULT EZ-LINK\nTop-up Value $30.00"
    assert _category("TRANSITLINK PTE LTD", text) == "transport"
    # paid with the card, a meal is still a meal
    text = "MAXIM'S CATERERS LIMITED\nBAKED PORK CHOP RICE 48.00\nOctopus 78.00"
    assert _category("Maxim's Caterers Limited", text) != "transport"


def test_a_repair_shop_and_a_key_cut_are_services() -> None:
    text = "ZEE MOBILE REPAIR CENTRE\nSERVICE INVOICE\nReplace LCD + Touch 170.00"
    assert _category("ZEE MOBILE REPAIR CENTRE", text) == "outsourcing"
    text = "MISTER MINIT\nJR東京駅構内B1\n合鍵作製ディンプルキー 2 3,960\n但合鍵作製代として"
    assert _category("ミニット・アジア・パシフィック株式会社", text) == "outsourcing"


def test_a_phone_shops_accessories_are_supplies_its_airtime_communication() -> None:
    items = ("SAMSUNG 25W TRAVEL ADAPTER", "SPIGEN TOUGH ARMOR S10")
    text = "SHENG SIONG MOBILE PTE LTD\n" + "\n".join(items)
    assert _category("SHENG SIONG MOBILE PTE LTD", text, items, ("29.90", "35.00")) == "supplies"
    items = ("HOTLINK PREPAID RM30", "SIM STARTER PACK")
    text = "SHENG SIONG MOBILE PTE LTD\n" + "\n".join(items)
    assert _category("SHENG SIONG MOBILE PTE LTD", text, items,
                     ("30.00", "8.00")) == "communication"


def test_a_hotels_restaurant_bill_is_a_meal_its_folio_lodging() -> None:
    text = ("HOTEL GRAND CONTINENTAL KUANTAN\nRESTORAN SERI DAUN\nCheck #: 20571 Table: 14\n"
            "Covers: 3 Server: ROSLAN\n1 Ikan Bakar 38.00\nTotal 111.35\nCharge to Room 0516")
    assert _category("GRAND CONTINENTAL HOTELS SDN BHD", text) == "entertainment"
    text = ("HOTEL GRAND CONTINENTAL KUANTAN\nArrival 13/05/2026 Departure 16/05/2026\n"
            "13/05/26 Room Charge 180.00\n14/05/26 Restaurant 45.00\nTotal 405.00")
    assert _category("GRAND CONTINENTAL HOTELS SDN BHD", text) == "lodging"


def test_stationery_at_a_hundred_yen_shop_fuel_by_the_litre_a_logistics_invoice() -> None:
    items = ("クリアファイル A4 10P", "布ガムテープ", "付箋 75x75", "延長コード 2m")
    assert _category("株式会社大創産業", "DAISO\nダイソー", items,
                     ("100", "100", "200", "300")) == "supplies"
    items = ("42.18 L @ 189.9 c/L", "COCA-COLA NO SUGAR 600ML")
    assert _category("7-Eleven Stores Pty Ltd", "7-ELEVEN\nPump 4 Unleaded 91", items,
                     ("80.10", "4.80")) == "transport"
    assert _category("株式会社ENEOSウイング", "ENEOS\nレギュラー 28.42L") == "transport"
    text = "KILAT EXPRESS LOGISTICS SDN. BHD.\nConsignment Destination Weight Charge"
    assert _category("KILAT EXPRESS LOGISTICS SDN. BHD.", text) == "outsourcing"


def test_tuition_is_misc_a_training_consultancy_a_service() -> None:
    text = "PUSAT TUISYEN MINDA GEMILANG\nYuran Bulanan 240.00\nBuku Latihan & Modul 50.00"
    assert _category("PUSAT TUISYEN MINDA GEMILANG", text) == "misc"
    text = "PROSKILLS TRAINING & CONSULTANCY SDN BHD\nMicrosoft Excel Advanced (2 days) 1,500.00"
    assert _category("PROSKILLS TRAINING & CONSULTANCY SDN BHD", text) == "outsourcing"


# --- beyond Malaysia ----------------------------------------------------------------------

def test_a_bare_dollar_is_the_dollar_of_the_country_the_slip_names() -> None:
    from bot.receipts.amounts import detect_currency
    assert detect_currency("Singapore 239924\nTotal $12.00\nNETS $12.00")[0] == "SGD"
    assert detect_currency("Leichhardt NSW 2040\nABN 85 005 299 338\nTOTAL $84.90")[0] == "AUD"
    assert detect_currency("Kowloon Bay Plaza\nTotal $78.00")[0] == "HKD"
    assert detect_currency("Acme\nTOTAL $58.36\nOCTOPUS $58.36")[0] == "USD"  # a card is no place
    assert detect_currency("Columbus, OH 43201\nTotal 25.75")[0] == "USD"  # no mark, a US address
    assert detect_currency("Kuala Lumpur\nTotal 25.75")[0] is None


def test_us_and_australian_dates_follow_the_country() -> None:
    rows = ["BLUE MOON DINER LLC", "1420 N High St", "Columbus, OH 43201", "04/11/2026 9:36 AM",
            "Subtotal 23.95", "Tax 1.80", "Total 25.75"]
    assert read_fields(rows, today=TODAY).date == date(2026, 4, 11)
    rows = ["7-Eleven Stores Pty Ltd", "Leichhardt NSW 2040", "ABN 85 005 299 338",
            "09-01-26 06:48 2187/01/00741", "TOTAL $84.90"]
    assert read_fields(rows, today=TODAY).date == date(2026, 1, 9)


def test_a_net_total_before_vat_gives_way_to_the_total() -> None:
    rows = ["AUTOCARE SERVICES", "(LEEDS) LTD", "Date: 10/07/2026", "MOT Test 1 54.85",
            "Wiper Blades (pair) 1 18.00", "Net 72.85", "VAT 20% 3.60", "TOTAL 76.45",
            "Paid by Card 76.45"]
    got = read_fields(rows, today=TODAY)
    assert got.total == Decimal("76.45")
    assert got.merchant == "AUTOCARE SERVICES (LEEDS) LTD"
    # a Malaysian NETT TOTAL is the last total: it stands
    rows = [*HEAD, "ITEM A 10.00", "TOTAL 10.00", "NETT TOTAL 10.00", "CASH 10.00"]
    assert read_fields(rows, today=TODAY).total == Decimal("10.00")


def test_a_rounded_total_after_the_payment_rows() -> None:
    rows = ["Woolworths", "Bondi Junction NSW 2022", "ABN 88 000 014 675", "24/02/2026 18:51",
            "MILK 3L 4.65", "BREAD 700G 4.50", "4 SUBTOTAL 18.63", "TOTAL $18.63",
            "Rounding -0.03", "Cash $20.00", "Change $1.40", "TOTAL ROUNDED $18.60"]
    assert read_fields(rows, today=TODAY).total == Decimal("18.60")


def test_the_brands_registered_name_in_the_footer() -> None:
    rows = ["Boots", "17-19 Princes Street", "Edinburgh EH2 2AN", "Tel: 0131 225 8331",
            "PARACETAMOL 500MG 16S 0.59 A", "NUROFEN 200MG TABS 16S 2.75 A", "BALANCE DUE £3.34",
            "CARD £3.34", "VAT NET VAT GROSS", "A 20% 2.78 0.56 3.34", "Store 01288 Till 04",
            "09.06.2026 12:58", "Boots UK Limited, 1 Thane Road, Nottingham NG90 1BS"]
    assert M.merchant(rows)[0] == "Boots UK Limited"
    # a company in the header under a shop's name is its owner: it does not replace the name
    rows = ["SANYU STATIONERY SHOP", "NO. 31G, JALAN SETIA INDAH", "OWNED BY :",
            "SANYU SUPPLY SDN BHD (1234567-K)"]
    assert M.merchant(rows)[0] == "SANYU STATIONERY SHOP"


def test_international_chains_and_words_for_categories() -> None:
    assert _category("EXCEL PRINT & COPY PTE LTD", "B/W Copy A4 120 12.00") == "outsourcing"
    assert _category("STAPLES THE OFFICE SUPERSTORE, LLC", "HP 952 BLACK INK 39.99") == "supplies"
    assert _category("JOE'S AUTO CARE LLC", "REPAIR ORDER / INVOICE\nOIL FILTER 12.50") == "misc"
    assert _category("Currys Group Limited", "HDMI CABLE 14.99") == "supplies"
    assert _category("Pret A Manger (Europe) Ltd", "Flat White 3.45") == "entertainment"
    assert _category("Maxim's Caterers Limited", "BAKED PORK CHOP RICE 48.00\n"
                     "Octopus 78.00") != "transport"  # paid by Octopus card, not a ride


# --- Japanese slips (blind sets N and O) ----------------------------------------------------

def test_a_ryoshusho_amount_printed_on_its_own_or_after_kingaku() -> None:
    rows = ["JR東日本", "領収書", "上様", "¥5,000-", "但 Suicaチャージ代として",
            "2025.10.25 上野駅", "東日本旅客鉄道株式会社"]
    assert read_fields(rows, today=TODAY).total == Decimal("5000")
    rows = ["文具のいとう", "群馬県前橋市本町2-12-5", "領収書", "上様", "令和6年5月6日",
            "金額 ¥1,870-", "但文房具代として", "(内消費税 10% ¥170)"]
    assert read_fields(rows, today=TODAY).total == Decimal("1870")


def test_a_total_before_the_added_tax_gives_way_to_the_total() -> None:
    rows = ["イオンスタイル幕張新都心", "イオンリテール株式会社", "2025年3月23日(日) 11:05",
            "※バナナ ¥198", "洗濯用洗剤詰替 ¥398", "お買上計 ¥596", "(外8%対象額 ¥198)",
            "(外8%税 ¥15)", "(外10%対象額 ¥398)", "(外10%税 ¥39)", "合計 ¥650", "お預り WAON ¥650"]
    assert read_fields(rows, today=TODAY).total == Decimal("650")


def test_a_taxi_fare_and_its_ids_are_no_items() -> None:
    rows = ["日本交通", "領収書", "日本交通株式会社", "2026-04-18 06:20", "車番品川500 あ 12-34",
            "乗務員番号 41187", "運賃 ¥6,890", "高速料金 ¥820", "合計 ¥7,710", "(うち消費税 ¥700)"]
    got = read_fields(rows, today=TODAY)
    assert got.total == Decimal("7710")
    assert not {Decimal("41187"), Decimal("500")} & {i.amount for i in got.items}


def test_the_addressee_of_a_ryoshusho_is_not_the_merchant() -> None:
    rows = ["領収書", "株式会社アルファ技研様", "金額 ¥6,300 -", "但御飲食代として",
            "令和6年6月21日", "中華料理福龍", "静岡県静岡市葵区呉服町1-5-7"]
    assert M.merchant(rows)[0] == "中華料理福龍"


def test_japanese_shops_for_categories() -> None:
    assert _category("株式会社吉野家", "牛丼 並 ¥468") == "entertainment"
    assert _category("株式会社紀伊國屋書店", "ビジネス書 ¥1,980") == "supplies"
    assert _category("株式会社マツモトキヨシ", "目薬 ¥598") == "misc"
    assert _category("ヤマト運輸株式会社", "宅急便 60サイズ ¥1,060") == "communication"
    assert _category("出光リテール販売株式会社", "レギュラー 30.00L ¥5,100") == "transport"
    assert _category("ダイソー上野店", "おにぎり ¥100", ("おにぎり",), ("100",)) == "misc"


def test_a_price_with_a_japanese_tax_mark_glued_after_it_is_read() -> None:
    rows = ["FamilyMart", "ファミリーマート札幌北8条西店", "2026年6月4日(水)16:05", "領収書",
            "84円切手 10点 @84 840非", "レターパックライト 1点 430非", "合計 ¥1,270", "現金 ¥2,000",
            "お釣り ¥730"]
    got = read_fields(rows, today=TODAY)
    assert [i.amount for i in got.items] == [Decimal("840"), Decimal("430")]
    assert got.category == "communication"
    assert F.lines_of([F.clean_row("おにぎり紅しゃけ ¥183軽")], "JPY")[0].amount == Decimal("183")


def test_a_ryokans_ryoshusho_its_items_and_stay_are_no_merchant_its_stamp_is() -> None:
    rows = ["領収書", "上様", "金 ¥23,030 也", "但御宿泊料として", "令和8年6月21日",
            "ご宿泊日 6月20日(金) 1泊2食大人1名", "御宿泊料 22,000", "御飲物生ビール中 2 880",
            "入湯税 150", "合計 ¥23,030", "10%対象 ¥22,880", "(内消費税 ¥2,080)", "箱根湯本温泉",
            "旅館山水荘", "神奈川県足柄下郡箱根町湯本 1-2", "電話 0460-85-5151", "有限会社山水荘"]
    got = read_fields(rows, today=TODAY)
    assert got.merchant == "有限会社山水荘"
    assert got.category == "lodging"


def test_owner_label_on_the_name_row_is_not_part_of_the_name() -> None:
    # "OWNED BY:" read as "OWN BY:" and glued to the company on its row (a photo of SROIE 388)
    for label in ("OWN BY:", "OWN BY: "):
        name, _ = M.merchant(["OLD ASIA", f"{label}CHEF LEE SDN BHD", "CO.NO. (458592-T)",
                              "LG226, LGF, 1 UTAMA SHOPPING CENTRE,"])
        assert name == "CHEF LEE SDN BHD"
    # read whole, "Owned by" keeps the shop's own name above it first (an earlier rule)
    name, _ = M.merchant(["OLD ASIA CAFE", "Owned by : CHEF LEE SDN BHD", "CO.NO. (458592-T)"])
    assert name == "OLD ASIA CAFE"
    name, _ = M.merchant(["Owned by : CHEF LEE SDN BHD", "CO.NO. (458592-T)"])
    assert name == "CHEF LEE SDN BHD"
    # guard: a name that merely starts with "Own" keeps it
    name, _ = M.merchant(["OWN BRAND MART SDN BHD", "NO 5, JALAN SS2/24"])
    assert name == "OWN BRAND MART SDN BHD"


def test_a_malay_trade_word_row_over_the_name_is_the_names_start() -> None:
    """"KEDAI PERKAKASAN & BAHAN BINAAN" over "HOCK SOON" (a shop's trade in Malay printed above
    its own name, then its registration number): the name is both rows, as it is registered
    and as SROIE's keys type it ("KEDAI PAPAN YEW CHUAN")."""
    rows = ["KEDAI PERKAKASAN & BAHAN BINAAN", "HOCK SOON", "(KT0345678-U)",
            "LOT 556, JALAN KUALA BERANG,", "21700 KUALA BERANG, TERENGGANU"]
    assert M.merchant(rows)[0] == "KEDAI PERKAKASAN & BAHAN BINAAN HOCK SOON"
    rows = ["SYARIKAT PERNIAGAAN BUKU", "WAN & ANAK-ANAK", "(001234567-P)",
            "NO. 14, JALAN SULTAN ZAINAL ABIDIN,"]
    assert M.merchant(rows)[0] == "SYARIKAT PERNIAGAAN BUKU WAN & ANAK-ANAK"
    # guards: a trade row over an address, a phone or a title stays alone; a name on its own
    # row after the trade words is untouched
    rows = ["KEDAI MAKANAN & MINUMAN", "NO. 2, JALAN MERDEKA,", "83000 BATU PAHAT, JOHOR"]
    assert M.merchant(rows)[0] == "KEDAI MAKANAN & MINUMAN"
    rows = ["KEDAI MAKANAN & MINUMAN", "TAX INVOICE", "NO. 2, JALAN MERDEKA,"]
    assert M.merchant(rows)[0] == "KEDAI MAKANAN & MINUMAN"
    assert M.merchant(["KEDAI PAPAN YEW CHUAN", "(0005583085-K)", "LOT 276 JALAN BANTING"]
                      )[0] == "KEDAI PAPAN YEW CHUAN"


def test_ttl_is_a_total_label() -> None:
    """"TTL 19.90" (a kopitiam's printer) is the total, not the cash under it; "TTL QTY" and
    "TTL ITEMS" are counts."""
    rows = [*HEAD, "MEE HAILAM 1 7.50", "KUEY TEOW GORENG 1 7.00", "KOPI O AIS 2 3.20",
            "TEH C PENG 1 2.20", "TTL 19.90", "CASH 50.00", "BAL 30.10"]
    assert read_fields(rows, today=TODAY).total == Decimal("19.90")
    rows = [*HEAD, "MEE HAILAM 1 7.50", "TTL QTY 2", "TTL ITEMS 2", "TOTAL 7.50", "CASH 10.00"]
    assert read_fields(rows, today=TODAY).total == Decimal("7.50")


def test_a_salesman_is_no_merchant_and_a_brands_trading_name_in_the_footer_is() -> None:
    """"** TB HARDWARE **" on top, "SALESMAN: AH KEONG" in the header, and the registered
    "TB BUILDING MATERIALS TRADING" (a sole trader's form) with its number at the foot."""
    rows = ["** TB HARDWARE **", "LOT 1234, JALAN KUALA SELANGOR,", "TEL: 03-6156 7720",
            "CASH SALE NO: 16-02417", "DATE: 27/07/2016 TIME: 09:12AM", "SALESMAN: AH KEONG",
            "BATA MERAH (RED BRICK) 500 0.33 165.00", "TOTAL 165.00", "CASH 200.00",
            "CHANGE 35.00", "GOODS SOLD ARE NOT RETURNABLE", "TB BUILDING MATERIALS TRADING",
            "(SA0274516-X) GST ID: 001652287488"]
    assert M.merchant(rows)[0] == "TB BUILDING MATERIALS TRADING"
    assert M.merchant(["SALESMAN: AH KEONG", "JURUWANG: SITI", "KILAT MART"])[0] == "KILAT MART"
    # guard: a footer row that only shares the brand's first word and has no legal form
    rows[11] = "TB WISHES YOU A GOOD DAY"
    assert M.merchant(rows)[0] == "TB HARDWARE"
