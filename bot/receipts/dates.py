"""Dates as receipts print them, to ``datetime.date``.

Forms: 2026年11月20日, 2026/11/20 (also - and .), 令和8年11月20日 (元年 too), R8.11.20 and
H31/4/30, 26-11-20, 11/20/2026, 20/11/2026, Nov 20 2026, 20 Nov 2026, November 20, 2026. The
order of day and month in an all-digit date is resolved by the locale the receipt implies (its
currency and script: Japan year first, the US month first, most others day first), then by which
readings are valid dates and fall in a plausible window (not after ``today``, at most ten years
before). Written by hand: dateparser is not installed and does not read 和暦 era dates anyway.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date as Date
from datetime import timedelta
from typing import Any

from bot.receipts.amounts import MISREADS

# Japanese eras: initial, kanji, first day (Gregorian year of year 1 = start year).
ERAS: dict[str, tuple[int, Date]] = {
    "R": (2019, Date(2019, 5, 1)), "令和": (2019, Date(2019, 5, 1)),
    "H": (1989, Date(1989, 1, 8)), "平成": (1989, Date(1989, 1, 8)),
    "S": (1926, Date(1926, 12, 25)), "昭和": (1926, Date(1926, 12, 25)),
}
MONTHS = {m: i + 1 for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}
# Malay month names where they differ (Mac, Mei, Ogos, Oktober, Disember)
MONTHS |= {"mac": 3, "mei": 5, "ogo": 8, "okt": 10, "dis": 12}
_MON = (r"(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|mac|mei|ogos|okt|dis)"
        r"[a-z]*\.?")

_KANJI = re.compile(
    r"(?:(?P<era>令和|平成|昭和)\s*(?P<ey>元|\d{1,2})|(?P<y>\d{4}|\d{2}))\s*年\s*"
    r"(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日")
_ERA_SHORT = re.compile(
    r"(?<![A-Za-z0-9])(?P<era>[RHS])\s?(?P<ey>\d{1,2})\s?[./\-]\s?(?P<m>\d{1,2})\s?[./\-]\s?"
    r"(?P<d>\d{1,2})(?!\d)")
# A time glued to the date by OCR or the printer ("28/03/201810:36:13") ends a date too.
_END = r"(?:(?![\d:])|(?=\d{1,2}:\d{2}))"
_YMD4 = re.compile(r"(?<!\d)(?P<y>\d{4})\s?(?P<s>[./\-])\s?(?P<m>\d{1,2})\s?(?P=s)\s?"
                   rf"(?P<d>\d{{1,2}}){_END}")
_XXY4 = re.compile(r"(?<!\d)(?P<a>\d{1,2})\s?(?P<s>[./\-])\s?(?P<b>\d{1,2})\s?(?P=s)\s?"
                   rf"(?P<y>\d{{4}}){_END}")
_XYZ2 = re.compile(r"(?<![\d./\-])(?P<a>\d{2})(?P<s>[./\-])(?P<b>\d{1,2})(?P=s)"
                   r"(?P<c>\d{1,2})(?:(?![\d./\-])|(?=\d{2}:\d{2}))")
_MDY_TEXT = re.compile(rf"\b{_MON}\s*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s*(?P<y>\d{{4}}){_END}",
                       re.I)
# "25032018 13:11:54": day, month and year printed without separators, a time after them
_DMY8 = re.compile(r"(?<!\d)(?P<d>\d{2})(?P<m>\d{2})(?P<y>20\d{2})(?=\s{1,3}\d{1,2}:\d{2})")
# eight digits right after a date label, year first or last ("Date/Time 20180428/191204")
_LABELLED8 = re.compile(r"\b(?:date|tarikh)(?:\s*/\s*time)?\W{0,3}(?P<n>\d{8})(?!\d)", re.I)
# a one-digit day or month right after a date label ("Date : 4/4/19", "Tarikh: 3/8/18 12:45PM");
# elsewhere "4/4/19" may be a code or a fraction
_LABELLED_SHORT = re.compile(r"\b(?:date|tarikh|tkh)\b[^\d\n]{0,12}?(?<![\d./\-])"
                             r"(?P<d>(?P<a>\d{1,2})(?P<s>[/.\-])(?P<b>\d{1,2})(?P=s)(?P<y>\d{2}))"
                             r"(?![\d./\-])", re.I)
# OCR glue: a time run into the date after it ("18:1524/05/18"), a number into a day before a
# month's name ("...32025/Feb/2017"), "0ct" for "Oct"
_DIGIT_FOR = str.maketrans("BOSZ", "8052")  # letters OCR reads for digits
# Letters OCR reads for one another in a month's name
_LOOK_ALIKE = {"m": "n", "n": "m", "e": "oc", "o": "e", "c": "e", "l": "i1", "i": "l", "1": "l",
               "u": "v", "v": "u", "0": "o"}


def _month_read(word: str) -> str:
    """A three-letter word that is no month but one look-alike letter off exactly one month."""
    low = word.lower()
    if low in MONTHS:
        return word
    found = {name for i, ch in enumerate(low) for alt in _LOOK_ALIKE.get(ch, "")
             if (name := low[:i] + alt + low[i + 1:]) in MONTHS}
    return found.pop().capitalize() if len(found) == 1 else word

_GLUE: tuple[tuple[re.Pattern[str], Any], ...] = (
    (re.compile(r"(?<!\d)(\d{1,2}:\d{2})(?=\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}(?!\d))"), r"\1 "),
    (re.compile(r"(?<=\d)(?=\d{2}[/\-](?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
                r"[a-z]*[/\-]\d{2,4})", re.I), " "),
    (re.compile(r"(?<![A-Za-z])0(?=ct\b)", re.I), "O"),
    # a number run into the day of an all-digit date with a four-digit year
    # ("0934-000105/01/201813:30")
    (re.compile(r"(?<=\d)(?=\d{2}([/.\-])\d{1,2}\1\d{4}" + _END + ")"), " "),
    # the separator before the year lost, and the time run into it ("04-05201316:07")
    (re.compile(r"(?<![\d/.\-])(\d{1,2})([/.\-])(\d{2})(20\d{2})(?=\d{1,2}:\d{2})"),
     r"\1\2\3\2\4 "),
    # a slash read as a 7 or a 1 after a DATE label ("DATE: 13707/2017", "DATE: 13/0772017")
    (re.compile(r"(\bdate\b\W{0,3})(\d{2})[71](\d{2})/(20\d{2}|\d{2})(?![\d/])", re.I),
     r"\1\2/\3/\4"),
    (re.compile(r"(\bdate\b\W{0,3})(\d{2})/(\d{2})[71](20\d{2})(?!\d)", re.I), r"\1\2/\3/\4"),
    # a two-digit year run into a time ("01/05/162:51"), a space after the last separator or
    # not ("05-05- 1811:25:29")
    (re.compile(r"(?<![\d/.\-])(\d{1,2})([/.\-])(\d{1,2})\2\s?(\d{2})(?=\d{1,2}:\d{2})"),
     r"\1\2\3\2\4 "),
    # a month's name with a letter misread the way OCR misreads it ("14/Jum/2017": m for n)
    (re.compile(r"(?<![\w/])(\d{1,2})([/\-])([A-Za-z]{3})\2(\d{4}|\d{2})(?!\d)"),
     lambda m: m.group(1) + m.group(2) + _month_read(m.group(3)) + m.group(2) + m.group(4)),
    # a letter read for a digit in the day or month of an all-digit date ("2B/09/2017")
    (re.compile(r"(?<![\w/.\-])([\dBOSZ]{2})([/.\-])([\dBOSZ]{2})\2(20\d{2}|\d{2})(?![\d/])"),
     lambda m: (m.group(1).translate(_DIGIT_FOR) + m.group(2) + m.group(3).translate(_DIGIT_FOR)
                + m.group(2) + m.group(4))),
    # a dash read as a tilde between day and month ("05~05-17")
    (re.compile(r"(?<![\d~])(\d{1,2})~(\d{1,2})([/.\-])(\d{2,4})(?![\d~])"), r"\1\3\2\3\4"),
)
_DMY_TEXT = re.compile(
    rf"(?<![\d.])(?P<d>\d{{1,2}})(?:st|nd|rd|th)?[\s\-/.]*{_MON}[\s\-/.,]*(?P<y>\d{{4}}|\d{{2}})"
    rf"{_END}", re.I)

Order = str  # "ymd", "mdy" or "dmy"
MAX_YEARS_OFF = 30  # a date further from today than this, and no one-digit repair, is no date


@dataclass(frozen=True)
class FoundDate:
    value: Date
    confidence: float
    start: int
    form: str
    end: int = 0  # where its text ends


def locale_order(currency: str | None, japanese: bool) -> Order:
    """The usual order of an all-digit date for a receipt in ``currency``: year first for Japan
    (and China, Korea, Taiwan), month first for the US, day first elsewhere."""
    if japanese or currency in ("JPY", "CNY", "KRW", "TWD"):
        return "ymd"
    if currency in ("USD", "PHP"):
        return "mdy"
    return "dmy"


def _make(y: int, m: int, d: int) -> Date | None:
    try:
        return Date(y, m, d)
    except ValueError:
        return None


def _plausible(d: Date, today: Date) -> bool:
    return today - timedelta(days=3660) <= d <= today + timedelta(days=1)


# Malaysia's GST (6 %, 0 % from June 2018) was charged from 1 April 2015 to 31 August 2018;
# a slip that prints it (and no SST, which replaced it) was printed then, give or take a
# month for the last rolls.
GST_ERA = (Date(2015, 4, 1), Date(2018, 9, 30))
_GST = re.compile(r"\bGST\b", re.I)
_SST = re.compile(r"\bSST\b|\bsales\s*tax\b|\bservice\s*tax\b|\bcukai\s*(jualan|perkhidmatan)\b",
                  re.I)


def tax_era(text: str, currency: str | None) -> tuple[Date, Date] | None:
    """The span in which a slip was printed, known from the tax it charges: Malaysia's GST."""
    if currency == "MYR" and _GST.search(text) and not _SST.search(text):
        return GST_ERA
    return None


def _repair_year(d: Date, plausible: Callable[[Date], bool], *, ranked: bool = False,
                 ) -> Date | None:
    """A year OCR misread by one digit ("2078", "2618" for 2018): the one plausible year one
    digit away, if exactly one is. ``ranked`` (where the span is known from the slip, and so
    narrow): of several, the one a digit the OCR is known to misread that way gives ("2013"
    on a GST slip: 2016, 2017 and 2018 are one digit away, and an 8 is often read as a 3), if
    it is likelier than the rest."""
    year = f"{d.year:04d}"
    found: dict[Date, int] = {}
    for i, read in enumerate(year):
        for digit in "0123456789":
            fixed = _make(int(year[:i] + digit + year[i + 1:]), d.month, d.day)
            if fixed is not None and fixed != d and plausible(fixed):
                found[fixed] = MISREADS.get(digit + read, 0)
    if len(found) == 1:
        return next(iter(found))
    ranked_found = sorted(found.items(), key=lambda kv: -kv[1])
    if ranked and len(ranked_found) > 1 and ranked_found[0][1] > ranked_found[1][1]:
        return ranked_found[0][0]
    return None


def _year2(y: int, today: Date) -> int:
    full = 2000 + y
    return full if full <= today.year + 1 else 1900 + y


def find_dates(text: str, *, currency: str | None = None, japanese: bool = False,
               today: Date | None = None) -> list[FoundDate]:
    """Every date in ``text`` with a confidence (lower for an order that had to be guessed or a
    date outside the plausible window), in reading order."""
    today = today or Date.today()
    order = locale_order(currency, japanese)
    era = tax_era(text, currency)
    for pattern, repl in _GLUE:
        text = pattern.sub(repl, text)
    out: list[FoundDate] = []
    taken: list[tuple[int, int]] = []

    def add(value: Date | None, conf: float, m: re.Match[str], form: str,
            group: int | str = 0) -> None:
        start, end = m.span(group)  # a labelled form's date, without its label
        if value is None or any(s < end and start < e for s, e in taken):
            return
        if not _plausible(value, today):
            if era:  # printed in that span: a year outside it is misread
                repaired = None if era[0] <= value <= era[1] else _repair_year(
                    value, lambda d: era[0] <= d <= era[1], ranked=True)
            else:
                repaired = _repair_year(value, lambda d: _plausible(d, today))
            if repaired is None and abs(value.year - today.year) > MAX_YEARS_OFF:
                return  # "1524/05/18": a time glued to a date, not a date five centuries ago
            value, conf = (repaired, conf * 0.6) if repaired else (value, conf * 0.5)
        taken.append((start, end))
        out.append(FoundDate(value, conf, start, form, end))

    for m in _KANJI.finditer(text):
        if m.group("era"):
            start_year, first = ERAS[m.group("era")]
            ey = 1 if m.group("ey") == "元" else int(m.group("ey"))
            value = _make(start_year + ey - 1, int(m.group("m")), int(m.group("d")))
            add(value if value is None or value >= first else None, 0.95, m, "era")
        else:
            y = int(m.group("y"))
            y = y if y > 99 else _year2(y, today)
            add(_make(y, int(m.group("m")), int(m.group("d"))), 0.97, m, "kanji")
    for m in _ERA_SHORT.finditer(text):
        start_year, first = ERAS[m.group("era")]
        value = _make(start_year + int(m.group("ey")) - 1, int(m.group("m")), int(m.group("d")))
        add(value if value is None or value >= first else None, 0.9, m, "era_short")
    for m in _YMD4.finditer(text):
        add(_make(int(m.group("y")), int(m.group("m")), int(m.group("d"))), 0.95, m, "ymd")
    for m in _MDY_TEXT.finditer(text):
        add(_make(int(m.group("y")), MONTHS[m.group("mon").lower()[:3]], int(m.group("d"))),
            0.95, m, "text")
    for m in _DMY_TEXT.finditer(text):
        y = int(m.group("y"))
        y = y if y > 99 else _year2(y, today)
        add(_make(y, MONTHS[m.group("mon").lower()[:3]], int(m.group("d"))), 0.95, m, "text")
    for m in _DMY8.finditer(text):
        add(_make(int(m.group("y")), int(m.group("m")), int(m.group("d"))), 0.8, m, "dmy8")
    for m in _LABELLED8.finditer(text):
        n = m.group("n")
        value = _make(int(n[:4]), int(n[4:6]), int(n[6:])) if n.startswith("20") else None
        value = value or (_make(int(n[4:]), int(n[2:4]), int(n[:2])) if n[4:6] == "20" else None)
        add(value, 0.8, m, "digits8", "n")
    for m in _LABELLED_SHORT.finditer(text):
        a, b, y = int(m.group("a")), int(m.group("b")), _year2(int(m.group("y")), today)
        add(*_day_or_month_first(a, b, y, order, today), m, "short", "d")
    for m in _XXY4.finditer(text):
        a, b, y = int(m.group("a")), int(m.group("b")), int(m.group("y"))
        add(*_day_or_month_first(a, b, y, order, today), m, "xxy")
    for m in _XYZ2.finditer(text):
        a, b, c = int(m.group("a")), int(m.group("b")), int(m.group("c"))
        readings = [("ymd", _make(_year2(a, today), b, c)), ("mdy", _make(_year2(c, today), a, b)),
                    ("dmy", _make(_year2(c, today), b, a))]
        add(*_resolve(readings, order, today), m, "short")
    out.sort(key=lambda f: f.start)
    return out


# A date that is not the day of purchase: an expiry, a validity or promotion period, a birthday.
_NOT_PURCHASE = re.compile(r"expir|\bexp\b|valid|until|\btill\b|\bperiod\b|\bpromo|birth|"
                           r"deliver|arriv|depart|check.?in|check.?out|ready|collect|pick.?up|"
                           r"\bnext\b|appointment|\bdue\b|\bdeposit|bertolak|berlepas|\btiba\b|"
                           r"pay\s*(before|by)|bayar\s*sebelum|\borig(inal)?\b|\brequest|"
                           r"\breprint|\bbefore\b|\bsebelum\b|use\s*by|effective|\bends?\b|"
                           r"\bcheque|\bcek\b|berkuat\s*kuasa|as\s*at\b|setakat|"
                           r"\bsah\b|hingga|\btamat|\btempoh\b|"
                           r"有効期限|期限|期間|まで|迄|\d\s*(-|~|〜|to)\s*\d{1,2}\s*"
                           r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)", re.I)


# an amount with cents on the date's row ("23-Mar-2018 Room Charge 189.00"; not "25.03.2018")
_MONEY = re.compile(r"(?<![\d/.\-])\d{1,6}[.,]\d{2}(?![\d/.\-])")


def purchase_date(text: str, found: list[FoundDate]) -> FoundDate | None:
    """The day of purchase among the dates found: the surest, preferring the header (the date
    is printed at the top; a promotion's dates come last) and passing over expiry dates, date
    ranges ("24 NOVEMBER 2017 - 4 MARCH 2018"), the dates of other events (delivery, arrival,
    departure, the next appointment) and an item row's own date (a hotel folio's nights)."""
    if not found:
        return None

    stay = bool(_ARRIVAL.search(text))

    def score(f: FoundDate) -> float:
        line_start = text.rfind("\n", 0, f.start) + 1
        line_end = text.find("\n", f.start)
        line = text[line_start: line_end if line_end >= 0 else len(text)]
        own = text[max((g.end for g in found if line_start <= g.start < f.start),
                       default=line_start):f.start]  # the words printed right before it
        label = _label(text, own, line_start)
        if sum(1 for g in found if line_start <= g.start < line_start + len(line)) > 1:
            # several dates on a row: a range ("01/06/2018 - 30/06/2018") is no sale's date;
            # otherwise each by its own label ("Date : 19/03/18   Due Date : 18/04/18")
            rival = (bool(_NOT_PURCHASE.search(own) or _RANGE_WORD.search(own))
                     or not re.search(r"[^\W\d_]", own))
        else:
            rival = bool(_NOT_PURCHASE.search(line))
        rival = rival or bool(_OPENED.search(own))
        penalty = 0.5 if rival else 1.0
        if stay and _DEPARTURE.search(label):
            penalty = 1.0  # a folio's departure (a job's or car park's date out): the bill's day
        elif stay and _ARRIVAL.search(label):
            penalty = 0.5  # "Date In: 27-05-2019": the job taken in, not billed
        elif _RANGE_START.match(text, f.start):
            penalty = 0.5  # "2025年06月17日〜06月19日": a stay's or a period's first day
        if _MONEY.search(line):
            penalty *= 0.6  # a folio's or a statement's item row: its own day, not the slip's
        elif not rival and _SALE_LABEL.fullmatch(label):
            penalty = SALE_LABEL_BONUS  # "Date : 01-12-2018" over "before 15-12-2018"
        return f.confidence * penalty * (1 - 0.15 * f.start / max(len(text), 1))

    return max(found, key=score)


# a shift's or a table's opening, printed before its date ("Shift Open : 10/04/17 22:00"); a
# shift's number after the sale's date ("2016-08-21 07:58:12   Shift 1") says nothing of it
_OPENED = re.compile(r"\bshift\b|\bopen(ed)?\b|\bbuka\b", re.I)
# the words of a period printed on one row ("From 21/07/2016 To 20/07/2017")
_RANGE_WORD = re.compile(r"\b(from|to|dari|hingga|sehingga|sampai)\b", re.I)
SALE_LABEL_BONUS = 1.1
# The label of the sale's own date ("Date :", "Tarikh", "Inv. Date", "Bill Date/Time", "日付")
_SALE_LABEL = re.compile(
    r"\W*((inv(oice)?|bill|trans(action)?|txn|sales?|purchase|receipt|resit|doc(ument)?|"
    r"issued?|payment|order|tax\s*invoice)\.?\s*)?(date|dated|tarikh|tkh|日付|発行日|取引日)"
    r"(\s*(/|&|and)\s*(time|masa))?\s*[:.]?\s*", re.I)


# A stay (or a job, or a car park's ticket) printed from its first day to its last: the bill is
# made on the last (the departure, check-out, date out), the first is no purchase date.
_ARRIVAL = re.compile(r"\barr(ival)?\b|check.?in\b|\bdate\s*in\b|\btime\s*in\b|\bmasuk\b|\bentry\b|"
                      r"チェックイン|到着|入庫", re.I)
_DEPARTURE = re.compile(r"\bdep(art\w*)?\b|check.?out|\bdate\s*out\b|\btime\s*out\b|\bexit\b|"
                        r"\bkeluar\b|チェックアウト|出発|出庫", re.I)
# a date followed by a range mark: the first day of a period ("17日〜19日", "10/27 ~ 10/28")
_RANGE_START = re.compile(r"[\d年月日/.\-\s]*?(?<=[\d日])\s*[〜~～]")


def _label(text: str, own: str, line_start: int) -> str:
    """A date's label: the words printed just before it on its row (``own``: from the date
    before it, or the row's start), or the row above where the date stands alone ("Departure"
    over "08/05/2018")."""
    if not re.search(r"[^\W\d_]", own) and line_start > 0:
        return text[text.rfind("\n", 0, line_start - 1) + 1:line_start]
    return own


def _day_or_month_first(a: int, b: int, year: int, order: Order, today: Date,
                        ) -> tuple[Date | None, float]:
    """"a/b/year" read month first or day first, as ``_resolve`` settles it."""
    return _resolve([("mdy", _make(year, a, b)), ("dmy", _make(year, b, a))], order, today)


def _resolve(readings: list[tuple[Order, Date | None]], order: Order,
             today: Date) -> tuple[Date | None, float]:
    """The reading to keep: the locale's order when it is a valid, plausible date; otherwise the
    only valid plausible one; otherwise the locale's if valid at all."""
    valid = [(o, d) for o, d in readings if d is not None]
    # the locale's order is the stronger sign for a receipt kept a while (an archive scanned
    # years later): it counts up to twenty years back, another order only ten
    plausible = [(o, d) for o, d in valid if _plausible(d, today) or (
        o == order and today - timedelta(days=7305) <= d <= today + timedelta(days=1))]
    distinct = {d for _, d in plausible}
    for o, d in plausible:
        if o == order:
            return d, 0.9 if len(distinct) == 1 else 0.8
    if len(distinct) == 1:
        return plausible[0][1], 0.75
    if plausible:
        return plausible[0][1], 0.5
    for o, d in valid:
        if o == order:
            return d, 0.4
    return (valid[0][1], 0.3) if valid else (None, 0.0)
