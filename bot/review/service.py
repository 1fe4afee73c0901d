"""The review queue: open a case for a held or preserved request, decide it once, reveal,
appeal, purge. Every step writes an audit record; the evidence stays encrypted in the shared
quarantine (``bot.evidence.vault``) and is decrypted only for a blurred preview (``hold`` items)
or a moderator's logged Reveal.
"""

from __future__ import annotations

import asyncio
import io
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot import keys
from bot.errors import MiruError, QuarantineError, StoreUnavailable
from bot.evidence.quarantine import PurgeResult
from bot.imaging.privacy import clean_image
from bot.models import AuditKind, IncomingMessage
from bot.ports import SYSTEM_CLOCK, Clock
from bot.review.model import Case, CaseStatus, Decision
from bot.review.reveals import RevealPost, Reveals
from bot.review.signals import age_signals, dump_signals
from bot.review.store import DecideResult, ReviewStore
from bot.stores.codec import dump_message, load_message
from safety.types import Verdict

if TYPE_CHECKING:
    from bot.evidence.audit import AuditLog
    from bot.evidence.vault import RedisQuarantine

log = logging.getLogger(__name__)

PREVIEW_EDGE = 24  # the preview keeps this many pixels on its long edge, then is blurred
PREVIEW_SIZE = 256
REVIEW_REQUEST = "review"


class ReviewRefused(Exception):
    """A review step that is not allowed (e.g. Reveal on a preserved case); ``code`` is stable."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def new_case_id() -> str:
    return "c" + secrets.token_hex(5)


def blurred_preview(data: bytes) -> bytes | None:
    """A heavily blurred JPEG of the first frame: shapes and colours, no detail (downscaled to
    ``PREVIEW_EDGE`` px, blurred, scaled back up). ``None`` when the image cannot be decoded.
    Only ever made for ``hold`` items."""
    from PIL import Image, ImageFilter

    try:
        with Image.open(io.BytesIO(data)) as img:
            img.draft("RGB", (PREVIEW_EDGE * 8, PREVIEW_EDGE * 8))
            small = img.convert("RGB")
            small.thumbnail((PREVIEW_EDGE, PREVIEW_EDGE))
        small = small.filter(ImageFilter.GaussianBlur(2))
        big = small.resize((PREVIEW_SIZE, max(1, PREVIEW_SIZE * small.height // small.width)),
                           Image.Resampling.BILINEAR).filter(ImageFilter.GaussianBlur(12))
        out = io.BytesIO()
        big.save(out, "JPEG", quality=60)
        return out.getvalue()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


@dataclass(frozen=True)
class Actor:
    """Who acts on a case: a moderator on a platform, or an operator (``platform="cli"``)."""

    platform: str
    user: str  # platform user id, or the ``--by`` name
    name: str = ""  # display name for the card


def _no_link(_msg: IncomingMessage) -> str:
    return ""


def strip_metadata(data: bytes) -> bytes:
    """What Reveal shows: the image re-encoded without EXIF/GPS/XMP/IPTC/ICC or anything
    appended (``miru clean``'s cleaning), never the original bytes."""
    return clean_image(data, blur_faces=False)


class Review:
    """``link(message)``: a link to the uploader's message, from its platform's adapter
    (``Adapters.link``; none on the command line). ``clock``: case and decision times."""

    def __init__(self, store: ReviewStore, quarantine: RedisQuarantine, audit: AuditLog, *,
                 link: Callable[[IncomingMessage], str] = _no_link,
                 clock: Clock = SYSTEM_CLOCK,
                 clean: Callable[[bytes], bytes] = strip_metadata) -> None:
        self.store = store
        self.quarantine = quarantine
        self.audit = audit
        self.link = link
        self.clock = clock
        self.clean = clean
        self.reveals = Reveals(store.r)

    # -- opening ---------------------------------------------------------------------------
    async def open_case(self, msg: IncomingMessage, request_id: str, verdict: Verdict,
                        raw: dict[int, bytes], *, images: tuple[str, ...] = (),
                        pdq: tuple[tuple[str, ...], ...] = (),
                        uploaders: tuple[str, ...] = (),
                        language: str = "en", link: str = "") -> Case:
        """Store the evidence (encrypted) and the case; audit ``review_opened``. ``images`` and
        ``pdq``: each item's original SHA-256 and PDQ hashes (a changed hash list matches the
        case again); ``uploaders``: who posted each item, when not all were the message's
        author. Raises ``QuarantineError`` or ``StoreUnavailable`` when it cannot (the caller
        keeps the request stopped and falls back to the local quarantine)."""
        case_id = new_case_id()
        now = self.clock.now()
        signals = age_signals(verdict)
        evidence = []
        for index, data in sorted(raw.items()):
            eid = f"{case_id}.{index}"
            await self.quarantine.put(eid, data, {"case": case_id, "index": index,
                                                  "action": verdict.action.value})
            evidence.append(eid)
        case = Case(id=case_id, action=verdict.action.value, reasons=verdict.reasons,
                    scores=dict(verdict.scores), created=now, platform=msg.platform,
                    workspace=msg.workspace, channel=msg.channel, thread=msg.thread,
                    message_id=msg.message_id, user=msg.user, link=link or self.link(msg),
                    request_id=request_id, language=language, images=images,
                    evidence=tuple(evidence), message=dump_message(msg).decode(),
                    extra={**({"pdq": [list(p) for p in pdq]} if any(pdq) else {}),
                           **({"signals": dump_signals(signals)} if signals else {}),
                           **({"uploaders": list(uploaders)}
                              if any(u and u != msg.user for u in uploaders) else {})})
        await self.store.create(case, int(now + self.quarantine.ttl_s(False)))
        await self._audit("review_opened", case, Actor(msg.platform, msg.user))
        return case

    # -- deciding --------------------------------------------------------------------------
    async def decide(self, case_id: str, decision: Decision, actor: Actor) -> DecideResult:
        """One decision per case (atomic); the winner is audited as ``review_decision``, a
        late or stale press as ``review_stale``. Escalation puts the evidence on legal hold."""
        now = self.clock.now()
        hold_until = None
        if decision is Decision.ESCALATE:
            case = await self.store.get(case_id)
            if case is not None:
                hold_until = int(case.created + self.quarantine.ttl_s(True))
        result = await self.store.decide(case_id, decision, by=actor.name or actor.user, at=now,
                                         legal_hold_until=hold_until,
                                         decider=f"{actor.platform}:{actor.user}")
        if result.outcome == "ok" and result.case is not None:
            if decision is Decision.ESCALATE:
                for eid in result.case.evidence:
                    try:
                        await self.quarantine.set_legal_hold(eid, True)
                    except QuarantineError as exc:
                        log.error("legal hold not set on %s: %s", eid, exc)
            await self._audit("review_decision", result.case, actor, action=decision.value)
            await self._withdraw_reveals(result.case.id)
        else:
            await self._audit_id("review_stale", case_id, actor, action=decision.value,
                                 detail={"outcome": result.outcome})
        return result

    async def refused(self, case_id: str, actor: Actor, what: str, *, why: str = "") -> None:
        """Someone who is not a moderator (``why``: of this case's workspace,
        ``other_workspace``) pressed a button: audit the attempt."""
        await self._audit_id("review_refused", case_id, actor, action=what,
                             detail={"why": why} if why else None)

    async def reveal(self, case_id: str, actor: Actor) -> list[bytes]:
        """A pending ``hold`` case's images without their metadata (``clean``), for a copy
        the moderator alone sees (logged; the adapter ``track``s what it posts, and the copy
        is deleted when the case is decided or purged: ``bot.review.reveals``).
        ``ReviewRefused`` with ``gone``, ``preserved``, ``decided``, ``limit`` (too many
        copies out) or ``unreadable`` (no image could be cleaned) otherwise."""
        if (case := await self.store.get(case_id)) is None:
            raise ReviewRefused("gone")
        why = ("preserved" if not case.previewable
               else "decided" if case.status is not CaseStatus.PENDING
               else "limit" if await self.reveals.count(case_id) >= keys.REVEALS_PER_CASE_MAX
               else "")
        images = []
        for eid in () if why else case.evidence:
            try:
                images.append(await asyncio.to_thread(self.clean, await self.quarantine.get(eid)))
            except (MiruError, OSError, ValueError) as exc:  # never the original instead
                log.warning("evidence %s not revealed: %s", eid, type(exc).__name__)
        why = why or ("" if images else "unreadable")
        if why:
            await self._audit("review_refused", case, actor, action="reveal")
            raise ReviewRefused(why)
        return images  # audited once the adapter says what became of its post (below)

    async def revealed(self, case_id: str, post: RevealPost, actor: Actor | None = None) -> None:
        """The adapter posted a Reveal's copy (for ``actor``): remember it, audit
        ``review_reveal`` (after the post, so the record says what happened), and withdraw it
        at once should the case have been decided meanwhile."""
        await self.reveals.track(case_id, post)
        await self._audit_id("review_reveal", case_id, actor or Actor(post.platform, ""),
                             action="reveal", detail={"copies": len(post.ids)})
        if not await self.is_open(case_id):
            await self._withdraw_reveals(case_id)

    async def reveal_failed(self, case_id: str, actor: Actor, *, why: str = "") -> None:
        """The adapter could not post a Reveal's copy (the moderator's direct messages are
        closed, the platform refused): audited as such, nothing was shown."""
        await self._audit_id("review_reveal", case_id, actor, action="reveal_failed",
                             detail={"why": why[:64]} if why else None)

    async def _withdraw_reveals(self, case_id: str) -> None:
        """Queue the deletion of the case's Reveal copies; a failure is left to the sweep."""
        try:
            await self.reveals.withdraw(case_id)
        except StoreUnavailable as exc:
            log.error("reveals of case %s not withdrawn yet: %s", case_id, exc.detail)

    async def is_open(self, case_id: str) -> bool:
        """Whether the case exists and waits for a decision."""
        case = await self.store.get(case_id)
        return case is not None and case.status is CaseStatus.PENDING

    async def previews(self, case: Case) -> list[bytes]:
        """Blurred previews for a ``hold`` case's card; never anything for other actions."""
        if not case.previewable:
            return []
        out = []
        for eid in case.evidence:
            try:
                data = await self.quarantine.get(eid)
            except QuarantineError:
                continue
            preview = await asyncio.to_thread(blurred_preview, data)
            if preview is not None:
                out.append(preview)
        return out

    async def appeal(self, case_id: str, actor: Actor, *, workspace: str) -> str:
        """The uploader sends a rejected case back to the queue, once, from the case's own
        platform and workspace (guild). Returns ``ok``, ``gone``, ``not_rejected``, ``already``
        or ``not_yours`` (another user, or the same id in another workspace: told alike, the
        audit record says which)."""
        case = await self.store.get(case_id)
        why = ""
        if case is None:
            outcome = "gone"
        elif (case.platform, case.user) != (actor.platform, actor.user):
            outcome = "not_yours"
        elif case.workspace != workspace:
            outcome, why = "not_yours", "other_workspace"
        else:
            outcome = await self.store.appeal(case_id)
        await self._audit_id("appeal", case_id, actor, action=outcome,
                             detail={"why": why} if why else None)
        return outcome

    def continued(self, case: Case) -> IncomingMessage:
        """The original request again, marked as approved by this case, under a new event id
        (so it is answered once)."""
        msg = load_message(case.message)
        return replace(msg, event_id=f"{msg.event_id or msg.message_id}:review:{case.id}",
                       review_case=case.id)

    async def approved(self, case_id: str, images: tuple[str, ...]) -> bool:
        """Whether ``case_id`` was approved for exactly these images (by original SHA-256)."""
        case = await self.store.get(case_id)
        return (case is not None and case.status is CaseStatus.APPROVED
                and case.action == "hold" and set(images) <= set(case.images))

    # -- retention -------------------------------------------------------------------------
    async def purge(self, actor: Actor, *, now: float | None = None,
                    always_audit: bool = False) -> PurgeResult:
        """Apply the retention: evidence first, then cases whose time is up (legal hold:
        ``legal_hold_days``). Audited as ``review_purge``."""
        now = self.clock.now() if now is None else now
        evidence = await self.quarantine.sweep(now=now)
        removed, kept = 0, 0
        for case_id in await self.store.ids():
            case = await self.store.get(case_id)
            if case is None or now - case.created > self.quarantine.ttl_s(case.legal_hold):
                for eid in case.evidence if case else ():
                    await self.quarantine.delete(eid)
                await self.store.forget(case_id)
                removed += 1
            else:
                kept += 1
        try:  # Reveal copies of cases decided, purged or expired (the decision's own failed)
            await self.reveals.sweep(self.is_open)
        except StoreUnavailable as exc:
            log.error("reveal sweep failed: %s", exc.detail)
        result = PurgeResult(removed, kept, evidence.skipped)
        if not (removed or evidence.removed or evidence.skipped or always_audit):
            return result  # the hourly sweep that found nothing leaves no record
        await self.audit.write(self.audit.record(
            "review_purge", REVIEW_REQUEST, platform=actor.platform, user=actor.user,
            detail={"cases_removed": removed, "cases_kept": kept,
                    "evidence_removed": evidence.removed, "evidence_kept": evidence.kept,
                    "unreadable": len(evidence.skipped)}))
        return result

    # -- audit -----------------------------------------------------------------------------
    async def _audit(self, kind: AuditKind, case: Case, actor: Actor, *, action: str = "") -> None:
        await self.audit.write(self.audit.record(
            kind, case.request_id or f"{REVIEW_REQUEST}:{case.id}",
            platform=actor.platform, user=actor.user, channel=case.channel,
            thread=case.thread, images=case.images, action=action or case.action,
            detail={"case": case.id, "case_action": case.action, "status": case.status.value,
                    "reasons": list(case.reasons)}))

    async def _audit_id(self, kind: AuditKind, case_id: str, actor: Actor, *, action: str,
                        detail: dict | None = None) -> None:
        await self.audit.write(self.audit.record(
            kind, f"{REVIEW_REQUEST}:{case_id}", platform=actor.platform,
            user=actor.user, action=action, detail={"case": case_id, **(detail or {})}))
