"""Plans and quotas, enforced atomically in Redis for every gateway and worker.

``Quotas.admit`` runs one Lua script per message: it checks the user's and the workspace's
images for the UTC day and the user's requests in flight against the workspace's tier, and only
when all fit, counts them; two gateways at the last image cannot both pass, because Redis runs
one script at a time and every key of a workspace shares its hash tag (one Cluster slot). A
request already counted (a re-delivered event) passes without being counted again. Workers call
``release`` when a request finishes, freeing its concurrency slot; a slot never released (a dead
worker) lapses after ``keys.QUOTA_RUNNING_TTL_S``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from bot import keys
from bot.models import IncomingMessage
from bot.ops.metrics import Metrics
from bot.stores.redis_base import RedisLike, redis_errors, register_script
from bot.stores.redis_base import text as _text
from config.policy import PolicyConfig

Scope = Literal["user", "workspace", "concurrent"]

# KEYS: user day, workspace day, charged marker, user running zset.
# ARGV: images, user limit, workspace limit, day ttl, concurrency limit, now, request id,
#       running ttl. Limits of 0 mean unlimited. Returns {1, used} or {0, scope, used}.
_ADMIT = """
if redis.call('EXISTS', KEYS[3]) == 1 then return {1, -1} end
local n = tonumber(ARGV[1])
local u = tonumber(redis.call('GET', KEYS[1]) or '0')
local w = tonumber(redis.call('GET', KEYS[2]) or '0')
local ulim, wlim, clim = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[5])
if n > 0 and ulim > 0 and u + n > ulim then return {0, 'user', u} end
if n > 0 and wlim > 0 and w + n > wlim then return {0, 'workspace', w} end
if clim > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', tonumber(ARGV[6]) - tonumber(ARGV[8]))
  local running = redis.call('ZCARD', KEYS[4])
  if running >= clim then return {0, 'concurrent', running} end
  redis.call('ZADD', KEYS[4], ARGV[6], ARGV[7])
  redis.call('EXPIRE', KEYS[4], ARGV[8])
end
if n > 0 then
  redis.call('INCRBY', KEYS[1], n)
  redis.call('EXPIRE', KEYS[1], ARGV[4])
  redis.call('INCRBY', KEYS[2], n)
  redis.call('EXPIRE', KEYS[2], ARGV[4])
end
redis.call('SET', KEYS[3], n, 'EX', ARGV[4])
return {1, u + n}
"""

# KEYS: user day, workspace day, charged marker, user running zset. ARGV: request id.
# Takes back what ``_ADMIT`` counted for this request (never below zero); returns the images.
_REFUND = """
local n = tonumber(redis.call('GET', KEYS[3]) or '-1')
if n < 0 then return 0 end
redis.call('DEL', KEYS[3])
redis.call('ZREM', KEYS[4], ARGV[1])
if n > 0 then
  for i = 1, 2 do
    local left = tonumber(redis.call('GET', KEYS[i]) or '0')
    if left > 0 then redis.call('DECRBY', KEYS[i], math.min(n, left)) end
  end
end
return n
"""


@dataclass(frozen=True)
class Admission:
    ok: bool
    tier: str
    scope: Scope | None = None  # what was exhausted, when refused
    limit: int = 0
    reset_at: datetime | None = None  # when a daily quota starts again (UTC midnight)


def day_of(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y%m%d")


def next_reset(now: float) -> datetime:
    today = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=1)


class Quotas:
    """Redis failures raise ``StoreUnavailable`` (the caller fails closed: nothing is queued)."""

    def __init__(self, redis: RedisLike, policy: PolicyConfig, metrics: Metrics | None = None
                 ) -> None:
        self.r = redis
        self.policy = policy
        self.metrics = metrics or Metrics()
        self._admit = register_script(redis, _ADMIT)
        self._refund = register_script(redis, _REFUND)

    async def admit(self, message: IncomingMessage, request_id: str,
                    now: float | None = None) -> Admission:
        _, tier = self.policy.tier_for(message.workspace)
        return await self._admit_images(message, request_id, len(message.images),
                                        tier.concurrent_per_user, now)

    async def admit_stored(self, message: IncomingMessage, request_id: str, images: int,
                           now: float | None = None) -> Admission:
        """Count the thread's stored images a request uses (a follow-up's) against the same
        daily quotas as fresh ones: once per request (a job run twice is not counted twice),
        with no concurrency slot of its own (the request took one when it was admitted)."""
        return await self._admit_images(message, f"{request_id}:stored", images, 0, now)

    async def _admit_images(self, message: IncomingMessage, request_id: str, images: int,
                            concurrent: int, now: float | None) -> Admission:
        now = time.time() if now is None else now
        name, tier = self.policy.tier_for(message.workspace)
        p, ws, day = message.platform, message.workspace, day_of(now)
        with redis_errors("quota_admit"):
            got: Any = await self._admit(
                keys=[keys.quota_user_day(p, ws, day, message.user),
                      keys.quota_workspace_day(p, ws, day),
                      keys.quota_charged(p, ws, request_id),
                      keys.quota_running(p, ws, message.user)],
                args=[images, tier.images_per_user_per_day,
                      tier.images_per_workspace_per_day, keys.QUOTA_DAY_TTL_S,
                      concurrent, f"{now:.6f}", request_id, keys.QUOTA_RUNNING_TTL_S])
        if int(got[0]) == 1:
            return Admission(True, name)
        scope: Scope = _text(got[1])  # type: ignore[assignment]
        self.metrics.quota_refusals.labels(scope).inc()
        limit = {"user": tier.images_per_user_per_day,
                 "workspace": tier.images_per_workspace_per_day,
                 "concurrent": tier.concurrent_per_user}[scope]
        return Admission(False, name, scope, limit,
                         None if scope == "concurrent" else next_reset(now))

    async def refund(self, message: IncomingMessage, request_id: str,
                     now: float | None = None) -> int:
        """Take back what ``admit`` counted for a request that was never queued (the queue
        was down after the quota passed): the user is told to try again, and that try must
        not cost a second time. Returns the images given back (0 when nothing was counted)."""
        p, ws = message.platform, message.workspace
        day = day_of(time.time() if now is None else now)
        with redis_errors("quota_refund"):
            got: Any = await self._refund(
                keys=[keys.quota_user_day(p, ws, day, message.user),
                      keys.quota_workspace_day(p, ws, day),
                      keys.quota_charged(p, ws, request_id),
                      keys.quota_running(p, ws, message.user)],
                args=[request_id])
        return int(got)

    async def release(self, message: IncomingMessage, request_id: str) -> None:
        """The request finished: free its concurrency slot (a no-op when none was taken)."""
        with redis_errors("quota_release"):
            await self.r.zrem(keys.quota_running(message.platform, message.workspace,
                                                 message.user), request_id)


@dataclass(frozen=True)
class Today:
    """One person's and their workspace's images today against the tier (0: no limit)."""

    tier: str
    images: int
    limit: int
    workspace_images: int
    workspace_limit: int
    reset_at: datetime


async def today(redis: RedisLike, policy: PolicyConfig, platform: str, workspace: str,
                user: str, now: float | None = None) -> Today:
    """What ``miru usage`` counts, for one person (two ``GET``s): the home view's "today"."""
    now = time.time() if now is None else now
    name, tier = policy.tier_for(workspace)
    day = day_of(now)
    with redis_errors("quota_today"):
        pipe = redis.pipeline(transaction=False)
        pipe.get(keys.quota_user_day(platform, workspace, day, user))
        pipe.get(keys.quota_workspace_day(platform, workspace, day))
        mine, theirs = await pipe.execute()
    return Today(name, int(mine or 0), tier.images_per_user_per_day, int(theirs or 0),
                 tier.images_per_workspace_per_day, next_reset(now))


@dataclass(frozen=True)
class WorkspaceUsage:
    platform: str
    workspace: str
    tier: str
    images: int
    users: dict[str, int]  # user id -> images today


async def usage(redis: RedisLike, policy: PolicyConfig, now: float | None = None,
                *, max_keys: int = 100_000) -> list[WorkspaceUsage]:
    """Images per workspace and user for the UTC day of ``now`` (a ``SCAN`` of the day's
    counters, at most ``max_keys`` keys)."""
    day = day_of(time.time() if now is None else now)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    seen = 0
    with redis_errors("quota_usage"):
        async for raw in redis.scan_iter(match=f"{keys.PREFIX}:quota:{{*}}:{day}:*", count=1000):
            seen += 1
            if seen > max_keys:
                break
            key = _text(raw)
            tag, _, rest = key.partition("}:")
            platform, _, workspace = tag.split("{", 1)[1].partition(":")
            entry = found.setdefault((platform, workspace), {"images": 0, "users": {}})
            value = int(await redis.get(key) or 0)
            if rest.endswith(":ws"):
                entry["images"] = value
            elif ":u:" in rest:
                entry["users"][rest.split(":u:", 1)[1]] = value
    return [WorkspaceUsage(p, w, policy.tier_for(w)[0], e["images"],
                           dict(sorted(e["users"].items())))
            for (p, w), e in sorted(found.items())]
