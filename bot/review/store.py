"""Review cases in Redis. One decision per case: a Lua script sets the case's decision key only
when it is absent and the case still exists, so two moderators pressing at once (on two
gateways) get one decision and one "already decided".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bot import keys
from bot.errors import CodecError
from bot.review.model import Case, CaseStatus, Decision, dump_case, load_case
from bot.stores.redis_base import redis_errors, register_script, text

if TYPE_CHECKING:
    from bot.stores.redis_base import RedisLike

# KEYS: case, decision. ARGV: decision, status, by, at, legal-hold expiry (unix s, or ""),
# decider (platform:user id).
_DECIDE_LUA = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {'gone', ''} end
local prev = redis.call('GET', KEYS[2])
if prev then return {'decided', prev} end
redis.call('SET', KEYS[2], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'decided_by', ARGV[3], 'decided_at', ARGV[4],
           'decider', ARGV[6])
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[1], 'legal_hold', '1')
  redis.call('EXPIREAT', KEYS[1], ARGV[5])
  redis.call('EXPIREAT', KEYS[2], ARGV[5])
end
return {'ok', ARGV[1]}
"""

# KEYS: case, decision. A rejected case goes back to the queue once.
_APPEAL_LUA = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 'gone' end
if redis.call('HGET', KEYS[1], 'status') ~= 'rejected' then return 'not_rejected' end
if redis.call('HGET', KEYS[1], 'appealed') == '1' then return 'already' end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], 'status', 'pending', 'appealed', '1', 'decided_by', '',
           'decided_at', '0', 'decider', '')
return 'ok'
"""

# KEYS: case. A hash list named one of the case's items: marked (no preview, no Reveal) only
# while the case exists (a bare HSET would leave a case hash without its data).
_HASH_MATCH_LUA = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'hash_match', '1')
return 1
"""

Outcome = Literal["ok", "decided", "gone"]


@dataclass(frozen=True)
class DecideResult:
    """``ok``: this decision won; ``decided``: another came first (``case`` shows it);
    ``gone``: no such case (expired, purged, or lost with a Redis that restarted empty)."""

    outcome: Outcome
    case: Case | None


@dataclass(frozen=True)
class Card:
    """Where a case's review card was posted, so it can be updated after a decision."""

    platform: str
    channel: str
    message_id: str


class ReviewStore:
    def __init__(self, redis: RedisLike) -> None:
        self.r = redis
        self._decide = register_script(redis, _DECIDE_LUA)
        self._appeal = register_script(redis, _APPEAL_LUA)
        self._hash_match = register_script(redis, _HASH_MATCH_LUA)

    async def create(self, case: Case, expire_at: int) -> None:
        with redis_errors("review create"):
            async with self.r.pipeline(transaction=False) as p:
                p.hset(keys.review_case(case.id), mapping=dump_case(case))
                p.expireat(keys.review_case(case.id), expire_at)
                p.zadd(keys.REVIEW_INDEX, {case.id: case.created})
                await p.execute()

    async def get(self, case_id: str) -> Case | None:
        with redis_errors("review get"):
            raw = await self.r.hgetall(keys.review_case(case_id))
        return load_case(raw) if raw else None

    async def ids(self) -> list[str]:
        with redis_errors("review index"):
            return [text(m) for m in await self.r.zrange(keys.REVIEW_INDEX, 0, -1)]

    async def list(self, status: CaseStatus | None = None, limit: int = 1000, *,
                   workspace: str | None = None) -> list[Case]:
        """Cases oldest first (at most ``limit``), of one ``workspace`` (a team or guild id)
        when given; unreadable ones are skipped."""
        out: list[Case] = []
        for case_id in await self.ids():
            try:
                case = await self.get(case_id)
            except CodecError:
                continue
            if case is not None and (status is None or case.status is status) and (
                    workspace is None or case.workspace == workspace):
                out.append(case)
                if len(out) >= limit:
                    break
        return out

    async def decide(self, case_id: str, decision: Decision, *, by: str, at: float,
                     legal_hold_until: int | None = None, decider: str = "") -> DecideResult:
        """``by``: the name shown on cards; ``decider``: ``platform:user id``."""
        with redis_errors("review decide"):
            outcome, _ = await self._decide(
                keys=[keys.review_case(case_id), keys.review_decision(case_id)],
                args=[decision.value, decision.status.value, by, repr(at),
                      str(legal_hold_until) if legal_hold_until else "", decider])
        return DecideResult(text(outcome), await self.get(case_id))  # type: ignore[arg-type]

    async def appeal(self, case_id: str) -> str:
        """``ok``, ``gone``, ``not_rejected`` or ``already`` (one appeal per case)."""
        with redis_errors("review appeal"):
            return text(await self._appeal(
                keys=[keys.review_case(case_id), keys.review_decision(case_id)]))

    async def mark_hash_match(self, case_id: str) -> bool:
        """A hash list names one of the case's items; False when the case is gone."""
        with redis_errors("review hash match"):
            return bool(await self._hash_match(keys=[keys.review_case(case_id)]))

    async def set_card(self, case_id: str, card: Card) -> None:
        with redis_errors("review card"):
            await self.r.set(keys.review_card(case_id), json.dumps(card.__dict__),
                             ex=keys.REVIEW_CARD_TTL_S)

    async def card(self, case_id: str) -> Card | None:
        with redis_errors("review card"):
            raw = await self.r.get(keys.review_card(case_id))
        if raw is None:
            return None
        try:
            return Card(**json.loads(raw))
        except (ValueError, TypeError):
            return None

    async def forget(self, case_id: str) -> None:
        with redis_errors("review delete"):
            await self.r.delete(keys.review_case(case_id), keys.review_decision(case_id),
                                keys.review_card(case_id))
            await self.r.zrem(keys.REVIEW_INDEX, case_id)
