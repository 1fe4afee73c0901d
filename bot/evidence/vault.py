"""The shared quarantine: encrypted evidence in Redis, which every gateway and worker reaches.

A held or preserved image may be reviewed from another gateway and approved into another worker,
so evidence cannot sit on one machine's disk. Each piece of evidence is two keys, both Fernet
tokens (``keys.quarantine_blob`` / ``keys.quarantine_meta``): Redis never holds a plaintext byte
of it. Keys are a ``MultiFernet``: the first key encrypts, every key decrypts, so an operator
rotates by putting a new key first and running ``rotate`` (``miru review rotate-keys``).

Retention is the TTL: ``quarantine_days`` from creation, ``legal_hold_days`` from creation once
a case is escalated (``set_legal_hold``). An index (``keys.QUARANTINE_INDEX``) lets ``sweep``
drop entries whose keys expired and delete evidence a shortened retention now covers.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from cryptography.fernet import InvalidToken

from bot import keys
from bot.errors import QuarantineError
from bot.evidence.quarantine import _CASE_ID, DAY_S, PurgeResult, multi_fernet
from bot.stores.redis_base import redis_errors, text, transaction
from config.policy import Retention

if TYPE_CHECKING:
    from bot.stores.redis_base import RedisLike


class RedisQuarantine:
    """Evidence bytes and metadata, encrypted, kept in Redis for the policy's retention."""

    def __init__(self, redis: RedisLike, key: bytes | list[bytes], *,
                 retention: Retention | None = None) -> None:
        self.r = redis
        self.retention = retention or Retention()
        self._fernet = multi_fernet(key)

    def ttl_s(self, legal_hold: bool) -> int:
        days = self.retention.legal_hold_days if legal_hold else self.retention.quarantine_days
        return max(1, int(days * DAY_S))

    @staticmethod
    def _check(evidence_id: str) -> str:
        if not _CASE_ID.match(evidence_id):
            raise QuarantineError(f"bad evidence id {evidence_id!r} (letters, digits, . _ - only)")
        return evidence_id

    async def put(self, evidence_id: str, data: bytes, meta: dict[str, Any] | None = None, *,
                  legal_hold: bool = False) -> str:
        """Encrypt and store ``data`` with ``meta`` for the retention; returns the id."""
        self._check(evidence_id)
        now = time.time()
        body = {"meta": meta or {}, "legal_hold": legal_hold, "size": len(data), "created": now}
        try:
            meta_token = self._fernet.encrypt(json.dumps(body, ensure_ascii=False).encode())
        except (TypeError, ValueError) as exc:
            raise QuarantineError(f"evidence metadata is not JSON: {exc}") from None
        blob = self._fernet.encrypt(data)
        expire_at = int(now + self.ttl_s(legal_hold))
        with redis_errors("quarantine put"):
            async with self.r.pipeline(transaction=False) as p:
                p.set(keys.quarantine_blob(evidence_id), blob, exat=expire_at)
                p.set(keys.quarantine_meta(evidence_id), meta_token, exat=expire_at)
                p.zadd(keys.QUARANTINE_INDEX, {evidence_id: now})
                await p.execute()
        return evidence_id

    async def get(self, evidence_id: str) -> bytes:
        """The decrypted evidence; ``QuarantineError`` when expired, purged or altered."""
        return await self._read(keys.quarantine_blob(self._check(evidence_id)), evidence_id)

    async def meta(self, evidence_id: str) -> dict[str, Any]:
        """``{"meta": ..., "legal_hold": bool, "size": int, "created": float}``."""
        raw = await self._read(keys.quarantine_meta(self._check(evidence_id)), evidence_id)
        return json.loads(raw)

    async def _read(self, key: str, evidence_id: str) -> bytes:
        with redis_errors("quarantine get"):
            token = await self.r.get(key)
        if token is None:
            raise QuarantineError(f"no quarantined evidence {evidence_id} (expired or purged)")
        try:
            return self._fernet.decrypt(token)
        except InvalidToken:
            raise QuarantineError(f"evidence {evidence_id} was altered or uses another key"
                                  ) from None

    async def set_legal_hold(self, evidence_id: str, on: bool = True) -> None:
        """Keep the evidence for ``legal_hold_days`` from its creation (or back to the normal
        retention when ``on`` is false)."""
        body = await self.meta(evidence_id)
        body["legal_hold"] = on
        expire_at = int(body["created"] + self.ttl_s(on))
        token = self._fernet.encrypt(json.dumps(body, ensure_ascii=False).encode())
        with redis_errors("quarantine legal hold"):
            async with transaction(self.r) as p:
                p.set(keys.quarantine_meta(evidence_id), token, exat=expire_at)
                p.expireat(keys.quarantine_blob(evidence_id), expire_at)
                await p.execute()

    async def delete(self, evidence_id: str) -> None:
        with redis_errors("quarantine delete"):
            await self.r.delete(keys.quarantine_blob(evidence_id),
                                keys.quarantine_meta(evidence_id))
            await self.r.zrem(keys.QUARANTINE_INDEX, evidence_id)

    async def rotate(self) -> int:
        """Re-encrypt every piece of evidence under the first key (TTLs kept); returns how
        many were re-encrypted."""
        done = 0
        for evidence_id in await self._index():
            for key in (keys.quarantine_blob(evidence_id), keys.quarantine_meta(evidence_id)):
                with redis_errors("quarantine rotate"):
                    token = await self.r.get(key)
                    if token is None:
                        continue
                    try:
                        new = self._fernet.rotate(token)
                    except InvalidToken:
                        raise QuarantineError(f"evidence {evidence_id} cannot be read with any "
                                              "configured key") from None
                    await self.r.set(key, new, keepttl=True, xx=True)
            done += 1
        return done

    async def _index(self) -> list[str]:
        with redis_errors("quarantine index"):
            return [text(m) for m in await self.r.zrange(keys.QUARANTINE_INDEX, 0, -1)]

    async def sweep(self, *, now: float | None = None) -> PurgeResult:
        """Apply the retention now: forget index entries whose keys expired, delete evidence
        past its retention (a shortened policy), keep the rest. Unreadable evidence is left
        for an operator and named in ``skipped``."""
        now = time.time() if now is None else now
        removed, kept, skipped = 0, 0, []
        for evidence_id in await self._index():
            try:
                body = await self.meta(evidence_id)
            except QuarantineError as exc:
                if "expired or purged" in str(exc):
                    await self.delete(evidence_id)
                    removed += 1
                else:
                    skipped.append(evidence_id)
                continue
            if now - float(body["created"]) > self.ttl_s(bool(body.get("legal_hold"))):
                await self.delete(evidence_id)
                removed += 1
            else:
                kept += 1
        return PurgeResult(removed, kept, tuple(skipped))
