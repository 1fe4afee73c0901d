"""Questions in an expense thread, as typed values: a field of one receipt ("what was #1's
total?", "#2の日付は?"), a sum ("how much for lodging?", "今月の交通費は?"), who spent most
("誰が一番使った?"), receipts missing a field ("which receipts have no registration number?"),
a count ("how many are pending?", "何件?") and a list ("which were rejected?").

``is_question(text)`` says whether a message reads as a question (a question mark, a question
word at its start, いくら/何件/誰/どれ/教えて…); ``parse_question(text, today=..., asker=...)``
returns a ``Query``, or ``UnknownQuestion`` for a question it cannot place (the thread answers
with examples, never "that is no correction"). The scope (month, person, category, currency,
status) is ``bot.receipts.scope``'s. Written by hand: cue words in two languages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.receipts.corrections import MAX_CHARS, MAX_NUMBER, normalise
from bot.receipts.scope import Scope, read_scope

_QUESTION_START = re.compile(
    r"^(?:what|what's|whats|how|which|who|whose|when|where|is|are|was|were|do|does|did|can|"
    r"could|show|list|tell)\b")
_QUESTION_JA = ("いくら", "何件", "何枚", "何個", "いくつ", "誰", "だれ", "どれ", "どの", "どこ",
                "教えて", "何円", "知りたい", "ありますか", "ですか")
_TARGET = re.compile(r"#\s*(\d+)|(?<!\d)(\d+)\s*番", re.ASCII)

# Field words (longest first); Japanese ones match anywhere, Latin ones as words.
_FIELD_WORDS: dict[str, str] = {
    "registration number": "invoice_number", "invoice number": "invoice_number",
    "invoice registration": "invoice_number", "t-number": "invoice_number",
    "登録番号": "invoice_number", "インボイス番号": "invoice_number",
    "インボイス": "invoice_number", "invoice": "invoice_number",
    "total": "total", "amount": "total", "合計": "total", "金額": "total", "総額": "total",
    "tax rate": "tax_rate", "税率": "tax_rate", "tax": "tax", "消費税": "tax", "税額": "tax",
    "date": "date", "日付": "date", "日にち": "date", "いつ": "date",
    "merchant": "merchant", "store": "merchant", "shop": "merchant", "vendor": "merchant",
    "店名": "merchant", "お店": "merchant", "支払先": "merchant", "店": "merchant",
    "payment": "payment_method", "paid": "payment_method", "支払方法": "payment_method",
    "支払い方法": "payment_method", "category": "category", "科目": "category",
    "カテゴリ": "category", "currency": "currency", "通貨": "currency",
}
_MISSING = re.compile(r"\b(?:no|without|missing|lacks?|lacking|has no|have no)\b")
_MISSING_JA = ("がない", "のない", "が無い", "の無い", "ない", "無い", "なし", "無し", "抜け",
               "欠け", "未入力", "読み取れ")
_TOP = re.compile(r"\bwho\b.*\b(?:most|spent|spend|top|biggest|largest|highest)\b|"
                  r"\btop spenders?\b|\bby (?:person|people)\b|\bper person\b")
_TOP_JA = ("一番", "いちばん", "最も", "最多", "多い", "誰がいくら", "人ごと", "人別", "ランキング")
_COUNT = re.compile(r"\bhow many\b|\bnumber of\b|\bcount\b")
_COUNT_JA = ("何件", "何枚", "何個", "いくつ", "件数", "枚数")
_LIST = re.compile(r"^(?:which|list|show)\b")
_LIST_JA = ("どれ", "一覧", "どの")
_SUM = re.compile(r"\bhow much\b|\btotal\b|\bsum\b|\bspent\b|\bspend\b|\bcost\b|\bexpenses\b")
_SUM_JA = ("いくら", "合計", "総額", "使った", "支出", "金額", "何円", "計")


@dataclass(frozen=True)
class FieldQuery:
    """A field of receipt ``n`` (None: the whole card)."""

    n: int
    field: str | None = None


@dataclass(frozen=True)
class SumQuery:
    scope: Scope


@dataclass(frozen=True)
class TopQuery:
    """Who spent most (everyone, ranked), per currency."""

    scope: Scope


@dataclass(frozen=True)
class MissingQuery:
    field: str
    scope: Scope


@dataclass(frozen=True)
class CountQuery:
    scope: Scope


@dataclass(frozen=True)
class ListQuery:
    scope: Scope


@dataclass(frozen=True)
class UnknownQuestion:
    """A question none of the forms fits; the thread answers with examples."""


Query = FieldQuery | SumQuery | TopQuery | MissingQuery | CountQuery | ListQuery


def is_question(text: str) -> bool:
    if len(text) > MAX_CHARS * 40:
        return False  # not worth reading: the corrections grammar says it is too long
    t = normalise(text).rstrip("。.!！ ")
    if not t:
        return False
    if t.endswith(("?", "？")) or _QUESTION_START.match(t):
        return True
    return any(cue in t for cue in _QUESTION_JA) or t.endswith(("は", "か"))


def parse_question(text: str, *, today, asker: str = "",
                   lenient: bool = False) -> Query | UnknownQuestion | None:
    """``text`` as a question about the ledger. ``lenient``: also a message with no question
    mark whose only words are a scope ("今月の交通費"); otherwise None for what is no question."""
    if len(text) > MAX_CHARS * 4 or len(normalise(text)) > MAX_CHARS:
        return UnknownQuestion() if not lenient else None
    scope, rest = read_scope(text, today=today, asker=asker)
    rest = rest.rstrip("?？。.!！ ")
    target = _TARGET.search(rest)
    field = _field(rest)
    if target is not None:
        if lenient and field is None and not _only_filler(_TARGET.sub(" ", rest)):
            return None  # "#2 blah" is no question about #2
        digits = target.group(1) or target.group(2)
        if len(digits) > 4 or not 1 <= int(digits) <= MAX_NUMBER:
            return UnknownQuestion()
        return FieldQuery(int(digits), field)
    if field is not None and (_MISSING.search(rest) or any(c in rest for c in _MISSING_JA)):
        return MissingQuery(field, scope)
    if _TOP.search(rest) or (any(w in rest for w in ("誰", "だれ"))
                             and any(c in rest for c in _TOP_JA)):
        return TopQuery(scope)
    if _COUNT.search(rest) or any(c in rest for c in _COUNT_JA):
        return CountQuery(scope)
    if _LIST.match(rest) or any(c in rest for c in _LIST_JA):
        return ListQuery(scope)
    if _SUM.search(rest) or any(c in rest for c in _SUM_JA):
        return SumQuery(scope)
    if not scope.empty and _only_filler(rest):
        return ListQuery(scope) if scope.status is not None else SumQuery(scope)
    return None if lenient else UnknownQuestion()


def _field(t: str) -> str | None:
    for word, name in sorted(_FIELD_WORDS.items(), key=lambda kv: -len(kv[0])):
        if word.isascii():
            if re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", t):
                return name
        elif word in t:
            return name
    return None


_FILLER = re.compile(r"\b(?:for|in|on|of|the|what|what's|whats|about|and|receipts?|please|"
                     r"is|are|was|were|so far|total)\b|[のはをがでとも、,]|について|"
                     r"レシート|領収書|経費|ください|教えて|です|か")


def _only_filler(t: str) -> bool:
    return not _FILLER.sub(" ", t).strip(" ?？")
