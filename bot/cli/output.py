"""How the command line shows an outcome: the JSON contract and the text a person reads."""

from __future__ import annotations

import json
from typing import Any

# The JSON contract is shared with the HTTP API (``/v1/ask`` answers the same object).
from bot.api.contract import finding_json, outcome_json, verdict_json
from bot.core.pipeline import Outcome


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


__all__ = ["dumps", "finding_json", "outcome_json", "outcome_text", "verdict_json"]
