"""The one path every request takes: fetch, ingest, screen, answer, reply, remember, audit.

Platform-neutral: a ``Conversation`` (Slack, Discord or the command line) supplies the bytes and
takes the reply. Only ``allow``/``allow_blurred`` images ever reach ``process`` and the engine.
With history off (the user's choice or the channel's policy) nothing is recalled or remembered
and no thread is marked active; the audit log records as always.

Every request that uses images is decided again: fresh images by the gates, images kept in the
thread (the most recent ``MIRU_MAX_STORED_IMAGES``, counted against the quota) from the findings
stored with them, all with the minor cues of the message, the thread's recent turns and the
images' text (found once, off the loop: ``bot.core.request_text``) and the channel's current
policy (a follow-up "she is 14" is screened like the first post). A stored image whose
own verdict now stops it is dropped from the thread, and that is audited.

No exception leaves ``handle``: the user gets a reply, the audit log a record (when it can be
written), and the worker has nothing to re-run. Thread memory is written only after the answer
was delivered.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import replace

from bot import strings
from bot.core.access import at_least
from bot.core.account import Account
from bot.core.delivery import Delivery
from bot.core.followups import charge_stored, recall
from bot.core.hints import hints_bear_on
from bot.core.outcome import Outcome, Rejection, request_id_for
from bot.core.safetext import neutralise
from bot.core.steps import Branch, Steps
from bot.errors import (
    AuditError,
    EngineError,
    EngineInterrupted,
    MiruError,
    StoreUnavailable,
)
from bot.models import (
    AnswerRequest,
    Attachment,
    Image,
    IncomingMessage,
    Reply,
    ReplyKind,
    Status,
    Turn,
)
from bot.ports import Conversation
from bot.services import Services
from config.policy import Level
from safety.policy import REQUEST
from safety.types import Action, Verdict

log = logging.getLogger(__name__)


class Pipeline:
    """Runs requests. Everything comes in from ``bot.app``: the ``Services`` bundle, the shared
    ``steps``, the user's ``account`` and the ``receipts`` branch (expense threads)."""

    def __init__(self, services: Services, *, steps: Steps, account: Account,
                 receipts: Branch) -> None:
        self.s = services
        self.steps = steps
        self.account = account
        self.receipts = receipts

    async def run(self, conversation: Conversation) -> Reply | None:
        return (await self.handle(conversation)).reply

    async def handle(self, conversation: Conversation) -> Outcome:
        """Run one request to its end. Never raises (but for cancellation)."""
        msg = conversation.message
        out = Outcome(request_id=request_id_for(msg))
        delivery = Delivery(self.s.state, out.request_id, wait_s=self.s.delivery_wait_s)
        try:
            out.language = await self.account.answer_language(msg)
            await conversation.status(Status.RECEIVED)
            await self._handle(conversation, out, delivery)
        except MiruError as exc:
            log.warning("request failed: %s", exc.code, extra={"request_id": out.request_id})
            await self._fail(conversation, out, delivery, exc.code, exc.user_message(out.language))
        except Exception as exc:  # a bug: the user still hears back, the log gets the trace
            log.exception("request crashed", extra={"request_id": out.request_id})
            await self._fail(conversation, out, delivery, f"internal:{type(exc).__name__}",
                             strings.t("error.generic", out.language))
        return out

    async def _fail(self, conv: Conversation, out: Outcome, delivery: Delivery, code: str,
                    text: str) -> None:
        """The error path: audit what can be audited, reply what can be replied; never raises."""
        try:
            await self.steps.audit(conv.message, out, "error", detail={"code": code})
        except Exception as exc:  # AuditError, or a bug in building the record
            log.error("audit record of a failed request not written: %s", exc,
                      extra={"request_id": out.request_id})
        if out.delivered:  # the answer went out; only bookkeeping after it failed
            return
        try:
            await self.steps.finish(conv, out, delivery, ReplyKind.ERROR, text, Status.FAILED)
        except Exception:
            log.exception("error reply not delivered", extra={"request_id": out.request_id})

    async def _handle(self, conv: Conversation, out: Outcome, delivery: Delivery) -> None:
        msg = conv.message
        _, tier = self.s.policy.tier_for(msg.workspace)
        if tier.receipts and await self.receipts.wants(msg):  # an expense thread
            await self.receipts.handle(conv, out, delivery)
            return
        raw = await self.steps.ingest(conv, out)
        keep = await self.account.keeps_history(msg)
        history, stored, remembered = (await recall(self.s, msg, out) if keep
                                       else ((), [], False))
        if not keep:
            out.notes.append(strings.t("history.off_note", out.language))
        if not out.decoded and not stored:
            if out.rejections:
                text = "\n".join(r.message for r in out.rejections)
                if len(out.rejections) > 1 or msg.images:
                    text += "\n" + strings.t("reject.no_images", out.language)
                await self.steps.finish(conv, out, delivery, ReplyKind.REJECTED, text,
                                        Status.FAILED)
            else:
                key = "ask.no_image" if keep else "history.off_no_image"
                text = strings.t(key, out.language)

                async def context() -> None:  # "this is my 14 year old daughter", then an image
                    if remembered and msg.text.strip():
                        await self._remember(msg, out, text)

                await self.steps.finish(conv, out, delivery, ReplyKind.INFO, text, None,
                                        on_delivered=context)
            return
        out.stored, out.history = stored, history
        if not await charge_stored(self.steps, conv, out, delivery):
            return
        if out.left_out:
            out.notes.append(strings.t("history.stored_left_out", out.language,
                                       left=out.left_out, used=len(stored)))
        verdict = await self.steps.screen(msg, out)
        if msg.review_case and verdict.action is Action.HOLD:
            verdict = await self.steps.approved(msg, out, verdict)
        if out.dropped:
            await self.steps.drop_stored(msg, out)
        if not await self.steps.act_on_verdict(conv, out, delivery, verdict, raw):
            return
        for d in out.decoded:
            blur = verdict.faces(d.index) if verdict.action is Action.ALLOW_BLURRED else ()
            img = await self.s.ingestor.process(raw[d.index], d, blur=blur)
            out.images.append(replace(
                img, findings=_own_findings(verdict, d.index),
                consent_confirmed=msg.consent_confirmed, uploader=msg.user,
                ocr_text=out.image_texts.get(d.index, "")))
        await self._answer(conv, out, delivery, history, remembered)

    async def _answer(self, conv: Conversation, out: Outcome, delivery: Delivery,
                      history: tuple[Turn, ...], remembered: bool) -> None:
        msg, lang = conv.message, out.language
        privacy = self.s.privacy_op(msg.text) if out.images else None
        if privacy is not None:
            await self._privacy_reply(conv, out, delivery, privacy)
            return
        if not await delivery.claim():  # another run of this job answers; stream nothing
            return
        await self._read_text(out.images, out.image_texts)
        images = tuple(out.stored) + tuple(out.images)
        request = AnswerRequest(images=images, question=msg.text, history=history,
                                language=lang, ocr_text=self._ocr_block(images))
        started = time.perf_counter()
        cut: EngineInterrupted | None = None
        text = ""
        try:
            with self.s.metrics.time("engine"):
                async for text in self.s.engine.stream(request):
                    await conv.partial(self.steps.cap(neutralise(text), lang))
        except EngineError as exc:
            # A stream that broke after some text keeps that text, said to be cut short.
            if not (isinstance(exc, EngineInterrupted) and (exc.partial or text).strip()):
                await self.steps.audit(msg, out, "engine_error", detail={"code": exc.code})
                await self.steps.finish(conv, out, delivery, ReplyKind.ERROR,
                                        strings.t(exc.message_key, lang), Status.FAILED)
                return
            cut, text = exc, exc.partial or text
        out.engine = self.s.engine.name
        text = (self.steps.cap(neutralise(text), lang) if text.strip()
                else strings.t("engine.empty", lang))
        # Files that were not used (not an image, too large, over the count) are named in the
        # answer: the user would otherwise take "I see 8 images" for all ten they sent.
        skipped = [r.message for r in out.rejections]
        hints = self._hints(out.images, lang) if hints_bear_on(msg.text, images) else []
        parts = [text, *hints, *skipped, *out.notes]
        if out.verdict is not None and out.verdict.action is Action.ALLOW_BLURRED:
            parts.append(strings.t("verdict.blurred_note", lang))
        if cut is not None:
            parts.insert(1, strings.t(cut.message_key, lang))
        await self.steps.audit(msg, out, "answer", detail={
            "engine": self.s.engine.name, "model": self.s.engine.model_id,
            "ms": round((time.perf_counter() - started) * 1000, 1),
            **({"cut_short": cut.code} if cut is not None else {})})
        body = "\n\n".join(p for p in parts if p and not p.startswith("preserve_failed:"))
        if remembered:  # before the post: a follow-up right after the answer needs no mention
            await self.steps.mark_active(msg, out)

        async def remember() -> None:
            if remembered:
                await self._remember(msg, out, text)

        await self.steps.finish(conv, out, delivery, ReplyKind.ANSWER, body, Status.ANSWERED,
                                on_delivered=remember)

    async def _privacy_reply(self, conv: Conversation, out: Outcome, delivery: Delivery,
                             op: str) -> None:
        blur = op == "blur_faces"
        if not at_least(conv.message.access, Level.SHARE):  # images sent back are an export
            await self.steps.finish(conv, out, delivery, ReplyKind.INFO, strings.t(
                "access.need_share", out.language, level=conv.message.access), Status.ANSWERED)
            return
        files = []
        for img in out.images:
            faces = out.verdict.faces(img.index) if out.verdict else ()
            data = await asyncio.to_thread(self.s.clean_image, img.data, blur_faces=blur,
                                           faces=faces)
            mime = "image/jpeg" if data[:3] == b"\xff\xd8\xff" else "image/png"
            ext = "jpg" if mime == "image/jpeg" else "png"
            files.append(Attachment(f"miru-clean-{img.index + 1}.{ext}", data, mime))
        await self.steps.audit(conv.message, out, "privacy_op", detail={"op": op})
        key = "privacy.cleaned_blurred" if blur else "privacy.cleaned"
        await self.steps.finish(conv, out, delivery, ReplyKind.ANSWER,
                                strings.t(key, out.language), Status.ANSWERED,
                                attachments=tuple(files))

    async def _read_text(self, images: list[Image], read: dict[int, str]) -> None:
        """OCR each fresh image once (kept with it in the thread): an image whose text was
        read for the policy (``read``, by index) keeps that; none for the OCR engine, which
        reads the images itself. A failed read leaves the image without OCR text."""
        if self.s.ocr_context is None or self.s.engine.name == "ocr":
            return
        for n, img in enumerate(images):
            if img.index in read:
                continue
            try:
                text = await asyncio.to_thread(self.s.ocr_context, img, "auto")
            except MiruError:
                continue
            images[n] = replace(img, ocr_text=text.strip())

    @staticmethod
    def _ocr_block(images: Sequence[Image]) -> str:
        """OCR text labelled with the same numbers the prompt gives the images (stored first)."""
        return "\n".join(f"Image {n}: {img.ocr_text}"
                         for n, img in enumerate(images, start=1) if img.ocr_text)

    def _hints(self, images: Sequence[Image], lang: str) -> list[str]:
        """Quality advice (where it bears on the request: ``bot.core.hints``); never fails."""
        hints = []
        for img in images:
            try:
                found = self.s.quality(img)
            except Exception:
                log.warning("quality hints failed on image %d", img.index, exc_info=True)
                continue
            for hint in found:
                hints.append(strings.t(f"quality.{hint.code}", lang, **hint.params))
        if not hints:
            return []
        return [strings.t("quality.header", lang) + " " + " ".join(dict.fromkeys(hints))]

    async def _remember(self, msg: IncomingMessage, out: Outcome, answer: str) -> None:
        now = self.s.clock.now()
        ids = tuple(img.sha256 for img in out.images)
        try:
            if out.images:
                await self.s.memory.put_images(msg.thread_key, msg.user, out.images)
            await self.s.memory.append(msg.thread_key, msg.user, [
                Turn("user", msg.text, ids, now), Turn("assistant", answer, (), now)])
        except StoreUnavailable as exc:
            log.warning("thread memory not written: %s", exc.detail,
                        extra={"request_id": out.request_id})

    async def give_up(self, conversation: Conversation, exc: BaseException | None, *,
                      code: str | None = None, message_key: str = "error.generic") -> None:
        """The worker dropped this job for good (its runs failed, its workers kept dying, or
        no worker served its platform in time: ``code``, ``message_key``): tell the user
        unless a reply already went out, and record it. Never raises."""
        msg = conversation.message
        out = Outcome(request_id=request_id_for(msg))
        code = code or getattr(exc, "code", None) or (type(exc).__name__ if exc
                                                      else "workers_died")
        try:
            out.language = await self.account.answer_language(msg, remember=False)
            await self._fail(conversation, out, Delivery(self.s.state, out.request_id,
                                                         wait_s=self.s.delivery_wait_s),
                             f"job_dropped:{code}", strings.t(message_key, out.language))
        except Exception:
            log.exception("could not tell the user about a dropped job",
                          extra={"request_id": out.request_id})


def _own_findings(verdict: Verdict, index: int) -> tuple:
    """The image-level findings of one fresh image, kept with it for later requests."""
    return tuple(f for f in verdict.findings if f.image_index == index and f.image_index != REQUEST)


__all__ = ["AuditError", "Outcome", "Pipeline", "Rejection", "request_id_for"]
