"""The job queue: one Redis stream, one consumer group, any number of workers.

Gateways ``enqueue`` and return; workers ``take`` with ``XREADGROUP`` (so two consumers never get
the same new job) and ``ack`` when done. A job that a dead worker took and never acknowledged is
idle in the group's pending list; ``take`` moves such jobs to itself with ``XAUTOCLAIM`` before
reading new ones. A live worker keeps its running jobs fresh with ``touch`` (its heartbeat), so
only a dead worker's jobs go idle. ``Job.attempts`` counts deliveries: failed tries recorded by
``retry`` plus the times Redis handed this entry out.

A job holds a user's id, text and file URLs, so the stream keeps no more than it must: an
acknowledged job is deleted (``XACK`` + ``XDEL`` in one transaction), every ``XADD`` trims entries
older than ``keys.JOB_MAX_AGE_S`` (``MINID``, by the entry id's time), and ``forget_jobs`` removes
a user's queued jobs. Every transaction here touches the stream's key only (one hash slot).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis.exceptions import ResponseError

from bot import keys
from bot.errors import CodecError
from bot.jobs.deadletter import DeadLetters, Reason, error_label
from bot.models import IncomingMessage
from bot.stores.codec import dump_message, load_message
from bot.stores.job_stream import forget_jobs
from bot.stores.redis_base import (
    RedisLike,
    redis_errors,
    register_script,
    require_bytes_client,
    transaction,
)

log = logging.getLogger(__name__)

CLAIM_IDLE_MS = 60_000  # a pending job idle this long (no heartbeat) is claimed by another worker

# Reset the idle time of the entries this consumer still owns (XCLAIM JUSTID does not count a
# delivery); an entry another consumer claimed meanwhile is left alone. Returns the ids kept.
_TOUCH = """
local out = {}
for i = 3, #ARGV do
  local row = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if row[1] and row[1][2] == ARGV[2] then
    local got = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
    if got[1] then out[#out + 1] = got[1] end
  end
end
return out
"""


@dataclass(frozen=True)
class JobStats:
    queued: int  # waiting for a worker
    pending: int  # taken by a worker, not yet acknowledged (running, or its worker died)
    dead: int  # given up on (the dead-letter stream)


@dataclass(frozen=True)
class Job:
    id: str  # the stream entry id
    message: IncomingMessage
    attempts: int  # 1 on the first delivery


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class JobQueue:
    """A Redis Streams job queue; Redis failures raise ``StoreUnavailable``."""

    def __init__(self, redis: RedisLike, *, stream: str = keys.JOB_STREAM,
                 group: str = keys.JOB_GROUP, consumer: str,
                 claim_idle_ms: int = CLAIM_IDLE_MS, max_age_s: float = keys.JOB_MAX_AGE_S,
                 maxlen: int = keys.JOB_STREAM_MAXLEN, dead: DeadLetters | None = None) -> None:
        require_bytes_client(redis)
        self.r = redis
        self.stream = stream
        self.dead = dead or DeadLetters(redis, stream=f"{stream}:dead")
        self.group = group
        self.consumer = consumer
        self.claim_idle_ms = claim_idle_ms
        self.max_age_s = max_age_s
        self.maxlen = maxlen
        self._touch = register_script(redis, _TOUCH)

    async def ensure_group(self) -> None:
        """Create the stream and its consumer group if missing (idempotent)."""
        with redis_errors("ensure_group"):
            try:
                await self.r.xgroup_create(self.stream, self.group, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    def _queue_add(self, pipe: Any, message: IncomingMessage, attempts: int) -> None:
        """Queue an ``XADD`` that also drops entries older than ``max_age_s`` (exact ``MINID``:
        the stream is short, handled jobs are deleted) and a backstop length cap. The age is
        this host's clock against the ids' (the Redis server's) clock: keep them in sync."""
        fields = {"msg": dump_message(message), "attempts": str(attempts)}
        min_id = f"{max(0, int((time.time() - self.max_age_s) * 1000))}-0"
        pipe.xadd(self.stream, fields, minid=min_id, approximate=False)
        pipe.xtrim(self.stream, maxlen=self.maxlen, approximate=True)

    async def enqueue(self, message: IncomingMessage, *, attempts: int = 0) -> str:
        """Add a job; returns its entry id. ``attempts`` is the number of failed tries so far."""
        with redis_errors("enqueue"):
            pipe = transaction(self.r)
            self._queue_add(pipe, message, attempts)
            entry, _ = await pipe.execute()
        return _text(entry)

    async def take(self, *, block_ms: int = 1000, count: int = 1,
                   claim_idle_ms: int | None = None, claim: bool = True) -> list[Job]:
        """Up to ``count`` jobs: first ones idle longer than ``claim_idle_ms`` in other
        consumers' hands (unless ``claim`` is False: the worker looks for those only every
        so often, one round trip less per take), else new ones (waiting up to
        ``block_ms``)."""
        idle = self.claim_idle_ms if claim_idle_ms is None else claim_idle_ms
        with redis_errors("take"):
            try:
                return await self._take(block_ms, count, idle, claim)
            except ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
            await self.ensure_group()  # the stream was deleted under us: recreate, read again
            return await self._take(block_ms, count, idle, claim)

    async def _take(self, block_ms: int, count: int, idle_ms: int, claim: bool) -> list[Job]:
        if claim:
            claimed = await self.r.xautoclaim(self.stream, self.group, self.consumer,
                                              min_idle_time=idle_ms, start_id="0-0",
                                              count=count)
            entries = [e for e in claimed[1] if e and e[1] is not None]
            if entries:
                return await self._jobs(entries, claimed=True)
        reply = await self.r.xreadgroup(self.group, self.consumer, {self.stream: ">"},
                                        count=count, block=block_ms)
        if not reply:
            return []
        fresh: Any = reply[0][1] if isinstance(reply, list) else next(iter(reply.values()))[0]
        return await self._jobs(fresh, claimed=False)

    async def _jobs(self, entries: list[Any], *, claimed: bool) -> list[Job]:
        jobs = []
        for raw_id, fields in entries:
            entry_id = _text(raw_id)
            try:
                message = load_message(fields[b"msg"])
                failed = int(fields.get(b"attempts", b"0"))
            except (CodecError, KeyError, ValueError) as exc:
                log.error("dropping unreadable job %s: %s", entry_id, exc)
                await self._done(entry_id)
                continue
            deliveries = await self._deliveries(entry_id) if claimed else 1
            jobs.append(Job(entry_id, message, failed + deliveries))
        return jobs

    async def _deliveries(self, entry_id: str) -> int:
        rows = await self.r.xpending_range(self.stream, self.group, min=entry_id, max=entry_id,
                                           count=1)
        return int(rows[0]["times_delivered"]) if rows else 1

    async def _done(self, entry_id: str) -> None:
        pipe = transaction(self.r)
        pipe.xack(self.stream, self.group, entry_id)
        pipe.xdel(self.stream, entry_id)
        await pipe.execute()

    async def ack(self, job: Job) -> None:
        """Mark the job done and delete it; it will not be delivered again."""
        with redis_errors("ack"):
            await self._done(job.id)

    async def retry(self, job: Job) -> str:
        """Re-queue a failed job at the end with its attempt count; ack and delete the old
        entry (one transaction)."""
        with redis_errors("retry"):
            pipe = transaction(self.r)
            self._queue_add(pipe, job.message, job.attempts)
            pipe.xack(self.stream, self.group, job.id)
            pipe.xdel(self.stream, job.id)
            entry, *_ = await pipe.execute()
        return _text(entry)

    async def bury(self, job: Job, reason: Reason, exc: BaseException | None) -> str:
        """Give up on the job: copy it to the dead-letter stream, then ack and delete it. Two
        steps (two keys, two cluster slots): a crash between leaves the job pending, so it is
        claimed, found delivered too often and buried again; never lost."""
        entry = await self.dead.add(job.id, job.message, job.attempts, reason, error_label(exc))
        with redis_errors("bury"):
            await self._done(job.id)
        return entry

    async def retry_dead(self, entry_id: str) -> str | None:
        """Queue a dead job again with a fresh attempt count; None when no such entry (or it
        cannot be read). Queued first, then dropped: a crash between leaves a copy behind, and
        the reply claim makes a job run twice answer once."""
        dead = await self.dead.get(entry_id)
        if dead is None or dead.message is None:
            return None
        new_id = await self.enqueue(dead.message)
        await self.dead.drop(entry_id)
        return new_id

    async def release(self, ids: Sequence[str]) -> None:
        """Hand these running jobs back at once (a worker stopping before they finished): their
        idle time is set past the claim threshold, so the next worker's ``take`` claims them."""
        if not ids:
            return
        with redis_errors("release"):
            await self.r.xclaim(self.stream, self.group, self.consumer, 0, list(ids),
                                idle=self.claim_idle_ms + 1, justid=True)

    async def stats(self) -> JobStats:
        """Queued, pending and dead counts. Handled jobs are deleted, so the stream holds only
        queued and pending ones: queued = length - pending."""
        with redis_errors("stats"):
            pipe = self.r.pipeline(transaction=False)
            pipe.xlen(self.stream)
            pipe.xpending(self.stream, self.group)
            try:
                length, info = await pipe.execute()
                pending = int(info["pending"])
            except ResponseError as exc:  # no group yet: nothing was taken
                if "NOGROUP" not in str(exc):
                    raise
                length, pending = int(await self.r.xlen(self.stream)), 0
        return JobStats(max(0, int(length) - pending), pending, await self.dead.count())

    async def seen(self, now: float | None = None) -> None:
        """This worker is alive (its heartbeat, for ``/healthz``); old marks are pruned."""
        now = time.time() if now is None else now
        with redis_errors("seen"):
            pipe = transaction(self.r)
            pipe.zadd(keys.WORKERS_SEEN, {self.consumer: now})
            pipe.zremrangebyscore(keys.WORKERS_SEEN, "-inf", now - 24 * 3600)
            await pipe.execute()

    async def prune_consumers(self, gone_s: float = keys.CONSUMER_GONE_S) -> list[str]:
        """Delete the group's consumers that hold no pending job and whose worker has not
        been seen for ``gone_s`` (every process start is a new consumer: without this the
        group's list grows forever). Such a worker is dead, so it cannot be handed a job
        between the check and the delete; a pending job is never dropped this way. Returns
        the names deleted."""
        cutoff = time.time() - gone_s
        with redis_errors("prune_consumers"):
            try:
                rows = await self.r.xinfo_consumers(self.stream, self.group)
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
                await self.r.xgroup_delconsumer(self.stream, self.group, name)
                gone.append(name)
        return gone

    async def workers_seen(self, window_s: float = keys.WORKER_SEEN_WINDOW_S) -> int:
        """Workers whose heartbeat came within the last ``window_s`` seconds."""
        with redis_errors("workers_seen"):
            return int(await self.r.zcount(keys.WORKERS_SEEN, time.time() - window_s, "+inf"))

    async def touch(self, ids: Sequence[str]) -> list[str]:
        """Heartbeat: reset the idle time of these running jobs, so no other worker claims
        them. Returns the ids still this consumer's (a missing one was claimed by another
        worker, acknowledged, or forgotten)."""
        if not ids:
            return []
        with redis_errors("touch"):
            kept = await self._touch(keys=[self.stream], args=[self.group, self.consumer, *ids])
        return [_text(i) for i in kept]

    async def forget_user(self, platform: str, user: str) -> int:
        """Delete the user's jobs from the stream and the dead letters (see ``forget_jobs``)."""
        return (await forget_jobs(self.r, platform, user, stream=self.stream, group=self.group)
                + await self.dead.forget_user(platform, user))

    async def pending(self) -> int:
        """Jobs delivered but not yet acknowledged (for metrics and tests)."""
        with redis_errors("pending"):
            info = await self.r.xpending(self.stream, self.group)
        return int(info["pending"])
