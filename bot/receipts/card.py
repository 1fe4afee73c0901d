"""The compact card an expense thread answers a receipt with: its number, the fields in two or
three short lines, ⚠ on the fields read with little confidence or not found, then what needs a
person (no total, totals that disagree, a possible duplicate, an incomplete qualified invoice,
a field a vision model read otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot import strings
from bot.receipts.entry import Entry
from bot.receipts.model import Receipt
from bot.receipts.summary import category_label, money

UNSURE = "⚠"
_LINES = (("merchant", "date", "total"), ("tax", "payment_method", "category"),
          ("invoice_number",))


def field_value(r: Receipt, name: str, lang: str) -> str | None:
    """A field as a person reads it, or None when it was not found."""
    if name == "merchant":
        return r.merchant
    if name == "date":
        return r.date.isoformat() if r.date else None
    if name == "total":
        return f"{money(r.total)} {r.currency or ''}".rstrip() if r.total is not None else None
    if name == "tax":
        if r.tax is None:
            return None
        rate = f" ({money(r.tax_rate)}%)" if r.tax_rate is not None else ""
        return money(r.tax) + rate
    if name == "tax_rate":
        return f"{money(r.tax_rate)}%" if r.tax_rate is not None else None
    if name == "payment_method":
        return strings.t(f"receipts.payment.{r.payment_method}", lang) if r.payment_method else None
    if name == "category":
        return category_label(r.category, lang) if r.category else None
    if name == "currency":
        return r.currency
    if name == "invoice_number":
        return r.invoice_number
    raise KeyError(name)


def field_label(name: str, lang: str) -> str:
    return strings.t(f"receipts.field.{name}", lang)


def requirement_label(name: str, lang: str) -> str:
    """What a qualified invoice lacks, as a person reads it (never the internal name); an
    unknown name (a reading stored by a newer version) shows as "?"."""
    key = f"receipts.requirement.{name}"
    return strings.t(key, lang) if key in strings.MESSAGES else "?"


def card(entry: Entry, lang: str, *, threshold: float = 0.6, checks: Sequence[str] = (),
         reading: Receipt | None = None) -> str:
    """``checks``: fields a vision model read otherwise (``bot.receipts.opinion``), each named
    with the model's ``reading`` of it."""
    r = entry.receipt
    unsure = set(r.unsure(threshold))
    lines = [strings.t("receipts.card_head", lang, n=entry.n)]
    for group in _LINES:
        parts = []
        for name in group:
            value = field_value(r, name, lang)
            if name == "invoice_number" and value is None and r.invoice_compliant is None:
                continue  # not a Japanese receipt: no registration number expected
            shown = value if value is not None else strings.t("receipts.not_found", lang)
            mark = f" {UNSURE}" if name in unsure or value is None else ""
            parts.append(f"{field_label(name, lang)}: {shown}{mark}")
        if parts:
            lines.append(" · ".join(parts))
    notes = []
    if r.total is None:
        notes.append(strings.t("receipts.no_total", lang, n=entry.n))
    if r.total is not None and r.total < 0:
        notes.append(strings.t("receipts.refund", lang, n=entry.n))
    if r.totals_disagree:
        notes.append(strings.t("receipts.totals_disagree", lang, n=entry.n))
    if entry.duplicate_of is not None:
        notes.append(strings.t("receipts.duplicate", lang, n=entry.n, of=entry.duplicate_of))
    if r.invoice_compliant is False:
        sep = "、" if lang == "ja" else ", "
        missing = sep.join(requirement_label(m, lang) for m in r.invoice_missing) or "?"
        notes.append(strings.t("receipts.invoice_noncompliant", lang, missing=missing))
    for name in checks:
        seen = field_value(reading, name, lang) if reading is not None else None
        notes.append(strings.t("receipts.check_field", lang, field=field_label(name, lang),
                               value=seen or "?"))
    if any(UNSURE in line for line in lines[1:]):
        notes.append(strings.t("receipts.unsure_legend", lang))
    return "\n".join(lines + notes)
