"""The one path every request takes: fetch, ingest, screen, answer, remember, reply, audit.

Platform-neutral: a ``Conversation`` (Slack, Discord or the command line) supplies the bytes and
takes the reply. Only ``allow``/``allow_blurred`` images ever reach ``process`` and the engine.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from bot import strings
from bot.errors import EngineError, FetchError, InputRejected, MiruError, StoreUnavailable
from bot.lang import detect_language
from bot.models import (
    Action,
    AnswerRequest,
    Attachment,
    AuditRecord,
    DecodedImage,
    Image,
    IncomingMessage,
    Reply,
    ReplyKind,
    Status,
    Turn,
    Verdict,
)
from bot.ports import Conversation
from bot.services import Services

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
    images: list[Image] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    engine: str = ""
    language: str = "en"
    notes: list[str] = field(default_factory=list)


class Pipeline:
    """Runs requests; all collaborators come from ``Services`` (wired in ``bot.app``)."""

    def __init__(self, services: Services) -> None:
        self.s = services

    async def run(self, conversation: Conversation) -> Reply | None:
        return (await self.handle(conversation)).reply

    async def handle(self, conversation: Conversation) -> Outcome:
        msg = conversation.message
        out = Outcome(request_id=request_id_for(msg))
        out.language = await self.language_for(msg.platform, msg.user, msg.text, msg.language)
        await conversation.status(Status.RECEIVED)
        try:
            await self._handle(conversation, out)
        except MiruError as exc:
            log.warning("request failed", extra={"request_id": out.request_id, "code": exc.code})
            await self._audit(msg, out, "error", detail={"code": exc.code})
            await self._finish(conversation, out, ReplyKind.ERROR,
                               exc.user_message(out.language),
                               Status.FAILED)
        return out

    async def _handle(self, conv: Conversation, out: Outcome) -> None:
        msg = conv.message
        raw = await self._ingest(conv, out)
        history, stored, remembered = await self._recall(msg, out)
        if not out.decoded:
            if out.rejections:
                text = "\n".join(r.message for r in out.rejections)
                if len(out.rejections) > 1 or msg.images:
                    text += "\n" + strings.t("reject.no_images", out.language)
                await self._finish(conv, out, ReplyKind.REJECTED, text, Status.FAILED)
                return
            if not stored:
                await self._finish(conv, out, ReplyKind.INFO,
                                   strings.t("ask.no_image", out.language), None)
                return
        else:
            verdict = await self._screen(msg, out)
            if not await self._act_on_verdict(conv, out, verdict, raw):
                return
            for d in out.decoded:
                blur = verdict.faces(d.index) if verdict.action is Action.ALLOW_BLURRED else ()
                out.images.append(await self.s.ingestor.process(raw[d.index], d, blur=blur))
        await self._answer(conv, out, history, stored, remembered)

    async def _ingest(self, conv: Conversation, out: Outcome) -> dict[int, bytes]:
        raw: dict[int, bytes] = {}
        for i, ref in enumerate(conv.message.images):
            try:
                data = await conv.fetch(ref, self.s.settings.max_bytes)
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
        ctx = self.s.policy.context_for(msg.channel, msg.text,
                                        consent_confirmed=msg.consent_confirmed)
        verdict = await self.s.screener.screen(out.decoded, ctx)
        out.verdict = verdict
        await self._audit(msg, out, "verdict", verdict=verdict)
        return verdict

    async def _act_on_verdict(self, conv: Conversation, out: Outcome, verdict: Verdict,
                              raw: dict[int, bytes]) -> bool:
        """Reply for every action that stops here; True when the images may go on to a model."""
        msg, lang = conv.message, out.language
        if verdict.action.reaches_model:
            return True
        if verdict.action in (Action.BLOCK, Action.BLOCK_AND_PRESERVE, Action.HOLD):
            if verdict.action is not Action.BLOCK:
                self._preserve(out, verdict, raw)
            held = verdict.action is Action.HOLD
            await self._finish(conv, out, ReplyKind.HELD if held else ReplyKind.BLOCKED,
                               strings.t("verdict.held" if held else "verdict.blocked", lang),
                               Status.HELD if held else Status.BLOCKED)
            return False
        # Action.CONFIRM: keep the request until the uploader answers the consent prompt.
        try:
            await self.s.state.save_pending(out.request_id, msg, self.s.pending_ttl_s)
        except StoreUnavailable:
            await self._finish(conv, out, ReplyKind.ERROR, strings.t("store.unavailable", lang),
                               Status.FAILED)
            return False
        await self._audit(msg, out, "consent_requested")
        reply = Reply(ReplyKind.CONSENT, strings.t("verdict.consent", lang), msg.thread_key,
                      out.request_id, action=verdict.action, ephemeral_to=msg.user)
        out.reply = reply
        await conv.reply(reply)
        return False

    def _preserve(self, out: Outcome, verdict: Verdict, raw: dict[int, bytes]) -> None:
        """Evidence for held and preserved items, encrypted at rest; never shown to a model."""
        for index, data in raw.items():
            case = f"{out.request_id}:{index}".replace(":", "_").replace("/", "_")
            self.s.quarantine.put(case, data, {"action": verdict.action.value,
                                               "reasons": list(verdict.reasons)})

    async def _recall(self, msg: IncomingMessage, out: Outcome
                      ) -> tuple[tuple[Turn, ...], list[Image], bool]:
        try:
            state = await self.s.memory.load(msg.thread_key)
            stored = await self.s.memory.get_images(msg.thread_key, state.image_ids)
            return state.turns, stored, True
        except StoreUnavailable:
            out.notes.append(strings.t("store.no_memory", out.language))
            return (), [], False

    async def _answer(self, conv: Conversation, out: Outcome, history: tuple[Turn, ...],
                      stored: list[Image], remembered: bool) -> None:
        msg, lang = conv.message, out.language
        privacy = self.s.privacy_op(msg.text) if out.images else None
        if privacy is not None:
            await self._privacy_reply(conv, out, privacy)
            return
        images = tuple(stored) + tuple(out.images)
        ocr_text = await self._ocr_context(out.images, lang)
        request = AnswerRequest(images=images, question=msg.text, history=history,
                                language=lang, ocr_text=ocr_text)
        started = time.perf_counter()
        try:
            text = ""
            async for text in self.s.engine.stream(request):
                await conv.partial(text)
        except EngineError as exc:
            await self._audit(msg, out, "engine_error", detail={"code": exc.code})
            await self._finish(conv, out, ReplyKind.ERROR, strings.t(exc.message_key, lang),
                               Status.FAILED)
            return
        out.engine = self.s.engine.name
        if not text.strip():
            text = strings.t("engine.empty", lang)
        parts = [text, *self._hints(out.images, lang), *out.notes]
        if out.verdict is not None and out.verdict.action is Action.ALLOW_BLURRED:
            parts.append(strings.t("verdict.blurred_note", lang))
        await self._audit(msg, out, "answer", detail={
            "engine": self.s.engine.name, "model": self.s.engine.model_id,
            "ms": round((time.perf_counter() - started) * 1000, 1)})
        if remembered:
            await self._remember(msg, out, text)
        await self._finish(conv, out, ReplyKind.ANSWER, "\n\n".join(p for p in parts if p),
                           Status.ANSWERED)

    async def _privacy_reply(self, conv: Conversation, out: Outcome, op: str) -> None:
        blur = op == "blur_faces"
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
        await self._finish(conv, out, ReplyKind.ANSWER, strings.t(key, out.language),
                           Status.ANSWERED, attachments=tuple(files))

    async def _ocr_context(self, images: Sequence[Image], lang: str) -> str:
        if self.s.ocr_context is None or not images or self.s.engine.name == "ocr":
            return ""
        try:
            texts = [await asyncio.to_thread(self.s.ocr_context, img, lang) for img in images]
        except MiruError:
            return ""
        return "\n".join(f"Image {i + 1}: {t}" for i, t in enumerate(texts) if t.strip())

    def _hints(self, images: Sequence[Image], lang: str) -> list[str]:
        hints = []
        for img in images:
            for hint in self.s.quality(img):
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
            await self.s.state.mark_active(msg.thread_key)
        except StoreUnavailable:
            out.notes.append(strings.t("store.no_memory", out.language))

    async def _finish(self, conv: Conversation, out: Outcome, kind: ReplyKind, text: str,
                      status: Status | None, *, attachments: tuple[Attachment, ...] = ()) -> None:
        msg = conv.message
        reply = Reply(kind, text, msg.thread_key, out.request_id,
                      action=out.verdict.action if out.verdict else None,
                      attachments=attachments, engine=out.engine)
        out.reply = reply
        try:
            first = await self.s.state.claim_reply(out.request_id)
        except StoreUnavailable:
            first = True  # cannot check: answering twice beats not answering
        if not first:
            log.info("reply already sent", extra={"request_id": out.request_id})
            return
        await conv.reply(reply)
        if status is not None:
            await conv.status(status)

    async def language_for(self, platform: str, user: str, text: str = "",
                           explicit: str | None = None) -> str:
        """The language to answer in: explicit, else the user's choice (``lang``), else the
        configured one, else detected from ``text``."""
        if explicit in strings.LANGS:
            return explicit
        try:
            pref = await self.s.state.get_pref(platform, user, "lang")
        except StoreUnavailable:
            pref = None
        if pref in strings.LANGS:
            return pref
        if self.s.settings.language in strings.LANGS:
            return self.s.settings.language
        return detect_language(text, default="en")

    async def _audit(self, msg: IncomingMessage, out: Outcome, kind: str, *,
                     verdict: Verdict | None = None, detail: dict | None = None) -> None:
        record = AuditRecord(
            kind=kind, request_id=out.request_id, ts=time.time(),
            actor=self.s.audit.pseudonym(msg.platform, msg.user), platform=msg.platform,
            channel=msg.channel, thread=msg.thread,
            image_sha256=tuple(d.original_sha256 for d in out.decoded),
            action=verdict.action.value if verdict else "",
            reasons=verdict.reasons if verdict else (),
            scores=dict(verdict.scores) if verdict else {},
            model_versions=dict(verdict.model_versions) if verdict else {},
            detail=detail or {},
        )
        await self.s.audit.write(record)

    # Commands that adapters expose (slash commands, buttons).

    async def confirm_consent(self, request_id: str, user: str, *, confirmed: bool
                              ) -> IncomingMessage | None:
        """The uploader answered the consent prompt. Returns the request to run again, or None."""
        pending = await self.s.state.pop_pending(request_id)
        if pending is None or pending.user != user:
            if pending is not None:  # someone else pressed the button: put it back
                await self.s.state.save_pending(request_id, pending, self.s.pending_ttl_s)
            return None
        await self.s.audit.write(AuditRecord(
            kind="consent", request_id=request_id, ts=time.time(),
            actor=self.s.audit.pseudonym(pending.platform, user), platform=pending.platform,
            channel=pending.channel, thread=pending.thread,
            action="confirmed" if confirmed else "cancelled"))
        if not confirmed:
            return None
        return _with_consent(pending)

    async def forget_user(self, platform: str, user: str) -> int:
        count = await self.s.memory.forget_user(platform, user)
        await self.s.audit.write(AuditRecord(
            kind="forget", request_id=f"{platform}:forget", ts=time.time(),
            actor=self.s.audit.pseudonym(platform, user), platform=platform,
            detail={"items": count}))
        return count

    async def set_language(self, platform: str, user: str, lang: str) -> None:
        if lang not in strings.LANGS:
            raise ValueError(lang)
        await self.s.state.set_pref(platform, user, "lang", lang)


def _with_consent(msg: IncomingMessage) -> IncomingMessage:
    return replace(msg, consent_confirmed=True,
                   event_id=(msg.event_id or msg.message_id) + ":consent")

