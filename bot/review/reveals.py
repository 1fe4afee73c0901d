"""What Reveal left on a platform, and its withdrawal.

Reveal sends a moderator a copy of a ``hold`` case's image without its metadata (the original
bytes stay in the vault). The copy lives outside the vault, so it must not outlive the case:
each post is tracked here (``track``: the platform, the channel and the ids the platform gave),
and when the case is decided (``Review.decide``, from any gateway, the command line or a
hash-list escalation) or purged (the hourly sweep: ``sweep``), ``withdraw`` takes the posts (each
exactly once: ``HDEL`` decides who) and queues them on the platform's notice list, where a
worker that serves that platform deletes them (``bot.review.cards.ReviewNotices``) and audits
it (``review_reveal_withdrawn``). A copy the platform would not delete is tracked again
(``failed``), so the next sweep tries it again; after ``keys.REVEAL_WITHDRAW_ATTEMPTS`` tries it
is given up: audited (``given_up``) and listed for operators (``miru doctor``).
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from bot import keys
from bot.stores.redis_base import RedisLike, redis_errors

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RevealPost:
    """One Reveal's post: ``channel`` (the moderator's direct messages) and ``ids`` (Slack
    file ids, a Discord message id)."""

    platform: str
    channel: str
    ids: tuple[str, ...]
    attempts: int = 0  # deletions tried and failed so far

    def as_json(self) -> dict[str, Any]:
        return {"platform": self.platform, "channel": self.channel, "ids": list(self.ids),
                **({"attempts": self.attempts} if self.attempts else {})}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RevealPost:
        return cls(str(data["platform"]), str(data["channel"]),
                   tuple(str(i) for i in data.get("ids") or ()),
                   int(data.get("attempts") or 0))


class Reveals:
    """The posts of every case's Reveals, in Redis (``keys.review_reveals``)."""

    def __init__(self, redis: RedisLike) -> None:
        self.r = redis

    async def count(self, case_id: str) -> int:
        with redis_errors("reveals"):
            return int(await self.r.hlen(keys.review_reveals(case_id)))

    async def track(self, case_id: str, post: RevealPost) -> None:
        """Remember one post (until ``withdraw``; the card's lifetime at most)."""
        key = keys.review_reveals(case_id)
        with redis_errors("reveals"):
            await self.r.hset(key, secrets.token_hex(6), json.dumps(post.as_json()))
            await self.r.expire(key, keys.REVIEW_CARD_TTL_S)
            await self.r.sadd(keys.REVIEW_REVEALS, case_id)

    async def take(self, case_id: str) -> list[RevealPost]:
        """The case's posts, each handed to one caller only (``HDEL`` returns 1 once)."""
        key = keys.review_reveals(case_id)
        posts = []
        with redis_errors("reveals"):
            for field, value in (await self.r.hgetall(key)).items():
                if await self.r.hdel(key, field):
                    try:
                        posts.append(RevealPost.from_json(json.loads(value)))
                    except (ValueError, KeyError, TypeError):
                        log.warning("unreadable reveal record of case %s dropped", case_id)
            if not await self.r.exists(key):
                await self.r.srem(keys.REVIEW_REVEALS, case_id)
        return posts

    async def failed(self, case_id: str, post: RevealPost) -> bool:
        """A deletion of ``post`` failed: track it again so the next sweep tries once more
        (True), or, after ``keys.REVEAL_WITHDRAW_ATTEMPTS`` tries in all, give it up: it goes
        on the list operators see (``given_up``; ``miru doctor``) and False is returned."""
        tried = replace(post, attempts=post.attempts + 1)
        if tried.attempts < keys.REVEAL_WITHDRAW_ATTEMPTS:
            await self.track(case_id, tried)
            return True
        with redis_errors("reveals"):
            await self.r.lpush(keys.REVIEW_REVEALS_GIVEN_UP,
                               json.dumps({"case": case_id, **tried.as_json()}))
            await self.r.ltrim(keys.REVIEW_REVEALS_GIVEN_UP, 0,
                               keys.REVIEW_REVEALS_GIVEN_UP_MAX - 1)
            await self.r.expire(keys.REVIEW_REVEALS_GIVEN_UP, keys.REVIEW_REVEALS_GIVEN_UP_TTL_S)
        return False

    async def withdraw(self, case_id: str) -> int:
        """Queue the deletion of every post of the case on its platform's notice list (the
        workers that serve it delete them). Returns how many were queued."""
        posts = await self.take(case_id)
        by_platform: dict[str, list[dict[str, Any]]] = {}
        for post in posts:
            by_platform.setdefault(post.platform, []).append(post.as_json())
        with redis_errors("reveals"):
            for platform, items in by_platform.items():
                await self.r.lpush(keys.review_notices(platform),
                                   json.dumps({"case": case_id, "withdraw": items}))
        return len(posts)

    async def sweep(self, still_open: Callable[[str], Awaitable[bool]]) -> int:
        """Withdraw the posts of every case that is no longer open (decided, purged, expired);
        a withdrawal that failed when the case was decided is caught here."""
        with redis_errors("reveals"):
            cases = [c.decode() if isinstance(c, bytes) else str(c)
                     for c in await self.r.smembers(keys.REVIEW_REVEALS)]
        queued = 0
        for case_id in cases:
            if not await still_open(case_id):
                queued += await self.withdraw(case_id)
        return queued
