"""An expense report: a thread's receipts (or a workspace's, on the command line), for a month
or a person or all of them, summed up by approval status, currency, category, person and month.

Pure: entries in, lines of text out (the thread adds the chart and the CSV, the command line
prints it or writes the exports). Currencies are never added together; rejected receipts and
receipts without a total are named and not counted, as everywhere in expense threads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from bot import strings
from bot.receipts.answers import amounts, counted, not_counted, people, totals
from bot.receipts.entry import Entry
from bot.receipts.summary import category_label

MAX_GROUPS = 15  # rows per section (people, months); the rest are counted


def report_text(entries: Sequence[Entry], what: str, lang: str, *, threads: int = 1) -> str:
    """The report's text; ``what`` names its scope ("2026-11, Alice"); ``threads`` > 1 says
    how many expense threads it spans."""
    if not entries:
        return strings.t("expense.none_match", lang, what=what)
    counts = {s: sum(1 for e in entries if e.status == s)
              for s in ("approved", "pending", "rejected")}
    lines = [strings.t("expense.report_head", lang, what=what, count=len(entries))]
    if threads > 1:
        lines.append(strings.t("expense.report_threads", lang, count=threads))
    lines.append(strings.t("expense.report_status", lang, **counts))
    sums = totals(entries)
    if sums:
        lines.append(strings.t("expense.report_totals", lang, amounts=amounts(sums)))
        names = people(entries)
        lines += _section("expense.report_by_category", entries, lang,
                          lambda e: e.receipt.category or "none",
                          lambda key: category_label(key, lang))
        lines += _section("expense.report_by_person", entries, lang,
                          lambda e: e.added_by, lambda key: names.get(key, key))
        lines += _section("expense.report_by_month", entries, lang, _month,
                          lambda key: _month_label(key, lang))
    return "\n".join(lines + not_counted(entries, lang))


def _section(head: str, entries: Sequence[Entry], lang: str, key: Callable[[Entry], str],
             label: Callable[[str], str]) -> list[str]:
    groups: dict[str, list[Entry]] = {}
    for e in counted(entries):
        groups.setdefault(key(e), []).append(e)
    if len(groups) < 2 and head != "expense.report_by_category":
        return []  # one person or one month: the totals already say it

    def size(item: tuple[str, list[Entry]]) -> tuple[int, Decimal]:
        return (-len(item[1]), -sum(((e.receipt.total or Decimal(0)) for e in item[1]),
                                    Decimal(0)))

    ordered = sorted(groups.items(), key=size if head != "expense.report_by_month"
                     else lambda kv: (kv[0] == "", kv[0]))
    lines = [strings.t(head, lang)]
    lines += [f"  • {label(k)}: {amounts(totals(es))}" for k, es in ordered[:MAX_GROUPS]]
    if len(ordered) > MAX_GROUPS:
        lines.append("  • " + strings.t("expense.more", lang, count=len(ordered) - MAX_GROUPS))
    return lines


def _month(e: Entry) -> str:
    d = e.receipt.date
    return f"{d.year:04d}-{d.month:02d}" if d else ""


def _month_label(key: str, lang: str) -> str:
    if not key:
        return strings.t("expense.report_no_date", lang)
    year, month = key.split("-")
    return strings.t("expense.month", lang, year=int(year), month=int(month))
