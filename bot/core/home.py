"""A person's home view, platform-neutral: what Slack's Home tab and Discord's ``/miru
settings`` panel show (each adapter renders it: ``handlers.slack_home``,
``handlers.discord_home``).

Everyone sees their answer language and history settings (changeable there, through the same
commands as ``/miru lang`` and ``/miru history``, so the same checks and audit records apply) and
today's use against the workspace's plan. Admins (``Access.is_admin``) also see the set-up
health (``bot.health``: the checks ``miru doctor`` runs) and the permissions in force (what
``/miru admin`` shows). Moderators (``[moderators]``) see how many review cases wait. Each part
that cannot be read is shown as unknown; the view itself never fails for it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import structlog

from bot import strings
from bot.core.access import NO_MEMBER, Access, Member
from bot.core.account import Account
from bot.core.admin import show
from bot.core.quota import Today, today
from bot.errors import StoreUnavailable
from bot.models import SetupCheck
from bot.ports import Clock
from bot.review.desk import Presser, ReviewDesk
from bot.stores.redis_base import RedisLike
from config.policy import PolicyConfig

log = structlog.get_logger(__name__)

Health = Callable[[], Awaitable[Sequence[SetupCheck]]]
InGroup = Callable[[str], Awaitable[bool]]


@dataclass(frozen=True)
class AdminPart:
    """What only admins see: the set-up checks and the permissions in force (as text)."""

    health: tuple[SetupCheck, ...]
    permissions: str


@dataclass(frozen=True)
class HomeView:
    """One person's home. ``lang``: the language it is shown in. ``language``: their ``/miru
    lang`` choice (None: not set). ``history``: their history choice (None: unreadable).
    ``turns_days``/``images_days``: how long history keeps things. ``usage``: today against
    the plan (None: no quotas here, or unreadable). ``admin``: admins only. ``cases_waiting``:
    moderators only."""

    user: str
    lang: str
    language: str | None
    history: bool | None
    turns_days: str
    images_days: str
    usage: Today | None = None
    admin: AdminPart | None = None
    cases_waiting: int | None = None


@dataclass(frozen=True)
class HomeSources:
    """Where the parts come from (the gateway fills it from the app)."""

    account: Account
    policy: PolicyConfig
    access: Access
    clock: Clock
    redis: RedisLike | None = None  # quotas live there; None: no quotas to show
    health: Health | None = None
    desk: ReviewDesk | None = None


async def build_home(src: HomeSources, platform: str, workspace: str, user: str, *,
                     member: Member = NO_MEMBER, in_group: InGroup | None = None) -> HomeView:
    """The one function that builds a home view."""
    account = src.account
    lang = await account.language_for(platform, user)
    chosen = await account.chosen_language(platform, user)
    try:
        history: bool | None = await account.history_on(platform, user)
    except StoreUnavailable:
        history = None
    retention = src.policy.retention
    admin = await _admin_part(src, platform, workspace, user, member, lang)
    return HomeView(
        user=user, lang=lang, language=chosen,
        history=history, turns_days=f"{retention.turns_days:g}",
        images_days=f"{retention.images_days:g}",
        usage=await _usage(src, platform, workspace, user), admin=admin,
        cases_waiting=await _waiting(src, platform, workspace, user, member, in_group))


async def _usage(src: HomeSources, platform: str, workspace: str, user: str) -> Today | None:
    if src.redis is None or not workspace:
        return None
    try:
        return await today(src.redis, src.policy, platform, workspace, user,
                           now=src.clock.now())
    except StoreUnavailable:
        return None


async def _admin_part(src: HomeSources, platform: str, workspace: str, user: str,
                      member: Member, lang: str) -> AdminPart | None:
    if not workspace or workspace == "dm":
        return None
    try:
        if not await src.access.is_admin(platform, workspace, user, member):
            return None
        permissions = show(await src.access.effective(platform, workspace), platform, lang)
    except StoreUnavailable:
        return None  # cannot tell who is an admin: show nothing of theirs
    health = tuple(await src.health()) if src.health is not None else ()
    return AdminPart(health, permissions)


async def _waiting(src: HomeSources, platform: str, workspace: str, user: str,
                   member: Member, in_group: InGroup | None) -> int | None:
    if src.desk is None or not workspace:
        return None
    presser = Presser(platform, workspace, user, roles=member.roles)
    try:
        if not await src.desk.is_moderator(presser, in_group):
            return None
        return await src.desk.waiting(platform, workspace)
    except StoreUnavailable as exc:
        log.warning("home.cases_unread", error=exc.code)
        return None


# -- the view's sentences, for every renderer (markup is the adapter's) ---------------------

CHECK_ICONS = {"ok": "✅", "warn": "⚠️", "fail": "❌"}


def language_text(view: HomeView) -> str:
    if view.language is None:
        return strings.t("home.language_auto", view.lang)
    return strings.t("home.language_set", view.lang,
                     language=strings.t(f"home.lang_{view.language}", view.lang))


def history_text(view: HomeView) -> str:
    if view.history is None:
        return strings.t("home.history_unknown", view.lang)
    if not view.history:
        return strings.t("home.history_off", view.lang)
    return strings.t("home.history_on", view.lang, turns=_days(view.turns_days, view.lang),
                     images=_days(view.images_days, view.lang))


def _days(n: str, lang: str) -> str:
    return strings.t("home.one_day" if n == "1" else "home.days", lang, n=n)


def usage_text(view: HomeView) -> str:
    u, lang = view.usage, view.lang
    if u is None:
        return strings.t("home.usage_unknown", lang)

    def limit(n: int) -> str:
        return f"{n:,}" if n else strings.t("home.unlimited", lang)

    return strings.t("home.usage", lang, used=f"{u.images:,}", limit=limit(u.limit),
                     ws_used=f"{u.workspace_images:,}", ws_limit=limit(u.workspace_limit),
                     tier=u.tier, reset=u.reset_at.strftime("%Y-%m-%d %H:%M UTC"))


def check_lines(check: SetupCheck, lang: str, *, max_chars: int = 400) -> tuple[str, str]:
    """A check as its headline (icon, name, what it found) and its fix ("" when all is well),
    each cut to ``max_chars``."""
    head = f"{CHECK_ICONS[check.state]} {check.name}: {check.detail}"
    fix = strings.t("home.health_fix", lang, fix=check.fix) if check.state != "ok" else ""
    return _cut(head, max_chars), _cut(fix, max_chars)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
