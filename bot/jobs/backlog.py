"""What waits in each platform's job stream, and whether any live worker serves it.

One Lua script per platform reads, atomically and on the job streams' one slot: the stream's
length, its group's pending count and last delivered id, the oldest entry not yet delivered
(how long the queue's head has waited) and the live workers serving the platform. ``miru jobs``,
``/healthz``, ``/metrics`` and ``miru doctor`` (with a blocking client) all read it here, so they
agree on what "unserved" means: jobs wait and no worker that serves their platform was seen
within ``keys.WORKER_SEEN_WINDOW_S``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from bot import keys
from bot.stores.redis_base import RedisLike, SyncRedisLike, register_script
from bot.stores.redis_base import text as _text

# KEYS: the platform's stream, its serving zset. ARGV: group, seen since (Unix s).
# Returns {length, pending, oldest undelivered id or '', live workers}.
_BACKLOG = """
local len = redis.call('XLEN', KEYS[1])
local pending, last = 0, '0-0'
if redis.call('EXISTS', KEYS[1]) == 1 then
  for _, row in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
    local g = {}
    for i = 1, #row, 2 do g[row[i]] = row[i + 1] end
    if g['name'] == ARGV[1] then
      pending = tonumber(g['pending'])
      last = g['last-delivered-id']
    end
  end
end
local oldest = ''
local head = redis.call('XRANGE', KEYS[1], '(' .. last, '+', 'COUNT', 1)
if head[1] then oldest = head[1][1] end
return {len, pending, oldest, redis.call('ZCOUNT', KEYS[2], ARGV[2], '+inf')}
"""


@dataclass(frozen=True)
class JobStats:
    queued: int  # waiting for a worker
    pending: int  # taken by a worker, not yet acknowledged (running, or its worker died)
    dead: int  # given up on (the dead-letter stream)


@dataclass(frozen=True)
class PlatformJobs:
    """One platform's stream: what waits, for how long, and who serves it."""

    platform: str
    queued: int  # not yet taken
    pending: int  # taken, not yet acknowledged
    workers: int  # live workers that serve the platform
    oldest_s: float  # how long the oldest job not yet taken has waited (0: none)

    @property
    def waiting(self) -> int:
        return self.queued + self.pending

    @property
    def unserved(self) -> bool:
        """Jobs wait and no live worker serves the platform: nothing will answer them until
        one starts (or the sweep moves them to the dead letters)."""
        return self.waiting > 0 and self.workers == 0

    @property
    def reason(self) -> str:
        """One line for an operator (``/healthz``, ``miru doctor``) when unserved."""
        if not self.unserved:
            return ""
        oldest = f", the oldest for {self.oldest_s:.0f} s" if self.queued else ""
        return f"no worker serves {self.platform}: {self.waiting} job(s) waiting{oldest}"

    def as_dict(self) -> dict[str, object]:
        return {"platform": self.platform, "queued": self.queued, "pending": self.pending,
                "workers": self.workers, "oldest_wait_s": round(self.oldest_s, 1),
                "unserved": self.unserved}


def _script_args(platform: str, base: str, group: str, now: float, window_s: float
                 ) -> tuple[list[str], list[str]]:
    return ([keys.job_stream(platform, base), keys.job_serving(platform, base)],
            [group, repr(now - window_s)])


def _parse(platform: str, raw: Any, now: float) -> PlatformJobs:
    length, pending, oldest, workers = raw
    oldest_id = _text(oldest)
    age = max(0.0, now - int(oldest_id.split("-")[0]) / 1000) if oldest_id else 0.0
    return PlatformJobs(platform, max(0, int(length) - int(pending)), int(pending),
                        int(workers), age)


async def platform_jobs(redis: RedisLike, platform: str, *, base: str = keys.JOB_BASE,
                        group: str = keys.JOB_GROUP, now: float | None = None,
                        window_s: float = keys.WORKER_SEEN_WINDOW_S) -> PlatformJobs:
    """One platform's figures (raises redis-py's errors; callers translate them)."""
    now = time.time() if now is None else now
    names, args = _script_args(platform, base, group, now, window_s)
    raw = await register_script(redis, _BACKLOG)(keys=names, args=args)
    return _parse(platform, raw, now)


def platform_jobs_sync(client: SyncRedisLike, *, base: str = keys.JOB_BASE,
                       group: str = keys.JOB_GROUP, now: float | None = None,
                       window_s: float = keys.WORKER_SEEN_WINDOW_S) -> list[PlatformJobs]:
    """Every platform's figures with a blocking client (``miru doctor``)."""
    now = time.time() if now is None else now
    out = []
    for platform in sorted(_text(p) for p in client.smembers(keys.job_platforms(base))):
        names, args = _script_args(platform, base, group, now, window_s)
        raw = client.eval(_BACKLOG, len(names), *names, *args)
        out.append(_parse(platform, raw, now))
    return out

