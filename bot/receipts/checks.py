"""Cross-checks of a receipt's printed arithmetic (subtotal + tax = total), made so that they do
not cry wolf: a service charge, a discount, a deposit or a cash rounding between the subtotal
and the total explains a difference, and a subtotal printed under the total (a tax summary)
is no subtotal of it. Pure functions on
``fields.Line`` rows; ``reader.read_fields`` calls them."""

from __future__ import annotations

from decimal import Decimal

from bot.receipts import fields as F
from bot.receipts import totals as T


def subtotal_row(lines: list[F.Line]) -> int | None:
    return next((ln.index for ln in lines if ln.amount is not None and ln.amount > 0
                 and F.is_subtotal(ln.label)), None)


def unread_tax(lines: list[F.Line], total: Decimal | None, total_row: int,
               subtotal: Decimal | None, rounding: Decimal,
               currency: str | None) -> Decimal | None:
    """The tax when its row's amount was unreadable: a tax row with no amount under the
    subtotal, and a difference bigger than a rounding adjustment."""
    sub = subtotal_row(lines)
    if total is None or subtotal is None or sub is None or not sub < total_row:
        return None
    diff = total - subtotal - rounding
    if not (T.max_adjustment(currency) < diff <= subtotal * Decimal("0.3")):
        return None
    unread = any(ln.amount is None and F.is_tax(ln.text) for ln in lines[sub + 1:])
    return diff if unread else None


def disagrees(lines: list[F.Line], total: Decimal, total_row: int, subtotal: Decimal,
              tax: Decimal, rounding: Decimal, currency: str | None) -> bool:
    """Subtotal and tax do not make the total, and nothing printed explains why."""
    slack = T.max_adjustment(currency)
    sub = subtotal_row(lines)
    if sub is None or total_row < 0 or sub > total_row:
        return False  # the "subtotal" is under the total: a summary, not this sum
    if (abs(subtotal + tax + rounding - total) < slack or abs(subtotal + rounding - total) < slack
            or T.discounted(lines)):
        return False  # tax added, or already in the subtotal ("SUB-TOTAL (GST) 12.19")
    between = [ln.amount for ln in lines[sub + 1:total_row] if ln.amount is not None
               and not F.row_total_strength(ln)]
    return abs(subtotal + sum(between, Decimal(0)) - total) >= slack  # a service charge?

