"""Review cards and notices on the case's own platform, whichever process opened or decided it.

- **Cards** (``ReviewCards``): on a new case, the blurred preview (``hold`` only) and the card go
  to the team's channel; a channel the bot cannot post in is logged and audited
  (``review_card``), and the case waits in the queue (``miru review list``).
- **Notices** (``ReviewNotices``): a decision taken away from a platform (``miru review
  approve|reject|escalate``) is queued in Redis (``keys.REVIEW_NOTICES``); a worker, which serves
  the platforms, updates the card and tells the uploader. The deletion of a decided or purged
  case's Reveal copies (``bot.review.reveals``) comes the same way.

Both find the case's platform in the app's ``Adapters`` (filled by the workers and gateways as
they start), so ``bot.app.build_app`` wires them once and nothing is set on them later.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Protocol, runtime_checkable

from bot import keys
from bot.errors import StoreUnavailable
from bot.ports import Adapters
from bot.review.desk import CardPoster, outcome_notice
from bot.review.model import Case, Decision
from bot.review.reveals import RevealPost
from bot.review.service import Review
from bot.review.store import Card
from bot.stores.redis_base import redis_errors
from config.policy import PolicyConfig

log = logging.getLogger(__name__)


@runtime_checkable
class RevealWithdrawer(Protocol):
    """What an adapter implements to delete a Reveal's copy (``bot.review.reveals``)."""

    async def withdraw_reveal(self, post: RevealPost) -> None:
        """Delete what ``post`` names on the platform; raises when it could not."""
        ...


def poster_for(adapters: Adapters, name: str) -> CardPoster | None:
    """The platform ``name``'s adapter when this process serves it and it shows review
    cards."""
    platform = adapters.get(name)
    return platform if isinstance(platform, CardPoster) else None


class ReviewNotices:
    """Decisions taken away from a platform: ``publish`` queues one (the command line),
    ``run`` shows them (a worker, for the platforms in ``adapters``)."""

    def __init__(self, review: Review, adapters: Adapters | None = None) -> None:
        self.review = review
        self.adapters = adapters or Adapters()

    async def publish(self, case: Case, decision: Decision, *, tell: bool = True) -> None:
        """Queue the decision for the case's platform; the worker that shows it words it
        with that platform's ``PlatformInfo``. ``tell=False``: the card only, the uploader
        is not told (a hash-list match never warns the uploader)."""
        body = json.dumps({"case": case.id, "decision": decision.value,
                           **({} if tell else {"tell": False})})
        r, key = self.review.store.r, keys.review_notices(case.platform)
        with redis_errors("review notice"):
            await r.lpush(key, body)
            await r.ltrim(key, 0, keys.REVIEW_NOTICES_MAX - 1)

    async def handle_one(self, timeout_s: float = 1.0) -> bool:
        """Show one queued decision for a platform this worker serves; False when none came
        within ``timeout_s`` (or it serves none)."""
        names = [n for n in self.adapters.names() if poster_for(self.adapters, n) is not None]
        if not names:
            await asyncio.sleep(timeout_s)
            return False
        got = await self.review.store.r.brpop([keys.review_notices(p) for p in names],
                                              timeout=timeout_s)
        if not got:
            return False
        try:
            notice = json.loads(got[1])
            if "withdraw" in notice:
                await self._withdraw(str(notice["case"]), notice["withdraw"])
                return True
            case = await self.review.store.get(str(notice["case"]))
            decision = Decision(notice["decision"]) if "decision" in notice else None
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable review notice dropped")
            return True
        poster = poster_for(self.adapters, case.platform) if case is not None else None
        if case is None or poster is None:
            return True
        if decision is not None:
            text, delete = outcome_notice(case, decision, self.adapters.info(case.platform))
        else:  # queued by an older version, already worded
            text, delete = str(notice.get("text") or ""), bool(notice.get("delete"))
        card = await self.review.store.card(case.id)
        if card is not None:
            await poster.update_review_card(card, case)
        if notice.get("tell", True) is not False and (text or delete):
            await poster.tell_uploader(case, text, delete=delete)
        return True

    async def _withdraw(self, case_id: str, items: list[dict]) -> None:
        """Delete a decided or purged case's Reveal copies on their platform; audited. A copy
        that could not be deleted is kept for the next sweep to try again, a bounded number of
        times (``Reveals.failed``), then given up (audited ``given_up``, listed for operators)."""
        deleted, failed, retrying, platform = 0, 0, 0, ""
        for item in items:
            post = RevealPost.from_json(item)
            platform = post.platform
            adapter = self.adapters.get(post.platform)
            try:
                if not isinstance(adapter, RevealWithdrawer):
                    raise LookupError(f"no adapter for {post.platform} deletes reveals")
                await adapter.withdraw_reveal(post)
                deleted += 1
            except Exception as exc:  # the platform refused, or is away: tried again later
                log.warning("reveal of case %s not deleted: %s", case_id, type(exc).__name__)
                failed += 1
                try:
                    retrying += await self.review.reveals.failed(case_id, post)
                except StoreUnavailable as err:  # not kept for a retry: audited as given up
                    log.error("reveal of case %s not kept for a retry: %s", case_id, err.detail)
        given_up = failed - retrying
        await self.review.audit.write(self.review.audit.record(
            "review_reveal_withdrawn", f"review:{case_id}", platform=platform,
            action="withdrawn" if not failed else "given_up" if given_up else "withdraw_failed",
            detail={"case": case_id, "deleted": deleted, "failed": failed,
                    **({"retrying": retrying, "given_up": given_up} if failed else {})}))

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop``: show decisions as they come; never raises."""
        while not stop.is_set():
            try:
                await self.handle_one()
            except Exception as exc:  # Redis away: try again shortly
                log.warning("review notices: %s", type(exc).__name__)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=2.0)


class ReviewCards:
    """``Services.review_cards``: post a new case's card on its platform; never raises. A
    process that serves no platform (the command line, ``miru serve-api``) posts nothing and
    records nothing: the case waits in the queue for a moderator (``miru review list``)."""

    def __init__(self, review: Review, policy: PolicyConfig, adapters: Adapters) -> None:
        self.review = review
        self.policy = policy
        self.adapters = adapters

    async def __call__(self, case: Case) -> None:
        if not self.adapters.names():
            return
        team = self.policy.moderators.get(case.workspace)
        poster = poster_for(self.adapters, case.platform)
        why = ("no moderators configured for this workspace" if team is None
               else "no card support on this platform" if poster is None else "")
        message_id = ""
        if team is not None and poster is not None:
            try:
                message_id = await poster.post_review_card(team.channel, case,
                                                           await self.review.previews(case))
                await self.review.store.set_card(case.id, Card(case.platform, team.channel,
                                                               message_id))
            except Exception as exc:  # the case waits in the queue; operators see the log
                why = f"cannot post in the moderators' channel: {type(exc).__name__}"
                log.error("review card for case %s not posted: %s", case.id, why)
        await self.review.audit.write(self.review.audit.record(
            "review_card", case.request_id, platform=case.platform, channel=case.channel,
            action="posted" if message_id else "not_posted",
            detail={"case": case.id, **({"why": why} if why else {})}))
