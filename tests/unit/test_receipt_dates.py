"""Every date form receipts print (bot.receipts.dates); day/month order by locale and
plausibility."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.receipts.dates import find_dates

TODAY = date(2026, 11, 28)
NOV20 = date(2026, 11, 20)


@pytest.mark.parametrize(("text", "currency", "japanese"), [
    ("2026年11月20日(金) 12:34", None, True),
    ("2026年 11月 20日", None, True),
    ("2026/11/20 12:34", None, True),
    ("2026-11-20", None, False),
    ("2026.11.20", None, True),
    ("令和8年11月20日", None, True),
    ("R8.11.20 14:05", None, True),
    ("R08/11/20", None, True),
    ("26-11-20", "JPY", True),
    ("26/11/20", "JPY", True),
    ("11/20/2026", "USD", False),
    ("20/11/2026", "GBP", False),
    ("20.11.2026", "EUR", False),
    ("Nov 20 2026", "USD", False),
    ("Nov 20, 2026", "USD", False),
    ("November 20th, 2026", "USD", False),
    ("20 Nov 2026", "GBP", False),
    ("20-Nov-26", "MYR", False),
    ("11/20/2026", "GBP", False),  # only one valid reading
    ("20/11/2026", "USD", False),  # only one valid reading
])
def test_forms(text: str, currency: str | None, japanese: bool) -> None:
    found = find_dates(text, currency=currency, japanese=japanese, today=TODAY)
    assert found and found[0].value == NOV20, (text, found)


def test_era_boundaries() -> None:
    assert find_dates("令和元年5月1日", today=TODAY)[0].value == date(2019, 5, 1)
    assert find_dates("平成31年4月30日", today=TODAY)[0].value == date(2019, 4, 30)
    assert find_dates("H31.4.30", today=TODAY)[0].value == date(2019, 4, 30)
    assert find_dates("令和1年4月1日", today=TODAY) == []  # before Reiwa began


def test_ambiguous_order_follows_locale() -> None:
    us = find_dates("05/11/2026", currency="USD", today=TODAY)[0]
    uk = find_dates("05/11/2026", currency="GBP", today=TODAY)[0]
    assert us.value == date(2026, 5, 11)
    assert uk.value == date(2026, 11, 5)


def test_plausibility_picks_the_past() -> None:
    # year-first would be 2026-12-25, in the future; day-first 2025-12-26 is plausible
    got = find_dates("26-12-25", currency="GBP", today=TODAY)[0]
    assert got.value == date(2025, 12, 26)


@pytest.mark.parametrize("text", [
    "TEL 03-1234-5678", "12:34:56", "No.2026", "2026/13/45", "令和99年99月99日", "31/02/2026",
    "99/99/99", "", "R8.1",
])
def test_not_dates(text: str) -> None:
    assert find_dates(text, today=TODAY) == []


def test_hostile_text() -> None:
    text = ("2026/" * 2000) + "年月日" * 1000
    assert isinstance(find_dates(text, today=TODAY), list)


@given(st.dates(min_value=date(2019, 5, 1), max_value=TODAY))
def test_every_form_round_trips(d: date) -> None:
    forms = [
        (f"{d.year}年{d.month}月{d.day}日", None, True),
        (f"令和{d.year - 2018}年{d.month}月{d.day}日", None, True),
        (f"R{d.year - 2018}.{d.month:02d}.{d.day:02d}", None, True),
        (f"{d.year % 100:02d}-{d.month:02d}-{d.day:02d}", "JPY", True),
        (f"{d.month:02d}/{d.day:02d}/{d.year}", "USD", False),
        (f"{d.day:02d}/{d.month:02d}/{d.year}", "EUR", False),
        (f"{d:%b} {d.day} {d.year}", None, False),
        (f"{d.day} {d:%b} {d.year}", None, False),
    ]
    for text, cur, ja in forms:
        found = find_dates(text, currency=cur, japanese=ja, today=TODAY)
        assert found and found[0].value == d, text


@pytest.mark.parametrize(("text", "expected"), [
    ("00440010036 20112026 13:11:54 0003", NOV20),  # day, month, year with no separators
    ("St:8282 Ctr 2 18:1520/11/26", NOV20),  # a time run into the date
    ("CB#:4597604932020/Nov/2026 07:43:54", NOV20),  # a slip number run into the day
    ("Date; 0ct 20, 202612:16:25 PM", date(2026, 10, 20)),  # "0ct", the year glued to a time
    ("Date :20/11/20268:07 PM", NOV20),  # a one-digit hour glued to the year
    ("#001-001-0934-000120/11/202613:30-R", NOV20),  # a slip number run into an all-digit day
    ("Ref 4417 20/11/2026", NOV20),  # a number before a day, apart: as it was
    ("20~11-26", NOV20),  # a dash read as a tilde
    ("RECEIPT #: CSP0397224 DATE: 20711/2026", NOV20),  # a slash read as a 7 (SROIE 505)
    ("DATE: 20/1172026", NOV20),  # the second one read as a 7
    ("RECEIPT #: CSP0408083 DAIE: 2O/11/2026", NOV20),  # a letter for a digit (SROIE 506)
    ("Date :20-11- 2611:25:29", NOV20),  # a space after the dash, the year run into the time
    ("Date:20/11/262:51 Slip: 0020018018", NOV20),  # a two-digit year run into a time (407)
    ("CB#:78283158333 20/Nev/2026 08:34:22", NOV20),  # a month's letter misread (e for o)
    ("CB#:78283158333 14/Jum/2026", date(2026, 6, 14)),  # m for n: Jun, not Jul (SROIE 273)
])
def test_glued_and_misread_dates(text: str, expected: date) -> None:
    found = find_dates(text, currency="MYR", today=TODAY)
    assert [f.value for f in found] == [expected]


def test_a_date_centuries_off_is_no_date() -> None:
    assert find_dates("ref 1524/05/18", currency="MYR", today=TODAY) == []
    assert find_dates("20112026 ref", currency="MYR", today=TODAY) == []  # no time after it


def test_a_number_with_a_seven_in_it_is_no_date_without_a_date_label() -> None:
    assert find_dates("INV 20711/2026", currency="MYR", today=TODAY) == []


def test_letters_for_digits_only_in_a_dates_shape() -> None:
    assert find_dates("ROOM BO/12 SZ", currency="MYR", today=TODAY) == []


def test_a_word_that_is_no_month_stays_no_date() -> None:
    assert find_dates("TABLE 12/Pax/2026", currency="MYR", today=TODAY) == []
