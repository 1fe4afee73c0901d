"""Approvals, reports and exports in an expense thread, as typed values.

- ``approve #2``, ``#2 approve``, ``承認 #2``, ``2番を承認`` -> ``Decide(2, "approved")``;
  ``reject #3: no receipt number``, ``#3 reject: …``, ``#3 却下 理由: …``, ``却下 #3 …`` ->
  ``Decide(3, "rejected", reason)``. A rejection needs a reason (``ParseError``
  ``expense.reason_needed`` without one); an approval may carry one.
- ``report``, ``レポート``, ``今月のレポート``, ``report for @alice``, ``report 2026-11`` ->
  ``Report(scope)``.
- ``export`` / ``csv`` / ``エクスポート`` (the generic CSV), ``export freee`` / ``freee``,
  ``export mf`` / ``マネーフォワード``, ``export images`` / ``zip`` / ``画像`` -> ``Export(kind,
  scope)``; a month or person narrows them like a report.

``parse_command(text, today=..., asker=...)`` returns one of them, a ``ParseError`` for a command
that is malformed, or None when the message is none of these. Written by hand, like the
corrections grammar beside it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal

from bot.receipts.corrections import MAX_CHARS, MAX_NUMBER, ParseError, normalise
from bot.receipts.entry import MAX_REASON, Status
from bot.receipts.scope import Scope, read_scope

ExportKind = Literal["csv", "freee", "mf", "zip"]

_APPROVE = r"(?:approve|approved|承認(?:する|します|して)?)"
_REJECT = r"(?:reject|rejected|decline|却下(?:する|します|して)?|差し戻し|差戻し)"
_NUM = r"(?:#\s*(?P<n>\d+)|(?P<m>\d+)\s*番?)"
_REASON_HEAD = re.compile(r"^\s*(?:[:：=\-—]|because|reason\s*[:：]?|理由\s*[:：は]?|"
                          r"by reason of)\s*", re.IGNORECASE)
# "approve #2 …", "承認 2番 …" (verb first) and "#2 approve …", "2番を承認 …" (number first)
_VERB_FIRST = re.compile(rf"^(?P<verb>{_APPROVE}|{_REJECT})\s*{_NUM}(?P<rest>.*)$",
                         re.IGNORECASE | re.DOTALL)
_NUM_FIRST = re.compile(rf"^{_NUM}\s*(?:を|は)?\s*(?P<verb>{_APPROVE}|{_REJECT})(?P<rest>.*)$",
                        re.IGNORECASE | re.DOTALL)
_REPORT = re.compile(r"(?<![a-z])(?:report|expense report)(?![a-z])|レポート|報告書|精算書")
_EXPORTS: tuple[tuple[re.Pattern[str], ExportKind], ...] = (
    (re.compile(r"freee|フリー会計"), "freee"),
    (re.compile(r"(?<![a-z])(?:mf|money ?forward)(?![a-z])|マネーフォワード|マネフォ"), "mf"),
    (re.compile(r"(?<![a-z])(?:zip|images|photos|pictures)(?![a-z])|画像|写真|証憑"), "zip"),
    (re.compile(r"(?<![a-z])(?:csv|export|spreadsheet)(?![a-z])|エクスポート|書き出し"), "csv"),
)
_EXPORT_WORD = re.compile(r"(?<![a-z])(?:export|download)(?![a-z])|エクスポート|書き出し|"
                          r"出力|ダウンロード")
_FILLER = re.compile(r"(?<![a-z])(?:for|of|the|a|as|to|in|please|show|me|give|send|make|"
                     r"monthly|file|files|all|receipts?|format|with|and)(?![a-z])|"
                     r"[のをでにと、,.。!！]|ください|下さい|して|出して|見せて|作って|"
                     r"月次|全部|レシート|領収書|形式|用|まとめて")


@dataclass(frozen=True)
class Decide:
    """Approve or reject receipt ``n``."""

    n: int
    status: Status
    reason: str = ""


@dataclass(frozen=True)
class Report:
    scope: Scope


@dataclass(frozen=True)
class Export:
    kind: ExportKind
    scope: Scope


Command = Decide | Report | Export


def parse_command(text: str, *, today: date, asker: str = "") -> Command | ParseError | None:
    if len(text) > MAX_CHARS * 4:
        return None
    decided = _decide(_clean(text))
    if decided is not None:
        return decided
    t = normalise(text)
    if len(t) > MAX_CHARS or t.endswith(("?", "？")):
        return None
    scope, rest = read_scope(text, today=today, asker=asker)
    if _REPORT.search(rest):
        return Report(scope) if _only_filler(_REPORT.sub(" ", rest)) else None
    for pattern, kind in _EXPORTS:
        if pattern.search(rest):
            left = _EXPORT_WORD.sub(" ", pattern.sub(" ", rest))
            return Export(kind, scope) if _only_filler(left) else None
    return None


def _decide(raw: str) -> Decide | ParseError | None:
    """An approval or rejection: the verb and the number in either order, then the reason."""
    text = raw.strip()
    m = _VERB_FIRST.match(text) or _NUM_FIRST.match(text)
    if m is None:
        return None
    digits = m.group("n") or m.group("m")
    if len(digits) > 4 or not 1 <= int(digits) <= MAX_NUMBER:
        return ParseError("receipts.bad_number")
    rest = m.group("rest")
    if rest and not rest[0].isspace() and rest[0] not in ":：=-—" and rest[0].isascii() \
            and rest[0].isalnum():
        return None  # "approve #2x", "#2 approver": not this command
    reason = _REASON_HEAD.sub("", rest).strip()
    if len(reason) > MAX_REASON:
        return ParseError("expense.reason_too_long")
    status: Status = ("approved" if re.fullmatch(_APPROVE, m.group("verb"), re.IGNORECASE)
                      else "rejected")
    if status == "rejected" and not reason:
        return ParseError("expense.reason_needed")
    return Decide(int(digits), status, reason)


def _clean(text: str) -> str:
    """NFKC (full-width letters and digits), invisible and control characters dropped,
    whitespace collapsed; case kept (a reason is shown as written)."""
    text = unicodedata.normalize("NFKC", text)
    return " ".join("".join(c for c in text if unicodedata.category(c) not in
                            ("Cf", "Cc", "Co", "Cs") or c in " \n\t").split())


def _only_filler(t: str) -> bool:
    return not _FILLER.sub(" ", t).strip()
