"""The one path every request takes: fetch, ingest, screen, answer, reply, remember, audit.

Platform-neutral: a ``Conversation`` (Slack, Discord or the command line) supplies the bytes and
takes the reply. Only ``allow``/``allow_blurred`` images ever reach ``process`` and the engine.
With history off (the user's choice or the channel's policy) nothing is recalled or remembered
and no thread is marked active; the audit log records as always.

Every request that uses images is decided again: fresh images by the gates, images kept in the
thread from the findings stored with them, both with this message's text and the channel's
current policy (a follow-up "she is 14" is screened like the first post). A stored image whose
own verdict now stops it is dropped from the thread, and that is audited.

No exception leaves ``handle``: the user gets a reply, the audit log a record (when it can be
written), and the worker has nothing to re-run. Thread memory is written only after the answer
was delivered.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace

from bot import strings
from bot.core.access import at_least
from bot.core.account import Account
from bot.core.delivery import Delivery
from bot.core.receipt_thread import ReceiptThreads
from bot.core.safetext import neutralise
from bot.errors import (
    AuditError,
    EngineError,
    EngineInterrupted,
    FetchError,
    InputRejected,
    MiruError,
    QuarantineError,
    StoreUnavailable,
    TooManyFiles,
)
from bot.models import (
    AnswerRequest,
    Attachment,
    AuditKind,
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
from safety.policy import REQUEST, combine, context_for, redecide
from safety.types import Action, DecodedImage, Verdict

log = logging.getLogger(__name__)


def request_id_for(message: IncomingMessage) -> str:
    """Stable per platform message, so a re-delivered event maps to the same request."""
    return f"{message.platform}:{message.channel}:{message.event_id or message.message_id}"


@dataclass(frozen=True)
class Rejection:
    index: int
    name: str
    code: str
    message: str


@dataclass
class Outcome:
    """Everything one run decided; the command line prints it, adapters only see ``reply``."""

    request_id: str
    reply: Reply | None = None
    verdict: Verdict | None = None
    decoded: list[DecodedImage] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)  # this message's processed images
    stored: list[Image] = field(default_factory=list)  # the thread's images, decided again
    dropped: list[tuple[Image, Action]] = field(default_factory=list)  # stored, now stopped
    rejections: list[Rejection] = field(default_factory=list)
    engine: str = ""
    language: str = "en"
    notes: list[str] = field(default_factory=list)
    delivered: bool = False


class Pipeline:
    """Runs requests; all collaborators come from ``Services`` (wired in ``bot.app``)."""

    def __init__(self, services: Services, account: Account | None = None) -> None:
        self.s = services
        self.account = account or Account(services)
        self.receipts = ReceiptThreads(self)

    async def run(self, conversation: Conversation) -> Reply | None:
        return (await self.handle(conversation)).reply

    async def handle(self, conversation: Conversation) -> Outcome:
        """Run one request to its end. Never raises (but for cancellation)."""
        msg = conversation.message
        out = Outcome(request_id=request_id_for(msg))
        delivery = Delivery(self.s.state, out.request_id, wait_s=self.s.delivery_wait_s)
        try:
            out.language = await self.account.language_for(msg.platform, msg.user, msg.text,
                                                   msg.language)
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
            await self._audit(conv.message, out, "error", detail={"code": code})
        except Exception as exc:  # AuditError, or a bug in building the record
            log.error("audit record of a failed request not written: %s", exc,
                      extra={"request_id": out.request_id})
        if out.delivered:  # the answer went out; only bookkeeping after it failed
            return
        try:
            await self._finish(conv, out, delivery, ReplyKind.ERROR, text, Status.FAILED)
        except Exception:
            log.exception("error reply not delivered", extra={"request_id": out.request_id})

    async def _handle(self, conv: Conversation, out: Outcome, delivery: Delivery) -> None:
        msg = conv.message
        _, tier = self.s.policy.tier_for(msg.workspace)
        if tier.receipts and await self.receipts.wants(msg):  # an expense thread
            await self.receipts.handle(conv, out, delivery)
            return
        raw = await self._ingest(conv, out)
        keep = await self.account.keeps_history(msg)
        history, stored, remembered = await self._recall(msg, out) if keep else ((), [], False)
        if not keep:
            out.notes.append(strings.t("history.off_note", out.language))
        if not out.decoded and not stored:
            if out.rejections:
                text = "\n".join(r.message for r in out.rejections)
                if len(out.rejections) > 1 or msg.images:
                    text += "\n" + strings.t("reject.no_images", out.language)
                await self._finish(conv, out, delivery, ReplyKind.REJECTED, text, Status.FAILED)
            else:
                key = "ask.no_image" if keep else "history.off_no_image"
                await self._finish(conv, out, delivery, ReplyKind.INFO,
                                   strings.t(key, out.language), None)
            return
        out.stored = stored
        verdict = await self._screen(msg, out)
        if msg.review_case and verdict.action is Action.HOLD:
            verdict = await self._approved(msg, out, verdict)
        if out.dropped:
            await self._drop_stored(msg, out)
        if not await self._act_on_verdict(conv, out, delivery, verdict, raw):
            return
        for d in out.decoded:
            blur = verdict.faces(d.index) if verdict.action is Action.ALLOW_BLURRED else ()
            img = await self.s.ingestor.process(raw[d.index], d, blur=blur)
            out.images.append(replace(
                img, findings=_own_findings(verdict, d.index),
                consent_confirmed=msg.consent_confirmed))
        await self._answer(conv, out, delivery, history, remembered)

    async def _ingest(self, conv: Conversation, out: Outcome) -> dict[int, bytes]:
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
                await self._audit(conv.message, out, "rejected",
                                  detail={"index": i, "code": exc.code})
                continue
            raw[i] = data
            out.decoded.append(decoded)
        return raw

    async def _screen(self, msg: IncomingMessage, out: Outcome) -> Verdict:
        """Fresh images through the gates, stored ones from their kept findings: all with this
        message's text and the channel's policy as it is now."""
        ctx = context_for(self.s.policy, msg.channel, msg.text,
                          consent_confirmed=msg.consent_confirmed,
                          platform_audience=msg.platform_audience)
        parts: list[Verdict] = []
        if out.decoded:
            with self.s.metrics.time("gates"):
                parts.append(await self.s.screener.screen(out.decoded, ctx))
        first_stored = len(msg.images)  # stored findings get indices no fresh image has
        for k, img in enumerate(out.stored):
            own = redecide(img.findings, replace(
                ctx, consent_confirmed=ctx.consent_confirmed or img.consent_confirmed),
                self.s.policy, image_index=first_stored + k, blurred=img.blurred)
            if own.action in _STOPS:
                out.dropped.append((img, own.action))
            parts.append(own)
        verdict = combine(parts)
        out.verdict = verdict
        self.s.metrics.verdicts.labels(verdict.action.value).inc()
        await self._audit(msg, out, "verdict", verdict=verdict,
                          detail={"stored_images": len(out.stored)} if out.stored else None)
        return verdict

    async def _drop_stored(self, msg: IncomingMessage, out: Outcome) -> None:
        """Stored images the policy now stops leave the thread; preserved where the rule says."""
        assert out.verdict is not None
        ids = [img.sha256 for img, _ in out.dropped]
        await self._preserve(msg, out, out.verdict, {
            len(msg.images) + out.stored.index(img): img.data
            for img, action in out.dropped if action is not Action.BLOCK})
        out.stored = [img for img in out.stored if img.sha256 not in ids]
        try:
            await self.s.memory.drop_images(msg.thread_key, ids)
        except StoreUnavailable as exc:
            log.warning("could not drop stored images: %s", exc.detail)
        await self._audit(msg, out, "stored_image_dropped", verdict=out.verdict,
                          detail={"images": ids})

    async def _act_on_verdict(self, conv: Conversation, out: Outcome, delivery: Delivery,
                              verdict: Verdict, raw: dict[int, bytes]) -> bool:
        """Reply for every action that stops here; True when the images may go on to a model."""
        msg, lang = conv.message, out.language
        if verdict.action.reaches_model:
            return True
        if verdict.action in (Action.BLOCK, Action.BLOCK_AND_PRESERVE, Action.HOLD):
            case = ""
            if verdict.action is not Action.BLOCK:
                case = await self._preserve(msg, out, verdict, raw)
            held = verdict.action is Action.HOLD
            text = strings.t("verdict.held" if held else "verdict.blocked", lang)
            if held and case:  # a preserved case's id is for moderators, not the uploader
                text = strings.t("review.under_review", lang, case=case)
            await self._finish(conv, out, delivery, ReplyKind.HELD if held else ReplyKind.BLOCKED,
                               text, Status.HELD if held else Status.BLOCKED)
            return False
        # Action.CONFIRM: keep the request until the uploader answers the consent prompt.
        try:
            await self.s.state.save_pending(out.request_id, msg, self.s.pending_ttl_s)
        except StoreUnavailable:
            await self._finish(conv, out, delivery, ReplyKind.ERROR,
                               strings.t("store.unavailable", lang), Status.FAILED)
            return False
        await self._audit(msg, out, "consent_requested")
        reply = Reply(ReplyKind.CONSENT, strings.t("verdict.consent", lang), msg.thread_key,
                      out.request_id, action=verdict.action, ephemeral_to=msg.user)
        out.reply = reply
        await delivery.send(conv, reply, lang)
        return False

    async def _preserve(self, msg: IncomingMessage, out: Outcome, verdict: Verdict,
                        raw: dict[int, bytes]) -> str:
        """Evidence for held and preserved items, encrypted at rest; never shown to a model.
        With a review queue the evidence goes to the shared quarantine with a case for the
        moderators (its id is returned); without one, or when it is away, to the local
        quarantine folder. A failed write is logged; the request stays stopped either way."""
        if not raw:
            return ""
        if self.s.review is not None:
            try:
                case = await self.s.review.open_case(
                    msg, out.request_id, verdict, raw, language=out.language,
                    images=tuple(d.original_sha256 for d in out.decoded if d.index in raw))
            except (QuarantineError, StoreUnavailable, OSError) as exc:
                log.error("review case not opened (local quarantine instead): %s", exc,
                          extra={"request_id": out.request_id})
            else:
                try:
                    await self.s.review_cards(case)
                except Exception:  # the case is in the queue either way (miru review list)
                    log.exception("review card for case %s not posted", case.id)
                return case.id
        for index, data in raw.items():
            case_id = f"{out.request_id}:{index}".replace(":", "_").replace("/", "_")
            try:
                self.s.quarantine.put(case_id, data, {"action": verdict.action.value,
                                                      "reasons": list(verdict.reasons)})
            except (QuarantineError, OSError) as exc:
                log.error("evidence not preserved (case %s): %s", case_id, exc)
                out.notes.append(f"preserve_failed:{case_id}")
        return ""

    async def _approved(self, msg: IncomingMessage, out: Outcome, verdict: Verdict) -> Verdict:
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
        await self._audit(msg, out, "verdict", verdict=verdict,
                          detail={"review_case": msg.review_case})
        return verdict

    async def _recall(self, msg: IncomingMessage, out: Outcome
                      ) -> tuple[tuple[Turn, ...], list[Image], bool]:
        try:
            state = await self.s.memory.load(msg.thread_key)
            stored = await self.s.memory.get_images(msg.thread_key, state.image_ids)
            return state.turns, stored, True
        except StoreUnavailable:
            out.notes.append(strings.t("store.no_memory", out.language))
            return (), [], False

    async def _answer(self, conv: Conversation, out: Outcome, delivery: Delivery,
                      history: tuple[Turn, ...], remembered: bool) -> None:
        msg, lang = conv.message, out.language
        privacy = self.s.privacy_op(msg.text) if out.images else None
        if privacy is not None:
            await self._privacy_reply(conv, out, delivery, privacy)
            return
        if not await delivery.claim():  # another run of this job answers; stream nothing
            return
        await self._read_text(out.images)
        images = tuple(out.stored) + tuple(out.images)
        request = AnswerRequest(images=images, question=msg.text, history=history,
                                language=lang, ocr_text=self._ocr_block(images))
        started = time.perf_counter()
        cut: EngineInterrupted | None = None
        text = ""
        try:
            with self.s.metrics.time("engine"):
                async for text in self.s.engine.stream(request):
                    await conv.partial(self._cap(neutralise(text), lang))
        except EngineError as exc:
            # A stream that broke after some text keeps that text, said to be cut short.
            if not (isinstance(exc, EngineInterrupted) and (exc.partial or text).strip()):
                await self._audit(msg, out, "engine_error", detail={"code": exc.code})
                await self._finish(conv, out, delivery, ReplyKind.ERROR,
                                   strings.t(exc.message_key, lang), Status.FAILED)
                return
            cut, text = exc, exc.partial or text
        out.engine = self.s.engine.name
        text = self._cap(neutralise(text), lang) if text.strip() else strings.t("engine.empty",
                                                                               lang)
        # Files that were not used (not an image, too large, over the count) are named in the
        # answer: the user would otherwise take "I see 8 images" for all ten they sent.
        skipped = [r.message for r in out.rejections]
        parts = [text, *self._hints(out.images, lang), *skipped, *out.notes]
        if out.verdict is not None and out.verdict.action is Action.ALLOW_BLURRED:
            parts.append(strings.t("verdict.blurred_note", lang))
        if cut is not None:
            parts.insert(1, strings.t(cut.message_key, lang))
        await self._audit(msg, out, "answer", detail={
            "engine": self.s.engine.name, "model": self.s.engine.model_id,
            "ms": round((time.perf_counter() - started) * 1000, 1),
            **({"cut_short": cut.code} if cut is not None else {})})
        body = "\n\n".join(p for p in parts if p and not p.startswith("preserve_failed:"))
        if remembered:  # before the post: a follow-up right after the answer needs no mention
            await self._mark_active(msg, out)

        async def remember() -> None:
            if remembered:
                await self._remember(msg, out, text)

        await self._finish(conv, out, delivery, ReplyKind.ANSWER, body, Status.ANSWERED,
                           on_delivered=remember)

    def _cap(self, text: str, lang: str) -> str:
        """Answers have a length limit (platform adapters split what they post; this bounds
        what they are given)."""
        limit = self.s.settings.max_answer_chars
        if len(text) <= limit:
            return text
        return text[:limit].rstrip() + "\n" + strings.t("engine.truncated", lang)

    async def _privacy_reply(self, conv: Conversation, out: Outcome, delivery: Delivery,
                             op: str) -> None:
        blur = op == "blur_faces"
        if not at_least(conv.message.access, Level.SHARE):  # images sent back are an export
            await self._finish(conv, out, delivery, ReplyKind.INFO, strings.t(
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
        await self._audit(conv.message, out, "privacy_op", detail={"op": op})
        key = "privacy.cleaned_blurred" if blur else "privacy.cleaned"
        await self._finish(conv, out, delivery, ReplyKind.ANSWER, strings.t(key, out.language),
                           Status.ANSWERED, attachments=tuple(files))

    async def _read_text(self, images: list[Image]) -> None:
        """OCR each fresh image once (kept with it in the thread); none for the OCR engine,
        which reads the images itself. A failed read leaves the image without OCR text."""
        if self.s.ocr_context is None or self.s.engine.name == "ocr":
            return
        for n, img in enumerate(images):
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
        """Quality advice; advice never fails a request."""
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
        now = time.time()
        ids = tuple(img.sha256 for img in out.images)
        try:
            if out.images:
                await self.s.memory.put_images(msg.thread_key, msg.user, out.images)
            await self.s.memory.append(msg.thread_key, msg.user, [
                Turn("user", msg.text, ids, now), Turn("assistant", answer, (), now)])
        except StoreUnavailable as exc:
            log.warning("thread memory not written: %s", exc.detail,
                        extra={"request_id": out.request_id})

    async def _mark_active(self, msg: IncomingMessage, out: Outcome) -> None:
        try:
            await self.s.state.mark_active(msg.thread_key)
        except StoreUnavailable as exc:
            log.warning("thread not marked active: %s", exc.detail,
                        extra={"request_id": out.request_id})

    async def _finish(self, conv: Conversation, out: Outcome, delivery: Delivery,
                      kind: ReplyKind, text: str, status: Status | None, *,
                      attachments: tuple[Attachment, ...] = (),
                      on_delivered: Callable[[], Awaitable[None]] | None = None) -> bool:
        """Post the reply (once per request); True when it was delivered. ``on_delivered``
        runs after the post and before the status shows it (thread memory: a follow-up sent
        the moment the user sees the answer finds it)."""
        msg = conv.message
        reply = Reply(kind, text, msg.thread_key, out.request_id,
                      action=out.verdict.action if out.verdict else None,
                      attachments=attachments, engine=out.engine)
        out.reply = reply
        with self.s.metrics.time("reply"):
            result = await delivery.send(conv, reply, out.language)
        if result.error is not None:
            await self._audit(msg, out, "delivery_failed", detail={
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

    async def _audit(self, msg: IncomingMessage, out: Outcome, kind: AuditKind, *,
                     verdict: Verdict | None = None, detail: dict | None = None) -> None:
        """Write one record; raises ``AuditError`` (an answer never goes out unrecorded)."""
        await self.s.audit.write(self.s.audit.record(
            kind, out.request_id, platform=msg.platform, user=msg.user, channel=msg.channel,
            thread=msg.thread, verdict=verdict, detail=detail,
            images=[d.original_sha256 for d in out.decoded]
            + [img.original_sha256 for img in out.stored]
            + [img.original_sha256 for img, _ in out.dropped]))

    async def give_up(self, conversation: Conversation, exc: BaseException | None) -> None:
        """The worker dropped this job for good (its runs failed, or its workers kept dying):
        tell the user unless a reply already went out, and record it. Never raises."""
        msg = conversation.message
        out = Outcome(request_id=request_id_for(msg))
        code = getattr(exc, "code", None) or (type(exc).__name__ if exc else "workers_died")
        try:
            out.language = await self.account.language_for(msg.platform, msg.user, msg.text,
                                                   msg.language)
            await self._fail(conversation, out, Delivery(self.s.state, out.request_id,
                                                         wait_s=self.s.delivery_wait_s),
                             f"job_dropped:{code}", strings.t("error.generic", out.language))
        except Exception:
            log.exception("could not tell the user about a dropped job",
                          extra={"request_id": out.request_id})


_STOPS = (Action.HOLD, Action.BLOCK, Action.BLOCK_AND_PRESERVE)


def _own_findings(verdict: Verdict, index: int) -> tuple:
    """The image-level findings of one fresh image, kept with it for later requests."""
    return tuple(f for f in verdict.findings if f.image_index == index and f.image_index != REQUEST)


__all__ = ["AuditError", "Outcome", "Pipeline", "Rejection", "request_id_for"]
