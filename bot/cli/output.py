"""How the command line shows an outcome: the JSON contract and the text a person reads."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from bot.core.pipeline import Outcome
from bot.models import Finding, Verdict


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
    """The ``miru ask --json`` object."""
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


def outcome_text(out: Outcome) -> str:
    """What a person reads: one line per image, the verdict, then the reply."""
    lines = []
    by_index = {d.index: d for d in out.decoded}
    rejected = {r.index: r for r in out.rejections}
    for i in sorted(set(by_index) | set(rejected)):
        if i in rejected:
            lines.append(f"Image {i + 1} ({rejected[i].name}): not used: {rejected[i].message}")
            continue
        d = by_index[i]
        faces = len(out.verdict.faces(i)) if out.verdict else 0
        extra = f", {d.frame_count} frames" if d.frame_count > 1 else ""
        lines.append(f"Image {i + 1}: {d.width}×{d.height} {d.source_format.upper()}{extra}, "
                     f"{faces} face(s)")
    if out.verdict is not None:
        reasons = ", ".join(out.verdict.reasons) or "no findings"
        lines.append(f"Verdict: {out.verdict.action.value} ({reasons})")
    if out.reply is not None:
        head = f"Answer ({out.engine})" if out.engine else "Reply"
        lines.append(f"{head}:\n{out.reply.text}")
        for a in out.reply.attachments:
            lines.append(f"[attachment: {a.filename}, {len(a.data)} bytes]")
    return "\n".join(lines)


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)
