"""Deleting one user's jobs from a job stream (``forget``).

The job streams (one per platform, ``keys.job_stream``) hold user data (ids, message text, file
references) until a job is acknowledged, so they are a store like thread memory: ``forget``
covers them. Here, not in ``bot.jobs``, so the
stores never depend on the worker side (the queue uses it too).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot import keys
from bot.errors import CodecError
from bot.stores.codec import load_message
from bot.stores.redis_base import RedisLike, redis_errors, transaction
from bot.stores.redis_base import text as _text

_FORGET_BATCH = 500


async def forget_jobs(redis: RedisLike, platform: str, user: str, *, stream: str,
                      group: str = keys.JOB_GROUP) -> int:
    """Delete every job of ``user`` on ``platform`` still in the stream, queued or pending
    (``XACK`` + ``XDEL``): none will start, and a dead worker's is not claimed again. A job a
    live worker is running finishes (its ack is then a no-op). Returns the number deleted."""
    removed, start = 0, "-"
    with redis_errors("forget_jobs"):
        while batch := await redis.xrange(stream, min=start, count=_FORGET_BATCH):
            mine = [_text(i) for i, fields in batch if _belongs(fields, platform, user)]
            if mine:
                pipe = transaction(redis)
                pipe.xack(stream, group, *mine)
                pipe.xdel(stream, *mine)
                removed += int((await pipe.execute())[1])
            if len(batch) < _FORGET_BATCH:
                break
            start = "(" + _text(batch[-1][0])
    return removed


def _belongs(fields: Mapping[Any, Any] | None, platform: str, user: str) -> bool:
    if fields is None:  # an entry deleted while the range was read
        return False
    try:
        message = load_message(fields[b"msg"])
    except (CodecError, KeyError):
        return False
    return (message.platform, message.user) == (platform, user)
