"""Answering a question from the text read in an image, with no vision model (pure functions).

``plan(question)`` says what was asked: the whole text ("全文", "full text", or a question that
names nothing but the text: "what does it say?"), receipt fields (total, date, shop, tax,
registration number), or lines about something ("when does it open?", "おにぎりはいくら？").
``matching_lines`` finds those lines: English words (fuzzy, for OCR noise) and Japanese
substrings (no tokenizer: the longest run shared with the question, so "おにぎり" in
"おにぎりはいくら" matches without segmenting), plus what kind of line a question wants (times
for "open", prices for "how much", phone numbers, dates, addresses). ``field_text`` words one
receipt field. Questions in a language other than Japanese or English are reported as such.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date as Date
from decimal import Decimal
from typing import Literal, Protocol

import jaconv
from rapidfuzz import fuzz

from bot import strings

Field = Literal["total", "date", "merchant", "tax", "invoice_number"]
MAX_LINES = 8  # lines quoted in one answer
MAX_QUESTION_CHARS = 500  # what is looked at of a question

_JA_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")
_OTHER_SCRIPT = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u0400-\u04ff\u0600-\u06ff"
                           r"\u0e00-\u0e7f\u0590-\u05ff\u0900-\u097f]")  # Hangul, Cyrillic, ...
_LATIN_EXTRA = re.compile(r"[\u00c0-\u024f¿¡]")
_EN_WORD = re.compile(r"[a-z0-9][a-z0-9'$.,-]*[a-z0-9]|[a-z0-9]")

_FULL = re.compile(r"全文|全部|すべて|全て|ぜんぶ|full[- ]?text|all (?:of )?the text|all text|"
                   r"whole text|entire text|everything|transcri", re.I)
_FIELDS: dict[Field, re.Pattern[str]] = {
    "invoice_number": re.compile(r"登録番号|インボイス|適格|t番号|registration|invoice (?:no|num)|"
                                 r"tax id|\bt-?number", re.I),
    "total": re.compile(r"合計|総額|いくら|幾ら|金額|お会計|会計|支払|total|how much|amount|"
                        r"\bsum\b|\bpaid\b|\bcost", re.I),
    "date": re.compile(r"日付|日時|いつ|何日|年月日|\bdate\b|\bwhen\b|what day", re.I),
    "merchant": re.compile(r"店名|お店|店舗|どこの店|どこで|販売店|発行者|shop|store|merchant|"
                           r"vendor|seller|\bwhere\b|business", re.I),
    "tax": re.compile(r"消費税|税額|税金|税(?!番号)|"
                      r"\btax\b(?!\s*(?:registration|id|number))|\bvat\b|\bgst\b", re.I),
}
_KINDS: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (re.compile(r"時間|何時|営業|開店|閉店|開い|閉ま|\bhours?\b|\bopen|\bclose|\btime\b|"
                r"\bwhen\b", re.I),
     re.compile(r"\d{1,2}[:：]\d{2}|\d{1,2}\s*時|\b[ap]\.?m\b|午前|午後|営業|open|closed", re.I)),
    (re.compile(r"いくら|値段|料金|価格|円|税込|how much|price|cost|fee|charge|total", re.I),
     re.compile(r"[¥￥$€£]\s?\d|\d\s?円|\d[.,]\d{2}\b")),
    (re.compile(r"電話|tel|phone|call|contact", re.I),
     re.compile(r"\d{2,4}[-‐ー－]\d{2,4}[-‐ー－]\d{3,4}|tel|電話", re.I)),
    (re.compile(r"日付|いつ|何日|date|when|day", re.I),
     re.compile(r"\d{4}\s?[-/年.]\s?\d{1,2}|\d{1,2}\s?月\s?\d{1,2}\s?日|令和|平成")),
    (re.compile(r"住所|場所|どこ|address|where|located|location", re.I),
     re.compile(r"[都道府県区市町村]\S|丁目|\d+-\d+-\d+|street|\bst\.|avenue|\bave\b|road|\brd\b",
                re.I)),
)
_EN_STOP = frozenset("""
a about am an and any are as at be been can could did do does doing for from give has have how
i if in is it it's its me my of on or please say says said show tell that the there these this
those to up was what what's whats when where which who why will with would you your read reads
written write text sign signs image picture photo pic photos images here does see shown mean
means word words letters anything something kind exactly find look see remind again repeat
now one ones once twice more else other also them they just so well ok okay thanks then too
""".split())  # noqa: SIM905 - a word list reads better as prose
_EN_VOCAB = _EN_STOP | frozenset("""
total price cost much many date shop store open close closed hours time tax vat receipt full
everything all exit menu name address phone number amount paid sum where when what entrance
""".split())  # noqa: SIM905
_JA_STOP = re.compile(
    r"ですか|ますか|でしょうか|ください|下さい|ありますか|あります|いますか|なんですか|なに|何|"
    r"どこ|いつ|いくら|どれ|どの|この|その|あの|これ|それ|あれ|について|とは|には|では|教えて|"
    r"書いて|書かれて|読んで|読め|ある|いる|です|ます|画像|写真|看板|文字|内容|って|という|"
    r"もう一度|もう一回|もういちど|また|今度|こっち|そっち|"
    r"[？?！!。、，,.・「」『』()（）\s]")  # particles stay: "おにぎり" must not split at "に"


class TaxLineLike(Protocol):
    @property
    def rate(self) -> Decimal: ...

    @property
    def tax(self) -> Decimal: ...


class Receipt(Protocol):
    """What is used of ``bot.receipts.model.Receipt`` (a protocol: ``bot.receipts`` imports
    ``bot.vision`` for its OCR, so ``bot.vision`` must not import it back)."""

    @property
    def merchant(self) -> str | None: ...

    @property
    def date(self) -> Date | None: ...

    @property
    def total(self) -> Decimal | None: ...

    @property
    def tax(self) -> Decimal | None: ...

    @property
    def tax_rate(self) -> Decimal | None: ...

    @property
    def tax_lines(self) -> Sequence[TaxLineLike]: ...

    @property
    def currency(self) -> str | None: ...

    @property
    def invoice_number(self) -> str | None: ...

    @property
    def invoice_number_valid(self) -> bool | None: ...

    @property
    def is_receipt(self) -> bool: ...

    @property
    def readable(self) -> bool: ...


@dataclass(frozen=True)
class Plan:
    """What a question asks of the text: ``full``, receipt ``fields``, or ``lines``."""

    kind: Literal["full", "fields", "lines", "other_language"]
    fields: tuple[Field, ...] = ()
    question: str = ""


def question_language(question: str) -> Literal["ja", "en", "other"]:
    """Japanese script: ja; other scripts (Hangul, Cyrillic, …) or Latin text with accents or
    almost no English words: other; else en. Short or empty questions count as English."""
    q = question[:MAX_QUESTION_CHARS]
    if _JA_SCRIPT.search(q):
        return "ja"
    if _OTHER_SCRIPT.search(q):
        return "other"
    words = _EN_WORD.findall(q.lower())
    letters = [w for w in words if not w.replace(".", "").replace(",", "").isdigit()]
    if _LATIN_EXTRA.search(q) and not any(w in _EN_VOCAB for w in letters):
        return "other"
    if len(letters) >= 2 and sum(w in _EN_VOCAB for w in letters) / len(letters) < 0.34:
        return "other"
    return "en"


def plan(question: str) -> Plan:
    q = unicodedata.normalize("NFKC", question[:MAX_QUESTION_CHARS])
    if _FULL.search(q):
        return Plan("full", question=q)
    if question_language(q) == "other":
        return Plan("other_language", question=q)
    fields = tuple(f for f, pattern in _FIELDS.items() if pattern.search(q))
    if fields:
        return Plan("fields", fields, q)
    english, japanese = _keywords(q)
    if not english and not japanese and not any(ask.search(q) for ask, _ in _KINDS):
        return Plan("full", question=q)  # "what does it say?", "読んで", "?"
    return Plan("lines", question=q)


def _fold(text: str) -> str:
    return jaconv.kata2hira(unicodedata.normalize("NFKC", text).lower())


def _keywords(question: str) -> tuple[list[str], list[str]]:
    """English content words, and Japanese content runs (stop phrases cut out)."""
    q = _fold(question)
    english = [w for w in _EN_WORD.findall(q) if w not in _EN_STOP and len(w) >= 2]
    japanese = [run for run in _JA_STOP.split(re.sub(r"[a-z0-9'$.,-]+", " ", q))
                if len(run) >= 2]
    return english, japanese


def _ja_score(runs: list[str], line: str) -> int:
    """The longest piece of a question run found in the line (kana-only pieces need 3 chars)."""
    best = 0
    for run in runs:
        for size in range(min(len(run), 12), 1, -1):
            if size <= best:
                break
            for start in range(len(run) - size + 1):
                piece = run[start:start + size]
                if size < 3 and re.fullmatch(r"[\u3040-\u309f]+", piece):
                    continue
                if piece in line:
                    best = size
                    break
    return best


def item_lines(question: str, text: str) -> list[str]:
    """For a fields question that also names something ("how much was the bagel?",
    "おにぎりはいくら"): the lines with that something; empty when it names only fields."""
    rest = question
    for pattern in _FIELDS.values():
        rest = pattern.sub(" ", rest)
    return matching_lines(rest, text, by_kind=False)


def matching_lines(question: str, text: str, *, limit: int = MAX_LINES,
                   by_kind: bool = True) -> list[str]:
    """The lines of ``text`` that answer ``question`` best, in their order on the image.
    ``by_kind``: a line may also match by the kind of value asked for (a time for "open")."""
    english, japanese = _keywords(question)
    kinds = [line_kind for ask, line_kind in _KINDS if ask.search(question)] if by_kind else []
    scored: list[tuple[float, int, str, bool]] = []
    for n, raw in enumerate(text.splitlines()):
        line = raw.strip()
        if not line:
            continue
        folded = _fold(line)
        score = 0.0
        for word in english:
            if re.search(rf"(?<![a-z0-9]){re.escape(word)}", folded):
                score += 2
            elif len(word) >= 4 and fuzz.partial_ratio(word, folded) >= 85:
                score += 1
        score += _ja_score(japanese, folded)
        named = score > 0
        if any(kind.search(line) for kind in kinds):
            score += 1.5
        if score > 0:
            scored.append((score, n, line, named))
    if any(s[3] for s in scored):  # lines naming what was asked beat lines of its kind only
        scored = [s for s in scored if s[3]]
    best = sorted(scored, key=lambda s: (-s[0], s[1]))[:limit]
    return [s[2] for s in sorted(best, key=lambda s: s[1])]


def looks_like_receipt(text: str) -> bool:
    """Without a receipt reader: a total label and at least two amounts."""
    return (re.search(r"合計|総額|お会計|\btotal\b", text, re.I) is not None
            and len(_MONEY.findall(text)) >= 2)


_MONEY = re.compile(r"[¥￥$€£]\s?\d[\d,]*(?:\.\d{2})?|\d[\d,]*\s?円")


def field_lines(field: Field, text: str) -> list[str]:
    """Without a receipt reader: the lines that carry a field's label or its kind of value."""
    labels = {
        "total": r"合計|総額|お会計|(?<![a-z])total|amount due|balance",
        "date": r"\d{4}\s?[-/年.]\s?\d{1,2}|\d{1,2}\s?月\s?\d{1,2}\s?日|date",
        "merchant": r"^$",  # the shop's name is the first line of a receipt
        "tax": r"税|tax|vat|gst",
        "invoice_number": r"登録番号|T\d{13}|invoice|registration",
    }[field]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if field == "merchant":
        return lines[:1]
    return [line for line in lines if re.search(labels, line, re.I)][:MAX_LINES]


def field_text(field: Field, receipt: Receipt, lang: str) -> str | None:
    """One field of a receipt as a sentence fragment ("Total: $23.45"); None when not read."""
    name = strings.t(f"ocr.field_{field}", lang)
    value: str | None
    if field == "total":
        value = _money(receipt.total, receipt.currency, lang)
    elif field == "tax":
        value = _tax(receipt, lang)
    elif field == "date":
        value = _date(receipt.date, lang) if receipt.date else None
    elif field == "merchant":
        value = receipt.merchant
    else:
        value = receipt.invoice_number
        if value and receipt.invoice_number_valid is False:
            value += " " + strings.t("ocr.invoice_check_failed", lang)
    return f"{name}: {value}" if value else None


def _money(amount: Decimal | None, currency: str | None, lang: str) -> str | None:
    if amount is None:
        return None
    if currency in (None, "JPY"):
        whole = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,}"
        return f"{whole}円" if lang == "ja" else f"¥{whole}"
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency, currency + " ")
    return f"{symbol}{amount:,.2f}"


def _tax(receipt: Receipt, lang: str) -> str | None:
    if receipt.tax_lines:
        return ", ".join(f"{_money(line.tax, receipt.currency, lang)} ({line.rate:g}%)"
                         for line in receipt.tax_lines)
    value = _money(receipt.tax, receipt.currency, lang)
    if value and receipt.tax_rate is not None:
        value += f" ({receipt.tax_rate:g}%)"
    return value


def _date(value: Date, lang: str) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if lang == "ja" else value.isoformat()
