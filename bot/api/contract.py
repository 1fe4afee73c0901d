"""The JSON objects Miru answers with, the same for ``miru ask|screen|receipt --json`` and for
``/v1/ask``, ``/v1/screen`` and ``/v1/receipts``; and the per-image steps behind ``screen``,
shared by the command line and the API so that both decide alike (``receipt``'s steps:
``bot.api.receipt_read``).

A file whose verdict is ``hold`` or ``block_and_preserve`` is kept and gets a case before its
verdict is given (``keep_stopped`` over the one keeper, ``bot.review.keep``), as in chat: the
screening routes are no free oracle against the hash lists. Where nothing can be kept, no
verdict is given (``EvidenceNotKept``: the API answers 503, the command line fails)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from bot.core.pipeline import Outcome
from bot.errors import EvidenceNotKept, InputRejected
from bot.imaging.ingest import check_size
from safety.policy import context_for
from safety.types import Action, DecodedImage, Finding, Verdict

if TYPE_CHECKING:
    from bot.evidence.audit import AuditLog
    from bot.imaging.ingest import Ingestor
    from bot.models import IncomingMessage
    from bot.review.keep import EvidenceKeeper, Preserved
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


Keep = Callable[[Verdict, bytes, str, tuple[str, ...]], Awaitable["Preserved"]]
"""Keep one screened file's evidence and open its case: (verdict, the original bytes, their
SHA-256, their PDQ hashes) -> where it went. Bound by the caller to its message and request id
over ``EvidenceKeeper.keep_file``."""

PRESERVES = (Action.HOLD, Action.BLOCK_AND_PRESERVE)


async def keep_stopped(keep: Keep | None, verdict: Verdict, data: bytes, sha256: str,
                       pdq: tuple[str, ...], *, audit: AuditLog, request_id: str,
                       platform: str, user: str, name: str) -> str:
    """For a verdict that preserves: keep the evidence and open a case through ``keep``;
    returns the case id for ``hold`` (the uploader may know it) and "" otherwise (a preserved
    case's id is the moderators' alone). Nothing kept (or no ``keep``): audited as ``error``
    (``not_preserved``), then ``EvidenceNotKept``: the caller gives no verdict."""
    if verdict.action not in PRESERVES:
        return ""
    if keep is not None:
        kept = await keep(verdict, data, sha256, pdq)
        if kept.ok:
            return kept.case if verdict.action is Action.HOLD else ""
    await not_kept(audit, request_id, verdict, platform=platform, user=user, images=[sha256],
                   name=name)
    return ""  # not reached: not_kept raises


def keep_with(keeper: EvidenceKeeper, msg: IncomingMessage, request_id: str = "", *,
              prefix: str = "screen", lang: str = "en") -> Keep:
    """A ``Keep`` over the one keeper: each file's case under ``msg`` and ``request_id``
    (default ``<prefix>:<sha256 prefix>``)."""
    async def keep(verdict: Verdict, data: bytes, sha256: str, pdq: tuple[str, ...]
                   ) -> Preserved:
        return await keeper.keep_file(msg, request_id or f"{prefix}:{sha256[:16]}", verdict,
                                      data, sha256=sha256, pdq=pdq, language=lang)

    return keep


async def refuse_unkept(out: Outcome, audit: AuditLog, *, platform: str, user: str,
                        name: str) -> None:
    """``/v1/ask`` and ``miru ask``: a held or preserved item whose evidence was kept nowhere
    (``Outcome.unkept``) means no verdict: ``not_kept``."""
    if out.unkept and out.verdict is not None:
        await not_kept(audit, out.request_id, out.verdict, platform=platform, user=user,
                       images=[d.original_sha256 for d in out.decoded], name=name)


async def not_kept(audit: AuditLog, request_id: str, verdict: Verdict, *, platform: str,
                   user: str, images: list[str], name: str) -> None:
    """Audit evidence kept nowhere (``error``, ``not_preserved``), then raise
    ``EvidenceNotKept``: no verdict goes out (``/v1/ask`` and ``miru ask`` too)."""
    await audit.write(audit.record(
        "error", request_id, platform=platform, user=user, images=images,
        action=verdict.action.value, detail={"code": EvidenceNotKept.code}))
    raise EvidenceNotKept(f"evidence of {request_id} kept nowhere", name=name)


@dataclass(frozen=True)
class Screened:
    """One file through the gates: its verdict, or why it was never screened; ``case``: the
    review case a held file opened."""

    decoded: DecodedImage | None
    verdict: Verdict | None
    error: tuple[str, str] | None = None  # (code, sentence)
    case: str = ""

    def as_json(self, file: str) -> dict[str, Any]:
        """A line of ``miru screen --json`` (an entry of ``/v1/screen``)."""
        if self.error is not None:
            return {"file": file, "error": {"code": self.error[0], "message": self.error[1]}}
        return {"file": file, "verdict": verdict_json(self.verdict),
                **({"case": self.case} if self.case else {})}


async def screen_image(data: bytes, name: str, *, size: int, max_bytes: int, text: str,
                       ingestor: Ingestor, screener: ScreenerLike, policy: PolicyConfig,
                       audit: AuditLog, channel: str, platform: str, keep: Keep | None,
                       request_id: str = "", user: str = "", lang: str = "en",
                       age_stage: AgeStageLike | None = None) -> Screened:
    """Decode and screen one file alone and audit its verdict (``request_id`` defaults to
    ``screen:<sha256 prefix>``); a verdict that preserves is kept through ``keep`` first
    (``keep_stopped``: raises ``EvidenceNotKept`` when it cannot be). ``size`` is the file's
    size (``data`` may be empty when the caller did not keep a file over ``max_bytes``)."""
    try:
        check_size(size, max_bytes, name)
        decoded = await ingestor.decode(data, name=name)
    except InputRejected as exc:
        return Screened(None, None, (exc.code, exc.user_message(lang, name=name)))
    ctx = context_for(policy, channel, text)
    verdict = await screener.screen([decoded], ctx)
    if age_stage is not None:  # a vision model's second stage, as on the chat path
        verdict = await age_stage.screened(decoded, text, verdict, ctx, policy)
    rid = request_id or f"screen:{decoded.original_sha256[:16]}"
    await audit.write(audit.record(
        "verdict", rid, platform=platform, user=user, images=[decoded.original_sha256],
        verdict=verdict))
    case = await keep_stopped(keep, verdict, data, decoded.original_sha256,
                              decoded.pdq_variants, audit=audit, request_id=rid,
                              platform=platform, user=user, name=name)
    return Screened(decoded, verdict, case=case)
