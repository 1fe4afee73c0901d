"""The moderators' desk, shared by every platform: who may act, what a button press does, and
posting a case's card. Adapters only render cards (Block Kit, Discord embeds) and translate
presses; the rules live here.

- **Who may act**: the policy's ``[moderators.<workspace or guild id>]``: listed users, members
  of listed Slack user groups (the adapter answers ``in_group``), holders of listed Discord roles.
  Anyone else is refused (ephemeral) and the attempt audited (``review_refused``).
- **Press**: approve (``hold`` cases only: the original request goes back on the queue and the
  uploader gets the answer), reject, escalate (legal hold), reveal (``hold`` only, logged). One
  decision per case (``ReviewStore.decide``); a stale press hears who decided and when; a case
  that is gone (expired, purged, lost with Redis) says so and decides nothing.
- **Cards** (``ReviewCards``): on a new case, the blurred preview (``hold`` only) and the card go
  to the team's channel; a channel the bot cannot post in is logged and audited
  (``review_card``), and the case waits in the queue (``miru review list``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from bot import keys, strings
from bot.models import IncomingMessage
from bot.review.model import Case, Decision, iso
from bot.review.service import Actor, Review, ReviewRefused
from bot.review.store import Card
from bot.stores.redis_base import redis_errors
from config.policy import ModeratorTeam, PolicyConfig

log = logging.getLogger(__name__)

Verb = Literal["approve", "reject", "escalate", "reveal"]
VERBS: tuple[Verb, ...] = ("approve", "reject", "escalate", "reveal")


class CardPoster(Protocol):
    """What a platform adapter implements to show review cards."""

    async def post_review_card(self, channel: str, case: Case, previews: list[bytes]) -> str:
        """Post the card (and previews, only ever given for ``hold``); return its message id.
        Raises when the channel cannot be posted in."""
        ...

    async def update_review_card(self, card: Card, case: Case) -> None:
        """Show the decision (who, when) on the card; best effort."""
        ...

    async def tell_uploader(self, case: Case, text: str, *, delete: bool = False) -> None:
        """Post ``text`` in the case's thread; ``delete``: remove the original upload where the
        platform lets the bot. Best effort."""
        ...


@dataclass(frozen=True)
class Presser:
    """Who pressed a review button, as the platform says it."""

    platform: str
    workspace: str
    user: str
    roles: tuple[str, ...] = ()
    name: str = ""


@dataclass
class PressResult:
    """What the adapter does next: ``message`` goes to the presser only; on ``ok`` the card is
    updated and ``uploader`` told (``delete``: remove the upload where allowed)."""

    outcome: Literal["ok", "refused", "gone", "decided", "not_allowed", "revealed"]
    message: str
    case: Case | None = None
    uploader: str = ""
    delete: bool = False
    images: list[bytes] = field(default_factory=list)


class ReviewDesk:
    def __init__(self, review: Review, policy: PolicyConfig,
                 submit: Callable[[IncomingMessage], Awaitable[Any]]) -> None:
        self.review = review
        self.policy = policy
        self.submit = submit

    def team(self, workspace: str) -> ModeratorTeam | None:
        return self.policy.moderators.get(workspace)

    async def is_moderator(self, presser: Presser,
                           in_group: Callable[[str], Awaitable[bool]] | None = None) -> bool:
        team = self.team(presser.workspace)
        if team is None:
            return False
        if presser.user in team.users or set(presser.roles) & set(team.roles):
            return True
        for group in team.groups:
            if in_group is not None:
                try:
                    if await in_group(group):
                        return True
                except Exception as exc:  # cannot tell: refuse (never act on a guess)
                    log.warning("moderator group %s not checked: %s", group,
                                type(exc).__name__)
        return False

    async def press(self, presser: Presser, case_id: str, verb: str, *, lang: str = "en",
                    in_group: Callable[[str], Awaitable[bool]] | None = None) -> PressResult:
        """One button press, whatever the platform. Never decides twice; never raises for a
        stale, forged or unknown press (an unknown verb is refused like a non-moderator)."""
        actor = Actor(presser.platform, presser.user, presser.name or presser.user)
        if verb not in VERBS or not await self.is_moderator(presser, in_group):
            await self.review.refused(case_id, actor, verb[:32])
            return PressResult("refused", strings.t("review.not_moderator", lang))
        if verb == "reveal":
            try:
                images = await self.review.reveal(case_id, actor)
            except ReviewRefused as exc:
                key = "review.gone" if exc.code == "gone" else "review.no_reveal"
                return PressResult("gone" if exc.code == "gone" else "not_allowed",
                                   strings.t(key, lang, case=case_id))
            return PressResult("revealed", strings.t("review.revealed", lang, case=case_id),
                               images=images)
        decision = Decision(verb)
        if decision is Decision.APPROVE:
            case = await self.review.store.get(case_id)
            if case is not None and case.action != "hold":
                await self.review.refused(case_id, actor, "approve")
                return PressResult("not_allowed",
                                   strings.t("review.cannot_approve", lang, case=case_id))
        result = await self.review.decide(case_id, decision, actor)
        case = result.case
        if result.outcome == "gone" or case is None:
            return PressResult("gone", strings.t("review.gone", lang, case=case_id))
        facts = {"case": case.id, "status": case.status.value, "by": case.decided_by,
                 "at": iso(case.decided_at)}
        if result.outcome == "decided":
            return PressResult("decided", strings.t("review.already", lang, **facts), case)
        uploader, delete = self._outcome(case, decision)
        if decision is Decision.APPROVE:
            await self.submit(self.review.continued(case))
        return PressResult("ok", strings.t("review.decided", lang, **facts), case,
                           uploader=uploader, delete=delete)

    async def appeal(self, platform: str, user: str, case_id: str, lang: str,
                     poster: object = None) -> str:
        """``/miru appeal CASE``: the uploader's rejected case goes back to the queue once;
        its card is posted again (``poster``: the adapter's platform, when it shows cards)."""
        outcome = await self.review.appeal(case_id, Actor(platform, user))
        if outcome != "ok":
            return strings.t("review.appeal_refused", lang, case=case_id, why=outcome)
        case = await self.review.store.get(case_id)
        if case is not None and hasattr(poster, "post_review_card"):
            await ReviewCards(self.review, self.policy, {platform: poster})(case)  # type: ignore[dict-item]
        return strings.t("review.appeal_ok", lang, case=case_id)

    @staticmethod
    def _outcome(case: Case, decision: Decision) -> tuple[str, bool]:
        lang = case.language
        if decision is Decision.APPROVE:
            return strings.t("review.outcome_approved", lang, case=case.id), False
        if decision is Decision.ESCALATE:
            return strings.t("review.outcome_escalated", lang, case=case.id), False
        if case.platform == "slack":
            return strings.t("review.outcome_rejected_delete", lang, case=case.id), False
        return strings.t("review.outcome_rejected", lang, case=case.id), True


class ReviewNotices:
    """Decisions taken away from a platform (``miru review approve|reject|escalate``): the
    command line queues a notice in Redis (``keys.REVIEW_NOTICES``); a worker, which has the
    platforms, updates the card and tells the uploader (``run``)."""

    def __init__(self, review: Review, posters: Mapping[str, CardPoster] | None = None) -> None:
        self.review = review
        self.posters = posters or {}

    async def publish(self, case: Case, decision: Decision) -> None:
        text, delete = ReviewDesk._outcome(case, decision)
        body = json.dumps({"case": case.id, "text": text, "delete": delete})
        r, key = self.review.store.r, keys.review_notices(case.platform)
        with redis_errors("review notice"):
            await r.lpush(key, body)
            await r.ltrim(key, 0, keys.REVIEW_NOTICES_MAX - 1)

    async def handle_one(self, timeout_s: float = 1.0) -> bool:
        """Show one queued decision for a platform this worker serves; False when none came
        within ``timeout_s`` (or it serves none)."""
        if not self.posters:
            await asyncio.sleep(timeout_s)
            return False
        got = await self.review.store.r.brpop(
            [keys.review_notices(p) for p in sorted(self.posters)], timeout=timeout_s)
        if not got:
            return False
        try:
            notice = json.loads(got[1])
            case = await self.review.store.get(str(notice["case"]))
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable review notice dropped")
            return True
        poster = self.posters.get(case.platform) if case is not None else None
        if case is None or poster is None:
            return True
        card = await self.review.store.card(case.id)
        if card is not None:
            await poster.update_review_card(card, case)
        await poster.tell_uploader(case, str(notice.get("text") or ""),
                                   delete=bool(notice.get("delete")))
        return True

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
    """``Services.review_cards``: post a new case's card on its platform; never raises."""

    def __init__(self, review: Review, policy: PolicyConfig,
                 posters: Mapping[str, CardPoster]) -> None:
        self.review = review
        self.policy = policy
        self.posters = posters

    async def __call__(self, case: Case) -> None:
        team = self.policy.moderators.get(case.workspace)
        poster = self.posters.get(case.platform)
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
