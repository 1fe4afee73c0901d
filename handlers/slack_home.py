"""Slack's App Home tab: the person's home view (``bot.core.home``) as Block Kit, published with
``views.publish`` when they open the tab (``app_home_opened``) and again after each change.

The two select menus (answer language, history) run the very commands ``/miru lang`` and
``/miru history`` run (``Gateway.run_command``): the same validation, the same audit records.
Slack sends a Home tab's actions only from the person whose tab it is, and the action's user is
the signed request's, so nobody changes another person's settings; a value that is not one of
the menu's is refused by the command itself (its usage, nothing changed).
"""

from __future__ import annotations

from typing import Any

import structlog

from bot import strings
from bot.core.commands import History, SetLanguage
from bot.core.gateway import Gateway
from bot.core.home import HomeView, check_lines, history_text, language_text, usage_text
from handlers.slack_client import escape

log = structlog.get_logger(__name__)

HOME_LANG_ACTION = "miru_home_lang"
HOME_HISTORY_ACTION = "miru_home_history"
SECTION_CHARS = 3000  # Slack's limit on a section's text


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:150], "emoji": True}


def _section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:SECTION_CHARS]},
            **extra}


def _option(key: str, value: str, lang: str) -> dict[str, Any]:
    return {"text": _plain(strings.t(key, lang)), "value": value}


def home_blocks(view: HomeView) -> list[dict[str, Any]]:
    """The Home tab's blocks for ``view``, in the person's language."""
    lang = view.lang

    def t(key: str) -> str:
        return strings.t(key, lang)

    languages = [_option(f"home.lang_{code}", code, lang) for code in strings.LANGS[::-1]]
    lang_menu: dict[str, Any] = {"type": "static_select", "action_id": HOME_LANG_ACTION,
                                 "placeholder": _plain(t("home.choose_language")),
                                 "options": languages}
    if view.language is not None:
        lang_menu["initial_option"] = next(o for o in languages if o["value"] == view.language)
    choices = [_option("home.history_choice_on", "on", lang),
               _option("home.history_choice_off", "off", lang)]
    history_menu: dict[str, Any] = {"type": "static_select", "action_id": HOME_HISTORY_ACTION,
                                    "placeholder": _plain(t("home.history")),
                                    "options": choices}
    if view.history is not None:
        history_menu["initial_option"] = choices[0 if view.history else 1]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(t("home.title"))},
        _section(escape(t("home.intro"))),
        {"type": "divider"},
        {"type": "header", "text": _plain(t("home.settings"))},
        _section(f"*{t('home.language')}*\n{escape(language_text(view))}",
                 block_id="miru_home_lang", accessory=lang_menu),
        _section(f"*{t('home.history')}*\n{escape(history_text(view))}",
                 block_id="miru_home_history", accessory=history_menu),
        {"type": "divider"},
        {"type": "header", "text": _plain(t("home.today"))},
        _section(escape(usage_text(view))),
    ]
    if view.admin is not None:
        blocks += [{"type": "divider"}, {"type": "header", "text": _plain(t("home.health"))}]
        for check in view.admin.health:
            head, fix = check_lines(check, lang)
            blocks.append(_section(escape(head)))
            if fix:  # its own block: a fix is often full of underscores (MIRU_…)
                blocks.append({"type": "context", "elements": [
                    {"type": "plain_text", "text": fix[:SECTION_CHARS], "emoji": True}]})
        blocks += [{"type": "header", "text": _plain(t("home.permissions"))},
                   _section(view.admin.permissions)]  # mentions as /miru admin shows them
    if view.cases_waiting is not None:
        blocks += [{"type": "divider"}, {"type": "header", "text": _plain(t("home.review"))},
                   _section(escape(strings.t("home.cases_waiting", lang,
                                             count=view.cases_waiting)))]
    return blocks[:100]  # Slack's limit on a view's blocks


async def publish_home(gateway: Gateway, client: Any, team: str, user: str) -> None:
    """Build the person's view and publish it on their Home tab."""
    async def in_group(group: str) -> bool:
        return await gateway.access.in_group(gateway.name, team, group, user)

    view = await gateway.home(team, user, in_group=in_group)
    await client.views_publish(user_id=user, view={"type": "home",
                                                   "blocks": home_blocks(view)})


def register(bolt: Any, gateway: Gateway) -> None:
    """The Home tab's event and its two menus' actions on the Bolt app."""

    @bolt.event("app_home_opened")
    async def on_home_opened(event: dict[str, Any], context: Any, client: Any) -> None:
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        await publish_home(gateway, client, context.team_id or "", event["user"])

    async def on_change(ack: Any, body: dict[str, Any], client: Any, context: Any,
                        *, history: bool) -> None:
        await ack()
        user = (body.get("user") or {}).get("id") or ""
        action = (body.get("actions") or [{}])[0]
        value = str((action.get("selected_option") or {}).get("value") or "")
        if not user:
            return
        # The commands validate the value (anything else changes nothing) and audit a change.
        await gateway.run_command(History(value) if history else SetLanguage(value), user)
        log.info("slack.home_changed", what="history" if history else "language")
        team = context.team_id or (body.get("team") or {}).get("id") or ""
        await publish_home(gateway, client, team, user)

    @bolt.action(HOME_LANG_ACTION)
    async def on_language(ack: Any, body: dict[str, Any], client: Any, context: Any) -> None:
        await on_change(ack, body, client, context, history=False)

    @bolt.action(HOME_HISTORY_ACTION)
    async def on_history(ack: Any, body: dict[str, Any], client: Any, context: Any) -> None:
        await on_change(ack, body, client, context, history=True)
