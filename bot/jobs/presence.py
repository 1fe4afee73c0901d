"""Which workers are alive, and which platforms each serves: their heartbeats in Redis.

A worker's heartbeat (``seen``, every few seconds) raises its mark in ``keys.WORKERS_SEEN``
(``/healthz``'s worker count, the reply claim's "is the holder alive") and in the zset of every
platform it serves (``keys.job_serving``), so ``/healthz``, ``miru jobs`` and ``miru doctor`` can
tell a platform whose jobs no live worker reads, and the unserved-job sweep knows when to act.
``prune`` deletes stopped workers' consumers from a stream's group.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from redis.exceptions import ResponseError

from bot import keys
from bot.stores.redis_base import RedisLike, redis_errors, transaction
from bot.stores.redis_base import text as _text

SEEN_KEEP_S = 24 * 3600  # marks older than this are pruned at each heartbeat


class Presence:
    """One worker's heartbeat (``consumer``, serving ``platforms``), and what others' say."""

    def __init__(self, redis: RedisLike, *, consumer: str, platforms: Iterable[str] = (),
                 base: str = keys.JOB_BASE) -> None:
        self.r = redis
        self.consumer = consumer
        self.platforms = tuple(platforms)
        self.base = base

    async def seen(self, now: float | None = None) -> None:
        """This worker is alive, and serves its platforms; old marks are pruned. Two
        transactions: ``WORKERS_SEEN`` has a slot of its own, the platforms' zsets share the
        job streams' tag."""
        now = time.time() if now is None else now
        with redis_errors("seen"):
            pipe = transaction(self.r)
            pipe.zadd(keys.WORKERS_SEEN, {self.consumer: now})
            pipe.zremrangebyscore(keys.WORKERS_SEEN, "-inf", now - SEEN_KEEP_S)
            await pipe.execute()
            if not self.platforms:
                return
            pipe = transaction(self.r)
            for platform in self.platforms:
                name = keys.job_serving(platform, self.base)
                pipe.zadd(name, {self.consumer: now})
                pipe.zremrangebyscore(name, "-inf", now - SEEN_KEEP_S)
            await pipe.execute()

    async def gone(self) -> None:
        """This worker stops serving (a clean stop): its marks go at once, so a platform it
        alone served shows as unserved now, not a minute later."""
        with redis_errors("gone"):
            if self.platforms:
                pipe = transaction(self.r)
                for platform in self.platforms:
                    pipe.zrem(keys.job_serving(platform, self.base), self.consumer)
                await pipe.execute()

    async def workers_seen(self, window_s: float = keys.WORKER_SEEN_WINDOW_S) -> int:
        """Workers whose heartbeat came within the last ``window_s`` seconds."""
        with redis_errors("workers_seen"):
            return int(await self.r.zcount(keys.WORKERS_SEEN, time.time() - window_s, "+inf"))

    async def serving(self, platform: str, window_s: float = keys.WORKER_SEEN_WINDOW_S) -> int:
        """Live workers that serve ``platform``."""
        with redis_errors("serving"):
            return int(await self.r.zcount(keys.job_serving(platform, self.base),
                                           time.time() - window_s, "+inf"))

    async def prune(self, stream: str, group: str, gone_s: float = keys.CONSUMER_GONE_S
                    ) -> list[str]:
        """Delete ``stream``'s group's consumers that hold no pending job and whose worker has
        not been seen for ``gone_s`` (every process start is a new consumer: without this the
        group's list grows forever). Such a worker is dead, so it cannot be handed a job
        between the check and the delete; a pending job is never dropped this way. Returns
        the names deleted."""
        cutoff = time.time() - gone_s
        with redis_errors("prune_consumers"):
            try:
                rows = await self.r.xinfo_consumers(stream, group)
            except ResponseError as exc:
                if "NOGROUP" in str(exc) or "no such key" in str(exc):
                    return []
                raise
            gone = []
            for row in rows:
                name = _text(row["name"])
                if int(row["pending"]) or name == self.consumer:
                    continue
                if int(row["idle"]) < gone_s * 1000:
                    continue
                seen = await self.r.zscore(keys.WORKERS_SEEN, name)
                if seen is not None and float(seen) >= cutoff:
                    continue
                await self.r.xgroup_delconsumer(stream, group, name)
                gone.append(name)
        return gone
