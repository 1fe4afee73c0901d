"""What an expense thread says to text: corrections and edits, questions, reports, exports and
approvals (``bot.receipts.grammar`` reads the message; this runs it on the thread's ledger).

- **Edits** (corrections, ``remove``, ``undo``) and **approvals** run after the reply claim (a
  job run twice edits once) and are audited (``receipt_edit``; ``receipt_approval`` for every
  decision: the receipt, approved or rejected, the status before, the reason). A correction that
  changes a decided receipt's figures puts it back to pending, and says so.
- **Approvals** need the ``approve`` level (``config.policy.Level``; ``/miru admin grant @x
  approve``) and the policy's ``[receipts] approvals`` on; a rejection needs a reason.
- **Questions** and **reports** read the ledger; a report's chart and CSV need ``share``, like
  the summary's CSV.
- **Exports** (the generic CSV, freee, Money Forward, the image zip) need ``share``, name what
  they leave out and why, and are audited (``receipt_export``: kind and count, no content).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot import strings
from bot.core.access import at_least
from bot.core.steps import Steps
from bot.models import Attachment, IncomingMessage, ReplyAction, ThreadKey
from bot.receipts.answers import answer, describe, people, select
from bot.receipts.card import card, field_label
from bot.receipts.commands import Decide, Export, Report
from bot.receipts.corrections import (
    ParseError,
    Remove,
    SetField,
    ShowSummary,
    StartReceipts,
    Undo,
    apply,
)
from bot.receipts.entry import Entry
from bot.receipts.export_common import Item, reference
from bot.receipts.exports import make_export
from bot.receipts.grammar import Understood, Unknown
from bot.receipts.images import ReceiptImages
from bot.receipts.ledger import Ledger
from bot.receipts.queries import UnknownQuestion
from bot.receipts.report import report_text
from bot.receipts.summary import chart_png, csv_bytes, summarize, summary_text
from config.policy import Level

log = logging.getLogger(__name__)

MAX_THREAD_ARCHIVE_BYTES = 8 * 1024 * 1024  # a zip posted in a thread (Discord's upload limit)
EDITS = (SetField, Remove, Undo, Decide, Export)  # run once per request: after the reply claim


@dataclass(frozen=True)
class Said:
    """The thread's answer: text, files, buttons."""

    text: str
    attachments: tuple[Attachment, ...] = ()
    actions: tuple[ReplyAction, ...] = ()


class ThreadCommands:
    """Runs one understood message on the thread's ledger (``Steps`` for audit records)."""

    def __init__(self, steps: Steps, ledger: Ledger, images: ReceiptImages | None) -> None:
        self.steps = steps
        self.ledger = ledger
        self.images = images
        self.policy = steps.s.policy.receipts

    def today(self) -> date:
        """Today in the policy's time zone (for "this month", "今月")."""
        return datetime.fromtimestamp(self.steps.s.clock.now(), self.policy.tz()).date()

    async def run(self, msg: IncomingMessage, out: Any, cmd: Understood,
                  buttons: Any) -> Said:
        """``buttons(entry, lang)``: the Approve/Reject buttons of a receipt's card."""
        lang, thread = out.language, msg.thread_key
        if isinstance(cmd, ParseError):
            text = strings.t(cmd.key, lang)
            if cmd.key.startswith("receipts."):
                text += "\n" + strings.t("receipts.forms", lang)
            return Said(text)
        if isinstance(cmd, Unknown):
            return Said(strings.t("expense.unknown", lang))
        if isinstance(cmd, UnknownQuestion):
            return Said(strings.t("expense.question_help", lang))
        if isinstance(cmd, Decide):
            return await self._decide(msg, out, cmd, buttons)
        if isinstance(cmd, Report):
            return await self._report(msg, lang, cmd)
        if isinstance(cmd, Export):
            return await self._export(msg, out, cmd)
        if isinstance(cmd, ShowSummary):
            entries = await self.ledger.entries(thread)
            csv = at_least(msg.access, Level.SHARE)
            text, files = await asyncio.to_thread(_summary_files, thread, entries, lang,
                                                  csv=csv)
            if entries and not csv:
                text += "\n" + strings.t("access.no_csv", lang)
            return Said(text, files)
        if isinstance(cmd, Undo):
            undone = await self.ledger.undo(thread)
            if undone:
                await self._audit(msg, out, "receipt_edit", {"op": "undo", "n": undone.n,
                                                              "undid": undone.op})
            return Said(strings.t(f"receipts.undone_{undone.op}", lang, n=undone.n) if undone
                        else strings.t("receipts.nothing_to_undo", lang))
        if isinstance(cmd, Remove):
            removed = await self.ledger.remove(thread, cmd.n)
            if removed:
                await self._audit(msg, out, "receipt_edit", {"op": "remove", "n": cmd.n})
            return Said(strings.t("receipts.removed" if removed else "receipts.no_such", lang,
                                  n=cmd.n))
        if isinstance(cmd, SetField):
            return await self._correct(msg, out, cmd, buttons)
        assert not isinstance(cmd, StartReceipts)  # the branch answers that itself
        # a question (bot.receipts.queries): read-only
        return Said(answer(cmd, await self.ledger.entries(thread), lang))

    async def _correct(self, msg: IncomingMessage, out: Any, cmd: SetField,
                       buttons: Any) -> Said:
        lang = out.language
        result = await self.ledger.correct(msg.thread_key, msg.user, cmd.n,
                                           lambda r: apply(r, cmd), cmd.field, cmd.shown())
        if result is None:
            return Said(strings.t("receipts.no_such" if cmd.n else "receipts.empty", lang,
                                  n=cmd.n or 0))
        before, after = result
        was = getattr(before.receipt, cmd.field)
        await self._audit(msg, out, "receipt_edit", {
            "op": "correct", "n": after.n, "field": cmd.field, "value": cmd.shown()[:100],
            "was": None if was is None else str(was)[:100]})
        text = strings.t("receipts.corrected", lang, n=after.n,
                         field=field_label(cmd.field, lang), value=cmd.shown())
        text += "\n\n" + card(after, lang)
        if before.approval.decided and not after.approval.decided:
            await self._audit(msg, out, "receipt_approval", {
                "n": after.n, "status": "pending", "was": before.status, "why": "corrected"})
            text += "\n" + strings.t("expense.back_to_pending", lang, n=after.n,
                                     status=strings.t(f"expense.status.{before.status}", lang))
        return Said(text, actions=buttons(after, lang))

    async def _decide(self, msg: IncomingMessage, out: Any, cmd: Decide, buttons: Any) -> Said:
        lang = out.language
        if not self.policy.approvals:
            return Said(strings.t("expense.approvals_off", lang))
        if not at_least(msg.access, Level.APPROVE):
            return Said(strings.t("expense.need_approve", lang, level=msg.access))
        name = msg.user_name or msg.user
        result = await self.ledger.decide(msg.thread_key, cmd.n, cmd.status, msg.user,
                                          by_name=msg.user_name, reason=cmd.reason)
        if result is None:
            return Said(strings.t("receipts.no_such", lang, n=cmd.n))
        before, after = result
        if after is before:
            a = before.approval
            return Said(strings.t("expense.already", lang, n=cmd.n, by=a.by_name or a.by))
        # the approver is the record's actor (a pseudonym): no name in the audit log
        await self._audit(msg, out, "receipt_approval", {
            "n": cmd.n, "status": cmd.status, "was": before.status,
            "reason": after.approval.reason})
        key = "expense.approved" if cmd.status == "approved" else "expense.rejected"
        return Said(strings.t(key, lang, n=cmd.n, by=name, reason=after.approval.reason))

    async def _report(self, msg: IncomingMessage, lang: str, cmd: Report) -> Said:
        entries = await self.ledger.entries(msg.thread_key)
        try:
            chosen = select(entries, cmd.scope)
        except LookupError as exc:
            return Said(strings.t("expense.no_person", lang, name=str(exc)))
        what = describe(cmd.scope, entries, lang)
        text = report_text(chosen, what, lang)
        if not chosen:
            return Said(text)
        share = at_least(msg.access, Level.SHARE)
        _, files = await asyncio.to_thread(_summary_files, msg.thread_key, chosen, lang,
                                           csv=share, name="receipts-report")
        if not share:
            text += "\n" + strings.t("access.no_csv", lang)
        return Said(text, files)

    async def _export(self, msg: IncomingMessage, out: Any, cmd: Export) -> Said:
        lang, thread = out.language, msg.thread_key
        if not at_least(msg.access, Level.SHARE):
            return Said(strings.t("expense.need_share", lang, level=msg.access))
        entries = await self.ledger.entries(thread)
        try:
            chosen = select(entries, cmd.scope)
        except LookupError as exc:
            return Said(strings.t("expense.no_person", lang, name=str(exc)))
        what = describe(cmd.scope, entries, lang)
        items = [Item(thread, e) for e in chosen]
        made = await make_export(cmd.kind, items, people(entries), lang, self.policy,
                                 self.images, max_bytes=MAX_THREAD_ARCHIVE_BYTES)
        await self._audit(msg, out, "receipt_export", {"kind": cmd.kind, "count": made.count,
                                                        "left_out": made.left_out_count})
        if made.count == 0:
            return Said("\n".join([strings.t("expense.export_empty", lang, what=what),
                                   *made.notes]))
        head = strings.t("expense.export_done", lang, what=what, count=made.count,
                         kind=strings.t(f"expense.export_kind.{cmd.kind}", lang))
        return Said("\n".join([head, *made.notes]), made.files)

    async def _audit(self, msg: IncomingMessage, out: Any, kind: Any, detail: dict) -> None:
        await self.steps.audit(msg, out, kind, detail=detail)


def _summary_files(thread: ThreadKey, entries: list[Entry], lang: str, *, csv: bool = True,
                   name: str = "receipts") -> tuple[str, tuple[Attachment, ...]]:
    """The summary's text and its files (chart when anything has a total, CSV when anything
    is in the ledger and ``csv``); matplotlib runs here, off the event loop."""
    s = summarize(entries)
    files = []
    png = chart_png(s, lang)
    if png is not None:
        files.append(Attachment(f"{name}-summary.png" if name == "receipts" else f"{name}.png",
                                png, "image/png"))
    if entries and csv:
        refs = [reference(Item(thread, e)) for e in entries]
        files.append(Attachment(f"{name}.csv", csv_bytes(entries, refs=refs), "text/csv"))
    return summary_text(s, lang), tuple(files)
