"""Summary, chart and CSV of a ledger kept in the real Redis."""

from __future__ import annotations

import csv
import dataclasses
import io
import uuid
import warnings
from datetime import date
from decimal import Decimal

import pytest
from PIL import Image

from bot.models import ThreadKey
from bot.receipts.ledger import Ledger
from bot.receipts.model import LineItem, Receipt
from bot.receipts.summary import CSV_COLUMNS, chart_png, csv_bytes, summarize, summary_text
from tests.conftest import redis_client

TAXI = Receipt(merchant="日本交通", date=date(2026, 11, 20), total=Decimal("1280"),
               currency="JPY", category="transport", payment_method="credit_card",
               invoice_number="T8700110005901", invoice_number_valid=True,
               invoice_compliant=True)
HOTEL = Receipt(merchant="東横イン", date=date(2026, 11, 20), total=Decimal("8800"),
                currency="JPY", category="lodging", invoice_compliant=False,
                invoice_missing=("registration_number",))
TRAIN = dataclasses.replace(TAXI, merchant="JR東日本", total=Decimal("0.5") + Decimal("219.5"))
CAFE = Receipt(merchant="=HYPERLINK(\"http://x\")", date=date(2026, 11, 21),
               total=Decimal("6.41"), currency="USD", category="entertainment",
               items=(LineItem("Latte, large", Decimal("6.41")),))
NO_TOTAL = Receipt(merchant="ファミマ", currency="JPY")


@pytest.fixture
async def ledger_with_receipts():
    thread = ThreadKey("discord", "G1", "C1", f"sum-{uuid.uuid4().hex[:12]}")
    redis = redis_client()
    ledger = Ledger(redis, ttl_s=600)
    for r in (TAXI, HOTEL, TRAIN, CAFE, NO_TOTAL, TAXI):
        await ledger.add(thread, "u1", r)
    yield ledger, thread
    names = [k async for k in redis.scan_iter(match=f"*{thread.thread}*")]
    await redis.delete(*names)
    await redis.aclose()


async def test_totals_per_currency_and_category_never_mix(ledger_with_receipts) -> None:
    ledger, thread = ledger_with_receipts
    s = summarize(await ledger.entries(thread))
    assert s.count == 6
    by_cur = {c.currency: c for c in s.currencies}
    assert set(by_cur) == {"JPY", "USD"}
    assert by_cur["JPY"].total == Decimal("11580") and by_cur["JPY"].count == 4
    assert dict(by_cur["JPY"].by_category) == {"transport": Decimal("2780"),
                                               "lodging": Decimal("8800")}
    assert by_cur["USD"].total == Decimal("6.41")
    assert s.missing_total == (5,)
    assert s.noncompliant == 1 and s.duplicates == 1  # the second taxi receipt
    text = summary_text(s, "ja")
    assert "JPY: 11,580（4 件）" in text and "USD: 6.41" in text and "#5" in text
    assert "交通費: 2,780" in text
    assert "Transport: 2,780" in summary_text(s, "en")


async def test_csv_has_every_field_a_bom_and_no_formulas(ledger_with_receipts) -> None:
    ledger, thread = ledger_with_receipts
    data = csv_bytes(await ledger.entries(thread))
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == 6
    assert rows[0]["merchant"] == "日本交通" and rows[0]["total"] == "1280"
    assert rows[0]["invoice_compliant"] == "true" and rows[1]["invoice_compliant"] == "false"
    assert rows[1]["invoice_missing"] == "registration_number"
    assert rows[3]["merchant"].startswith("'=")  # a spreadsheet shows it, never runs it
    assert rows[3]["items"] == "Latte, large: 6.41" and rows[3]["total"] == "6.41"
    assert rows[4]["total"] == "" and rows[5]["duplicate_of"] == "1"


async def test_chart_is_a_png_with_japanese_glyphs(ledger_with_receipts) -> None:
    ledger, thread = ledger_with_receipts
    s = summarize(await ledger.entries(thread))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" would fail here
        png = chart_png(s, "ja")
    assert png is not None and png.startswith(b"\x89PNG")
    with Image.open(io.BytesIO(png)) as img:
        assert img.width == 700 and img.height > 200


def test_nothing_to_chart_or_sum() -> None:
    s = summarize([])
    assert chart_png(s, "en") is None
    assert summary_text(s, "en") == "There are no receipts in this thread yet."
    assert csv_bytes([]).decode("utf-8-sig").strip() == ",".join(CSV_COLUMNS)


def test_chart_size_is_bounded_however_many_currencies() -> None:
    from bot.receipts.summary import CurrencyTotal, Summary

    many = tuple(CurrencyTotal(f"C{i:02d}", Decimal(i + 1), 1, (("misc", Decimal(i + 1)),))
                 for i in range(60))
    png = chart_png(Summary(60, many, (), 0, 0), "en")
    assert png is not None
    with Image.open(io.BytesIO(png)) as img:
        assert img.height < 1200  # six panels, not sixty
    assert summary_text(Summary(60, many, (), 0, 0), "en").count("(1 receipts)") == 60
