"""The one way in: what every request from outside passes before it is queued or run.

Chat gateways (``bot.core.gateway``) and the integration API (``bot.api.server``) both come
through here, so team permissions, quota admission, the audit records of every refusal, and
giving counted images back are written once. Each caller only turns the outcome into its own
answer: a platform reply, or an HTTP status.

- ``permit``: the author's level (``bot.core.access``), or the refusal, audited as
  ``permission_denied``; ``StoreUnavailable`` when the permissions cannot be read.
- ``admit``: the workspace's quotas (one Lua script, ``bot.core.quota``); a refusal is audited as
  ``quota_refused`` (``refused``). An approved review case was counted when first sent.
- ``refund``: counted but never queued (the queue was down). ``release``: the request is done,
  its concurrency slot is free. Both best effort: a slot that is not freed lapses by its TTL.
- ``admitted``: admit, and release when the block ends (the API runs the request in-process).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import structlog

from bot.core.access import NO_MEMBER, Access, Decision, Member
from bot.core.outcome import request_id_for
from bot.core.quota import Admission, Quotas
from bot.errors import MiruError, StoreUnavailable
from bot.evidence.audit import AuditLog
from bot.models import AuditKind, IncomingMessage
from bot.ports import Clock

log = structlog.get_logger(__name__)

ADMITTED = Admission(True, "")


class Ingress:
    """Permission, quota and refusal records for every way in. ``quotas`` None: no limits (an
    app without Redis)."""

    def __init__(self, audit: AuditLog, quotas: Quotas | None, clock: Clock) -> None:
        self.audit = audit
        self.quotas = quotas
        self.clock = clock

    # -- permission ------------------------------------------------------------------------
    async def permit(self, access: Access | None, message: IncomingMessage,
                     member: Member = NO_MEMBER) -> Decision | None:
        """The author's level where permissions are configured (``access``; None lets everyone
        in: the result is None). A refusal is audited before it is returned. Raises
        ``StoreUnavailable`` when the permissions cannot be read (callers fail closed)."""
        if access is None:
            return None
        decision = await access.decide(message, member)
        if decision.refused:
            log.info("ingress.permission_denied", platform=message.platform,
                     reason=decision.refused)
            await self._record("permission_denied", message, {
                "workspace": message.workspace, "reason": decision.refused,
                "level": decision.level.value, "images": len(message.images)})
        return decision

    # -- quotas ----------------------------------------------------------------------------
    async def admit(self, message: IncomingMessage) -> Admission:
        """Count the message against its workspace's quotas. A refusal is audited before it is
        returned. Raises ``StoreUnavailable`` when the quota store does not answer (callers
        queue nothing that no quota counted)."""
        if self.quotas is None or message.review_case:  # an approved case was counted when sent
            return ADMITTED
        admission = await self.quotas.admit(message, request_id_for(message),
                                            now=self.clock.now())
        if not admission.ok:
            await self._record("quota_refused", message, {
                "scope": admission.scope, "tier": admission.tier, "limit": admission.limit,
                "images": len(message.images)})
        return admission

    def retry_after_s(self, admission: Admission) -> int:
        """Seconds until a refused quota starts again (5 for the concurrency limit)."""
        reset = admission.reset_at
        return max(1, int(reset.timestamp() - self.clock.now())) if reset is not None else 5

    async def refund(self, message: IncomingMessage, *, at: float | None = None) -> None:
        """Counted but never queued, or queued and never answered (no worker served its
        platform): give the images back (best effort; a quota store that is down now keeps
        the count, which errs on the side of the limit). ``at``: when it was counted (the
        day's counter it went to), by default now."""
        if self.quotas is None or message.review_case:
            return
        try:
            await self.quotas.refund(message, request_id_for(message),
                                     now=self.clock.now() if at is None else at)
        except StoreUnavailable as exc:
            log.warning("ingress.quota_refund_failed", platform=message.platform,
                        error=exc.code)

    async def release(self, message: IncomingMessage) -> None:
        """Free the request's concurrency slot (a Redis hiccup lets it lapse by its TTL)."""
        if self.quotas is None:
            return
        try:
            await self.quotas.release(message, request_id_for(message))
        except StoreUnavailable as exc:
            log.warning("ingress.quota_not_released", platform=message.platform,
                        error=exc.detail)

    @contextlib.asynccontextmanager
    async def admitted(self, message: IncomingMessage) -> AsyncIterator[Admission]:
        """``admit`` for a request run in-process: yields the admission (refused: audited,
        nothing to release), and frees the slot when the block ends."""
        admission = await self.admit(message)
        if not admission.ok:
            yield admission
            return
        try:
            yield admission
        finally:
            await self.release(message)

    # -- records ---------------------------------------------------------------------------
    async def denied(self, message: IncomingMessage, detail: dict) -> None:
        """A refusal decided past ``permit`` (a button that needs a higher level than the
        presser's): audited as ``permission_denied``."""
        await self._record("permission_denied", message,
                           {"workspace": message.workspace, **detail})

    async def unavailable(self, message: IncomingMessage) -> None:
        """Nothing was queued because the queue or the quota store is down: audited."""
        await self._record("unavailable", message, {"code": "store_unavailable"})

    async def _record(self, kind: AuditKind, message: IncomingMessage, detail: dict) -> None:
        """One audit record of a refusal; never raises (the refusal stands either way)."""
        try:
            await self.audit.write(self.audit.record(
                kind, request_id_for(message), platform=message.platform, user=message.user,
                channel=message.channel, thread=message.thread, detail=detail))
        except MiruError as exc:
            log.error("ingress.audit_failed", platform=message.platform, kind=kind,
                      error=exc.code)
