"""Jobs for a platform that no running worker serves: they wait, then go to the dead letters.

A job waits in its platform's stream until a worker that serves the platform reads it; it is
never taken by one that cannot answer it. While none runs, the job shows in ``miru jobs``,
``/healthz`` and ``miru doctor`` (``bot.jobs.backlog``). Every worker sweeps the other
platforms' streams every ``SWEEP_EVERY_S`` (the first time ``FIRST_SWEEP_AFTER_S`` after it
starts): one Lua script per stream, run only while no live worker serves it, takes
(``XREADGROUP``, so no worker that starts meanwhile gets them too) the jobs that have waited
longer than ``max_wait_s``; each is buried (reason ``unserved``) and handed to ``on_dead`` (the
App audits it and gives the quota back), and its dead-letter id goes to the
platform's tell list. The next worker that serves the platform tells those users (``tell``),
unless an operator queued the job again meanwhile (``miru jobs retry``: then it is answered).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from bot import keys
from bot.errors import CodecError, StoreUnavailable
from bot.jobs.queue import Job, JobQueue
from bot.models import IncomingMessage
from bot.stores.codec import load_message
from bot.stores.redis_base import redis_errors, register_script
from bot.stores.redis_base import text as _text

log = logging.getLogger(__name__)

SWEEP_EVERY_S = 30.0
# Before its first sweep a worker waits this long, so workers that started with it (after an
# outage, say) have written their first heartbeat: their platforms' jobs are theirs to answer.
FIRST_SWEEP_AFTER_S = 5.0
SWEEP_BATCH = 100  # jobs taken per stream per sweep

# KEYS: the platform's stream, its serving zset. ARGV: group, consumer, seen since (Unix s),
# last id old enough (ms-seq), batch. Nothing while a live worker serves the platform; else the
# undelivered entries up to that id, delivered to ``consumer`` (the group made if missing).
_EXPIRE = """
if redis.call('ZCOUNT', KEYS[2], ARGV[3], '+inf') > 0 then return {} end
if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
local last = nil
for _, row in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local g = {}
  for i = 1, #row, 2 do g[row[i]] = row[i + 1] end
  if g['name'] == ARGV[1] then last = g['last-delivered-id'] end
end
if not last then
  redis.call('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0')
  last = '0-0'
end
local old = redis.call('XRANGE', KEYS[1], '(' .. last, ARGV[4], 'COUNT', tonumber(ARGV[5]))
if #old == 0 then return {} end
local got = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', #old,
                       'STREAMS', KEYS[1], '>')
return got[1][2]
"""

OnDead = Callable[[IncomingMessage, str, float], Awaitable[None]]  # message, dead id, queued at
Tell = Callable[[IncomingMessage], Awaitable[None]]


class UnservedJobs:
    """The sweep (any worker, every platform's stream) and the telling (a worker, its own
    platforms). ``max_wait_s``: how long a job may wait with no worker serving it."""

    def __init__(self, queue: JobQueue, *, max_wait_s: float, on_dead: OnDead, tell: Tell,
                 every_s: float = SWEEP_EVERY_S, first_after_s: float = FIRST_SWEEP_AFTER_S,
                 window_s: float = keys.WORKER_SEEN_WINDOW_S) -> None:
        self.queue = queue
        self.max_wait_s = max_wait_s
        self.on_dead = on_dead
        self.tell = tell
        self.every_s = every_s
        self.first_after_s = first_after_s
        self.window_s = window_s
        self._expire = register_script(queue.r, _EXPIRE)

    async def sweep(self, now: float | None = None) -> int:
        """Bury every job that has waited past ``max_wait_s`` on a platform no live worker
        serves (never one this worker serves: its jobs are its own to answer, even before its
        first heartbeat); returns how many."""
        now = time.time() if now is None else now
        moved = 0
        for platform in await self.queue.known_platforms():
            if platform not in self.queue.platforms:
                moved += await self._sweep_one(platform, now)
        return moved

    async def _sweep_one(self, platform: str, now: float) -> int:
        q = self.queue
        stream = q.stream_for(platform)
        cutoff = f"{max(0, int((now - self.max_wait_s) * 1000))}-{2**63 - 1}"
        with redis_errors("unserved sweep"):
            entries = await self._expire(
                keys=[stream, keys.job_serving(platform, q.base)],
                args=[q.group, q.consumer, repr(now - self.window_s), cutoff, SWEEP_BATCH])
        moved = 0
        for raw_id, flat in entries or []:
            entry_id = _text(raw_id)
            fields = dict(zip(flat[::2], flat[1::2], strict=True))
            try:
                message = load_message(fields[b"msg"])
                failed = int(fields.get(b"attempts", b"0"))
            except (CodecError, KeyError, ValueError) as exc:
                log.error("dropping unreadable job %s: %s", entry_id, exc)
                await q.discard(stream, entry_id)
                continue
            job = Job(entry_id, message, failed + 1, stream)
            dead = await q.bury(job, "unserved", None)
            queued_at = int(entry_id.split("-")[0]) / 1000  # the entry id's time
            waited = max(0.0, now - queued_at)
            log.error("job %s waited %.0f s with no worker serving %s: moved to the dead "
                      "letters as %s", entry_id, waited, platform, dead)
            moved += 1
            try:
                await self._to_tell(platform, dead)
                await self.on_dead(message, dead, queued_at)
            except Exception:  # the job is in the dead letters either way (miru jobs)
                log.exception("job %s: recording the unserved job failed", entry_id)
        return moved

    async def _to_tell(self, platform: str, dead_id: str) -> None:
        name = keys.job_unserved_tell(platform, self.queue.dead.stream)
        with redis_errors("unserved tell list"):
            pipe = self.queue.r.pipeline(transaction=False)  # one key
            pipe.lpush(name, dead_id)
            pipe.ltrim(name, 0, keys.JOB_UNSERVED_TELL_MAX - 1)
            pipe.expire(name, int(keys.DEAD_MAX_AGE_S))
            await pipe.execute()

    async def tell_waiting(self, limit: int = 100) -> int:
        """Tell the users of the served platforms' unserved jobs (oldest first) that their
        request was not answered; returns how many were told."""
        told = 0
        for platform in self.queue.platforms:
            name = keys.job_unserved_tell(platform, self.queue.dead.stream)
            for _ in range(limit):
                with redis_errors("unserved tell"):
                    raw = await self.queue.r.rpop(name)
                if raw is None:
                    break
                dead = await self.queue.dead.get(_text(raw))
                if dead is None or dead.message is None or dead.reason != "unserved":
                    continue  # queued again by an operator, forgotten, or expired
                await self.tell(dead.message)
                told += 1
        return told

    async def run(self, stop: asyncio.Event) -> None:
        """Tell, then sweep after ``first_after_s`` and every ``every_s`` until ``stop``;
        never raises."""
        wait = self.first_after_s
        while not stop.is_set():
            try:
                await self.tell_waiting()
                await _sleep_or_stop(stop, wait)
                wait = self.every_s
                if not stop.is_set():
                    await self.sweep()
            except StoreUnavailable as exc:
                log.warning("unserved-job sweep: %s", exc.detail)
                await _sleep_or_stop(stop, self.every_s)
            except Exception:  # the worker must outlive a bug here
                log.exception("unserved-job sweep failed")
                await _sleep_or_stop(stop, self.every_s)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)

