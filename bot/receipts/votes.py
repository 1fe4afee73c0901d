"""The total cross-checked against the rest of the receipt (issue 21): what else on the paper
says how much was paid. ``reconcile`` keeps a total row that something backs and replaces one
that nothing backs where two other readings agree; ``total_otherwise`` finds the total when no
total row could be read. Pure functions on ``fields.Line`` rows; ``reader.read_fields`` calls
them after ``totals.find_total``.

The readings ("votes"): cash tendered minus change; a card, QR or IC payment row; subtotal plus
tax; the items' sum; another total row (with the rounding between them); the per-rate totals of
a GST receipt ("Total 6% supplies (Inc. GST)" + "Total 0% supplies"); an amount printed again on
a later row (the payment slip repeats the total); a row whose amount is the sum of the item
rows right above it.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

from bot.receipts import fields as F
from bot.receipts.amounts import minor_units, misread_digit
from bot.receipts.totals import PAID, TENDERED, discounted, find_items, is_adjustment

# "Total 6% supplies (Inc. GST): 73.52", "TOTAL 0% SUPPLIES: 20.67": one rate's total
SUM_ROWS = 60  # the most item rows a summing row is checked against (a long slip stays linear)
_RATE_TOTAL = re.compile(r"total.*\d\s*%.*(suppl|sales|item)|"
                         # "Total Sales SR 6%"; not the tax's own rate on the whole total
                         # ("Total Sales (Incl. GST @6%)")
                         r"total.*(suppl|sales)(?!.*(gst|tax|sst)\s*@?\s*\d+\s*%).*\d\s*%", re.I)
_WITHOUT_TAX = re.compile(r"excl|exclusive|before|w/o|without|\bnet\b", re.I)


def total_otherwise(lines: list[F.Line], subtotal: Decimal | None, tax: Decimal | None,
                    style: str | None, currency: str | None = None
                    ) -> tuple[Decimal | None, float]:
    """No readable total row: the value that two of cash tendered minus change, subtotal (+ tax
    added on top), the items' sum, a card or QR payment row and an amount printed twice below
    the items agree on; else the first of them in that order; else a row that sums the items
    above it, the largest amount printed twice, or the one charge printed with its currency."""
    found: list[Decimal] = []
    tendered, change = cash_and_change(lines)
    if tendered is not None and change is not None and tendered > change:
        found.append(tendered - change)
    if subtotal is not None:
        found.append(subtotal + (tax or 0) if style != "included" else subtotal)
    paid = _row_amount(lines, PAID.pattern)
    if paid is not None:
        found.append(paid)
    if tendered is not None and change is None:  # cash with no change: paid exactly, likely
        found.append(tendered)
    end = next((ln.index for ln in lines if F.is_subtotal(ln.label)), -1)
    items = [i.amount for i in find_items(lines, end, currency)] if end >= 0 else []
    repeated = _repeated(lines, max(end, 0), currency)
    agreed = Counter([*found, *([sum(items, Decimal(0))] if items else []),
                      *repeated]).most_common(1)
    if agreed and agreed[0][1] >= 2:
        return agreed[0][0], 0.75
    if found:
        sure = tendered is not None and found[0] == tendered - (change or 0)
        return found[0], 0.6 if sure else 0.4
    if (summed := _sum_row(lines, currency)) is not None:
        return summed, 0.5
    if repeated:
        return max(repeated), 0.4
    if (only := _only_charge(lines)) is not None:
        return only, 0.4
    return None, 0.0


def _only_charge(lines: list[F.Line]) -> Decimal | None:
    """The one amount printed with its currency mark and cents that is no payment, change,
    balance or tax (a toll slip: "Tol: RM 37.60", "Baki Kad: RM 62.15"); None where there are
    several."""
    found = {ln.amount for ln in lines if ln.amount is not None and ln.amount > 0
             and ln.amounts[-1].currency is not None and ln.amounts[-1].decimals == 2
             and not F.TENDER.search(ln.label) and not F.is_tax(ln.label)
             and not re.search(r"balance|baki|\bbal\b|paid|bayar", ln.label, re.I)}
    return found.pop() if len(found) == 1 else None


# a row of the amount before tax: "Amt Paid excl. GST", "Total Excl. Tax", "Net before VAT"
_EXCL_TAX = re.compile(r"\b(?:excl?\.?|exclusive|before|w/o|without)\s*"
                       r"(?:of\s*)?(?:gst|sst|tax|vat)\b", re.I)


def reconcile(lines: list[F.Line], total: Decimal | None, conf: float, total_row: int,
              subtotal: Decimal | None, tax: Decimal | None, rounding: Decimal,
              style: str | None, currency: str | None) -> tuple[Decimal | None, float]:
    """Cross-check the total row against the rest of the receipt (the module's readings). A
    total backed by one of them is kept (and surer); one backed by none gives way to a value
    that two of them agree on (OCR misread the big total: "S$578.25" for S$78.25, "2066" for
    90,37 €, "194.19" for 94.19)."""
    # in order of trust where counts tie: what was paid, then the printed arithmetic
    votes: Counter[Decimal] = Counter()
    tendered, change = cash_and_change(lines)
    if tendered is not None and change is not None and tendered > change:
        votes[tendered - change] += 1
    paid = {ln.amount for ln in lines if ln.amount is not None and ln.index != total_row
            and PAID.search(ln.label) and not F.total_strength(ln.label)}
    for value in paid:
        votes[value] += 1
    # a discount or coupon below the subtotal: neither the subtotal nor the items make the total
    cut = discounted(lines)
    made = None
    if subtotal is not None and not cut:
        made = subtotal + (tax or 0) + rounding if style != "included" else subtotal
        votes[made] += 1
    # the amount before tax and the tax ("Amt Paid excl. GST: 73.87", "GST AMT: 4.43")
    excl = next((ln.amount for ln in lines if ln.amount is not None and ln.amount > 0
                 and ln.index != total_row and _EXCL_TAX.search(ln.label)), None)
    if excl is not None and tax and excl + tax != made:
        votes[excl + tax] += 1
    # a fee between subtotal and total; rows that add nothing new (a rounding of 0.00, the tax
    # counted above) would be the subtotal's second vote
    if (charged := _subtotal_and_charges(lines, total_row)) not in (None, made, subtotal):
        votes[charged] += 1
    end = next((ln.index for ln in lines if F.is_subtotal(ln.label)), total_row)
    items = [i.amount for i in find_items(lines, end if end >= 0 else len(lines), currency)]
    if items and not cut:
        net = sum(items, Decimal(0))
        votes[net + (tax or 0) + rounding if style == "added" and subtotal is None else net] += 1
    if (by_rate := _rate_totals(lines)) is not None:
        votes[by_rate] += 1
    first = next((ln.index for ln in lines if ln.amount is not None
                  and (F.row_total_strength(ln) >= 0.9 or F.is_subtotal(ln.label))), None)
    if first is not None:
        for value in _repeated(lines, first, currency, besides=total_row, paid_or_bare=True):
            votes[value] += 1
        for value in _other_totals(lines, total_row, currency):
            votes[value] += 1
    votes = Counter({v: n for v, n in votes.items() if v > 0})
    if total is not None and (prepaid := _deposit(lines, total_row)):
        if _BALANCE.match(lines[total_row].label):
            return total + prepaid, max(conf, 0.9)  # "Deposit 200.00", "Balance 250.00"
        if votes.get(total - prepaid):
            return total, max(conf, 0.97)  # "Less: Deposit -200.00", "VISA 408.00" under 608
    if total is not None and votes.get(total):
        return total, max(conf, 0.97)
    if total is not None and rounding and votes.get(total + rounding):
        return total, max(conf, 0.9)  # what was paid, rounded below the payment: total stands
    if votes:
        value, n = votes.most_common(1)[0]
        if n >= 2:
            return value, 0.75
    if total is not None:  # a mark read as a digit: "¥2,112" as "42112", "$78" as "578"
        digits = format(total, "f").lstrip("-")
        for value in votes:
            if digits[1:] == format(value, "f") and digits[0] in "14578":
                return value, 0.75
    if total is not None:  # one digit misread the way the OCR misreads it: "73.30" for 78.30
        for value, _ in votes.most_common():
            if misread_digit(value, total):
                return value, 0.7
    if total is not None and votes and _implausible(total, total_row, lines, items, currency):
        return votes.most_common(1)[0][0], 0.5
    return total, conf


def _subtotal_and_charges(lines: list[F.Line], row: int) -> Decimal | None:
    """The subtotal plus every amount printed between it and the total row: a delivery fee, a
    service charge, a tax, a discount ("Subtotal RM 25.00", "Delivery fee RM 3.40", "Total RM
    28.40"); None where no row stands between them."""
    sub = next((ln.index for ln in lines[:max(row, 0)]
                if ln.amount is not None and F.is_subtotal(ln.label)), None)
    base = lines[sub].amount if sub is not None else None
    if sub is None or base is None:
        return None
    between = [ln.amount for ln in lines[sub + 1:row] if ln.amount is not None]
    if not between:
        return None
    return base + sum(between, Decimal(0))


def _rate_totals(lines: list[F.Line]) -> Decimal | None:
    """The sum of a GST receipt's per-rate totals (with tax), where it prints two rates or more
    (a rate printed twice, in the item block and the summary, counts once: its last row)."""
    by_rate: dict[str, Decimal] = {}
    for ln in lines:
        if (ln.amount is not None and _RATE_TOTAL.search(ln.label)
                and not _WITHOUT_TAX.search(ln.label)
                and (rate := re.search(r"(\d+(?:\.\d+)?)\s*%", ln.label))):
            by_rate[rate[1]] = ln.amount
    return sum(by_rate.values(), Decimal(0)) if len(by_rate) >= 2 else None


def _other_totals(lines: list[F.Line], row: int, currency: str | None) -> list[Decimal]:
    """Another total row above the chosen one with a rounding adjustment between them ("Total
    Inc. GST 758.70", "Rounding Adjustment 0.00", "Final Total"): what the chosen row says."""
    for i in range(min(row, len(lines)) - 1, -1, -1):
        ln = lines[i]
        if (ln.amount is not None and ln.amount > 0 and F.row_total_strength(ln) >= 0.9
                and not _RATE_TOTAL.search(ln.label)):
            between = [x for x in lines[i + 1:row] if is_adjustment(x, currency)]
            if not between:
                return []
            return [ln.amount + sum((x.amount for x in between if x.amount), Decimal(0))]
    return []


def _repeated(lines: list[F.Line], first: int, currency: str | None, besides: int = -1,
              *, paid_or_bare: bool = False) -> list[Decimal]:
    """Amounts printed on two or more rows from row ``first`` on, each once; ``besides``' own
    row does not count. With ``paid_or_bare``, one of the rows must be a payment row or a bare
    amount (the cash row or the slip's foot repeating the total), not a subtotal repeated by a
    per-rate line. Amounts in a currency with cents must print their cents."""
    cents = minor_units(currency) > 0
    seen: Counter[Decimal] = Counter()
    witnessed: set[Decimal] = set()
    for ln in lines[first:]:
        if (ln.amount is None or ln.amount <= 0 or ln.index == besides
                or (cents and ln.amounts[-1].decimals != 2)):
            continue
        seen[ln.amount] += 1
        if not re.search(r"[^\W\d_]{2}", ln.label) or re.search(TENDERED, ln.label, re.I) or (
                PAID.search(ln.label)):
            witnessed.add(ln.amount)
    return [v for v, n in seen.items() if n >= 2 and (not paid_or_bare or v in witnessed)]


def _sum_row(lines: list[F.Line], currency: str | None) -> Decimal | None:
    """The last row whose amount is the sum of two or more item rows right above it (a slip
    with no total word: the items, then their sum)."""
    cents = minor_units(currency) > 0
    found = None
    for i, ln in enumerate(lines):
        if ln.amount is None or ln.amount <= 0:
            continue
        run, total = 0, Decimal(0)
        for above in reversed(lines[max(0, i - SUM_ROWS):i]):
            if (above.amount is None or (cents and above.amounts[-1].decimals != 2)
                    or re.search(r"@\s*$", above.label)):
                continue  # no amount, or a unit price ("240 pcs @ 13.90")
            if above.amount <= 0:
                break
            total += above.amount
            run += 1
            if total == ln.amount and run >= 2:
                found = ln.amount
                break
            if total > ln.amount:
                break
    return found


def _implausible(total: Decimal, row: int, lines: list[F.Line], items: list[Decimal],
                 currency: str | None) -> bool:
    """A total that cannot be right as read: under the dearest item, or printed without the
    cents (or with one digit of them) every other price on a receipt in cents shows ("TOTAL 2"
    for 23,13 €, "4.0" for 4.70)."""
    returns = any(ln.amount is not None and ln.amount < 0 for ln in lines[:max(row, 0)])
    if items and total < max(items) and not returns:  # a return or discount lowers the total
        return True
    if minor_units(currency) and 0 <= row < len(lines):
        printed = lines[row].amounts[-1].decimals if lines[row].amounts else 2
        others = [ln.amounts[-1].decimals for ln in lines if ln.amounts and ln.index != row]
        return printed in (0, 1) and others.count(2) >= 2  # "TOTAL 4.0" for 4.70
    return False


# A deposit paid earlier, printed on the final slip: what is paid now is the total less it
_DEPOSIT = re.compile(r"deposit|advance\s*(paid|payment)|paid\s*earlier|\bdp\b|cengkeram|"
                      r"pendahuluan", re.I)
_BALANCE = re.compile(r"^\W*balance\b(?!.*refund)", re.I)  # BAKI (change) is never a total row


def _deposit(lines: list[F.Line], row: int) -> Decimal:
    """A deposit taken off the bill: a deposit row with an amount, not one received and
    refunded after the total (a hotel's), above the balance row or between the total and
    the payment."""
    if row < 0:
        return Decimal(0)
    for ln in lines:
        if (ln.amount is not None and ln.amount != 0 and _DEPOSIT.search(ln.label)
                and not re.search(r"received|refund", ln.label, re.I)
                and (ln.index < row) == bool(_BALANCE.match(lines[row].label))):
            return abs(ln.amount)
    return Decimal(0)


_CHANGE = r"釣|\bchange\b|\bbaki\b|balance\s*refund"  # "Balance Refunded": a deposit's change


def cash_and_change(lines: list[F.Line]) -> tuple[Decimal | None, Decimal | None]:
    """The cash tendered and the change, where the slip prints them."""
    return _row_amount(lines, TENDERED), _row_amount(lines, _CHANGE)


def _row_amount(lines: list[F.Line], pattern: str) -> Decimal | None:
    return next((ln.amount for ln in lines if ln.amount is not None and ln.amount >= 0
                 and re.search(pattern, ln.label, re.I)), None)


def lost_point(lines: list[F.Line], value: Decimal | None, row: int,
                currency: str | None) -> Decimal | None:
    """An amount whose decimal point OCR lost (``6117`` for ``61,17``), put back where another
    row prints the same digits with it (the payment row repeats the total)."""
    if value is None or minor_units(currency) == 0 or value != value.to_integral_value():
        return value
    scaled = value / 100
    if any(ln.amount == scaled and ln.index != row for ln in lines):
        return scaled
    return value
