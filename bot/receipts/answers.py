"""Answers to the thread's questions (``bot.receipts.queries``), from the ledger's entries.

Pure: entries and a question in, one sentence (or a few lines) out, in the asker's language.
Sums are per currency (currencies are never added together); rejected receipts and receipts
without a total are listed but not counted; categories show as the card shows them
(``Transport``/``交通費``), people by the name their platform showed when they posted (or
their id when none was known).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from bot import strings
from bot.receipts.card import card, field_label, field_value
from bot.receipts.entry import Entry
from bot.receipts.queries import (
    CountQuery,
    FieldQuery,
    ListQuery,
    MissingQuery,
    Query,
    SumQuery,
    TopQuery,
)
from bot.receipts.scope import Scope
from bot.receipts.summary import UNKNOWN_CURRENCY, category_label, money

MAX_LISTED = 20  # receipts named in one answer; the rest are counted


class NoSuchPerson(LookupError):
    """``@name`` matches nobody who posted receipts in this thread."""


def people(entries: Sequence[Entry]) -> dict[str, str]:
    """Platform user id -> the name shown (the latest one kept, else the id)."""
    names: dict[str, str] = {}
    for e in sorted(entries, key=lambda e: e.added_at):
        if e.added_by_name or e.added_by not in names:
            names[e.added_by] = e.added_by_name or e.added_by
    return names


def person_of(entries: Sequence[Entry], scope: Scope) -> str | None:
    """The platform user id the scope names (``@name`` matched against the names kept: the
    whole name, its start, or the id); raises ``NoSuchPerson`` for a name nobody has."""
    if scope.person_name is None:
        return scope.person
    wanted = scope.person_name.casefold()
    names = people(entries)
    ids = [uid for uid, name in names.items() if wanted in (uid.casefold(), name.casefold())]
    ids = ids or [uid for uid, name in names.items() if name.casefold().startswith(wanted)]
    if not ids:
        raise NoSuchPerson(scope.person_name)
    return ids[0]


def select(entries: Sequence[Entry], scope: Scope) -> list[Entry]:
    """The entries in ``scope``; raises ``NoSuchPerson`` for an ``@name`` nobody has."""
    person = person_of(entries, scope)
    return [e for e in entries
            if (person is None or e.added_by == person)
            and (scope.month is None or (e.receipt.date is not None
                                         and (e.receipt.date.year, e.receipt.date.month)
                                         == scope.month))
            and (scope.category is None or (e.receipt.category or "none") == scope.category)
            and (scope.currency is None or e.receipt.currency == scope.currency)
            and (scope.status is None or e.status == scope.status)]


def describe(scope: Scope, entries: Sequence[Entry], lang: str) -> str:
    """The scope in words ("Transport, 2026-12, Alice"), or "all receipts"."""
    parts = []
    if scope.category is not None:
        parts.append(category_label(scope.category, lang))
    if scope.month is not None:
        parts.append(strings.t("expense.month", lang, year=scope.month[0], month=scope.month[1]))
    if scope.person is not None or scope.person_name is not None:
        try:
            person = person_of(entries, scope) or ""
        except NoSuchPerson:
            person = ""
        parts.append(people(entries).get(person) or person or "@" + str(scope.person_name))
    if scope.currency is not None:
        parts.append(scope.currency)
    if scope.status is not None:
        parts.append(strings.t(f"expense.status.{scope.status}", lang))
    return ("、" if lang == "ja" else ", ").join(parts) or strings.t("expense.all", lang)


def answer(query: Query, entries: Sequence[Entry], lang: str) -> str:
    try:
        if isinstance(query, FieldQuery):
            return _field(query, entries, lang)
        scope = query.scope
        chosen = select(entries, scope)
    except NoSuchPerson as exc:
        return strings.t("expense.no_person", lang, name=str(exc))
    what = describe(scope, entries, lang)
    if isinstance(query, MissingQuery):
        return _missing(query.field, chosen, what, lang)
    if isinstance(query, CountQuery):
        counts = {s: sum(1 for e in chosen if e.status == s)
                  for s in ("approved", "pending", "rejected")}
        return strings.t("expense.count", lang, what=what, count=len(chosen), **counts)
    if not chosen:
        return strings.t("expense.none_match", lang, what=what)
    if isinstance(query, ListQuery):
        return strings.t("expense.list", lang, what=what, count=len(chosen),
                         list=listing(chosen, lang))
    if isinstance(query, TopQuery):
        return _top(chosen, entries, what, lang)
    assert isinstance(query, SumQuery)
    return _sum(chosen, what, lang)


def totals(entries: Sequence[Entry]) -> dict[str, tuple[Decimal, int]]:
    """Currency -> (total, receipts) of the counted entries (not rejected, with a total),
    largest count first."""
    sums: dict[str, tuple[Decimal, int]] = {}
    for e in counted(entries):
        cur = e.receipt.currency or UNKNOWN_CURRENCY
        total, n = sums.get(cur, (Decimal(0), 0))
        sums[cur] = (total + (e.receipt.total or Decimal(0)), n + 1)
    return dict(sorted(sums.items(), key=lambda kv: (-kv[1][1], kv[0])))


def counted(entries: Sequence[Entry]) -> list[Entry]:
    return [e for e in entries if e.status != "rejected" and e.receipt.total is not None]


def amounts(sums: dict[str, tuple[Decimal, int]]) -> str:
    return " · ".join(f"{money(total)} {cur} ({n})" for cur, (total, n) in sums.items())


def listing(entries: Sequence[Entry], lang: str) -> str:
    """"#2 (FamilyMart, 2026-11-28, 3,300 JPY), …" with at most ``MAX_LISTED`` named."""
    items = []
    for e in entries[:MAX_LISTED]:
        bits = [b for b in (e.receipt.merchant, field_value(e.receipt, "date", lang),
                            field_value(e.receipt, "total", lang)) if b]
        items.append(f"#{e.n}" + (f" ({', '.join(bits)})" if bits else ""))
    more = len(entries) - MAX_LISTED
    if more > 0:
        items.append(strings.t("expense.more", lang, count=more))
    return ", ".join(items)


def not_counted(entries: Sequence[Entry], lang: str) -> list[str]:
    """The lines that say which receipts a total leaves out, and why."""
    lines = []
    rejected = [f"#{e.n}" for e in entries if e.status == "rejected"]
    no_total = [f"#{e.n}" for e in entries if e.status != "rejected" and e.receipt.total is None]
    if rejected:
        lines.append(strings.t("expense.left_out_rejected", lang, list=", ".join(rejected)))
    if no_total:
        lines.append(strings.t("expense.left_out_no_total", lang, list=", ".join(no_total)))
    return lines


def _field(query: FieldQuery, entries: Sequence[Entry], lang: str) -> str:
    entry = next((e for e in entries if e.n == query.n), None)
    if entry is None:
        return strings.t("receipts.no_such", lang, n=query.n)
    if query.field is None:
        return card(entry, lang) + "\n" + status_line(entry, lang)
    value = field_value(entry.receipt, query.field, lang)
    label = field_label(query.field, lang)
    if value is None:
        return strings.t("expense.field_missing", lang, n=entry.n, field=label)
    return strings.t("expense.field_value", lang, n=entry.n, field=label, value=value)


def status_line(entry: Entry, lang: str) -> str:
    a = entry.approval
    if not a.decided:
        return strings.t("expense.status_line.pending", lang, n=entry.n)
    reason = f" ({a.reason})" if a.reason else ""
    return strings.t(f"expense.status_line.{a.status}", lang, n=entry.n,
                     by=a.by_name or a.by, reason=reason)


def _sum(chosen: Sequence[Entry], what: str, lang: str) -> str:
    sums = totals(chosen)
    head = (strings.t("expense.sum", lang, what=what, amounts=amounts(sums)) if sums
            else strings.t("expense.sum_nothing", lang, what=what))
    return "\n".join([head, *not_counted(chosen, lang)])


def _top(chosen: Sequence[Entry], everyone: Sequence[Entry], what: str, lang: str) -> str:
    names = people(everyone)
    by_person: dict[str, list[Entry]] = {}
    for e in counted(chosen):
        by_person.setdefault(e.added_by, []).append(e)
    if not by_person:
        return strings.t("expense.sum_nothing", lang, what=what)
    lines = [strings.t("expense.top_head", lang, what=what)]
    currencies = list(totals(chosen))
    for cur in currencies:  # ranked per currency: amounts in two currencies never compare
        ranked = sorted(((uid, totals(es).get(cur)) for uid, es in by_person.items()),
                        key=lambda kv: -(kv[1][0] if kv[1] else Decimal(-1)))
        for rank, (uid, got) in enumerate((r for r in ranked if r[1]), start=1):
            assert got is not None
            lines.append(f"{rank}. {names.get(uid, uid)}: {money(got[0])} {cur} ({got[1]})")
    return "\n".join(lines + not_counted(chosen, lang))


def _missing(field: str, chosen: Sequence[Entry], what: str, lang: str) -> str:
    def lacks(e: Entry) -> bool:
        r = e.receipt
        if field == "invoice_number":  # only receipts that could carry one (Japanese)
            japanese = r.invoice_compliant is not None or r.currency == "JPY"
            return japanese and (r.invoice_number is None or r.invoice_number_valid is False)
        return field_value(r, field, lang) is None

    found = [e for e in chosen if lacks(e)]
    label = field_label(field, lang)
    if not found:
        return strings.t("expense.missing_none", lang, what=what, field=label)
    return strings.t("expense.missing", lang, field=label, count=len(found),
                     list=listing(found, lang))

