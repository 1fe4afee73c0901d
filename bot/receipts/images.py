"""The receipt images of an expense ledger, kept for its retention so exports can carry them.

What is kept is the processed copy (``bot.models.Image.data``: re-encoded, metadata stripped,
faces pixelated where the verdict said so), never the upload. Each is a Fernet token under the
quarantine key (``MIRU_QUARANTINE_KEY``, the first of its keys encrypts; all decrypt), in one
hash per thread beside the ledger (``bot.keys.ledger_images``, field: the original's SHA-256),
so Redis never holds a plaintext byte of it. The ledger renews the hash with its other keys
and puts it in the adder's ``forget`` index; it expires with the ledger
(``retention.ledger_days``). An image over ``keys.LEDGER_IMAGE_MAX_BYTES`` is not kept (its
receipt is, and exports say the image is missing).
"""

from __future__ import annotations

import logging
from typing import Protocol

from cryptography.fernet import InvalidToken

from bot import keys
from bot.models import ThreadKey
from bot.stores.redis_base import RedisLike, redis_errors, transaction

log = logging.getLogger(__name__)


class Cipher(Protocol):
    """What encrypts a stored image (a ``cryptography.fernet.MultiFernet``)."""

    def encrypt(self, data: bytes) -> bytes: ...

    def decrypt(self, token: bytes | str) -> bytes: ...


class ReceiptImages:
    """Encrypted receipt images per thread; ``ttl_s`` is the ledger's retention."""

    def __init__(self, redis: RedisLike, cipher: Cipher, *, ttl_s: int = keys.LEDGER_TTL_S,
                 max_bytes: int = keys.LEDGER_IMAGE_MAX_BYTES) -> None:
        self.r = redis
        self.cipher = cipher
        self.ttl_s = ttl_s
        self.max_bytes = max_bytes

    async def put(self, t: ThreadKey, sha256: str, data: bytes) -> bool:
        """Keep ``data`` (the processed image) under its original's ``sha256``; False when it
        is too big to keep."""
        if len(data) > self.max_bytes:
            log.info("receipt image not kept: %d bytes", len(data))
            return False
        token = self.cipher.encrypt(data)
        key = keys.ledger_images(t)
        with redis_errors("receipt image put"):
            pipe = transaction(self.r)
            pipe.hset(key, sha256, token)
            pipe.expire(key, self.ttl_s)
            await pipe.execute()
        return True

    async def get_many(self, t: ThreadKey, shas: list[str]) -> dict[str, bytes]:
        """The images kept for ``shas`` (decrypted); one that is gone or does not decrypt (an
        old key dropped too soon) is left out and logged."""
        if not shas:
            return {}
        with redis_errors("receipt image get"):
            tokens = await self.r.hmget(keys.ledger_images(t), shas)
        found: dict[str, bytes] = {}
        for sha, token in zip(shas, tokens, strict=True):
            if token is None:
                continue
            try:
                found[sha] = self.cipher.decrypt(token)
            except InvalidToken:
                log.warning("receipt image %s does not decrypt with the quarantine key", sha[:12])
        return found
