"""What the accounting exports (``freee``, ``moneyforward``) share: which receipts go in, how a
receipt splits by tax rate, which tax category a line takes, and writing the file in the
encoding the accounting software reads.

- **Which receipts**: in JPY (the import's amounts are yen; other currencies are left out, to
  be converted by hand), with a total and a date (both required by the imports), in the
  policy's ``export_statuses`` (rejected receipts never), not a refund (a negative total, booked
  against the original expense by hand). Everything left out is named, with the
  reason, in the reply.
- **Tax lines**: a receipt that prints its 8 % and 10 % parts (``Receipt.tax_lines``) becomes one
  line per rate when the parts add up to the total; otherwise one line at the receipt's rate
  (``tax_rate``, else the rate its tax implies, else the standard 10 %).
- **Qualified invoices**: a receipt with a registration number that passes its check digit is a
  qualified invoice (適格請求書); one without is deductible at 80 % from 2023-10-01 to
  2026-09-30 and 50 % from 2026-10-01 to 2029-09-30 (the transitional measure), after which
  nothing: the ``_80``/``_50`` tax keys and ``none``.
- **Encoding**: Shift_JIS (``cp932``, the code page Japanese Windows and both products' sample
  files use) or UTF-8 without a BOM, per the policy; free text is NFKC-normalised first, and a
  character the encoding cannot hold becomes ``?`` (counted, so the reply can say so).
"""

from __future__ import annotations

import csv
import hashlib
import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from bot.models import ThreadKey
from bot.receipts.entry import Entry
from bot.receipts.model import Receipt
from bot.receipts.summary import csv_cell

TRANSITION_START = date(2023, 10, 1)
EIGHTY_UNTIL = date(2026, 9, 30)
FIFTY_UNTIL = date(2029, 9, 30)


@dataclass(frozen=True)
class Item:
    """One receipt of one thread (exports on the command line span a workspace's threads)."""

    thread: ThreadKey
    entry: Entry


@dataclass(frozen=True)
class Line:
    """One line of a journal: the tax-included amount at one rate."""

    amount: Decimal
    tax: Decimal | None
    rate: Decimal | None


@dataclass
class Selection:
    """The receipts an import carries, and those left out by reason (receipt numbers)."""

    items: list[Item] = field(default_factory=list)
    left_out: dict[str, list[int]] = field(default_factory=dict)

    def leave_out(self, reason: str, item: Item) -> None:
        self.left_out.setdefault(reason, []).append(item.entry.n)


def select_for_import(items: Sequence[Item], statuses: Sequence[str]) -> Selection:
    chosen = Selection()
    for item in items:
        r, status = item.entry.receipt, item.entry.status
        if status == "rejected":
            chosen.leave_out("rejected", item)
        elif status not in statuses:
            chosen.leave_out("status", item)
        elif r.currency != "JPY":
            chosen.leave_out("currency", item)
        elif r.total is None:
            chosen.leave_out("no_total", item)
        elif r.date is None:
            chosen.leave_out("no_date", item)
        elif r.total < 0:
            # a refund (negative total): the imports' 支出 rows take positive amounts, and a
            # reversal is booked against the original expense, by hand
            chosen.leave_out("refund", item)
        else:
            chosen.items.append(item)
    return chosen


def lines(r: Receipt) -> list[Line]:
    """The receipt by tax rate where its printed parts add up to the total, else one line."""
    assert r.total is not None
    parts = [t for t in r.tax_lines if t.base is not None]
    if len(parts) >= 2 and len(parts) == len(r.tax_lines):
        included = [Line(t.base, t.tax, t.rate) for t in parts if t.base is not None]
        added = [Line(t.base + t.tax, t.tax, t.rate) for t in parts if t.base is not None]
        for candidate, style in ((included, "included"), (added, "added")):
            if r.tax_style in (None, style) and sum(c.amount for c in candidate) == r.total:
                return candidate
    return [Line(r.total, r.tax, rate(r))]


def rate(r: Receipt) -> Decimal | None:
    """The receipt's one tax rate: as read, else implied by its tax (8 or 10), else None."""
    if r.tax_rate is not None:
        return r.tax_rate
    if len(r.tax_lines) == 1:
        return r.tax_lines[0].rate
    if r.tax is not None and r.total is not None and r.total > r.tax > 0:
        implied = r.tax / (r.total - r.tax) * 100
        for known in (Decimal(8), Decimal(10)):
            if abs(implied - known) < Decimal("0.6"):
                return known
    return None


def qualified(r: Receipt) -> bool:
    return bool(r.invoice_number) and r.invoice_number_valid is True


def tax_key(line: Line, r: Receipt, *, split: bool = True) -> str:
    """The policy's tax key for a line: "10", "8", with "_80"/"_50" for a receipt that is no
    qualified invoice in the transitional years (``split`` False: the rate alone, for software
    that records the deduction in a column of its own), or "none"."""
    base = "8" if line.rate == Decimal(8) else "10"
    if qualified(r) or r.date is None or r.date < TRANSITION_START or not split:
        return base
    if r.date <= EIGHTY_UNTIL:
        return base + "_80"
    if r.date <= FIFTY_UNTIL:
        return base + "_50"
    return "none"


def deduction(r: Receipt) -> str:
    """"" for a qualified invoice (or before the invoice system), "80"/"50" in the transitional
    years, "0" after them."""
    if qualified(r) or r.date is None or r.date < TRANSITION_START:
        return ""
    if r.date <= EIGHTY_UNTIL:
        return "80"
    return "50" if r.date <= FIFTY_UNTIL else "0"


def reference(item: Item) -> str:
    """A reference an accountant can trace back: a short hash of the thread and the receipt's
    number in it ("M3f2a9c-2")."""
    digest = hashlib.sha256(item.thread.tag().encode()).hexdigest()[:6]
    return f"M{digest}-{item.entry.n}"


def yen(amount: Decimal | None) -> str:
    """Whole yen, as the imports want them ("" for None)."""
    return "" if amount is None else str(int(amount.to_integral_value()))


def slash_date(day: date) -> str:
    return day.strftime("%Y/%m/%d")


def free_text(text: str | None, limit: int = 100) -> str:
    """Text from a receipt or a person for a cell: NFKC, one line, bounded."""
    cleaned = " ".join(unicodedata.normalize("NFKC", text or "").split())
    return cleaned[:limit]


@dataclass(frozen=True)
class Encoded:
    data: bytes
    replaced: int  # characters the encoding could not hold (written as "?")
    rows_replaced: tuple[int, ...]  # receipt numbers whose rows had such characters


def write_csv(header: Sequence[str], rows: Sequence[tuple[int, Sequence[object]]],
              encoding: str) -> Encoded:
    """CRLF CSV in ``encoding`` (``cp932`` or ``utf-8``, no BOM); each row is (receipt number,
    cells). Cells pass ``csv_cell`` (formulas quoted)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    replaced, where = 0, []
    for n, cells in rows:
        out = []
        for value in cells:
            cell, bad = _fit(csv_cell(value), encoding)
            replaced += bad
            if bad and n not in where:
                where.append(n)
            out.append(cell)
        writer.writerow(out)
    return Encoded(buf.getvalue().encode(encoding), replaced, tuple(where))


def _fit(text: str, encoding: str) -> tuple[str, int]:
    if encoding.replace("-", "").lower() == "utf8":
        return text, 0
    out, bad = [], 0
    for c in text:
        try:
            c.encode(encoding)
            out.append(c)
        except UnicodeEncodeError:
            out.append("?")
            bad += 1
    return "".join(out), bad
