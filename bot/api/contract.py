"""The JSON objects Miru answers with, the same for ``miru ask|screen|receipt --json`` and for
``/v1/ask``, ``/v1/screen`` and ``/v1/receipts``; and the per-image steps behind ``screen`` and
``receipt``, shared by the command line and the API so that both decide and read alike."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from bot import strings
from bot.core.pipeline import Outcome
from bot.errors import InputRejected, MiruError
from bot.imaging.ingest import check_size
from bot.models import Image
from bot.receipts.codec import CONTRACT_FIELDS, contract_json
from safety.policy import context_for
from safety.types import DecodedImage, Finding, Verdict

if TYPE_CHECKING:
    from bot.evidence.audit import AuditLog
    from bot.imaging.ingest import Ingestor
    from bot.receipts.model import Receipt
    from bot.services import AgeStageLike, ScreenerLike
    from config.policy import PolicyConfig


def finding_json(f: Finding) -> dict[str, Any]:
    d = asdict(f)
    if f.box is not None:
        d["box"] = [round(v, 4) for v in f.box]
    if f.score is not None:
        d["score"] = round(f.score, 4)
    return d


def verdict_json(v: Verdict | None) -> dict[str, Any] | None:
    if v is None:
        return None
    return {
        "action": v.action.value,
        "reasons": list(v.reasons),
        "findings": [finding_json(f) for f in v.findings],
        "scores": {k: round(s, 4) for k, s in v.scores.items()},
        "escalated": v.escalated,
        "model_versions": dict(v.model_versions),
    }


def outcome_json(out: Outcome) -> dict[str, Any]:
    """The ``miru ask --json`` object (and the body of ``POST /v1/ask``)."""
    images: list[dict[str, Any]] = []
    for d in out.decoded:
        faces = len(out.verdict.faces(d.index)) if out.verdict else 0
        images.append({"index": d.index, "sha256": d.original_sha256, "width": d.width,
                       "height": d.height, "format": d.source_format, "faces": faces,
                       "frames": d.frame_count})
    for r in out.rejections:
        images.append({"index": r.index, "name": r.name,
                       "error": {"code": r.code, "message": r.message}})
    images.sort(key=lambda i: i["index"])
    error = None
    if not out.decoded and out.rejections:
        error = {"code": out.rejections[0].code if len(out.rejections) == 1 else "no_images",
                 "message": out.reply.text if out.reply else ""}
    elif out.reply is not None and out.reply.kind.value == "error":
        error = {"code": "error", "message": out.reply.text}
    answer = out.reply.text if out.reply is not None and out.reply.kind.value == "answer" else None
    return {"verdict": verdict_json(out.verdict), "images": images, "answer": answer,
            "engine": out.engine or None, "error": error,
            "reply": out.reply.text if out.reply else None,
            "language": out.language}


@dataclass(frozen=True)
class Screened:
    """One file through the gates: its verdict, or why it was never screened."""

    decoded: DecodedImage | None
    verdict: Verdict | None
    error: tuple[str, str] | None = None  # (code, sentence)

    def as_json(self, file: str) -> dict[str, Any]:
        """A line of ``miru screen --json`` (an entry of ``/v1/screen``)."""
        if self.error is not None:
            return {"file": file, "error": {"code": self.error[0], "message": self.error[1]}}
        return {"file": file, "verdict": verdict_json(self.verdict)}


async def screen_image(data: bytes, name: str, *, size: int, max_bytes: int, text: str,
                       ingestor: Ingestor, screener: ScreenerLike, policy: PolicyConfig,
                       audit: AuditLog, channel: str, platform: str, request_id: str = "",
                       user: str = "", lang: str = "en",
                       age_stage: AgeStageLike | None = None) -> Screened:
    """Decode and screen one file alone and audit its verdict (``request_id`` defaults to
    ``screen:<sha256 prefix>``). ``size`` is the file's size (``data`` may be empty when the
    caller did not keep a file over ``max_bytes``)."""
    try:
        check_size(size, max_bytes, name)
        decoded = await ingestor.decode(data, name=name)
    except InputRejected as exc:
        return Screened(None, None, (exc.code, exc.user_message(lang, name=name)))
    ctx = context_for(policy, channel, text)
    verdict = await screener.screen([decoded], ctx)
    if age_stage is not None:  # a vision model's second stage, as on the chat path
        verdict = await age_stage.screened(decoded, text, verdict, ctx, policy)
    await audit.write(audit.record(
        "verdict", request_id or f"screen:{decoded.original_sha256[:16]}", platform=platform,
        user=user, images=[decoded.original_sha256], verdict=verdict))
    return Screened(decoded, verdict)


@dataclass(frozen=True)
class ReceiptRead:
    """One file screened, then (when allowed) read as a receipt."""

    verdict: Verdict | None
    sha256: str
    fields: dict[str, Any] | None  # ``bot.receipts.codec.contract_json``; None when not read
    error: tuple[str, str] | None = None


async def read_receipt_image(data: bytes, name: str, *, size: int, max_bytes: int,
                             ingestor: Ingestor, screener: ScreenerLike, policy: PolicyConfig,
                             read: Callable[[Image], Receipt], channel: str,
                             lang: str = "en") -> ReceiptRead:
    """Screen one file with the real gates, then read an allowed one with ``read`` (in a
    thread: Tesseract is slow). Never raises for what is in the file. The caller audits."""
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
            f"not read: the image was {verdict.action.value} by the safety gates"))
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
    return ReceiptRead(verdict, sha, contract_json(receipt), error)


def receipt_entry(file: str, verdict: str | None = None, fields: dict[str, Any] | None = None,
                  error: tuple[str, str] | None = None) -> dict[str, Any]:
    """One object of ``miru receipt --json`` (an entry of ``/v1/receipts``): ``file``, the
    ``verdict`` action (null when never screened), the contract fields (null where not found)
    and ``error`` (null or ``{"code", "message"}``)."""
    if fields is None:
        fields = dict.fromkeys(CONTRACT_FIELDS)
        fields["items"] = []
        fields["confidence"] = {}
    return {"file": file, "verdict": verdict, **fields,
            "error": {"code": error[0], "message": error[1]} if error else None}
