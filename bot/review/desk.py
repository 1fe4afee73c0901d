"""The moderators' desk, shared by every platform: who may act, what a button press does, and
posting a case's card. Adapters only render cards (Block Kit, Discord embeds) and translate
presses; the rules live here.

- **Who may act**: the policy's ``[moderators.<workspace or guild id>]`` of the case's own
  platform and workspace: listed users, members of listed Slack user groups (the adapter answers
  ``in_group``), holders of listed Discord roles. A moderator of another workspace or guild (or
  of the same id on the other platform) is refused like anyone else, with a sentence saying the
  case belongs elsewhere; every refusal is ephemeral and audited (``review_refused``). The
  command line (``miru review``) is the operator's and acts on every workspace's cases.
- **Press**: approve (``hold`` cases only: the original request goes back on the queue and the
  uploader gets the answer; a case from the command line or the API, ``Case.answerable``, is only
  marked approved, as ``miru review approve`` does), reject, escalate (legal hold), reveal
  (``hold`` only, logged once the copy is posted, or as failed). One decision per case
  (``ReviewStore.decide``); a stale press hears who decided and when; a case that is gone
  (expired, purged, lost with Redis) says so and decides nothing.
- **Cards and notices** (``bot.review.cards``): a new case's card, and decisions taken on the
  command line, go out on the case's platform.

What differs between platforms (whether the bot may delete an upload, the platform's name in
sentences) comes from the adapter's ``PlatformInfo`` through the app's ``Adapters``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from bot import strings
from bot.models import IncomingMessage
from bot.ports import PlatformInfo
from bot.review.model import Case, CaseStatus, Decision, iso
from bot.review.reveals import RevealPost
from bot.review.service import Actor, Review, ReviewRefused
from bot.review.store import Card
from config.policy import ModeratorTeam, PolicyConfig

log = logging.getLogger(__name__)

Verb = Literal["approve", "reject", "escalate", "reveal"]
VERBS: tuple[Verb, ...] = ("approve", "reject", "escalate", "reveal")


@runtime_checkable
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
    updated and ``uploader`` told when it is not empty (``delete``: remove the upload where
    allowed)."""

    outcome: Literal["ok", "refused", "gone", "decided", "not_allowed", "revealed"]
    message: str
    case: Case | None = None
    uploader: str = ""
    delete: bool = False
    images: list[bytes] = field(default_factory=list)


CaseCards = Callable[[Case], Awaitable[None]]
_REVEAL_REFUSED = {"gone": "review.gone", "preserved": "review.no_reveal",
                   "decided": "review.reveal_decided", "limit": "review.reveal_limit",
                   "unreadable": "review.reveal_unreadable"}
WAITING_SCAN = 1000  # a workspace's pending cases counted at most (the home view)


class ReviewDesk:
    """``info(platform)``: what the adapter says of a case's platform (``Adapters.info``);
    ``cards``: posts a case's card again on an appeal (the app's ``ReviewCards``)."""

    def __init__(self, review: Review, policy: PolicyConfig,
                 submit: Callable[[IncomingMessage], Awaitable[Any]], *,
                 info: Callable[[str], PlatformInfo] = PlatformInfo,
                 cards: CaseCards | None = None) -> None:
        self.review = review
        self.policy = policy
        self.submit = submit
        self.info = info
        self.cards = cards

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
        target = await self.review.store.get(case_id) if verb in VERBS else None
        if target is not None and not owns(presser, target):
            await self.review.refused(case_id, actor, verb, why="other_workspace")
            return PressResult("refused", strings.t("review.other_workspace", lang,
                                                    case=case_id))
        if verb not in VERBS or not await self.is_moderator(presser, in_group):
            await self.review.refused(case_id, actor, verb[:32])
            return PressResult("refused", strings.t("review.not_moderator", lang))
        if verb == "reveal":
            try:
                images = await self.review.reveal(case_id, actor)
            except ReviewRefused as exc:
                key = _REVEAL_REFUSED.get(exc.code, "review.no_reveal")
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
        uploader, delete = outcome_notice(case, decision, self.info(case.platform))
        if not case.answerable:  # the command line or the API: no thread, no worker's stream
            uploader, delete = "", False
        elif decision is Decision.APPROVE:
            await self.submit(self.review.continued(case))
        return PressResult("ok", strings.t("review.decided", lang, **facts), case,
                           uploader=uploader, delete=delete)

    async def revealed(self, case_id: str, post: RevealPost, *, by: str = "") -> None:
        """The adapter posted a Reveal's copy (``post``) for the moderator ``by``: audited,
        tracked until the case is decided or purged, then deleted by a worker of the platform
        (``bot.review.reveals``)."""
        await self.review.revealed(case_id, post, Actor(post.platform, by))

    async def reveal_failed(self, platform: str, user: str, case_id: str, why: str) -> None:
        """The adapter could not post a Reveal's copy (``why``: the error's name): audited."""
        await self.review.reveal_failed(case_id, Actor(platform, user), why=why)

    async def waiting(self, platform: str, workspace: str, *, limit: int = WAITING_SCAN) -> int:
        """Cases of this workspace that wait for a decision (the home view of a moderator):
        at most ``limit`` of them are counted."""
        pending = await self.review.store.list(CaseStatus.PENDING, limit=limit,
                                               workspace=workspace)
        return sum(1 for c in pending if c.platform == platform)

    async def appeal(self, platform: str, user: str, case_id: str, lang: str, *,
                     workspace: str) -> str:
        """``/miru appeal CASE``: the uploader's rejected case goes back to the queue once,
        asked from the case's own workspace (guild); its card is posted again (on the case's
        platform, where it shows cards)."""
        outcome = await self.review.appeal(case_id, Actor(platform, user), workspace=workspace)
        if outcome != "ok":
            return strings.t("review.appeal_refused", lang, case=case_id, why=outcome)
        case = await self.review.store.get(case_id)
        if case is not None and self.cards is not None:
            await self.cards(case)
        return strings.t("review.appeal_ok", lang, case=case_id)


def owns(presser: Presser, case: Case) -> bool:
    """Whether the presser acts from the case's own platform and workspace (guild): only that
    workspace's moderators may decide or reveal it."""
    return (presser.platform, presser.workspace) == (case.platform, case.workspace)


def outcome_notice(case: Case, decision: Decision, info: PlatformInfo) -> tuple[str, bool]:
    """What the uploader is told of a decision ("" for nothing), and whether the bot deletes
    the upload: where the platform does not let it (``info.deletes_uploads``), the uploader is
    asked to. Nothing may warn the uploader of preserved material (docs/reporting.md): a case
    that is not previewable (``block_and_preserve``, or a hash-list match) gets no notice at
    all, whatever the decision (its upload is still deleted where the platform allows), and an
    escalation (legal hold, a report) is told as a plain refusal with no case id and no
    appeal, like any blocked image."""
    lang = case.language
    if not case.previewable:
        return "", decision is Decision.REJECT and info.deletes_uploads
    if decision is Decision.APPROVE:
        return strings.t("review.outcome_approved", lang, case=case.id), False
    if decision is Decision.ESCALATE:
        return strings.t("review.outcome_closed", lang), False
    if not info.deletes_uploads:
        return strings.t("review.outcome_rejected_delete", lang, case=case.id,
                         platform=info.shown), False
    return strings.t("review.outcome_rejected", lang, case=case.id), True
