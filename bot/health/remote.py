"""The checks of what Miru talks to: Slack (the token, ``auth.test``, its scopes against what
the manifest asks for, the bot user id), Discord (the token, the Message Content intent) and the
webhook receiver. Plain HTTP (httpx): ``bot`` never imports the platforms' libraries. A failed
request names the URL path and the status it answered, so the fix can be found."""

from __future__ import annotations

from typing import Any

import httpx

from bot import keys
from bot.api.webhooks import WebhookConfig
from bot.health.local import sync_redis
from bot.models import SetupCheck as Check
from bot.stores.redis_base import REDIS_FAILURES
from config.errors import ConfigError
from config.settings import Settings

TIMEOUT_S = 10.0
# The bot scopes docs/slack-manifest.yaml asks for (a test keeps the two the same).
SLACK_SCOPES = ("app_mentions:read", "chat:write", "files:read", "files:write",
                "reactions:write", "im:history", "channels:history", "groups:history",
                "commands", "usergroups:read", "users:read", "im:write")
MESSAGE_CONTENT_FLAGS = (1 << 18) | (1 << 19)  # GATEWAY_MESSAGE_CONTENT (_LIMITED)


def _failed(method: str, path: str, exc: httpx.HTTPError) -> str:
    """``GET /users/@me answered 403`` or ``POST auth.test: ConnectError``."""
    if isinstance(exc, httpx.HTTPStatusError):
        return f"{method} {path} answered {exc.response.status_code}"
    return f"{method} {path}: {type(exc).__name__}"


def _slack(settings: Settings) -> Check:
    """The bot token answers ``auth.test``, has every scope the manifest asks for (Slack's
    ``x-oauth-scopes`` header) and names a bot user (without it, mentions of Miru are not
    recognised)."""
    token = settings.slack_bot_token.get_secret_value()
    if not token:
        return Check("slack", True, "not configured (SLACK_BOT_TOKEN unset)")
    api = settings.slack_api_url.rstrip("/")
    try:
        resp = httpx.post(f"{api}/auth.test", headers={"Authorization": f"Bearer {token}"},
                          timeout=TIMEOUT_S)
        resp.raise_for_status()
        body: dict[str, Any] = resp.json()
    except (httpx.HTTPError, ValueError) as exc:
        detail = (_failed("POST", "auth.test", exc) if isinstance(exc, httpx.HTTPError)
                  else "POST auth.test answered no JSON")
        return Check("slack", False, f"{api}: {detail}",
                     "check the network and MIRU_SLACK_API_URL (default https://slack.com/api/)")
    if not body.get("ok"):
        return Check("slack", False, f"auth.test refused the token ({body.get('error')})",
                     "copy the Bot User OAuth Token (xoxb-…) again into SLACK_BOT_TOKEN "
                     "(the app's OAuth & Permissions page)")
    team = body.get("team") or body.get("team_id") or "?"
    header = resp.headers.get("x-oauth-scopes")
    granted = {s.strip() for s in (header or "").split(",") if s.strip()}
    missing = [s for s in SLACK_SCOPES if s not in granted]
    if header is not None and missing:
        return Check("slack", False, f"workspace {team}: the token lacks {', '.join(missing)}",
                     "add them under OAuth & Permissions > Scopes (or paste "
                     "docs/slack-manifest.yaml again), then reinstall the app")
    if not body.get("user_id"):
        return Check("slack", True, f"workspace {team}: auth.test gave no bot user id, so "
                     "mentions of Miru will not be recognised",
                     "use the Bot User OAuth Token (xoxb-…), not a user or app token", warn=True)
    if header is None:
        return Check("slack", True, f"workspace {team}, bot user {body['user_id']}; Slack did "
                     "not say which scopes the token has",
                     "compare OAuth & Permissions > Scopes with docs/slack-manifest.yaml",
                     warn=True)
    return Check("slack", True, f"workspace {team}, bot user {body['user_id']}, "
                 f"all {len(SLACK_SCOPES)} scopes")


def _discord(settings: Settings) -> Check:
    """The bot token works (``GET /users/@me``) and the Message Content intent is on."""
    token = settings.discord_token.get_secret_value()
    if not token:
        return Check("discord", True, "not configured (DISCORD_TOKEN unset)")
    api = settings.discord_api_url.rstrip("/")
    headers = {"Authorization": f"Bot {token}"}
    path = "/users/@me"
    try:
        me = httpx.get(f"{api}{path}", headers=headers, timeout=TIMEOUT_S)
        if me.status_code == 401:
            return Check("discord", False, f"GET {path} answered 401: the token was refused",
                         "copy the bot token again (Developer Portal > Bot > Reset Token)")
        me.raise_for_status()
        path = "/applications/@me"
        app = httpx.get(f"{api}{path}", headers=headers, timeout=TIMEOUT_S)
        app.raise_for_status()
    except httpx.HTTPError as exc:
        return Check("discord", False, f"{api}: {_failed('GET', path, exc)}",
                     "check the network and MIRU_DISCORD_API_URL")
    name = me.json().get("username", "?")
    if not int(app.json().get("flags") or 0) & MESSAGE_CONTENT_FLAGS:
        return Check("discord", False, f"bot {name}: the Message Content intent is off",
                     "Developer Portal > Bot > Privileged Gateway Intents: turn on "
                     "MESSAGE CONTENT INTENT")
    return Check("discord", True, f"bot {name}, Message Content intent on")


def _webhooks(settings: Settings) -> Check:
    """The webhook configuration is whole, its receiver answers (any HTTP status: many accept
    only a signed POST), and no event waits in the dead list. The URL is shown without its
    query, which may carry a token."""
    try:
        config = WebhookConfig.from_settings(settings)
    except ConfigError as exc:
        return Check("webhooks", False, str(exc),
                     "set MIRU_WEBHOOK_URL with MIRU_WEBHOOK_SECRET (or _FILE), or neither "
                     "(docs/api.md)")
    if config is None:
        return Check("webhooks", True, "not configured (MIRU_WEBHOOK_URL unset)")
    url = httpx.URL(config.url)
    shown = f"{url.scheme}://{url.host}{':' + str(url.port) if url.port else ''}{url.path}"
    try:
        httpx.head(config.url, timeout=3)
    except httpx.HTTPError as exc:
        return Check("webhooks", False, f"{shown}: {type(exc).__name__}",
                     "start the receiver or fix MIRU_WEBHOOK_URL; meanwhile events wait in "
                     "Redis and are retried with backoff")
    dead = _dead_webhooks(settings)
    if dead:
        return Check("webhooks", True, f"{shown} answers; {dead} event(s) in the dead list",
                     "see them with `miru webhooks list`, send one again with "
                     "`miru webhooks retry ID`", warn=True)
    return Check("webhooks", True, f"{shown} answers")


def _dead_webhooks(settings: Settings) -> int:
    """Events given up on; 0 when Redis does not answer (the redis check says so)."""
    try:
        with sync_redis(settings) as client:
            return int(client.xlen(keys.WEBHOOK_DEAD))
    except REDIS_FAILURES:
        return 0


REMOTE_CHECKS = (_slack, _discord, _webhooks)
