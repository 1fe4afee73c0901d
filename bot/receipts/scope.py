"""Which receipts a question, report or export is about: a month, a person, a category, a
currency, an approval status, read from what people type in Japanese or English.

``read_scope(text, today=..., asker=...)`` finds the pieces anywhere in a message and returns
the ``Scope`` and the text with them taken out (so the caller sees what is left to understand).
Months: "this month"/"今月", "last month"/"先月", "2026-11", "2026年11月", "11月", "November"
(a month without a year is the latest one not after ``today``). People: a platform mention
(Slack ``<@U…>``, Discord ``<@…>``), "@name" (matched later against the names the ledger
keeps), "me"/"my"/"私"/"自分" (``asker``). Categories in either language, as the card shows
them (``Transport``/``交通費``) or as accountants write them (``旅費交通費``, ``宿泊費``, "hotel").
Written by hand: a handful of keyword lists; dateparser reads whole dates, not "先月" inside a
question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from bot.receipts.corrections import normalise
from bot.receipts.entry import Status
from bot.receipts.model import CATEGORY_JA

ME = "@me"  # ``Scope.person`` before the asker is known
_MONTHS_EN = ("january", "february", "march", "april", "may", "june", "july", "august",
              "september", "october", "november", "december")
_MONTH_WORDS = {**{m: i for i, m in enumerate(_MONTHS_EN, 1)},
                **{m[:3]: i for i, m in enumerate(_MONTHS_EN, 1) if m != "may"},
                "sept": 9}
_MENTION = re.compile(r"<@!?([A-Z0-9]+)(?:\|[^>]*)?>", re.ASCII)
_AT_NAME = re.compile(r"(?<![\w<])@([^\s@<>?？、。,!！]{1,40})")
_YM = re.compile(r"(?<!\d)(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})(?:\s*月)?(?![\d/.-]*\d)", re.ASCII)
_M_JA = re.compile(r"(?<!\d)(\d{1,2})\s*月(?:分)?", re.ASCII)
_M_EN = re.compile(r"\b(" + "|".join(sorted(_MONTH_WORDS, key=len, reverse=True))
                   + r")\b(?:\s+(\d{4}))?")
_RELATIVE = (("this month", 0), ("今月", 0), ("当月", 0), ("last month", -1), ("先月", -1),
             ("前月", -1), ("previous month", -1))
_ME_EN = re.compile(r"\b(?:me|my|mine|i)\b")
_ME_JA = ("わたし", "私", "自分", "僕", "俺")

CATEGORY_WORDS: dict[str, str] = {
    **{ja: c for c, ja in CATEGORY_JA.items()},
    "transport": "transport", "transportation": "transport", "travel": "transport",
    "taxi": "transport", "taxis": "transport", "train": "transport", "trains": "transport",
    "旅費交通費": "transport", "交通": "transport", "タクシー": "transport", "電車": "transport",
    "lodging": "lodging", "hotel": "lodging", "hotels": "lodging", "accommodation": "lodging",
    "宿泊": "lodging", "ホテル": "lodging",
    "entertainment": "entertainment", "meals": "entertainment", "meal": "entertainment",
    "dinner": "entertainment", "接待交際費": "entertainment", "交際": "entertainment",
    "接待": "entertainment", "会議費": "entertainment", "飲食": "entertainment",
    "supplies": "supplies", "office supplies": "supplies", "消耗品費": "supplies",
    "消耗品": "supplies",
    "communication": "communication", "phone": "communication", "通信": "communication",
    "outsourcing": "outsourcing", "外注": "outsourcing",
    "miscellaneous": "misc", "misc": "misc", "雑費": "misc",
    "uncategorised": "none", "uncategorized": "none", "未分類": "none",
}
_CURRENCY_WORDS = {"jpy": "JPY", "yen": "JPY", "usd": "USD", "dollars": "USD", "dollar": "USD",
                   "ドル": "USD", "eur": "EUR", "euro": "EUR", "euros": "EUR", "ユーロ": "EUR",
                   "gbp": "GBP", "pounds": "GBP", "myr": "MYR", "ringgit": "MYR",
                   "円で": "JPY", "日本円": "JPY"}
_STATUS_WORDS: tuple[tuple[str, Status], ...] = (
    ("unapproved", "pending"), ("not approved", "pending"), ("awaiting approval", "pending"),
    ("pending", "pending"), ("未承認", "pending"), ("承認待ち", "pending"),
    ("approved", "approved"), ("承認済み", "approved"), ("承認済", "approved"),
    ("承認された", "approved"), ("rejected", "rejected"), ("却下された", "rejected"),
    ("却下", "rejected"), ("差し戻し", "rejected"))


@dataclass(frozen=True)
class Scope:
    """A filter on a ledger's receipts; None everywhere: all of them."""

    month: tuple[int, int] | None = None  # (year, month) of the receipt's date
    person: str | None = None  # platform user id (``ME`` until the asker is filled in)
    person_name: str | None = None  # "@name" as typed, matched against the names kept
    category: str | None = None  # a ``Category`` or "none" (uncategorised)
    currency: str | None = None
    status: Status | None = None

    @property
    def empty(self) -> bool:
        return self == Scope()


def read_scope(text: str, *, today: date, asker: str = "") -> tuple[Scope, str]:
    """The scope a message names, and its normalised text with the scope's words blanked."""
    people = _MENTION.findall(text)
    text = _MENTION.sub(" ", text)
    named = _AT_NAME.findall(text)
    text = _AT_NAME.sub(" ", text)
    t = normalise(text)
    scope = Scope(person=people[0] if people else None,
                  person_name=named[0].casefold() if named and not people else None)
    month, t = _month(t, today)
    scope = replace(scope, month=month)
    for words, field in ((_STATUS_WORDS, "status"),
                         (tuple(CATEGORY_WORDS.items()), "category"),
                         (tuple(_CURRENCY_WORDS.items()), "currency")):
        value, t = _word(t, words)
        if value is not None:
            scope = replace(scope, **{field: value})  # type: ignore[arg-type]
    if scope.person is None and scope.person_name is None:
        me = _ME_EN.search(t) or next((w for w in _ME_JA if w in t), None)
        if me is not None:
            scope = replace(scope, person=asker or ME)
            t = _ME_EN.sub(" ", t) if not isinstance(me, str) else t.replace(me, " ")
    return scope, " ".join(t.split())


def _month(t: str, today: date) -> tuple[tuple[int, int] | None, str]:
    for word, delta in _RELATIVE:
        if word in t:
            index = today.year * 12 + today.month - 1 + delta
            return (index // 12, index % 12 + 1), t.replace(word, " ")
    m = _YM.search(t)
    if m and 1 <= int(m.group(2)) <= 12 and 1990 <= int(m.group(1)) <= 2100:
        return (int(m.group(1)), int(m.group(2))), t[:m.start()] + " " + t[m.end():]
    m = _M_JA.search(t)
    if m and 1 <= int(m.group(1)) <= 12:
        return _latest(int(m.group(1)), today), t[:m.start()] + " " + t[m.end():]
    m = _M_EN.search(t)
    if m and m.group(1) == "may" and not m.group(2) and not t[:m.start()].endswith("in "):
        m = None  # "may I see…" is no month; "in may" and "may 2026" are
    if m:
        month = _MONTH_WORDS[m.group(1)]
        found = (int(m.group(2)), month) if m.group(2) else _latest(month, today)
        return found, t[:m.start()] + " " + t[m.end():]
    return None, t


def _latest(month: int, today: date) -> tuple[int, int]:
    """The month ``month`` that is today's or the last one before it."""
    return (today.year if month <= today.month else today.year - 1), month


def _word(t: str, words: tuple[tuple[str, str], ...]) -> tuple[str | None, str]:
    """The first of ``words`` (longest first) in ``t``: Latin words whole, Japanese anywhere."""
    for word, value in sorted(words, key=lambda wv: -len(wv[0])):
        if word.isascii():
            m = re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", t)
            if m:
                return value, t[:m.start()] + " " + t[m.end():]
        elif word in t:
            return value, t.replace(word, " ", 1)
    return None, t
