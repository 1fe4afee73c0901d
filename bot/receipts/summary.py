"""A ledger summed up: totals per currency and per category (currencies are never added
together), a bar chart (PNG, matplotlib's Agg backend, one panel per currency, Japanese labels in
a CJK font from fonts-noto-cjk), and a CSV of every receipt (UTF-8 with BOM so Excel opens
Japanese correctly; cells that a spreadsheet would run as a formula are quoted).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from bot import strings
from bot.receipts.codec import amount_str
from bot.receipts.entry import Entry
from bot.receipts.model import CATEGORIES

UNKNOWN_CURRENCY = "?"
MAX_CHART_CURRENCIES = 6  # panels in the chart (most receipts first); the summary text has all
NO_CATEGORY = "none"
CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
)
CSV_COLUMNS = ("n", "merchant", "date", "total", "subtotal", "tax", "tax_rate", "currency",
               "payment_method", "category", "invoice_number", "invoice_number_valid",
               "invoice_compliant", "invoice_missing", "items", "duplicate_of", "added_by",
               "added_at", "corrected_fields", "added_by_name", "status", "decided_by",
               "decided_at", "reason", "reference", "image_file")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str  # ISO 4217, or UNKNOWN_CURRENCY
    total: Decimal
    count: int
    by_category: tuple[tuple[str, Decimal], ...]  # category (or NO_CATEGORY), total; largest first


@dataclass(frozen=True)
class Summary:
    count: int
    currencies: tuple[CurrencyTotal, ...]
    missing_total: tuple[int, ...]  # receipt numbers without a total (not counted)
    noncompliant: int  # Japanese receipts that are not complete qualified invoices
    duplicates: int  # flagged as possible duplicates (counted: people decide)
    rejected: tuple[int, ...] = ()  # receipt numbers rejected by an approver (not counted)
    approved: int = 0


def summarize(entries: Sequence[Entry]) -> Summary:
    sums: dict[str, dict[str, Decimal]] = {}
    counts: dict[str, int] = {}
    missing = []
    for e in entries:
        r = e.receipt
        if e.status == "rejected":
            continue
        if r.total is None:
            missing.append(e.n)
            continue
        cur = r.currency or UNKNOWN_CURRENCY
        cat = r.category or NO_CATEGORY
        sums.setdefault(cur, {})
        sums[cur][cat] = sums[cur].get(cat, Decimal(0)) + r.total
        counts[cur] = counts.get(cur, 0) + 1
    totals = tuple(
        CurrencyTotal(cur, sum(cats.values(), Decimal(0)), counts[cur],
                      tuple(sorted(cats.items(), key=lambda kv: (-kv[1], kv[0]))))
        for cur, cats in sorted(sums.items(), key=lambda kv: (-counts[kv[0]], kv[0])))
    return Summary(
        count=len(entries), currencies=totals, missing_total=tuple(missing),
        noncompliant=sum(1 for e in entries if e.receipt.invoice_compliant is False),
        duplicates=sum(1 for e in entries if e.duplicate_of is not None),
        rejected=tuple(e.n for e in entries if e.status == "rejected"),
        approved=sum(1 for e in entries if e.status == "approved"))


def money(amount: Decimal) -> str:
    """``1280`` and ``1280.0`` -> ``1,280``; ``6.4`` -> ``6.40`` (two places when there is a
    fraction)."""
    if amount == amount.to_integral_value():
        return f"{int(amount):,}"
    return f"{amount:,.2f}"


def category_label(category: str, lang: str) -> str:
    key = category if category in CATEGORIES else NO_CATEGORY
    return strings.t(f"receipts.category.{key}", lang)


def summary_text(s: Summary, lang: str) -> str:
    if s.count == 0:
        return strings.t("receipts.empty", lang)
    lines = [strings.t("receipts.summary_head", lang, count=s.count)]
    for c in s.currencies:
        lines.append(strings.t("receipts.summary_currency", lang, currency=c.currency,
                               total=money(c.total), count=c.count))
        lines.extend(f"  • {category_label(cat, lang)}: {money(v)}" for cat, v in c.by_category)
    if s.missing_total:
        lines.append(strings.t("receipts.summary_missing", lang, count=len(s.missing_total))
                     + " (" + ", ".join(f"#{n}" for n in s.missing_total) + ")")
    if s.noncompliant:
        lines.append(strings.t("receipts.summary_noncompliant", lang, count=s.noncompliant))
    if s.duplicates:
        lines.append(strings.t("receipts.summary_duplicates", lang, count=s.duplicates))
    if s.approved or s.rejected:  # teams that do not approve see no approval line
        lines.append(strings.t("expense.report_status", lang, approved=s.approved,
                               pending=s.count - s.approved - len(s.rejected),
                               rejected=len(s.rejected)))
    if s.rejected:
        lines.append(strings.t("expense.left_out_rejected", lang,
                               list=", ".join(f"#{n}" for n in s.rejected)))
    return "\n".join(lines)


def cjk_font() -> Path | None:
    """A font with Japanese glyphs from fonts-noto-cjk, or None (labels then fall back to
    matplotlib's default font and Japanese shows as boxes: the numbers stay right)."""
    return next((Path(p) for p in CJK_FONTS if Path(p).is_file()), None)


def chart_png(s: Summary, lang: str, *, font: Path | None = None) -> bytes | None:
    """A horizontal bar chart per currency, categories as bars; None when nothing has a total."""
    if not s.currencies:
        return None
    s = replace(s, currencies=s.currencies[:MAX_CHART_CURRENCIES])  # the text lists them all
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    font = font if font is not None else cjk_font()
    props = FontProperties(fname=str(font)) if font else FontProperties()
    rows = sum(len(c.by_category) for c in s.currencies)
    fig = Figure(figsize=(7, 1.2 + 0.45 * rows + 0.9 * len(s.currencies)), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(s.currencies), 1, squeeze=False)[:, 0]
    for ax, c in zip(axes, s.currencies, strict=True):
        labels = [category_label(cat, lang) for cat, _ in c.by_category][::-1]
        values = [float(v) for _, v in c.by_category][::-1]  # plotting only; totals stay Decimal
        bars = ax.barh(range(len(values)), values, color="#4C72B0")
        ax.set_yticks(range(len(values)), labels, fontproperties=props)
        for bar, (_, v) in zip(bars, c.by_category[::-1], strict=True):
            ax.annotate(money(v), (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                        xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
        ax.set_title(strings.t("receipts.chart_title", lang, currency=c.currency)
                     + f": {money(c.total)}", fontproperties=props)
        ax.margins(x=0.2)
        ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def csv_bytes(entries: Sequence[Entry], *, refs: Sequence[str] | None = None,
              image_names: Mapping[str, str] | None = None) -> bytes:
    """Every receipt, one row each, every field (invoice compliance and approval included).
    ``refs``: each entry's reference (``export_common.reference``: thread and number), which
    ``image_names`` (the image archive's names) are keyed by."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for i, e in enumerate(entries):
        r, a = e.receipt, e.approval
        ref = refs[i] if refs is not None else ""
        writer.writerow([csv_cell(v) for v in (
            e.n, r.merchant, r.date.isoformat() if r.date else "", amount_str(r.total),
            amount_str(r.subtotal), amount_str(r.tax), amount_str(r.tax_rate), r.currency,
            r.payment_method, r.category, r.invoice_number, r.invoice_number_valid,
            r.invoice_compliant, ";".join(r.invoice_missing),
            "; ".join(f"{i.name}: {amount_str(i.amount)}" for i in r.items),
            e.duplicate_of, e.added_by,
            datetime.fromtimestamp(e.added_at, UTC).isoformat(timespec="seconds"),
            ";".join(dict.fromkeys(c.field for c in e.corrections)), e.added_by_name,
            a.status, a.by_name or a.by if a.decided else "",
            datetime.fromtimestamp(a.at, UTC).isoformat(timespec="seconds") if a.decided else "",
            a.reason, ref, (image_names or {}).get(ref, ""))])
    return "\ufeff".encode() + buf.getvalue().encode("utf-8")


def csv_cell(value: object) -> str:
    """One CSV cell: empty for None, true/false, and a leading quote on anything a spreadsheet
    would run as a formula (=, +, -, @)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
