"""Finding every stored image in Redis, without its bytes: the sweep after a hash list changed.

Thread memory has no index of all threads (a request only ever needs its own), so the sweep
walks the key space with ``SCAN`` (every master's, on a cluster) for the threads' image indexes,
then reads each image's metadata (hashes, findings, uploader): never its bytes, which only a
match needs (``RedisThreadMemory.get_images``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from bot import keys
from bot.errors import CodecError
from bot.models import Image, ThreadKey
from bot.stores.codec import load_image
from bot.stores.redis_base import RedisLike, redis_errors
from bot.stores.redis_base import text as _text

log = logging.getLogger(__name__)


async def threads_with_images(redis: RedisLike, *, batch: int = 1000
                              ) -> AsyncIterator[ThreadKey]:
    """Every thread that holds stored images (each once per master that holds it)."""
    with redis_errors("scan threads"):
        async for raw in redis.scan_iter(match=keys.THREAD_IMAGES_MATCH, count=batch):
            thread = keys.thread_of_images_index(_text(raw))
            if thread is not None:
                yield thread


async def stored_images(redis: RedisLike, thread: ThreadKey) -> list[Image]:
    """The thread's stored images with their metadata and no bytes (``data`` is empty)."""
    with redis_errors("stored images"):
        ids = [_text(i) for i in await redis.zrange(keys.thread_images_index(thread), 0, -1)]
        if not ids:
            return []
        pipe = redis.pipeline(transaction=False)  # one thread: one slot
        for sha in ids:
            pipe.hget(keys.thread_image(thread, sha), "meta")
        metas = await pipe.execute()
    out = []
    for meta in metas:
        if meta is None:
            continue
        try:
            out.append(load_image(meta, b""))
        except CodecError as exc:
            log.warning("skipping an unreadable stored image: %s", exc.detail)
    return out
