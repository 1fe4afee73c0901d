"""What people type in an expense thread, as typed values: a field correction ("total 1280",
"合計 1280円", "#2 category 交通費"), ``remove N``, ``undo``, ``summary``, ``receipts``.

``parse(text)`` returns one of the command dataclasses or a ``ParseError`` whose ``key`` names the
sentence in ``bot.strings`` (the reply adds the accepted forms). Input is normalised first (NFKC:
full-width digits and colons; invisible and bidi-control characters dropped; case folded), and
bounded: text over ``MAX_CHARS``, amounts over ``MAX_AMOUNT`` or with more than two decimals,
negative amounts, dates outside 1990..2100 and numbers past ``MAX_NUMBER`` are refused. Written
by hand: the grammar is a dozen keywords in two languages; no parser library fits better.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date as Date
from decimal import Decimal, InvalidOperation
from typing import cast

from bot.receipts.model import CATEGORY_JA, Category, PaymentMethod, Receipt

MAX_CHARS = 300
MAX_AMOUNT = Decimal("10000000000")  # 10^10 in major units
MAX_NUMBER = 9999  # receipt numbers
MAX_MERCHANT = 100


@dataclass(frozen=True)
class SetField:
    """Set ``field`` of receipt ``n`` (None: the newest) to ``value``."""

    field: str
    value: Decimal | Date | str
    n: int | None = None
    currency: str | None = None  # given with an amount ("¥1280", "6.41 USD")

    def shown(self) -> str:
        return format(self.value, "f") if isinstance(self.value, Decimal) else str(self.value)


@dataclass(frozen=True)
class Remove:
    n: int


@dataclass(frozen=True)
class Undo:
    pass


@dataclass(frozen=True)
class ShowSummary:
    pass


@dataclass(frozen=True)
class StartReceipts:
    pass


@dataclass(frozen=True)
class ParseError:
    key: str  # a sentence in bot.strings ("receipts.bad_amount", ...)


ThreadCommand = SetField | Remove | Undo | ShowSummary | StartReceipts

_FIELDS: dict[str, tuple[str, ...]] = {
    "total": ("total", "amount", "合計金額", "合計", "総額", "金額", "お会計"),
    "tax": ("tax", "消費税", "税額", "税"),
    "tax_rate": ("tax rate", "tax_rate", "税率"),
    "date": ("date", "日付", "日時", "日"),
    "merchant": ("merchant", "store", "shop", "vendor", "店名", "お店", "支払先", "店"),
    "payment_method": ("payment method", "payment_method", "payment", "paid by", "支払方法",
                       "支払い方法", "お支払い", "支払い", "支払", "決済"),
    "category": ("category", "勘定科目", "科目", "カテゴリー", "カテゴリ", "分類"),
    "currency": ("currency", "通貨"),
    "invoice_number": ("invoice number", "invoice_number", "invoice", "registration number",
                       "登録番号", "インボイス番号", "インボイス"),
}
_KEYWORDS = sorted(((k, f) for f, ks in _FIELDS.items() for k in ks), key=lambda kf: -len(kf[0]))

_SUMMARY = {"summary", "summarize", "summarise", "totals", "集計", "まとめ", "サマリー", "サマリ"}
_UNDO = {"undo", "取り消し", "取消", "取り消す", "元に戻す", "戻す", "アンドゥ"}
_START = {"receipts", "receipt", "expenses", "経費", "レシート", "領収書", "経費精算"}
# Digits are ASCII only (re.ASCII): NFKC already turned full-width ones into ASCII, and other
# scripts' digits (Arabic-Indic, Devanagari...) in an amount are a typo or a trick.
_REMOVE = re.compile(r"^(?:(?:remove|delete|削除|消去)\s*#?(\d+)|#?(\d+)\s*(?:番)?\s*(?:を)?\s*"
                     r"(?:削除|消して|消去)(?:して)?(?:ください)?)$", re.ASCII)
_TARGET = re.compile(r"^#(\d+)\s*|^(\d+)\s*番\s*(?:の)?\s*", re.ASCII)
_LEAD = re.compile(r"^(?:set|change|fix|correct)\s+")
_SEP = re.compile(r"^(?:\s*[:=]\s*|\s+(?:is|to)\b\s*|[はをが]\s*)+", re.IGNORECASE)
_TAIL = re.compile(r"\s*(?:に(?:修正|変更|訂正)?(?:して)?(?:ください)?|です|でした)$")

_CURRENCY_MARKS = {"¥": "JPY", "円": "JPY", "yen": "JPY", "jpy": "JPY", "$": "USD", "usd": "USD",
                   "ドル": "USD", "€": "EUR", "eur": "EUR", "ユーロ": "EUR", "£": "GBP",
                   "gbp": "GBP", "rm": "MYR", "myr": "MYR"}
_MARK = "|".join(re.escape(m) for m in sorted(_CURRENCY_MARKS, key=len, reverse=True))
_AMOUNT = re.compile(rf"^(?P<pre>{_MARK})?\s*(?P<sign>[-−])?\s*(?P<num>[\d,]+(?:\.\d+)?)\s*"
                     rf"(?P<post>{_MARK})?$", re.ASCII)
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$", re.ASCII)
_CURRENCY_CODE = re.compile(r"^[a-z]{3}$")
_MERCHANT_HEAD = re.compile(
    r"^(?:#\d+\s*|\d+\s*番\s*の?\s*)?(?:(?:set|change|fix|correct)\s+)?(?:"
    + "|".join(re.escape(k) for k in sorted(_FIELDS["merchant"], key=len, reverse=True)) + ")",
    re.IGNORECASE)

_CATEGORY_WORDS: dict[str, Category] = {
    **{cast(str, c): c for c in CATEGORY_JA}, **{ja: c for c, ja in CATEGORY_JA.items()},
    "交通": "transport", "旅費交通費": "transport", "宿泊": "lodging", "交際": "entertainment",
    "接待": "entertainment", "会議費": "entertainment", "消耗品": "supplies",
    "消耗品費": "supplies", "通信": "communication", "外注": "outsourcing", "その他": "misc",
    "travel": "transport", "hotel": "lodging", "meals": "entertainment",
    "office supplies": "supplies", "phone": "communication", "other": "misc",
}
_PAYMENT_WORDS: dict[str, PaymentMethod] = {
    "cash": "cash", "現金": "cash",
    "credit_card": "credit_card", "credit card": "credit_card", "credit": "credit_card",
    "card": "credit_card", "クレジットカード": "credit_card", "クレジット": "credit_card",
    "クレカ": "credit_card", "カード": "credit_card",
    "debit_card": "debit_card", "debit card": "debit_card", "debit": "debit_card",
    "デビットカード": "debit_card", "デビット": "debit_card",
    "qr_code": "qr_code", "qr code": "qr_code", "qr": "qr_code", "paypay": "qr_code",
    "qr決済": "qr_code", "コード決済": "qr_code", "ペイペイ": "qr_code",
    "ic_card": "ic_card", "ic card": "ic_card", "ic": "ic_card", "suica": "ic_card",
    "pasmo": "ic_card", "icoca": "ic_card", "交通系": "ic_card", "交通系ic": "ic_card",
    "電子マネー": "ic_card", "other": "other", "その他": "other",
}


def normalise(text: str) -> str:
    """NFKC, invisible characters (Unicode category Cf: zero-width, bidi overrides) and control
    characters dropped, whitespace collapsed, case folded."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cf", "Cc", "Co", "Cs")
                   or c in " \n\t")
    return " ".join(text.split()).casefold()


def parse(text: str) -> ThreadCommand | ParseError:
    """One message of an expense thread as a command, or why it is not one."""
    if len(text) > MAX_CHARS * 4:
        return ParseError("receipts.too_long")
    raw = " ".join(unicodedata.normalize("NFKC", text).split())
    t = normalise(text)
    if len(t) > MAX_CHARS:
        return ParseError("receipts.too_long")
    bare = t.rstrip("。.!！")
    if bare in _SUMMARY:
        return ShowSummary()
    if bare in _UNDO:
        return Undo()
    if bare in _START:
        return StartReceipts()
    m = _REMOVE.match(bare)
    if m:
        return _number(m.group(1) or m.group(2), Remove)
    return _set_field(bare, raw)


def _number(digits: str, make: type[Remove]) -> Remove | ParseError:
    if len(digits) > 4 or not 1 <= int(digits) <= MAX_NUMBER:
        return ParseError("receipts.bad_number")
    return make(int(digits))


def _set_field(t: str, raw: str) -> SetField | ParseError:
    n: int | None = None
    target = _TARGET.match(t)
    if target:
        digits = target.group(1) or target.group(2)
        if len(digits) > 4 or not 1 <= int(digits) <= MAX_NUMBER:
            return ParseError("receipts.bad_number")
        n = int(digits)
        t = t[target.end():]
    t = _LEAD.sub("", t)
    for keyword, name in _KEYWORDS:
        if t.startswith(keyword):
            rest = t[len(keyword):]
            if rest and keyword.isascii() and rest[0].isalnum() and rest[0].isascii():
                continue  # "totals" is not "total s"
            value = _TAIL.sub("", _SEP.sub("", rest)).strip()
            if not value:
                return ParseError("receipts.no_value")
            return _value(name, value, n, t, raw)
    return ParseError("receipts.unknown")


def _value(name: str, value: str, n: int | None, t: str, raw: str) -> SetField | ParseError:
    if name in ("total", "tax"):
        parsed = parse_amount(value)
        if isinstance(parsed, ParseError):
            return parsed
        amount, currency = parsed
        return SetField(name, amount, n, currency)
    if name == "tax_rate":
        rate = parse_amount(value.removesuffix("%").strip())
        if isinstance(rate, ParseError) or rate[1] is not None or rate[0] > 100:
            return ParseError("receipts.bad_rate")
        return SetField(name, rate[0], n)
    if name == "date":
        return _date(value, n)
    if name == "category":
        category = _CATEGORY_WORDS.get(value)
        return SetField(name, category, n) if category else ParseError("receipts.bad_category")
    if name == "payment_method":
        method = _PAYMENT_WORDS.get(value)
        return SetField(name, method, n) if method else ParseError("receipts.bad_payment")
    if name == "currency":
        code = _CURRENCY_MARKS.get(value) or (value.upper() if _CURRENCY_CODE.match(value)
                                              else None)
        return SetField(name, code, n) if code else ParseError("receipts.bad_currency")
    if name == "invoice_number":
        number = value.upper().replace("-", "").replace(" ", "")
        if not re.fullmatch(r"T\d{13}", number):
            return ParseError("receipts.bad_invoice")
        return SetField(name, number, n)
    return _merchant(raw, n)


def _merchant(raw: str, n: int | None) -> SetField | ParseError:
    """The name as typed (case kept), after its keyword and separator."""
    text = "".join(c for c in raw if unicodedata.category(c) not in ("Cf", "Cc", "Co", "Cs"))
    head = _MERCHANT_HEAD.match(text.strip())
    value = text.strip()[head.end():] if head else ""
    value = _TAIL.sub("", _SEP.sub("", value)).strip()
    if not value:
        return ParseError("receipts.no_value")
    if len(value) > MAX_MERCHANT:
        return ParseError("receipts.bad_merchant")
    return SetField("merchant", value, n)


def apply(receipt: Receipt, cmd: SetField) -> Receipt:
    """``receipt`` with ``cmd``'s field set, marked sure (confidence 1: a person said so)."""
    changes: dict[str, object] = {cmd.field: cmd.value}
    if cmd.field == "total":
        changes["totals_disagree"] = False
    if cmd.field in ("total", "tax") and cmd.currency and not receipt.currency:
        changes["currency"] = cmd.currency
    if cmd.field == "invoice_number":
        changes["invoice_number_valid"] = invoice_check_digit_ok(str(cmd.value))
    return replace(receipt, **changes,  # type: ignore[arg-type]
                   confidence={**receipt.confidence, cmd.field: 1.0})


def invoice_check_digit_ok(number: str) -> bool:
    """Japan's registration number: ``T`` + 13 digits whose first is the check digit of the
    other twelve (9 - sum(digit * (1 if odd position from the right else 2)) mod 9)."""
    if not re.fullmatch(r"T\d{13}", number):
        return False
    digits = [int(c) for c in number[1:]]
    body = digits[1:][::-1]
    total = sum(d * (1 if i % 2 == 0 else 2) for i, d in enumerate(body))
    return digits[0] == 9 - total % 9


def parse_amount(value: str) -> tuple[Decimal, str | None] | ParseError:
    """``"1,280円"`` -> (1280, "JPY"); ``"$6.41"`` -> (6.41, "USD"); ``"1280"`` -> (1280, None)."""
    m = _AMOUNT.match(value.strip())
    if not m or (m.group("pre") and m.group("post")
                 and _CURRENCY_MARKS[m.group("pre")] != _CURRENCY_MARKS[m.group("post")]):
        return ParseError("receipts.bad_amount")
    if m.group("sign"):
        return ParseError("receipts.negative_amount")
    num = m.group("num")
    whole = num.split(".")[0]
    if "," in whole and not re.fullmatch(r"\d{1,3}(?:,\d{3})+", whole):
        return ParseError("receipts.bad_amount")
    if len(whole.replace(",", "")) > 12:
        return ParseError("receipts.amount_too_large")
    if "." in num and len(num.split(".")[1]) > 2:
        return ParseError("receipts.bad_amount")
    try:
        amount = Decimal(num.replace(",", ""))
    except InvalidOperation:
        return ParseError("receipts.bad_amount")
    if amount > MAX_AMOUNT:
        return ParseError("receipts.amount_too_large")
    mark = m.group("pre") or m.group("post")
    return amount, _CURRENCY_MARKS[mark] if mark else None


def _date(value: str, n: int | None) -> SetField | ParseError:
    m = _DATE.match(value)
    if not m:
        return ParseError("receipts.bad_date")
    try:
        day = Date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return ParseError("receipts.bad_date")
    if not 1990 <= day.year <= 2100:
        return ParseError("receipts.bad_date")
    return SetField("date", day, n)
