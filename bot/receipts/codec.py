"""A ``Receipt`` as JSON: the command line's contract and the ledger's stored form.

Amounts are strings of the amount in major units (``"561"``, ``"6.41"``), never floats; a field
not found is ``null``. ``load_receipt`` reads what ``dump_receipt`` wrote and refuses anything
else with ``CodecError`` (a ledger entry someone edited by hand must not become a wrong total).
"""

from __future__ import annotations

from datetime import date as Date
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from bot.errors import CodecError
from bot.receipts.model import (
    CATEGORIES,
    PAYMENT_METHODS,
    Category,
    LineItem,
    PaymentMethod,
    Receipt,
    TaxLine,
    TaxStyle,
)

# The ``miru receipt --json`` object's fields, in order (besides "file" and "verdict").
CONTRACT_FIELDS = ("merchant", "date", "total", "tax", "tax_rate", "currency", "payment_method",
                   "category", "invoice_number", "invoice_number_valid", "invoice_compliant",
                   "items", "confidence")


def amount_str(value: Decimal | None) -> str | None:
    """``Decimal("1280")`` -> ``"1280"``; ``Decimal("3.50")`` -> ``"3.50"`` (as printed);
    ``Decimal("1E+3")`` -> ``"1000"``; None stays None."""
    if value is None:
        return None
    text = format(value, "f")
    return "0" if text.lstrip("-").strip("0.") == "" else text


def contract_json(r: Receipt) -> dict[str, Any]:
    """The fields of one receipt as ``miru receipt --json`` prints them."""
    return {
        "merchant": r.merchant,
        "date": r.date.isoformat() if r.date else None,
        "total": amount_str(r.total),
        "tax": amount_str(r.tax),
        "tax_rate": amount_str(r.tax_rate),
        "currency": r.currency,
        "payment_method": r.payment_method,
        "category": r.category,
        "invoice_number": r.invoice_number,
        "invoice_number_valid": r.invoice_number_valid,
        "invoice_compliant": r.invoice_compliant,
        "items": [{"name": i.name, "amount": amount_str(i.amount)} for i in r.items],
        "confidence": {k: round(float(v), 3) for k, v in r.confidence.items()},
    }


def dump_receipt(r: Receipt) -> dict[str, Any]:
    """Everything the ledger keeps of a reading (not the OCR text: it can be long)."""
    d = contract_json(r)
    d.update({
        "subtotal": amount_str(r.subtotal),
        "tax_lines": [{"rate": amount_str(t.rate), "tax": amount_str(t.tax),
                       "base": amount_str(t.base)} for t in r.tax_lines],
        "tax_style": r.tax_style,
        "invoice_missing": list(r.invoice_missing),
        "totals_disagree": r.totals_disagree,
    })
    return d


def load_receipt(d: Any) -> Receipt:
    """The inverse of ``dump_receipt``; raises ``CodecError`` on anything malformed."""
    if not isinstance(d, dict):
        raise CodecError("receipt: not an object")
    try:
        payment = d.get("payment_method")
        category = d.get("category")
        if payment is not None and payment not in PAYMENT_METHODS:
            raise CodecError(f"receipt: unknown payment method {payment!r}")
        if category is not None and category not in CATEGORIES:
            raise CodecError(f"receipt: unknown category {category!r}")
        style = d.get("tax_style")
        if style not in (None, "included", "added"):
            raise CodecError(f"receipt: unknown tax style {style!r}")
        return Receipt(
            merchant=_opt_str(d.get("merchant")),
            date=Date.fromisoformat(d["date"]) if d.get("date") else None,
            total=_dec(d.get("total")),
            subtotal=_dec(d.get("subtotal")),
            tax=_dec(d.get("tax")),
            tax_rate=_dec(d.get("tax_rate")),
            tax_lines=tuple(TaxLine(rate=_req_dec(t["rate"]), tax=_req_dec(t["tax"]),
                                    base=_dec(t.get("base"))) for t in d.get("tax_lines") or ()),
            tax_style=cast(TaxStyle | None, style),
            currency=_opt_str(d.get("currency")),
            payment_method=cast(PaymentMethod | None, payment),
            category=cast(Category | None, category),
            invoice_number=_opt_str(d.get("invoice_number")),
            invoice_number_valid=_opt_bool(d.get("invoice_number_valid")),
            invoice_compliant=_opt_bool(d.get("invoice_compliant")),
            invoice_missing=tuple(str(m) for m in d.get("invoice_missing") or ()),
            items=tuple(LineItem(str(i["name"]), _req_dec(i["amount"]))
                        for i in d.get("items") or ()),
            confidence={str(k): float(v) for k, v in (d.get("confidence") or {}).items()},
            totals_disagree=bool(d.get("totals_disagree", False)),
        )
    except CodecError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CodecError(f"receipt: {type(exc).__name__}: {exc}") from None


def _dec(value: Any) -> Decimal | None:
    return None if value is None else _req_dec(value)


def _req_dec(value: Any) -> Decimal:
    if not isinstance(value, str):
        raise CodecError(f"receipt: amount {value!r} is not a string")
    try:
        d = Decimal(value)
    except InvalidOperation:
        raise CodecError(f"receipt: amount {value!r} is not a number") from None
    if not d.is_finite():
        raise CodecError(f"receipt: amount {value!r} is not finite")
    return d


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _opt_bool(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise CodecError(f"receipt: {value!r} is not true, false or null")
