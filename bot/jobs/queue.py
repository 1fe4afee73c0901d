"""The job queue: one Redis stream per platform, one consumer group on each, any number of workers.

Gateways ``enqueue`` into the stream of the message's platform and return; a worker reads only
the streams of the platforms it serves (``platforms``: those whose credentials it has), so a job
is only ever taken by a worker that can answer it. One ``XREADGROUP`` reads all of them (two
consumers never get the same new job), ``ack`` when done. A job that a dead worker took and
never acknowledged is idle in its group's pending list; ``take`` moves such jobs to itself with
``XAUTOCLAIM`` before reading new ones. A live worker keeps its running jobs fresh with
``touch`` (its heartbeat), so only a dead worker's jobs go idle. ``Job.attempts`` counts
deliveries: failed tries recorded by ``retry`` plus the times Redis handed this entry out.

A job holds a user's id, text and file URLs, so the streams keep no more than they must: an
acknowledged job is deleted (``XACK`` + ``XDEL`` in one transaction), every ``XADD`` trims
entries older than ``keys.JOB_MAX_AGE_S`` (``MINID``, by the entry id's time), and
``forget_user`` removes a user's queued jobs. Every stream and the set of platforms that have
one share the hash tag of ``base`` (``keys.JOB_BASE``), so each command, script and transaction
here stays on one Cluster slot. What waits where, and for whom no worker runs, is
``bot.jobs.backlog``; heartbeats and the group's consumers are ``bot.jobs.presence``.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Sequence
from typing import Any

from redis.exceptions import ResponseError

from bot import keys
from bot.errors import CodecError
from bot.jobs.backlog import JobStats, PlatformJobs, platform_jobs
from bot.jobs.deadletter import DeadLetters, Reason, error_label
from bot.jobs.job import Job, by_stream
from bot.jobs.presence import Presence
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
from bot.stores.redis_base import text as _text

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

__all__ = ["CLAIM_IDLE_MS", "Job", "JobQueue", "JobStats", "PlatformJobs"]


class JobQueue:
    """Redis Streams job queues, one per platform; Redis failures raise ``StoreUnavailable``.

    ``platforms``: what this queue's worker serves (``take`` reads only those streams; a
    gateway or the command line needs none to ``enqueue``). ``serving`` gives a copy that
    serves others."""

    def __init__(self, redis: RedisLike, *, consumer: str, platforms: Iterable[str] = (),
                 base: str = keys.JOB_BASE, group: str = keys.JOB_GROUP,
                 claim_idle_ms: int = CLAIM_IDLE_MS, max_age_s: float = keys.JOB_MAX_AGE_S,
                 maxlen: int = keys.JOB_STREAM_MAXLEN, dead: DeadLetters | None = None) -> None:
        require_bytes_client(redis)
        self.r = redis
        self.base = base
        self.platforms = tuple(dict.fromkeys(platforms))
        self.dead = dead or DeadLetters(redis, stream=(keys.JOB_DEAD_STREAM
                                                       if base == keys.JOB_BASE
                                                       else f"{base}:dead"))
        self.group = group
        self.consumer = consumer
        self.claim_idle_ms = claim_idle_ms
        self.max_age_s = max_age_s
        self.maxlen = maxlen
        self.presence = Presence(redis, consumer=consumer, platforms=self.platforms, base=base)
        self._touch = register_script(redis, _TOUCH)

    def serving(self, platforms: Iterable[str]) -> JobQueue:
        """The same queue for a worker that serves ``platforms``."""
        return JobQueue(self.r, consumer=self.consumer, platforms=platforms, base=self.base,
                        group=self.group, claim_idle_ms=self.claim_idle_ms,
                        max_age_s=self.max_age_s, maxlen=self.maxlen, dead=self.dead)

    def stream_for(self, platform: str) -> str:
        return keys.job_stream(platform, self.base)

    @property
    def streams(self) -> list[str]:
        """The streams this queue's worker reads."""
        return [self.stream_for(p) for p in self.platforms]

    async def known_platforms(self) -> list[str]:
        """Every platform that has a job stream, and those served here."""
        with redis_errors("platforms"):
            members = await self.r.smembers(keys.job_platforms(self.base))
        return sorted({*(_text(m) for m in members), *self.platforms})

    async def ensure_group(self) -> None:
        """Create the served streams and their consumer groups if missing (idempotent), from
        the start of each stream: jobs queued before any worker served the platform are
        read too."""
        with redis_errors("ensure_group"):
            for stream in self.streams:
                try:
                    await self.r.xgroup_create(stream, self.group, id="0", mkstream=True)
                except ResponseError as exc:
                    if "BUSYGROUP" not in str(exc):
                        raise

    def _queue_add(self, pipe: Any, message: IncomingMessage, attempts: int) -> None:
        """Queue an ``XADD`` to the message's platform's stream that also drops entries older
        than ``max_age_s`` (exact ``MINID``: the stream is short, handled jobs are deleted), a
        backstop length cap, and the platform in the set of those with a stream. The age is
        this host's clock against the ids' (the Redis server's) clock: keep them in sync."""
        stream = self.stream_for(message.platform)
        fields = {"msg": dump_message(message), "attempts": str(attempts)}
        min_id = f"{max(0, int((time.time() - self.max_age_s) * 1000))}-0"
        pipe.xadd(stream, fields, minid=min_id, approximate=False)
        pipe.xtrim(stream, maxlen=self.maxlen, approximate=True)
        pipe.sadd(keys.job_platforms(self.base), message.platform)

    async def enqueue(self, message: IncomingMessage, *, attempts: int = 0) -> str:
        """Add a job for the message's platform; returns its entry id. ``attempts`` is the
        number of failed tries so far."""
        with redis_errors("enqueue"):
            pipe = transaction(self.r)
            self._queue_add(pipe, message, attempts)
            entry, *_ = await pipe.execute()
        return _text(entry)

    async def take(self, *, block_ms: int = 1000, count: int = 1,
                   claim_idle_ms: int | None = None, claim: bool = True) -> list[Job]:
        """Up to ``count`` jobs of the served platforms: first ones idle longer than
        ``claim_idle_ms`` in other consumers' hands (unless ``claim`` is False: the worker looks
        for those only every so often, one round trip less per take), else new ones (waiting
        up to ``block_ms``). ``count`` is split over the streams (Redis counts per stream), so
        a read may give one job more per further platform than asked."""
        if not self.platforms:
            raise ValueError("this job queue serves no platform (JobQueue.serving)")
        idle = self.claim_idle_ms if claim_idle_ms is None else claim_idle_ms
        with redis_errors("take"):
            try:
                return await self._take(block_ms, count, idle, claim)
            except ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
            await self.ensure_group()  # a stream was deleted under us: recreate, read again
            return await self._take(block_ms, count, idle, claim)

    async def _take(self, block_ms: int, count: int, idle_ms: int, claim: bool) -> list[Job]:
        if claim:
            jobs: list[Job] = []
            for stream in self.streams:
                claimed = await self.r.xautoclaim(stream, self.group, self.consumer,
                                                  min_idle_time=idle_ms, start_id="0-0",
                                                  count=count - len(jobs))
                entries = [e for e in claimed[1] if e and e[1] is not None]
                jobs += await self._jobs(stream, entries, claimed=True)
                if len(jobs) >= count:
                    break
            if jobs:
                return jobs
        per_stream = max(1, math.ceil(count / len(self.platforms)))
        reply = await self.r.xreadgroup(self.group, self.consumer,
                                        {s: ">" for s in self.streams},
                                        count=per_stream, block=block_ms)
        if not reply:
            return []
        # RESP2 answers [[stream, entries], ...]; RESP3 {stream: [entries]}
        rows: list[tuple[Any, Any]] = ([(s, v[0]) for s, v in reply.items()]
                                       if isinstance(reply, dict) else [(s, e) for s, e in reply])
        fresh: list[Job] = []
        for name, entries in rows:
            fresh += await self._jobs(_text(name), entries, claimed=False)
        return fresh

    async def _jobs(self, stream: str, entries: list[Any], *, claimed: bool) -> list[Job]:
        jobs = []
        for raw_id, fields in entries:
            entry_id = _text(raw_id)
            try:
                message = load_message(fields[b"msg"])
                failed = int(fields.get(b"attempts", b"0"))
            except (CodecError, KeyError, ValueError) as exc:
                log.error("dropping unreadable job %s: %s", entry_id, exc)
                await self._done(stream, entry_id)
                continue
            deliveries = await self._deliveries(stream, entry_id) if claimed else 1
            jobs.append(Job(entry_id, message, failed + deliveries, stream))
        return jobs

    async def _deliveries(self, stream: str, entry_id: str) -> int:
        rows = await self.r.xpending_range(stream, self.group, min=entry_id, max=entry_id,
                                           count=1)
        return int(rows[0]["times_delivered"]) if rows else 1

    async def _done(self, stream: str, entry_id: str) -> None:
        pipe = transaction(self.r)
        pipe.xack(stream, self.group, entry_id)
        pipe.xdel(stream, entry_id)
        await pipe.execute()

    async def discard(self, stream: str, entry_id: str) -> None:
        """Acknowledge and delete an entry that cannot be read (no job to run or bury)."""
        with redis_errors("discard"):
            await self._done(stream, entry_id)

    async def ack(self, job: Job) -> None:
        """Mark the job done and delete it; it will not be delivered again."""
        with redis_errors("ack"):
            await self._done(job.stream, job.id)

    async def retry(self, job: Job) -> str:
        """Re-queue a failed job at the end of its platform's stream with its attempt count;
        ack and delete the old entry (one transaction, one slot)."""
        with redis_errors("retry"):
            pipe = transaction(self.r)
            self._queue_add(pipe, job.message, job.attempts)
            pipe.xack(job.stream, self.group, job.id)
            pipe.xdel(job.stream, job.id)
            entry, *_ = await pipe.execute()
        return _text(entry)

    async def bury(self, job: Job, reason: Reason, exc: BaseException | None) -> str:
        """Give up on the job: copy it to the dead-letter stream, then ack and delete it. Two
        steps (two keys, two cluster slots): a crash between leaves the job pending, so it is
        claimed, found delivered too often and buried again; never lost."""
        entry = await self.dead.add(job.id, job.message, job.attempts, reason, error_label(exc))
        with redis_errors("bury"):
            await self._done(job.stream, job.id)
        return entry

    async def retry_dead(self, entry_id: str) -> str | None:
        """Queue a dead job again (on its platform's stream) with a fresh attempt count; None
        when no such entry (or it cannot be read). Queued first, then dropped: a crash between
        leaves a copy behind, and the reply claim makes a job run twice answer once."""
        dead = await self.dead.get(entry_id)
        if dead is None or dead.message is None:
            return None
        new_id = await self.enqueue(dead.message)
        await self.dead.drop(entry_id)
        return new_id

    async def release(self, jobs: Sequence[Job]) -> None:
        """Hand these running jobs back at once (a worker stopping before they finished): their
        idle time is set past the claim threshold, so the next worker's ``take`` claims them."""
        with redis_errors("release"):
            for stream, ids in by_stream(jobs).items():
                await self.r.xclaim(stream, self.group, self.consumer, 0, list[Any](ids),
                                    idle=self.claim_idle_ms + 1, justid=True)

    async def touch(self, jobs: Sequence[Job]) -> list[Job]:
        """Heartbeat: reset the idle time of these running jobs, so no other worker claims
        them. Returns the jobs still this consumer's (a missing one was claimed by another
        worker, acknowledged, or forgotten)."""
        kept: list[Job] = []
        with redis_errors("touch"):
            for stream, ids in by_stream(jobs).items():
                got = {_text(i) for i in await self._touch(
                    keys=[stream], args=[self.group, self.consumer, *ids])}
                kept += [j for j in jobs if j.stream == stream and j.id in got]
        return kept

    async def stats(self) -> JobStats:
        """Queued, pending and dead counts over every platform's stream."""
        rows = await self.platform_jobs()
        return JobStats(sum(r.queued for r in rows), sum(r.pending for r in rows),
                        await self.dead.count())

    async def platform_jobs(self, now: float | None = None) -> list[PlatformJobs]:
        """Per platform: jobs queued and pending, how long the oldest has waited, and how
        many live workers serve it (``bot.jobs.backlog``)."""
        now = time.time() if now is None else now
        with redis_errors("platform_jobs"):
            return [await platform_jobs(self.r, p, base=self.base, group=self.group, now=now)
                    for p in await self.known_platforms()]

    async def seen(self, now: float | None = None) -> None:
        """This worker is alive, and serves its platforms (``bot.jobs.presence``)."""
        await self.presence.seen(now)

    async def workers_seen(self, window_s: float = keys.WORKER_SEEN_WINDOW_S) -> int:
        """Workers whose heartbeat came within the last ``window_s`` seconds."""
        return await self.presence.workers_seen(window_s)

    async def prune_consumers(self, gone_s: float = keys.CONSUMER_GONE_S) -> list[str]:
        """Delete stopped workers' consumers from every platform's group (see
        ``Presence.prune``)."""
        gone: list[str] = []
        for platform in await self.known_platforms():
            gone += await self.presence.prune(self.stream_for(platform), self.group, gone_s)
        return gone

    async def forget_user(self, platform: str, user: str) -> int:
        """Delete the user's jobs from their platform's stream (and the stream used before
        issue 19) and from the dead letters (see ``forget_jobs``)."""
        removed = await forget_jobs(self.r, platform, user, stream=self.stream_for(platform),
                                    group=self.group)
        if self.base == keys.JOB_BASE:
            removed += await forget_jobs(self.r, platform, user,
                                         stream=keys.LEGACY_JOB_STREAM, group=self.group)
        return removed + await self.dead.forget_user(platform, user)

    async def pending(self) -> int:
        """Jobs delivered but not yet acknowledged, over every platform (metrics, tests)."""
        return (await self.stats()).pending

