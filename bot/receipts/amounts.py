"""Amounts and currencies as printed on receipts: ``Decimal`` in major units, never float.

Written by hand (price-parser is not installed and does not know 円 suffixes, trailing ``-`` on
Japanese amounts, ``△`` negatives or JPY thousands printed with a dot by OCR): the forms are few
and a receipt's row is short.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# Marks and codes -> ISO 4217. Longer marks first so "S$" wins over "$".
_MARKS: tuple[tuple[str, str], ...] = (
    ("US$", "USD"), ("S$", "SGD"), ("A$", "AUD"), ("C$", "CAD"), ("HK$", "HKD"), ("NT$", "TWD"),
    ("NZ$", "NZD"), ("RM", "MYR"), ("¥", "JPY"), ("円", "JPY"), ("€", "EUR"), ("£", "GBP"),
    ("₩", "KRW"), ("₹", "INR"), ("฿", "THB"), ("₱", "PHP"), ("₫", "VND"), ("元", "CNY"),
    ("$", "USD"),
)
CODES = ("JPY", "USD", "EUR", "GBP", "MYR", "SGD", "AUD", "CAD", "HKD", "TWD", "NZD", "KRW",
         "INR", "THB", "PHP", "VND", "CNY", "CHF", "SEK", "NOK", "DKK", "IDR", "RMB")
_DECIMALS = {"JPY": 0, "KRW": 0, "VND": 0, "IDR": 0, "TWD": 0}

_MARK_RE = "|".join(re.escape(m) for m, _ in _MARKS if m not in ("円", "元"))
_CODE_RE = "|".join(CODES)
# A space groups thousands only before a decimal comma ("1 234,56"): "RM45 103.50" and "1 120.00"
# are a unit price or a quantity beside the amount
_NUM = r"\d{1,3}(?:[,.']\d{3})+(?:[.,]\d{1,2})?|\d{1,3}(?: \d{3})+,\d{2}|\d+(?:[.,]\d{1,2})?"
AMOUNT_RE = re.compile(
    rf"(?<![\w.,/:\-])(?P<neg>[-−△▲]\s?)?"
    rf"(?:(?P<pre>{_MARK_RE}|\b(?:{_CODE_RE})\b)\s?(?P<neg2>-)?\s?)?"
    rf"(?P<num>{_NUM})"
    rf"(?P<post>\s?(?:円|元|€|\b(?:{_CODE_RE})\b(?![ \t]+[^\W\d_]))|-(?!\d))?"
    rf"(?![\w/:%]|[.,]\d|-\d)"
)


# How often the OCR read one digit for another on receipts ("83": an 8 printed, a 3 read),
# counted on the development scans (SROIE 150-499: the OCR's digits against the receipts' own
# text lines, lines matched by their digits); pairs seen once are left out.
MISREADS: dict[str, int] = {
    "83": 11, "60": 11, "35": 8, "45": 6, "86": 5, "21": 3, "65": 3, "14": 3, "50": 3,
    "15": 2, "09": 2, "56": 2, "17": 2, "41": 2, "80": 2, "13": 2, "49": 2, "89": 2, "23": 2,
    "27": 2,
}


MISREAD_AT_LEAST = 3  # a pair seen this often is a misreading to expect


def misread_digit(printed: Decimal, read: Decimal) -> bool:
    """``read`` is ``printed`` with one digit misread as the OCR often misreads it ("73.30" for
    78.30: an 8 read as a 3), and more often than the other way round (no 3 is read as 8)."""
    a, b = format(printed, "f"), format(read, "f")
    diff = [(x, y) for x, y in zip(a, b, strict=False) if x != y]
    if len(a) != len(b) or len(diff) != 1 or not (diff[0][0] + diff[0][1]).isdigit():
        return False
    seen = MISREADS.get(diff[0][0] + diff[0][1], 0)
    return seen >= MISREAD_AT_LEAST and seen > MISREADS.get(diff[0][1] + diff[0][0], 0)


@dataclass(frozen=True)
class Amount:
    value: Decimal
    currency: str | None  # from a mark or code next to the number; None if bare
    start: int
    end: int
    decimals: int  # digits after the decimal point as printed


def currency_of_mark(mark: str) -> str | None:
    mark = mark.strip().upper() if mark.strip().isascii() else mark.strip()
    if mark == "RMB":
        return "CNY"
    if mark in CODES:
        return mark
    for m, code in _MARKS:
        if mark == m:
            return code
    return None


def parse_number(num: str, currency: str | None = None) -> tuple[Decimal, int] | None:
    """``"1,234"`` -> 1234; ``"6.41"`` -> 6.41; ``"1.234,56"`` -> 1234.56; ``"12,50"`` -> 12.50.
    For currencies without minor units (JPY) a dot or comma before three digits is a thousands
    separator (OCR often reads ``1,234`` as ``1.234``). Returns (value, decimals printed)."""
    s = num.replace(" ", "").replace("'", "")
    if not s or not s[0].isdigit():
        return None
    decimals = 0
    m = re.fullmatch(r"(.*?)([.,])(\d{1,2})", s)
    if m and not (currency in _DECIMALS and len(m.group(3)) != 2):
        whole, frac = m.group(1), m.group(3)
        decimals = len(frac)
    else:
        whole, frac = s, ""
    whole = re.sub(r"[.,]", "", whole)
    try:
        value = Decimal(f"{whole}.{frac}" if frac else whole)
    except InvalidOperation:
        return None
    return value, decimals


def find_amounts(text: str, currency: str | None = None) -> list[Amount]:
    """Every amount in one printed row, left to right. ``currency`` (the receipt's, where known)
    decides how an unmarked ``1.234`` reads."""
    found: list[Amount] = []
    for m in AMOUNT_RE.finditer(text):
        mark = m.group("pre") or (m.group("post") or "").strip()
        cur = currency_of_mark(mark) if mark and mark != "-" else None
        parsed = parse_number(m.group("num"), cur or currency)
        if parsed is None:
            continue
        value, decimals = parsed
        # "0.02-" and "(0.01)" are negative where amounts print cents; "¥1,000-" is not
        trailing = ((m.group("post") or "") == "-" and decimals == 2 and cur is None
                    and not re.match(r"\s?[€$£¥円]", text[m.end():]))
        bracketed = (decimals == 2 and text[m.start() - 1:m.start()] == "("
                     and text[m.end():m.end() + 1] == ")")
        if m.group("neg") or m.group("neg2") or trailing or bracketed:
            value = -value
        found.append(Amount(value, cur, m.start(), m.end(), decimals))
    return found


# Where a bare "$" is printed, the country the slip names says which dollar (and so the order of
# its dates): Singapore (UEN, NETS, PayNow), Australia (ABN, EFTPOS, a state and postcode), Hong
# Kong (Kowloon; an Octopus card alone is no proof)
_DOLLAR_COUNTRY = (
    ("SGD", re.compile(r"\bsingapore\b|\buen\b|\bnets\b|paynow|\bS\$", re.I)),
    ("AUD", re.compile(r"(?i:\babn\b|\baustralia\b|\beftpos\b)|"
                       r"\b(NSW|VIC|QLD|WA|SA|TAS|ACT|NT)\s+\d{4}\b")),
    ("HKD", re.compile(r"hong\s*kong|\bHK\$|\bkowloon\b", re.I)),
    ("NZD", re.compile(r"new\s*zealand|\bNZ\$", re.I)),
    ("CAD", re.compile(r"\bcanada\b|\bGST/HST\b|\bHST\b|\bC\$", re.I)),
)


# a US state and ZIP code ("Columbus, OH 43201")
_US_ADDRESS = re.compile(
    r",\s*(A[KLRZ]|C[AOT]|D[CE]|FL|GA|HI|I[ADLN]|K[SY]|LA|M[ADEINOST]|N[CDEHJMVY]|O[HKR]|PA|RI|"
    r"S[CD]|T[NX]|UT|V[AT]|W[AIVY])\s+\d{5}(-\d{4})?\b")


def _dollar(text: str) -> str | None:
    """The dollar a slip with a bare "$" is in, where it names its country; None for the US."""
    if re.search(r"US\$|\bUSD\b", text):
        return None
    return next((code for code, cue in _DOLLAR_COUNTRY if cue.search(text)), None)


def detect_currency(text: str, *, japanese: bool = False) -> tuple[str | None, float]:
    """The receipt's currency from its marks and codes (the most frequent wins), with a
    confidence; Japanese text with no mark reads as JPY, bare two-decimal amounts as unknown;
    a bare "$" on a slip that names Singapore, Australia, Hong Kong, New Zealand or Canada is
    that country's dollar."""
    votes: Counter[str] = Counter()
    for m in AMOUNT_RE.finditer(text):
        mark = m.group("pre") or (m.group("post") or "").strip()
        cur = currency_of_mark(mark) if mark and mark != "-" else None
        if cur:
            votes[cur] += 1
    # a code followed by a word is a word ("CNY RED PACKET": Chinese New Year), not money
    for code in re.findall(rf"\b(?:{_CODE_RE})\b(?![ \t]+[^\W\d_])", text):
        votes[currency_of_mark(code) or code] += 1
    if "円" in text:
        votes["JPY"] += 1
    if votes:
        top, n = votes.most_common(1)[0]
        if top == "USD" and japanese:  # "$" misread for "¥" on a Japanese slip is likelier
            return "JPY", 0.6
        if top == "USD" and (local := _dollar(text)) is not None:
            return local, 0.8
        share = n / sum(votes.values())
        return top, min(0.99, 0.6 + 0.4 * share * min(n, 3) / 3)
    if japanese:
        return "JPY", 0.7
    if _US_ADDRESS.search(text):  # no mark at all, a US address: dollars, month first
        return "USD", 0.5
    return None, 0.0


def minor_units(currency: str | None) -> int:
    return _DECIMALS.get(currency or "", 2)
