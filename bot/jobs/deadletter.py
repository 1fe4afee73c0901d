"""The dead-letter stream: jobs the worker gave up on, kept for an operator to retry or drop.

A job lands here when it failed in a way not worth retrying, failed ``max_attempts`` times, its
workers kept dying (the user has been told: ``Pipeline.give_up``), or it waited too long with no
worker serving its platform (``unserved``: the next worker that serves it tells the user,
``bot.jobs.unserved``). Each entry holds the job's
message, its attempt count, why it was given up (``reason``) and the error's type and code, never
its text (an exception message may quote a token or a URL). Like the job stream it holds user
data, so it is trimmed by age (``keys.DEAD_MAX_AGE_S``) and length, and ``forget`` covers it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal

from bot import keys
from bot.errors import CodecError
from bot.models import IncomingMessage
from bot.stores.codec import dump_message, load_message
from bot.stores.job_stream import forget_jobs
from bot.stores.redis_base import RedisLike, redis_errors, transaction
from bot.stores.redis_base import text as _text

Reason = Literal["failed", "exhausted", "workers_died", "unserved"]


@dataclass(frozen=True)
class DeadJob:
    id: str  # the dead-letter entry id (what ``miru jobs retry|drop`` take)
    job_id: str  # the job's id in the queue when it was given up
    reason: str
    error: str  # type and code of the last error, "" when its workers died
    attempts: int
    at: float  # when it was given up (Unix seconds)
    message: IncomingMessage | None  # None when the entry cannot be read


def error_label(exc: BaseException | None) -> str:
    """``Type`` or ``Type:code``: enough to group failures, never the exception's text."""
    if exc is None:
        return ""
    code = getattr(exc, "code", None)
    return f"{type(exc).__name__}:{code}" if isinstance(code, str) and code else type(exc).__name__


class DeadLetters:
    """Redis failures raise ``StoreUnavailable``."""

    def __init__(self, redis: RedisLike, *, stream: str = keys.JOB_DEAD_STREAM,
                 max_age_s: float = keys.DEAD_MAX_AGE_S,
                 maxlen: int = keys.DEAD_STREAM_MAXLEN) -> None:
        self.r = redis
        self.stream = stream
        self.max_age_s = max_age_s
        self.maxlen = maxlen

    def queue_add(self, pipe: Any, job_id: str, message: IncomingMessage, attempts: int,
                  reason: Reason, error: str) -> None:
        """Queue the ``XADD`` (with trimming by age and length) on ``pipe``."""
        fields = {"msg": dump_message(message), "job": job_id, "reason": reason,
                  "error": error[:200], "attempts": str(attempts), "at": f"{time.time():.3f}"}
        min_id = f"{max(0, int((time.time() - self.max_age_s) * 1000))}-0"
        pipe.xadd(self.stream, fields, minid=min_id, approximate=False)
        pipe.xtrim(self.stream, maxlen=self.maxlen, approximate=True)

    async def add(self, job_id: str, message: IncomingMessage, attempts: int, reason: Reason,
                  error: str) -> str:
        with redis_errors("dead_add"):
            pipe = transaction(self.r)
            self.queue_add(pipe, job_id, message, attempts, reason, error)
            entry, _ = await pipe.execute()
        return _text(entry)

    async def count(self) -> int:
        with redis_errors("dead_count"):
            return int(await self.r.xlen(self.stream))

    async def list(self, limit: int = 100) -> list[DeadJob]:
        """The oldest ``limit`` entries, oldest first."""
        with redis_errors("dead_list"):
            rows: Any = await self.r.xrange(self.stream, count=max(1, limit))
        return [_entry(i, f) for i, f in rows or [] if f is not None]

    async def get(self, entry_id: str) -> DeadJob | None:
        with redis_errors("dead_get"):
            rows: Any = await self.r.xrange(self.stream, min=entry_id, max=entry_id, count=1)
        return _entry(rows[0][0], rows[0][1]) if rows and rows[0][1] is not None else None

    async def drop(self, entry_id: str) -> bool:
        with redis_errors("dead_drop"):
            return bool(await self.r.xdel(self.stream, entry_id))

    async def forget_user(self, platform: str, user: str) -> int:
        """Delete the user's dead jobs (``XACK`` on a stream with no group is a no-op)."""
        return await forget_jobs(self.r, platform, user, stream=self.stream,
                                 group=keys.JOB_GROUP)


def _entry(raw_id: Any, fields: Any) -> DeadJob:
    def f(name: str) -> str:
        return _text(fields.get(name.encode(), b""))

    try:
        message: IncomingMessage | None = load_message(fields[b"msg"])
    except (CodecError, KeyError):
        message = None
    try:
        attempts, at = int(f("attempts") or 0), float(f("at") or 0)
    except ValueError:
        attempts, at = 0, 0.0
    return DeadJob(_text(raw_id), f("job"), f("reason"), f("error"), attempts, at, message)
