"""The job queue: one Redis stream, one consumer group, any number of workers.

Gateways ``enqueue`` and return; workers ``take`` with ``XREADGROUP`` (so two consumers never get
the same new job) and ``ack`` when done. A job that a dead worker took and never acknowledged is
idle in the group's pending list; ``take`` moves such jobs to itself with ``XAUTOCLAIM`` before
reading new ones. ``Job.attempts`` counts deliveries: failed tries recorded by ``retry`` plus
the times Redis handed this entry out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from bot import keys
from bot.codec import dump_message, load_message
from bot.errors import CodecError
from bot.models import IncomingMessage
from bot.stores.redis_store import redis_errors, require_bytes_client

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    id: str  # the stream entry id
    message: IncomingMessage
    attempts: int  # 1 on the first delivery


class JobQueue:
    """A Redis Streams job queue; Redis failures raise ``StoreUnavailable``."""

    def __init__(self, redis: Redis, *, stream: str = keys.JOB_STREAM,
                 group: str = keys.JOB_GROUP, consumer: str,
                 claim_idle_ms: int = 60_000, maxlen: int = keys.JOB_STREAM_MAXLEN) -> None:
        require_bytes_client(redis)
        self.r = redis
        self.stream = stream
        self.group = group
        self.consumer = consumer
        self.claim_idle_ms = claim_idle_ms
        self.maxlen = maxlen

    async def ensure_group(self) -> None:
        """Create the stream and its consumer group if missing (idempotent)."""
        with redis_errors("ensure_group"):
            try:
                await self.r.xgroup_create(self.stream, self.group, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    async def enqueue(self, message: IncomingMessage, *, attempts: int = 0) -> str:
        """Add a job; returns its entry id. ``attempts`` is the number of failed tries so far."""
        fields = {"msg": dump_message(message), "attempts": str(attempts)}
        with redis_errors("enqueue"):
            entry = await self.r.xadd(self.stream, fields, maxlen=self.maxlen, approximate=True)
        return entry.decode() if isinstance(entry, bytes) else str(entry)

    async def take(self, *, block_ms: int = 1000, count: int = 1,
                   claim_idle_ms: int | None = None) -> list[Job]:
        """Up to ``count`` jobs: first ones idle longer than ``claim_idle_ms`` in other
        consumers' hands, else new ones (waiting up to ``block_ms``)."""
        idle = self.claim_idle_ms if claim_idle_ms is None else claim_idle_ms
        with redis_errors("take"):
            try:
                return await self._take(block_ms, count, idle)
            except ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
            await self.ensure_group()  # the stream was deleted under us: recreate, read again
            return await self._take(block_ms, count, idle)

    async def _take(self, block_ms: int, count: int, idle_ms: int) -> list[Job]:
        claimed = await self.r.xautoclaim(self.stream, self.group, self.consumer,
                                          min_idle_time=idle_ms, start_id="0-0", count=count)
        entries = [e for e in claimed[1] if e and e[1] is not None]
        if entries:
            return await self._jobs(entries, claimed=True)
        reply = await self.r.xreadgroup(self.group, self.consumer, {self.stream: ">"},
                                        count=count, block=block_ms)
        if not reply:
            return []
        entries = reply[0][1] if isinstance(reply, list) else next(iter(reply.values()))[0]
        return await self._jobs(entries, claimed=False)

    async def _jobs(self, entries: list[Any], *, claimed: bool) -> list[Job]:
        jobs = []
        for raw_id, fields in entries:
            entry_id = raw_id.decode() if isinstance(raw_id, bytes) else str(raw_id)
            try:
                message = load_message(fields[b"msg"])
                failed = int(fields.get(b"attempts", b"0"))
            except (CodecError, KeyError, ValueError) as exc:
                log.error("dropping unreadable job %s: %s", entry_id, exc)
                await self.r.xack(self.stream, self.group, entry_id)
                continue
            deliveries = await self._deliveries(entry_id) if claimed else 1
            jobs.append(Job(entry_id, message, failed + deliveries))
        return jobs

    async def _deliveries(self, entry_id: str) -> int:
        rows = await self.r.xpending_range(self.stream, self.group, min=entry_id, max=entry_id,
                                           count=1)
        return int(rows[0]["times_delivered"]) if rows else 1

    async def ack(self, job: Job) -> None:
        """Mark the job done; it will not be delivered again."""
        with redis_errors("ack"):
            await self.r.xack(self.stream, self.group, job.id)

    async def retry(self, job: Job) -> str:
        """Re-queue a failed job at the end with its attempt count, and ack the old entry."""
        fields = {"msg": dump_message(job.message), "attempts": str(job.attempts)}
        with redis_errors("retry"):
            pipe = self.r.pipeline(transaction=True)
            pipe.xadd(self.stream, fields, maxlen=self.maxlen, approximate=True)
            pipe.xack(self.stream, self.group, job.id)
            entry, _ = await pipe.execute()
        return entry.decode() if isinstance(entry, bytes) else str(entry)

    async def pending(self) -> int:
        """Jobs delivered but not yet acknowledged (for metrics and tests)."""
        with redis_errors("pending"):
            info = await self.r.xpending(self.stream, self.group)
        return int(info["pending"])
