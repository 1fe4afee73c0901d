"""Discord's ``/miru settings``: the person's home view (``bot.core.home``) as an ephemeral
panel, its text and two select menus (answer language, history).

A choice runs the very command ``/miru lang`` or ``/miru history`` runs
(``Gateway.run_command``: the same validation and audit records), then the panel is redrawn.
A panel is only its owner's: each menu's ``custom_id`` carries the owner's id
(``miru:home:<lang|history>:<owner>``) and anyone else's choice is refused, ephemerally.
"""

from __future__ import annotations

from collections.abc import Sequence

import discord
import structlog

from bot import strings
from bot.core.commands import History, SetLanguage
from bot.core.gateway import Gateway
from bot.core.home import HomeView, check_lines, history_text, language_text, usage_text
from bot.models import SetupCheck
from handlers.discord_access import member_of
from handlers.discord_client import PART_CHARS

log = structlog.get_logger(__name__)

HOME_PREFIX = "miru:home:"  # custom_id: miru:home:<lang|history>:<owner id>
PASSING_CHARS = 60  # a passing check's headline, when the panel is short of room


def panel_text(view: HomeView) -> str:
    """The panel's text (Discord markdown), at most one message long."""
    lang = view.lang

    def t(key: str) -> str:
        return strings.t(key, lang)

    lines = [f"**{t('home.title')}**: {t('home.intro')}", "",
             f"__{t('home.settings')}__",
             f"**{t('home.language')}**: {language_text(view)}",
             f"**{t('home.history')}**: {history_text(view)}", "",
             f"__{t('home.today')}__", usage_text(view)]
    if view.cases_waiting is not None:
        lines += ["", f"__{t('home.review')}__",
                  strings.t("home.cases_waiting", lang, count=view.cases_waiting)]
    if view.admin is not None:
        lines += ["", f"__{t('home.permissions')}__", view.admin.permissions, "",
                  f"__{t('home.health')}__"]
        for health in _health_lines(view.admin.health, lang):
            text = "\n".join(lines + health)
            if len(text) <= PART_CHARS:
                return text
        lines += health
    text = "\n".join(lines)
    return text if len(text) <= PART_CHARS else text[:PART_CHARS - 1] + "…"


def _health_lines(health: Sequence[SetupCheck], lang: str) -> list[list[str]]:
    """The set-up checks, failures first, from the fullest form to the shortest (the panel is
    one message): every fix; then only the failures' fixes; then that with each passing check
    cut to ``PASSING_CHARS``; then the passing checks by name."""
    order = {"fail": 0, "warn": 1, "ok": 2}
    checks = sorted(health, key=lambda c: order[c.state])
    shown = [(c, *check_lines(c, lang, max_chars=200)) for c in checks]
    full = [head + (f"\n  *{fix}*" if fix else "") for _, head, fix in shown]
    fails_fixed = [head + (f"\n  *{fix}*" if fix and c.state == "fail" else "")
                   for c, head, fix in shown]
    passing_cut = [check_lines(c, lang, max_chars=PASSING_CHARS)[0] if c.state == "ok"
                   else line for c, line in zip(checks, fails_fixed, strict=True)]
    passing = [c.name for c in checks if c.state == "ok"]
    short = [line for c, line in zip(checks, fails_fixed, strict=True) if c.state != "ok"]
    return [full, fails_fixed, passing_cut,
            short + (["✅ " + ", ".join(passing)] if passing else [])]


def panel_view(view: HomeView) -> discord.ui.View:
    """The two menus, with the current choices selected."""
    lang = view.lang
    menus = discord.ui.View(timeout=None)
    menus.add_item(discord.ui.Select(
        custom_id=f"{HOME_PREFIX}lang:{view.user}",
        placeholder=strings.t("home.choose_language", lang),
        options=[discord.SelectOption(label=strings.t(f"home.lang_{code}", lang), value=code,
                                      default=view.language == code)
                 for code in ("ja", "en")]))
    menus.add_item(discord.ui.Select(
        custom_id=f"{HOME_PREFIX}history:{view.user}",
        placeholder=strings.t("home.history", lang),
        options=[discord.SelectOption(label=strings.t(f"home.history_choice_{v}", lang),
                                      value=v, default=view.history is (v == "on"))
                 for v in ("on", "off")]))
    return menus


async def _view(gateway: Gateway, interaction: discord.Interaction) -> HomeView:
    workspace = str(interaction.guild_id) if interaction.guild_id else "dm"
    return await gateway.home(workspace, str(interaction.user.id),
                              member=member_of(interaction.user, interaction))


async def show_panel(gateway: Gateway, interaction: discord.Interaction) -> None:
    """``/miru settings``: defer (ephemeral), then the panel, seen only by the caller."""
    await interaction.response.defer(ephemeral=True, thinking=True)
    view = await _view(gateway, interaction)
    await interaction.followup.send(panel_text(view), view=panel_view(view), ephemeral=True)


async def on_panel_choice(gateway: Gateway, interaction: discord.Interaction,
                          custom_id: str, values: list[str]) -> None:
    """A menu of a panel: only its owner's choice counts; the panel is then redrawn."""
    what, _, owner = custom_id[len(HOME_PREFIX):].partition(":")
    user = str(interaction.user.id)
    if user != owner or what not in ("lang", "history"):
        await interaction.response.send_message(
            strings.t("home.not_yours", await gateway.language(user)), ephemeral=True)
        return
    await interaction.response.defer()  # an update of the panel follows
    value = values[0] if values else ""
    await gateway.run_command(SetLanguage(value) if what == "lang" else History(value), user)
    log.info("discord.home_changed", what=what)
    view = await _view(gateway, interaction)
    await interaction.edit_original_response(content=panel_text(view), view=panel_view(view))
