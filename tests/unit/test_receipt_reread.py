"""The second look at a receipt's total and date rows (``bot.receipts.reread``): when it runs,
which rows it reads again, how their words are replaced, and when the new reading is kept.
Words are built here (a page of rows 40 px apart); the band reader is a stand-in that records
what it was asked and answers with the words a sharper reading would give."""

from __future__ import annotations

from datetime import date as Date
from decimal import Decimal

from PIL import Image

from bot.receipts import reread as RR
from bot.receipts.reader import look_again, read_words
from bot.vision.ocr_words import Word

TODAY = Date(2026, 11, 28)
ROW = 40


def page(*rows: str) -> list[Word]:
    """Each row as one word across the page (rapidocr's boxes are runs of text)."""
    return [Word(text, 10, 10 + i * ROW, 300, 24, 0.9) for i, text in enumerate(rows)]


class Bands:
    """A band reader that answers per row text: ``fixes`` maps a row's old text to its new."""

    def __init__(self, words: list[Word], fixes: dict[str, str]) -> None:
        self.words, self.fixes, self.asked = words, fixes, []

    def __call__(self, y0: int, y1: int) -> list[Word]:
        self.asked.append((y0, y1))
        out = []
        for w in self.words:
            if y0 <= w.cy <= y1:
                out.append(Word(self.fixes.get(w.text, w.text), w.left, w.top, w.width,
                                w.height, w.conf))
        return out


def read(words: list[Word], band: Bands) -> tuple[Decimal | None, Date | None]:
    got = look_again(words, "en", band, today=TODAY)
    return got.total, got.date


SLIP = ("KEDAI MAJU SDN BHD", "Date: 20/11/2026 10:30", "X000001720 L01", "30 0 0 270.00 SR",
        "Total RM 20.0", "Cash -300.00", "Change in RM 30°0")


def test_an_unbacked_total_row_is_read_again_and_the_backed_reading_kept() -> None:
    words = page(*SLIP)
    band = Bands(words, {"Total RM 20.0": "Total RM 270.00"})
    assert read_words(words, "en", today=TODAY).total != Decimal("270.00")
    assert read(words, band) == (Decimal("270.00"), Date(2026, 11, 20))
    assert len(band.asked) == 1  # only the total row: the date was found


def test_a_backed_total_and_a_found_date_need_no_second_look() -> None:
    words = page("KEDAI MAJU SDN BHD", "Date: 20/11/2026", "SOAP 1 7.00 7.00", "TOTAL 7.00",
                 "CASH 10.00", "CHANGE 3.00")
    band = Bands(words, {})
    assert read(words, band) == (Decimal("7.00"), Date(2026, 11, 20))
    assert band.asked == []


def test_a_total_the_cash_and_change_make_needs_no_second_look() -> None:
    # no items, no subtotal, printed once: but cash tendered minus change makes it
    words = page("KEDAI MAJU SDN BHD", "Date: 20/11/2026", "SERVICE CHARGE", "TOTAL 7.00",
                 "CASH 10.00", "CHANGE 3.00")
    band = Bands(words, {})
    assert read(words, band) == (Decimal("7.00"), Date(2026, 11, 20))
    assert band.asked == []


def test_a_missing_date_row_is_read_again() -> None:
    words = page("KEDAI MAJU SDN BHD", "Date: 20/60034", "SOAP 1 7.00 7.00", "TOTAL 7.00",
                 "CASH 10.00", "CHANGE 3.00")
    band = Bands(words, {"Date: 20/60034": "Date: 20/11/2026 10:34"})
    assert read(words, band) == (Decimal("7.00"), Date(2026, 11, 20))


def test_a_second_reading_that_is_no_surer_is_dropped() -> None:
    words = page(*SLIP)
    band = Bands(words, {"Total RM 20.0": "Total RM 21.00"})  # still backed by nothing
    first = read_words(words, "en", today=TODAY).total
    assert first != Decimal("21.00")
    assert read(words, band)[0] == first
    assert band.asked  # it did look


def test_a_band_that_read_another_row_is_not_used() -> None:
    words = page(*SLIP)
    band = Bands(words, {"Total RM 20.0": "Thank you come again"})
    assert read(words, band)[0] == read_words(words, "en", today=TODAY).total


def test_a_band_that_lost_the_total_row_does_not_trade_it_for_an_items_price() -> None:
    # a phone photo of SROIE 185: the band read the total row as no total; an item printed
    # with its unit price ("@53.50", "53.50") backs 53.50 only by being printed twice
    words = page("SUPER SEVEN CASH & CARRY SDN BHD", "12-02-2018 11:34:45 AM",
                 "LORY FITTLET 300UP(3)6KG @63.00", "FM411000055 *4 252.00 ZR",
                 "BERAS BIRI-BIRI 10KG @53.50", "9556606389892*1 53.50 ZR",
                 "QUANT1TY : 10 Units 367-10", "iotal Sales (Incl. GST 6%) RM367.10",
                 "Payment Method VISA CARD")
    band = Bands(words, {"iotal Sales (Incl. GST 6%) RM367.10": "Sales (Incl. GST 6%) RM367.10"})
    assert read_words(words, "en", today=TODAY).total == Decimal("367.10")
    assert read(words, band)[0] == Decimal("367.10")
    assert band.asked  # it did look


def test_at_most_max_rows_are_read_again() -> None:
    rows = ["SHOP", *[f"Total {i} RM 1.0" for i in range(8)], *[f"Date {i}: 9/9" for i in range(8)]]
    words = page(*rows)
    band = Bands(words, {})
    look_again(words, "en", band, today=TODAY)
    assert 0 < len(band.asked) <= RR.MAX_ROWS


def test_the_band_reader_crops_enlarges_and_maps_back() -> None:
    paper = Image.new("L", (400, 600), 200)  # grey paper: the padding shows as white
    seen, corners = [], []

    def ocr(image: Image.Image, lang: str) -> list[Word]:
        seen.append(image.size)
        corners.append(image.getpixel((0, 0)))
        return [Word("TOTAL 7.00", 20, 10, 200, 40, 0.9)]

    got = RR.band_reader(paper, ocr, "en")(100, 160)
    assert seen == [(400 * RR.SCALE, 60 * RR.SCALE)]  # 800 x 120: no wider than WIDE
    assert got == [Word("TOTAL 7.00", 10, 105, 100, 20, 0.9)]
    # 800 x 80 is wider than WIDE: white above and below to 800 x 100 (the detector would
    # pad it black to 800 x 200), and the words mapped back past the white
    got = RR.band_reader(paper, ocr, "en")(100, 140)
    assert seen[-1] == (400 * RR.SCALE, 400 * RR.SCALE // RR.WIDE)
    assert corners == [200, 255]
    assert got == [Word("TOTAL 7.00", 10, 100, 100, 20, 0.9)]
    assert RR.band_reader(paper, ocr, "en")(590, 592) == []  # too thin to read
    huge = Image.new("L", (RR.MAX_BAND_SIDE * 2, 50), 255)
    RR.band_reader(huge, ocr, "en")(0, 50)
    assert max(seen[-1]) <= RR.MAX_BAND_SIDE * 2  # a wide scan is not enlarged
