"""Expense threads: receipts read into a ledger, corrected, summed up, on every platform.

A thread becomes an expense thread with ``@Miru receipts`` (or every thread of a channel whose
policy entry says ``receipts = true``). In one, the pipeline hands each message here instead of
to the engine:

- images go through the pipeline's own steps first (fetch, decode, the same gates, the verdict
  audited, the same replies for blocked, held and consent), and only allowed ones are processed
  and read: not a receipt -> said so, nothing added; unreadable -> retake tips, nothing added;
  otherwise added and answered with a card (unsure fields marked, no total asked for, totals
  that disagree and duplicates flagged);
- text is the thread's grammar (``bot.receipts.grammar``), run by
  ``bot.core.receipt_commands``: a correction, ``remove N``, ``undo``, ``summary`` (totals, a
  chart PNG and a CSV as files), a question answered from the ledger, a report, an export, an
  approval or rejection; anything else is answered with examples.

Each card carries Approve and Reject buttons (``bot.core.actions``) where the policy's
``[receipts] approvals`` is on: a press is the presser typing ``approve #N`` in the thread.
The processed image of each added receipt is kept, encrypted, for the ledger's retention
(``bot.receipts.images``), so the image export can carry it.

Team permissions: everything in an expense thread keeps a ledger, so it needs the ``edit``
level stamped on the message (``IncomingMessage.access``, resolved by the gateway); files that
take data out (the summary's and reports' CSV, exports) need ``share``; approvals ``approve``.

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
from bot.core.actions import button
from bot.core.delivery import Delivery
from bot.core.outcome import Outcome
from bot.core.receipt_commands import EDITS, Said, ThreadCommands
from bot.core.safetext import neutralise
from bot.core.steps import Steps
from bot.errors import StoreUnavailable
from bot.models import Attachment, Image, IncomingMessage, ReplyAction, ReplyKind, Status
from bot.ports import Conversation
from bot.receipts.card import card
from bot.receipts.corrections import StartReceipts, parse
from bot.receipts.entry import Entry
from bot.receipts.grammar import understand
from bot.receipts.ledger import Ledger
from config.policy import Level
from safety.types import Action

log = logging.getLogger(__name__)

MAX_BUTTONS = 20  # buttons under one reply (two per receipt; Discord shows 25 at most)


class ReceiptThreads:
    """The expense-thread branch of the pipeline (a ``bot.core.steps.Branch``): it runs the
    pipeline's shared ``steps`` (fetch, gates, verdict replies, reply, audit) on their
    services."""

    def __init__(self, steps: Steps) -> None:
        self.steps = steps
        self.s = steps.s
        self.commands = (ThreadCommands(steps, self.s.ledger, self.s.receipt_images)
                         if self.s.ledger is not None else None)

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
        assert self.ledger is not None and self.commands is not None
        msg = conv.message
        cmd = (understand(msg.text, today=self.commands.today(), asker=msg.user)
               if msg.text.strip() else None)
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
        elif isinstance(cmd, EDITS) and not await delivery.claim():
            return  # a job run twice edits the ledger (and audits) once
        else:
            said = await self.commands.run(msg, out, cmd, self.buttons)
            await self._reply(conv, out, delivery, said.text, attachments=said.attachments,
                              actions=said.actions)

    def buttons(self, entry: Entry, lang: str) -> tuple[ReplyAction, ...]:
        """Approve and Reject under a receipt's card (none where approvals are off)."""
        if not self.s.policy.receipts.approvals:
            return ()
        return (button(strings.t("expense.button.approve", lang), f"approve #{entry.n}",
                       Level.APPROVE, style="primary"),
                button(strings.t("expense.button.reject", lang), f"reject #{entry.n}",
                       Level.APPROVE, ask=True, style="danger"))

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
        actions: list[ReplyAction] = []
        for d in out.decoded:
            blur = verdict.faces(d.index) if verdict.action is Action.ALLOW_BLURRED else ()
            img = await self.s.ingestor.process(raw[d.index], d, blur=blur)
            out.images.append(img)
            said = await self._read_one(msg, out, img, msg.images[d.index].name)
            parts.append(said.text)
            actions.extend(said.actions)
        parts.extend(r.message for r in out.rejections)
        await self._reply(conv, out, delivery, "\n\n".join(parts),
                          actions=tuple(actions[:MAX_BUTTONS]))

    async def _read_one(self, msg: IncomingMessage, out: Outcome, img: Image, name: str
                        ) -> Said:
        """Read one allowed image; add it (and keep its image) when it is a readable receipt.
        What to show: the card and its buttons, or why nothing was added."""
        assert self.ledger is not None and self.s.read_receipt is not None
        lang = out.language
        receipt = await asyncio.to_thread(self.s.read_receipt, img)
        detail: dict[str, Any] = {"image": img.original_sha256}
        opinion = None
        if self.s.receipt_opinion is not None and receipt.is_receipt and receipt.readable:
            opinion = await self.s.receipt_opinion(img, receipt)  # a vision model's reading
            receipt = opinion.receipt
            detail["second_opinion"] = opinion.audit()
        actions: tuple[ReplyAction, ...] = ()
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
                                          img.original_sha256, user_name=msg.user_name)
            detail["image_kept"] = await self._keep_image(msg, img)
            text = card(entry, lang, checks=opinion.differ if opinion else (),
                        reading=opinion.reading if opinion else None)
            actions = self.buttons(entry, lang)
            # ``shared``: whether the uploader may take data out (``share``), which decides
            # whether the receipt.added integration event is sent (bot/evidence/events.py)
            detail.update(outcome="added", n=entry.n, duplicate_of=entry.duplicate_of,
                          shared=at_least(msg.access, Level.SHARE),
                          total_missing=receipt.total is None,
                          totals_disagree=receipt.totals_disagree,
                          unsure=list(receipt.unsure()))
        await self.steps.audit(msg, out, "receipt", detail=detail)
        return Said(text, actions=actions)

    async def _keep_image(self, msg: IncomingMessage, img: Image) -> bool:
        """The processed image, encrypted, for the ledger's retention (the image export); a
        failure is logged and the receipt stays (exports then say its image is missing)."""
        if self.s.receipt_images is None:
            return False
        try:
            return await self.s.receipt_images.put(msg.thread_key, img.original_sha256,
                                                   img.data)
        except StoreUnavailable as exc:
            log.warning("receipt image not kept: %s", exc.detail)
            return False

    async def _reply(self, conv: Conversation, out: Outcome, delivery: Delivery, text: str, *,
                     kind: ReplyKind = ReplyKind.ANSWER,
                     attachments: tuple[Attachment, ...] = (),
                     actions: tuple[ReplyAction, ...] = ()) -> None:
        """Answer in the thread, and keep the thread active so replies need no mention."""
        await self.steps.mark_active(conv.message, out)
        await self.steps.finish(conv, out, delivery, kind,
                                self.steps.cap(neutralise(text), out.language),
                                Status.ANSWERED, attachments=attachments, actions=actions)

