"""Integration events, taken from the audit log: the one tap for outgoing webhooks.

Every decision an integration cares about is already written to the audit log exactly once, by
the code that made it: a ``verdict`` (held or blocked), a ``review_decision`` (a case decided,
from any gateway, worker or ``miru review``) and a ``receipt`` added to a ledger. ``EventTap`` is
installed on an ``AuditLog`` (``bot.evidence.secrets.open_audit_log``, when ``MIRU_WEBHOOK_URL``
is set) and turns those lines into events with one ``XADD`` each to ``keys.WEBHOOK_STREAM``; the
deliverer (``bot.api.webhooks``) posts them. Nothing on the request path waits for a webhook.

An event carries ids, hashes, the verdict and its reasons, never image bytes (the audit log
refuses bytes in the first place) and never a platform user id (only the audit pseudonym).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from bot import keys

if TYPE_CHECKING:
    from redis.asyncio import Redis, RedisCluster

EventType = Literal["verdict.held", "verdict.blocked", "case.decided", "receipt.added"]
EVENT_TYPES: tuple[EventType, ...] = ("verdict.held", "verdict.blocked", "case.decided",
                                      "receipt.added")
_BLOCKED = {"block", "block_and_preserve"}


def event_type(line: dict[str, Any]) -> EventType | None:
    """Which event an audit line is, if any."""
    kind, action = line.get("kind"), line.get("action")
    detail = line.get("detail") or {}
    if kind == "verdict":
        if action == "hold":
            return "verdict.held"
        if action in _BLOCKED:
            return "verdict.blocked"
    elif kind == "review_decision":
        return "case.decided"
    elif kind == "receipt" and detail.get("outcome") == "added":
        # An integration event takes data out: only for an uploader at the share level
        # (records from before the field was written count as shared, as they were sent).
        return "receipt.added" if detail.get("shared", True) is not False else None
    return None


def event_for(line: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any] | None:
    """The event (a JSON object) for one written audit line, or ``None``."""
    kind = event_type(line)
    if kind is None:
        return None
    detail = line.get("detail") or {}
    ts = float(line.get("ts") or 0.0)
    event: dict[str, Any] = {
        "id": event_id or uuid.uuid4().hex, "type": kind,
        "created": datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds"),
        "request_id": line.get("request_id", ""), "platform": line.get("platform", ""),
        "channel": line.get("channel", ""), "thread": line.get("thread", ""),
        "actor": line.get("actor", ""), "images": list(line.get("image_sha256") or ()),
        "action": line.get("action", ""), "reasons": list(line.get("reasons") or ()),
        "audit": {"chain": line.get("chain"), "n": line.get("n")},
    }
    if kind == "case.decided":
        event["case"] = {"id": detail.get("case"), "action": detail.get("case_action"),
                         "status": detail.get("status"), "decision": line.get("action", ""),
                         "reasons": list(detail.get("reasons") or ())}
        event["reasons"] = event["case"]["reasons"]
    elif kind == "receipt.added":
        event["receipt"] = {"n": detail.get("n"), "image": detail.get("image"),
                            "duplicate_of": detail.get("duplicate_of"),
                            "total_missing": detail.get("total_missing"),
                            "unsure": list(detail.get("unsure") or ())}
    return event


def encode(event: dict[str, Any]) -> bytes:
    """The event's body as posted (compact UTF-8 JSON); the signature covers these bytes."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"),
                      sort_keys=True).encode()


class EventTap:
    """An ``AuditLog`` tap: one ``XADD`` per event line (a failure is logged by the audit log,
    which never loses its own record over it)."""

    def __init__(self, redis: Redis | RedisCluster, stream: str = keys.WEBHOOK_STREAM) -> None:
        self.r = redis
        self.stream = stream

    async def __call__(self, line: dict[str, Any]) -> None:
        event = event_for(line)
        if event is None:
            return
        await self.r.xadd(self.stream, {"event": encode(event)},
                          maxlen=keys.WEBHOOK_STREAM_MAXLEN, approximate=True)
