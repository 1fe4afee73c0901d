"""Expense threads: receipts read into a ledger, corrected, summed up, on every platform.

A thread becomes an expense thread with ``@Miru receipts`` (or every thread of a channel whose
policy entry says ``receipts = true``). In one, the pipeline hands each message here instead of
to the engine:

- images go through the pipeline's own steps first (fetch, decode, the same gates, the verdict
  audited, the same replies for blocked, held and consent), and only allowed ones are processed
  and read: not a receipt -> said so, nothing added; unreadable -> retake tips, nothing added;
  otherwise added and answered with a card (unsure fields marked, no total asked for, totals
  that disagree and duplicates flagged);
- text is the thread's grammar (``bot.receipts.corrections``): a correction, ``remove N``,
  ``undo`` or ``summary`` (totals, a chart PNG and a CSV as files); anything else is answered
  with the accepted forms.

Team permissions: everything in an expense thread keeps a ledger, so it needs the ``edit``
level stamped on the message (``IncomingMessage.access``, resolved by the gateway); the
summary's CSV is an export and needs ``share`` (without it the summary comes without the CSV).

Every ledger edit happens after the reply claim (a job run twice edits once) and is audited
(``receipt``, ``receipt_edit``). Replies pass through ``neutralise``: a merchant name read from
a photo never becomes a link or a mention.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

from bot import strings
from bot.core.access import at_least
from bot.core.delivery import Delivery
from bot.core.outcome import Outcome
from bot.core.safetext import neutralise
from bot.core.steps import Steps
from bot.errors import StoreUnavailable
from bot.models import Attachment, Image, IncomingMessage, ReplyKind, Status
from bot.ports import Conversation
from bot.receipts.card import card, field_label
from bot.receipts.corrections import (
    ParseError,
    Remove,
    SetField,
    ShowSummary,
    StartReceipts,
    ThreadCommand,
    Undo,
    apply,
    parse,
)
from bot.receipts.ledger import Entry, Ledger
from bot.receipts.summary import chart_png, csv_bytes, summarize, summary_text
from config.policy import Level
from safety.types import Action

log = logging.getLogger(__name__)


class ReceiptThreads:
    """The expense-thread branch of the pipeline (a ``bot.core.steps.Branch``): it runs the
    pipeline's shared ``steps`` (fetch, gates, verdict replies, reply, audit) on their
    services."""

    def __init__(self, steps: Steps) -> None:
        self.steps = steps
        self.s = steps.s

    @property
    def ledger(self) -> Ledger | None:
        return self.s.ledger

    async def wants(self, msg: IncomingMessage) -> bool:
        """True when ``msg`` belongs to an expense thread (or starts one)."""
        if self.ledger is None or self.s.read_receipt is None:
            return False
        if isinstance(parse(msg.text), StartReceipts) if msg.text.strip() else False:
            return True
        if self.s.policy.channel(msg.channel).receipts:
            return True
        try:
            return await self.ledger.is_expense_thread(msg.thread_key)
        except StoreUnavailable as exc:  # cannot tell: the ordinary path answers
            log.warning("expense-thread check failed: %s", exc.detail)
            return False

    async def handle(self, conv: Conversation, out: Outcome, delivery: Delivery) -> None:
        assert self.ledger is not None
        msg = conv.message
        cmd = parse(msg.text) if msg.text.strip() else None
        if not at_least(msg.access, Level.EDIT):
            await self._reply(conv, out, delivery, strings.t("access.need_edit", out.language,
                                                             level=msg.access),
                              kind=ReplyKind.INFO)
            return
        started = await self.ledger.start(msg.thread_key)
        if msg.images:
            await self._images(conv, out, delivery, started)
        elif isinstance(cmd, StartReceipts) or cmd is None:
            count = len(await self.ledger.entries(msg.thread_key))
            text = (strings.t("receipts.started", out.language) if started or not count
                    else strings.t("receipts.already", out.language, count=count))
            await self._reply(conv, out, delivery, text)
        elif isinstance(cmd, ParseError):
            await self._reply(conv, out, delivery, strings.t(cmd.key, out.language) + "\n"
                              + strings.t("receipts.forms", out.language), kind=ReplyKind.INFO)
        elif await delivery.claim():  # a job run twice edits the ledger once
            await self._command(conv, out, delivery, cmd)

    async def _images(self, conv: Conversation, out: Outcome, delivery: Delivery,
                      started: bool) -> None:
        msg, lang = conv.message, out.language
        raw = await self.steps.ingest(conv, out)
        if not out.decoded:
            text = "\n".join(r.message for r in out.rejections)
            await self.steps.finish(conv, out, delivery, ReplyKind.REJECTED,
                                    text + "\n" + strings.t("reject.no_images", lang),
                                    Status.FAILED)
            return
        verdict = await self.steps.screen(msg, out)
        if not await self.steps.act_on_verdict(conv, out, delivery, verdict, raw):
            return
        if not await delivery.claim():
            return
        parts = [strings.t("receipts.started", lang)] if started else []
        for d in out.decoded:
            blur = verdict.faces(d.index) if verdict.action is Action.ALLOW_BLURRED else ()
            img = await self.s.ingestor.process(raw[d.index], d, blur=blur)
            out.images.append(img)
            parts.append(await self._read_one(msg, out, img, msg.images[d.index].name))
        parts.extend(r.message for r in out.rejections)
        await self._reply(conv, out, delivery, "\n\n".join(parts))

    async def _read_one(self, msg: IncomingMessage, out: Outcome, img: Image, name: str) -> str:
        """Read one allowed image; add it when it is a readable receipt. The sentence to show."""
        assert self.ledger is not None and self.s.read_receipt is not None
        lang = out.language
        receipt = await asyncio.to_thread(self.s.read_receipt, img)
        detail: dict[str, Any] = {"image": img.original_sha256}
        if not receipt.is_receipt:
            text = strings.t("receipts.not_receipt", lang, name=name)
            detail["outcome"] = "not_receipt"
        elif not receipt.readable:
            tips = " ".join(strings.t(k, lang) for k in receipt.retake_tips
                            if k in strings.MESSAGES) or strings.t("receipts.retake_generic", lang)
            text = strings.t("receipts.unreadable", lang, name=name, tips=tips)
            detail["outcome"] = "unreadable"
        else:
            entry = await self.ledger.add(msg.thread_key, msg.user, replace(receipt, ocr_text=""),
                                          img.original_sha256)
            text = card(entry, lang)
            # ``shared``: whether the uploader may take data out (``share``), which decides
            # whether the receipt.added integration event is sent (bot/evidence/events.py)
            detail.update(outcome="added", n=entry.n, duplicate_of=entry.duplicate_of,
                          shared=at_least(msg.access, Level.SHARE),
                          total_missing=receipt.total is None,
                          totals_disagree=receipt.totals_disagree,
                          unsure=list(receipt.unsure()))
        await self.steps.audit(msg, out, "receipt", detail=detail)
        return text

    async def _command(self, conv: Conversation, out: Outcome, delivery: Delivery,
                       cmd: ThreadCommand) -> None:
        assert self.ledger is not None
        msg, lang, thread = conv.message, out.language, conv.message.thread_key
        attachments: tuple[Attachment, ...] = ()
        if isinstance(cmd, ShowSummary):
            entries = await self.ledger.entries(thread)
            csv = at_least(msg.access, Level.SHARE)
            text, attachments = await asyncio.to_thread(_summary_files, entries, lang, csv=csv)
            if entries and not csv:
                text += "\n" + strings.t("access.no_csv", lang)
        elif isinstance(cmd, Undo):
            undone = await self.ledger.undo(thread)
            text = (strings.t(f"receipts.undone_{undone.op}", lang, n=undone.n) if undone
                    else strings.t("receipts.nothing_to_undo", lang))
            if undone:
                await self._audit_edit(msg, out, "undo", undone.n, undid=undone.op)
        elif isinstance(cmd, Remove):
            removed = await self.ledger.remove(thread, cmd.n)
            text = strings.t("receipts.removed" if removed else "receipts.no_such", lang, n=cmd.n)
            if removed:
                await self._audit_edit(msg, out, "remove", cmd.n)
        else:
            assert isinstance(cmd, SetField)
            result = await self.ledger.correct(thread, msg.user, cmd.n,
                                               lambda r: apply(r, cmd), cmd.field, cmd.shown())
            if result is None:
                text = strings.t("receipts.no_such" if cmd.n else "receipts.empty", lang,
                                 n=cmd.n or 0)
            else:
                before, after = result
                was = getattr(before.receipt, cmd.field)
                await self._audit_edit(msg, out, "correct", after.n, field=cmd.field,
                                       value=cmd.shown()[:100],
                                       was=None if was is None else str(was)[:100])
                text = strings.t("receipts.corrected", lang, n=after.n,
                                 field=field_label(cmd.field, lang), value=cmd.shown())
                text += "\n\n" + card(after, lang)
        await self._reply(conv, out, delivery, text, attachments=attachments)

    async def _audit_edit(self, msg: IncomingMessage, out: Outcome, op: str, n: int,
                          **detail: Any) -> None:
        await self.steps.audit(msg, out, "receipt_edit", detail={"op": op, "n": n, **detail})

    async def _reply(self, conv: Conversation, out: Outcome, delivery: Delivery, text: str, *,
                     kind: ReplyKind = ReplyKind.ANSWER,
                     attachments: tuple[Attachment, ...] = ()) -> None:
        """Answer in the thread, and keep the thread active so replies need no mention."""
        await self.steps.mark_active(conv.message, out)
        await self.steps.finish(conv, out, delivery, kind,
                                self.steps.cap(neutralise(text), out.language),
                                Status.ANSWERED, attachments=attachments)


def _summary_files(entries: list[Entry], lang: str, *, csv: bool = True
                   ) -> tuple[str, tuple[Attachment, ...]]:
    """The summary's text and its files (chart when anything has a total, CSV when anything
    is in the ledger and ``csv``); matplotlib runs here, off the event loop."""
    s = summarize(entries)
    files = []
    png = chart_png(s, lang)
    if png is not None:
        files.append(Attachment("receipts-summary.png", png, "image/png"))
    if entries and csv:
        files.append(Attachment("receipts.csv", csv_bytes(entries), "text/csv"))
    return summary_text(s, lang), tuple(files)
