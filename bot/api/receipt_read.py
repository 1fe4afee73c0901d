"""The per-image steps behind ``miru receipt`` and ``/v1/receipts``, shared so that both read
alike: screen one file with the real gates, read an allowed one, ask a vision model's second
opinion where one is configured (``second_opinion``, as an expense thread asks it), audit the
verdict with that opinion's outcome and keep a stopped file (``settle_read``), and the JSON
entry (``receipt_entry``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from bot import strings
from bot.api.contract import Keep, keep_stopped
from bot.errors import InputRejected, MiruError
from bot.imaging.ingest import check_size
from bot.models import Image
from bot.receipts.codec import CONTRACT_FIELDS, contract_json
from safety.policy import context_for
from safety.types import Verdict

if TYPE_CHECKING:
    from bot.evidence.audit import AuditLog
    from bot.imaging.ingest import Ingestor
    from bot.receipts.model import Receipt
    from bot.receipts.opinion import ReceiptOpinion
    from bot.services import ScreenerLike
    from config.policy import PolicyConfig


Opinion = Callable[["Image", "Receipt"], Awaitable["ReceiptOpinion"]]
"""A vision model's second opinion on a read receipt (``Services.receipt_opinion``,
``bot.receipts.opinion.ReceiptOpinions``); None where no model is configured."""


@dataclass(frozen=True)
class Check:
    """A field the vision model read otherwise (``ReceiptOpinion.differ``): its name and the
    model's reading of it as the contract prints values (the OCR reading stays in the entry)."""

    field: str
    model: str | None

    def as_json(self) -> dict[str, str | None]:
        return {"field": self.field, "model": self.model}


@dataclass(frozen=True)
class ReceiptRead:
    """One file screened, then (when allowed) read as a receipt."""

    verdict: Verdict | None
    sha256: str
    fields: dict[str, Any] | None  # ``bot.receipts.codec.contract_json``; None when not read
    error: tuple[str, str] | None = None
    pdq: tuple[str, ...] = ()  # the original's PDQ hashes (a verdict that preserves keeps them)
    # A readable receipt's reading and processed image, kept (``for_opinion``) only until
    # ``second_opinion`` asks the model about them
    receipt: Receipt | None = None
    image: Image | None = None
    checks: tuple[Check, ...] = ()  # the second opinion's fields to check
    opinion: dict[str, Any] | None = None  # its audit detail (``ReceiptOpinion.audit``)


async def read_receipt_image(data: bytes, name: str, *, size: int, max_bytes: int,
                             ingestor: Ingestor, screener: ScreenerLike, policy: PolicyConfig,
                             read: Callable[[Image], Receipt], channel: str,
                             lang: str = "en", for_opinion: bool = False) -> ReceiptRead:
    """Screen one file with the real gates, then read an allowed one with ``read`` (in a
    thread: Tesseract is slow). Never raises for what is in the file. The caller asks the
    second opinion (``second_opinion``: ``for_opinion`` keeps what it needs), audits the
    verdict, then keeps a stopped file (``keep_stopped``) before it gives the verdict."""
    try:
        check_size(size, max_bytes, name)
        decoded = await ingestor.decode(data, name=name)
    except InputRejected as exc:
        return ReceiptRead(None, "", None, (exc.code, exc.user_message(lang, name=name)))
    verdict = await screener.screen([decoded], context_for(policy, channel, ""))
    sha = decoded.original_sha256
    if not verdict.action.reaches_model:
        return ReceiptRead(verdict, sha, None, (
            "not_screened_clear",
            f"not read: the image was {verdict.action.value} by the safety gates"),
            pdq=decoded.pdq_variants)
    try:
        blur = verdict.faces(0) if verdict.action.value == "allow_blurred" else ()
        img = await ingestor.process(data, decoded, blur=blur, name=name)
        receipt = await asyncio.to_thread(read, img)
    except MiruError as exc:
        return ReceiptRead(verdict, sha, None, (exc.code, exc.user_message(lang, name=name)))
    error = None
    if not receipt.is_receipt:
        error = ("not_a_receipt", strings.t("receipts.not_receipt", lang, name=name))
    elif not receipt.readable:
        tips = " ".join(strings.t(k, lang) for k in receipt.retake_tips if k in strings.MESSAGES)
        error = ("unreadable_receipt", strings.t(
            "receipts.unreadable", lang, name=name,
            tips=tips or strings.t("receipts.retake_generic", lang)))
    asked = for_opinion and error is None
    return ReceiptRead(verdict, sha, contract_json(receipt), error,
                       receipt=receipt if asked else None, image=img if asked else None)


async def second_opinion(got: ReceiptRead, ask: Opinion | None) -> ReceiptRead:
    """``got`` with a vision model's second opinion, as an expense thread asks it
    (``bot.core.receipt_thread``): the fields' confidences adjusted, the fields to check
    listed; the OCR readings stay. Without a model, or for a file not read as a readable
    receipt, ``got`` as it is. A timeout or error of the model changes nothing but the audit
    detail (``ReceiptOpinions`` never raises). The image and reading are dropped either way."""
    if ask is None or got.receipt is None or got.image is None:
        return replace(got, receipt=None, image=None)
    opinion = await ask(got.image, got.receipt)
    seen = contract_json(opinion.reading) if opinion.reading is not None else {}
    return replace(got, fields=contract_json(opinion.receipt), receipt=None, image=None,
                   checks=tuple(Check(f, seen.get(f)) for f in opinion.differ),
                   opinion=opinion.audit())


def read_detail(got: ReceiptRead) -> dict[str, Any] | None:
    """The verdict record's detail for a read: the second opinion's outcome, as the expense
    thread's ``receipt`` record keeps it (``second_opinion``), when one was asked."""
    return {"second_opinion": got.opinion} if got.opinion is not None else None


async def settle_read(got: ReceiptRead, data: bytes, keep: Keep, *, audit: AuditLog,
                      request_id: str, platform: str, user: str, name: str) -> None:
    """``/v1/receipts``: audit a screened file's verdict, then keep it when it stops
    (``keep_stopped``: ``EvidenceNotKept`` when it cannot be)."""
    if got.verdict is None:
        return
    await audit.write(audit.record("verdict", request_id, platform=platform, user=user,
                                   images=[got.sha256], verdict=got.verdict,
                                   detail=read_detail(got)))
    await keep_stopped(keep, got.verdict, data, got.sha256, got.pdq, audit=audit,
                       request_id=request_id, platform=platform, user=user, name=name)


def receipt_entry(file: str, verdict: str | None = None, fields: dict[str, Any] | None = None,
                  error: tuple[str, str] | None = None, checks: Sequence[Check] = ()
                  ) -> dict[str, Any]:
    """One object of ``miru receipt --json`` (an entry of ``/v1/receipts``): ``file``, the
    ``verdict`` action (null when never screened), the contract fields (null where not found),
    ``checks`` (the fields a vision model read otherwise, ``[{"field", "model"}]``; empty when
    it agreed, was not asked or none is configured) and ``error`` (null or ``{"code",
    "message"}``)."""
    if fields is None:
        fields = dict.fromkeys(CONTRACT_FIELDS)
        fields["items"] = []
        fields["confidence"] = {}
    return {"file": file, "verdict": verdict, **fields,
            "checks": [c.as_json() for c in checks],
            "error": {"code": error[0], "message": error[1]} if error else None}
