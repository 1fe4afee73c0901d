"""Webhook signatures, like Slack's request signing: ``v0=`` + HMAC-SHA256 (hex), under the
shared secret, of ``v0:{timestamp}:{body}``; the timestamp (Unix seconds) travels in
``X-Miru-Request-Timestamp`` so a receiver can refuse old (replayed) requests."""

from __future__ import annotations

import hashlib
import hmac
import time

VERSION = "v0"
TIMESTAMP_HEADER = "X-Miru-Request-Timestamp"
SIGNATURE_HEADER = "X-Miru-Signature"
TOLERANCE_S = 5 * 60


def signature(secret: bytes, timestamp: int, body: bytes) -> str:
    base = f"{VERSION}:{timestamp}:".encode() + body
    return f"{VERSION}=" + hmac.new(secret, base, hashlib.sha256).hexdigest()


def verify(secret: bytes, timestamp: str, sig: str, body: bytes, *, now: float | None = None,
           tolerance_s: int = TOLERANCE_S) -> bool:
    """What a receiver does (docs/api.md shows the same in a few lines)."""
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - ts) > tolerance_s:
        return False
    return hmac.compare_digest(signature(secret, ts, body), sig)
