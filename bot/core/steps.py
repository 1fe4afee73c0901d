"""The steps every request path shares: fetch and decode, screen, act on the verdict, preserve
evidence, post the reply once, audit.

``Pipeline`` runs them for an ordinary question; a branch that takes over a request (an expense
thread, ``bot.core.receipt_thread``) gets the same ``Steps`` object from ``bot.app``, so its
images meet exactly the same fetch, gates, verdict replies and audit as every other upload.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Protocol

from bot import strings
from bot.core.delivery import Delivery
from bot.core.outcome import Outcome, Rejection
from bot.core.request_text import cues_of, read_texts
from bot.errors import FetchError, InputRejected, StoreUnavailable, TooManyFiles
from bot.models import (
    Attachment,
    AuditKind,
    IncomingMessage,
    Reply,
    ReplyAction,
    ReplyKind,
    Status,
)
from bot.ports import Conversation
from bot.review.keep import EvidenceKeeper, Preserved
from bot.services import Services
from safety.policy import combine, context_for, decide_again, redecide
from safety.types import Action, Verdict

log = logging.getLogger(__name__)

_STOPS = (Action.HOLD, Action.BLOCK, Action.BLOCK_AND_PRESERVE)
# Where nobody is told the decision later (the command line has exited, an API answer is
# final), the held notice promises nothing.
_UNDER_REVIEW = {"cli": "operator.under_review", "api": "api.under_review"}


class Branch(Protocol):
    """A flow that takes over some requests from the pipeline (an expense thread). The pipeline
    asks ``wants`` first and, when it says yes, hands the request to ``handle`` with the
    request's ``Outcome`` and reply ``Delivery``; the branch runs the shared ``Steps`` it was
    built with."""

    async def wants(self, msg: IncomingMessage) -> bool: ...

    async def handle(self, conv: Conversation, out: Outcome, delivery: Delivery) -> None: ...


class Steps:
    """The shared steps over one ``Services`` bundle and the evidence ``keeper`` (wired in
    ``bot.app``)."""

    def __init__(self, services: Services, keeper: EvidenceKeeper) -> None:
        self.s = services
        self.keeper = keeper

    async def ingest(self, conv: Conversation, out: Outcome) -> dict[int, bytes]:
        raw: dict[int, bytes] = {}
        limit = self.s.settings.max_files
        _, tier = self.s.policy.tier_for(conv.message.workspace)  # the plan's largest image
        max_bytes = min(self.s.settings.max_bytes, int(tier.max_image_mb * 1024 * 1024))
        for i, ref in enumerate(conv.message.images):
            try:
                if i >= limit:
                    raise TooManyFiles(f"file {i + 1} of {len(conv.message.images)}",
                                       name=ref.name, limit=limit)
                with self.s.metrics.time("fetch"):
                    data = await conv.fetch(ref, max_bytes)
                with self.s.metrics.time("ingest"):
                    decoded = await self.s.ingestor.decode(data, index=i, name=ref.name)
            except (InputRejected, FetchError) as exc:
                out.rejections.append(Rejection(i, ref.name, exc.code,
                                                exc.user_message(out.language, name=ref.name)))
                await self.audit(conv.message, out, "rejected",
                                  detail={"index": i, "code": exc.code})
                continue
            raw[i] = data
            out.decoded.append(decoded)
        return raw

    async def screen(self, msg: IncomingMessage, out: Outcome) -> Verdict:
        """Fresh images through the gates, stored ones from their kept findings and their
        hashes matched against the hash lists as they are now (a list may have grown since
        the image was stored): all with the channel's policy as it is now and the minor cues
        of every text that bears on the request, found once (``safety.context``, in a worker
        thread): this message, the thread's turns the answer uses (``out.history``), the
        stored images' text and the fresh images' text (read here beside the gates, once,
        never for an image a hash list names: the answer's OCR block reuses it)."""
        ctx = context_for(self.s.policy, msg.channel, msg.text,
                          consent_confirmed=msg.consent_confirmed,
                          platform_audience=msg.platform_audience)
        turns = [t.text for t in out.history if t.role == "user"]
        cues = self.s.policy.cues
        ctx = replace(ctx, cues=await cues_of(cues, msg.text, turns,
                                              [img.ocr_text for img in out.stored]))
        parts: list[Verdict] = []
        if out.decoded:
            # the images' text is read beside the gates, never for an image a hash list names
            named = self.s.hashes is not None and any(
                self.s.hashes.match(d.original_sha256, d.pdq_variants, d.index)
                for d in out.decoded)
            reading = None if named else asyncio.ensure_future(
                read_texts(self.s.ocr_frame, out.decoded, out.image_texts))
            try:
                with self.s.metrics.time("gates"):
                    fresh = await self.s.screener.screen(out.decoded, ctx)
            except BaseException:
                if reading is not None:
                    reading.cancel()
                raise
            if reading is not None and fresh.action is Action.BLOCK_AND_PRESERVE:
                reading.cancel()  # nothing stricter: the text cannot change it
            elif reading is not None:
                texts = await reading
                extra = await cues_of(cues, "", (), texts)
                if extra:
                    ctx = replace(ctx, cues=(*(ctx.cues or ()), *extra))
                    fresh = decide_again(fresh, ctx, self.s.policy)
            parts.append(fresh)
        first_stored = len(msg.images)  # stored findings get indices no fresh image has
        for k, img in enumerate(out.stored):
            listed = (self.s.hashes.match(img.original_sha256, img.pdq, first_stored + k)
                      if self.s.hashes is not None else ())
            if listed:
                out.relisted.append(img.sha256)
            own = redecide((*img.findings, *listed), replace(
                ctx, consent_confirmed=ctx.consent_confirmed or img.consent_confirmed),
                self.s.policy, image_index=first_stored + k, blurred=img.blurred)
            if own.action in _STOPS:
                out.dropped.append((img, own.action))
            parts.append(own)
        verdict = combine(parts)
        if self.s.age_stage is not None:  # a model asked where a minor signal would decide
            verdict = await self.s.age_stage(msg, out, verdict, ctx, self.s.policy,
                                             self.s.memory)
        out.verdict = verdict
        self.s.metrics.verdicts.labels(verdict.action.value).inc()
        detail = {**({"stored_images": len(out.stored)} if out.stored else {}),
                  **({"left_out": out.left_out} if out.left_out else {})}
        await self.audit(msg, out, "verdict", verdict=verdict, detail=detail or None)
        return verdict

    async def drop_stored(self, msg: IncomingMessage, out: Outcome) -> None:
        """Stored images the policy now stops leave the thread; preserved where the rule says."""
        assert out.verdict is not None
        ids = [img.sha256 for img, _ in out.dropped]
        await self.preserve(msg, out, out.verdict, {
            len(msg.images) + out.stored.index(img): img.data
            for img, action in out.dropped if action is not Action.BLOCK})
        out.stored = [img for img in out.stored if img.sha256 not in ids]
        try:
            await self.s.memory.drop_images(msg.thread_key, ids)
        except StoreUnavailable as exc:
            log.warning("could not drop stored images: %s", exc.detail)
        await self.audit(msg, out, "stored_image_dropped", verdict=out.verdict,
                          detail={"images": ids, **({"hash_listed": out.relisted}
                                                    if out.relisted else {})})

    async def act_on_verdict(self, conv: Conversation, out: Outcome, delivery: Delivery,
                              verdict: Verdict, raw: dict[int, bytes]) -> bool:
        """Reply for every action that stops here; True when the images may go on to a model."""
        msg, lang = conv.message, out.language
        if verdict.action.reaches_model:
            return True
        if verdict.action in (Action.BLOCK, Action.BLOCK_AND_PRESERVE, Action.HOLD):
            case = ""
            if verdict.action is not Action.BLOCK:
                case = (await self.preserve(msg, out, verdict, raw)).case
            held = verdict.action is Action.HOLD
            text = strings.t("verdict.held" if held else "verdict.blocked", lang)
            if held and case:  # a preserved case's id is for moderators, not the uploader
                text = strings.t(_UNDER_REVIEW.get(msg.platform, "review.under_review"), lang,
                                 case=case)
            await self.finish(conv, out, delivery, ReplyKind.HELD if held else ReplyKind.BLOCKED,
                               text, Status.HELD if held else Status.BLOCKED)
            return False
        # Action.CONFIRM: keep the request until the uploader answers the consent prompt.
        try:
            await self.s.state.save_pending(out.request_id, msg, self.s.pending_ttl_s)
        except StoreUnavailable:
            await self.finish(conv, out, delivery, ReplyKind.ERROR,
                               strings.t("store.unavailable", lang), Status.FAILED)
            return False
        await self.audit(msg, out, "consent_requested")
        reply = Reply(ReplyKind.CONSENT, strings.t("verdict.consent", lang), msg.thread_key,
                      out.request_id, action=verdict.action, ephemeral_to=msg.user)
        out.reply = reply
        await delivery.send(conv, reply, lang)
        return False

    async def preserve(self, msg: IncomingMessage, out: Outcome, verdict: Verdict,
                        raw: dict[int, bytes]) -> Preserved:
        """Evidence for held and preserved items, through the one keeper
        (``bot.review.keep``): the shared quarantine with a case for the moderators, else the
        local quarantine folder. A failed write is logged and noted; the request stays
        stopped either way."""
        shas, pdq, uploaders = _evidence_hashes(msg, out, raw)
        kept = await self.keeper.keep(msg, out.request_id, verdict, raw, language=out.language,
                                      images=shas, pdq=pdq, uploaders=uploaders)
        out.notes.extend(f"preserve_failed:{item}" for item in kept.failed)
        return kept

    async def approved(self, msg: IncomingMessage, out: Outcome, verdict: Verdict) -> Verdict:
        """A request a moderator approved goes on, for exactly the images of its case (faces
        still blurred); anything else stays held."""
        shas = tuple(d.original_sha256 for d in out.decoded)
        try:
            ok = self.s.review is not None and await self.s.review.approved(msg.review_case,
                                                                            shas)
        except StoreUnavailable:
            ok = False
        if not ok:
            return verdict
        faces = any(f.code == "face" for f in verdict.findings)
        verdict = replace(verdict, action=Action.ALLOW_BLURRED if faces else Action.ALLOW,
                          reasons=(*verdict.reasons, "review_approved"))
        out.verdict = verdict
        await self.audit(msg, out, "verdict", verdict=verdict,
                          detail={"review_case": msg.review_case})
        return verdict

    def cap(self, text: str, lang: str) -> str:
        """Answers have a length limit (platform adapters split what they post; this bounds
        what they are given)."""
        limit = self.s.settings.max_answer_chars
        if len(text) <= limit:
            return text
        return text[:limit].rstrip() + "\n" + strings.t("engine.truncated", lang)

    async def mark_active(self, msg: IncomingMessage, out: Outcome) -> None:
        try:
            await self.s.state.mark_active(msg.thread_key)
        except StoreUnavailable as exc:
            log.warning("thread not marked active: %s", exc.detail,
                        extra={"request_id": out.request_id})

    async def finish(self, conv: Conversation, out: Outcome, delivery: Delivery,
                      kind: ReplyKind, text: str, status: Status | None, *,
                      attachments: tuple[Attachment, ...] = (),
                      actions: tuple[ReplyAction, ...] = (),
                      on_delivered: Callable[[], Awaitable[None]] | None = None) -> bool:
        """Post the reply (once per request); True when it was delivered. ``on_delivered``
        runs after the post and before the status shows it (thread memory: a follow-up sent
        the moment the user sees the answer finds it)."""
        msg = conv.message
        reply = Reply(kind, text, msg.thread_key, out.request_id,
                      action=out.verdict.action if out.verdict else None,
                      attachments=attachments, engine=out.engine, actions=actions)
        out.reply = reply
        with self.s.metrics.time("reply"):
            result = await delivery.send(conv, reply, out.language)
        if result.error is not None:
            await self.audit(msg, out, "delivery_failed", detail={
                "code": result.error.code, "retryable": result.error.retryable,
                "reply": kind.value, "why": result.error.detail[:200]})
        if not result.delivered:
            if result.error is not None and status is not None:
                await conv.status(Status.FAILED)
            return False
        out.delivered = True
        if on_delivered is not None:
            await on_delivered()
        if status is not None:
            await conv.status(status)
        return True

    async def audit(self, msg: IncomingMessage, out: Outcome, kind: AuditKind, *,
                     verdict: Verdict | None = None, detail: dict | None = None) -> None:
        """Write one record; raises ``AuditError`` (an answer never goes out unrecorded)."""
        await self.s.audit.write(self.s.audit.record(
            kind, out.request_id, platform=msg.platform, user=msg.user, channel=msg.channel,
            thread=msg.thread, verdict=verdict, detail=detail,
            images=[d.original_sha256 for d in out.decoded]
            + [img.original_sha256 for img in out.stored]
            + [img.original_sha256 for img, _ in out.dropped]))


def _evidence_hashes(msg: IncomingMessage, out: Outcome, raw: dict[int, bytes]
                     ) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...], tuple[str, ...]]:
    """For each preserved item (in ``raw``'s order): its original's SHA-256 and PDQ hashes, so
    a case is matched again when a hash list changes, and who uploaded it (a stored image may
    be another participant's). Fresh images have this message's indices, stored ones follow."""
    fresh = {d.index: d for d in out.decoded}
    shas, pdq, uploaders = [], [], []
    for index in sorted(raw):
        if index in fresh:
            shas.append(fresh[index].original_sha256)
            pdq.append(fresh[index].pdq_variants)
            uploaders.append(msg.user)
        elif 0 <= index - len(msg.images) < len(out.stored):
            img = out.stored[index - len(msg.images)]
            shas.append(img.original_sha256)
            pdq.append(img.pdq)
            uploaders.append(img.uploader)
    return tuple(shas), tuple(pdq), tuple(uploaders)
