"""Keeping evidence: the one place that preserves a held or preserved item and opens its case.

Every path whose verdict is ``hold`` or ``block_and_preserve`` comes here: chat and ``/v1/ask``
through the pipeline's steps (``bot.core.steps.Steps.preserve``), ``/v1/screen``,
``/v1/receipts``, ``miru screen`` and ``miru receipt`` through ``bot.api.contract``. With a
review queue the evidence goes to the shared quarantine (Redis) with a case for the moderators
and its card; without one, or when it is away, to the local quarantine folder (Fernet files).
``Preserved`` says which, or that nothing could be kept: the chat path keeps the request
stopped either way, the screening paths then refuse to give a verdict (fail closed).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.errors import QuarantineError, StoreUnavailable
from bot.models import IncomingMessage
from safety.types import Verdict

if TYPE_CHECKING:
    from bot.evidence.quarantine import Quarantine
    from bot.review.model import Case
    from bot.review.service import Review

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Preserved:
    """Where the evidence went: ``case`` (a review case in the shared queue), ``local`` (ids
    in the local quarantine folder), ``failed`` (ids of items kept nowhere)."""

    case: str = ""
    local: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Every item was kept somewhere."""
        return bool(self.case or self.local) and not self.failed


class EvidenceKeeper:
    """``review``: the moderators' queue (``None`` without Redis); ``quarantine``: the local
    folder; ``cards``: posts a new case's card (``Services.review_cards``)."""

    def __init__(self, review: Review | None, quarantine: Quarantine | None,
                 cards: Callable[[Case], Awaitable[None]]) -> None:
        self.review = review
        self.quarantine = quarantine
        self.cards = cards

    async def keep(self, msg: IncomingMessage, request_id: str, verdict: Verdict,
                   raw: dict[int, bytes], *, language: str = "en",
                   images: tuple[str, ...] = (), pdq: tuple[tuple[str, ...], ...] = (),
                   uploaders: tuple[str, ...] = ()) -> Preserved:
        """Encrypt ``raw`` (index -> original bytes) at rest, never shown to a model; open a
        case when there is a queue (``images``, ``pdq``, ``uploaders``: each item's hashes and
        uploader, see ``Review.open_case``). Never raises for a store that is away: the
        result says what was kept."""
        if not raw:
            return Preserved()
        if self.review is not None:
            try:
                case = await self.review.open_case(
                    msg, request_id, verdict, raw, language=language, images=images,
                    pdq=pdq, uploaders=uploaders)
            except (QuarantineError, StoreUnavailable, OSError) as exc:
                log.error("review case not opened (local quarantine instead): %s", exc,
                          extra={"request_id": request_id})
            else:
                try:
                    await self.cards(case)
                except Exception:  # the case is in the queue either way (miru review list)
                    log.exception("review card for case %s not posted", case.id)
                return Preserved(case=case.id)
        local, failed = [], []
        for index, data in raw.items():
            item = f"{request_id}:{index}".replace(":", "_").replace("/", "_")
            try:
                if self.quarantine is None:
                    raise QuarantineError("no quarantine folder")
                self.quarantine.put(item, data, {"action": verdict.action.value,
                                                 "reasons": list(verdict.reasons)})
            except (QuarantineError, OSError) as exc:
                log.error("evidence not preserved (case %s): %s", item, exc)
                failed.append(item)
            else:
                local.append(item)
        return Preserved(local=tuple(local), failed=tuple(failed))

    async def keep_file(self, msg: IncomingMessage, request_id: str, verdict: Verdict,
                        data: bytes, *, sha256: str, pdq: tuple[str, ...] = (),
                        language: str = "en") -> Preserved:
        """One screened file (``miru screen``, ``/v1/screen``, receipts): its original's
        SHA-256 and PDQ hashes, uploaded by the message's author."""
        return await self.keep(msg, request_id, verdict, {0: data}, language=language,
                               images=(sha256,), pdq=(pdq,), uploaders=(msg.user,))
