"""Run the Slack gateway: Socket Mode (``SLACK_APP_TOKEN``) or the HTTP Events API.

Both modes serve the same Bolt app (``handlers.slack.build_bolt_app``). HTTP mode listens on
``POST /slack/events`` (events, interactivity and slash commands share the one URL) through
Bolt's aiohttp adapter, plus ``GET /healthz`` and ``GET /metrics`` (``bot.ops.http``).
``SLACK`` is Slack's entry in the platform registry (``bot.core.platforms``): ``run_platforms``
runs its gateway beside others, with one in-process worker for all of them; more workers may run
anywhere (``miru worker``).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import structlog
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot.core.platforms import PlatformRuntime, PlatformSpec, run_platforms
from bot.errors import ConfigError
from bot.ops.http import Ops, add_routes
from bot.ops.listen import HttpGuards
from bot.ops.listen import serve as listen
from config.settings import Settings
from handlers.slack import build_bolt_app
from handlers.slack_client import SlackPlatform, make_web_client

if TYPE_CHECKING:
    from bot.runtime import App

log = structlog.get_logger(__name__)

EVENTS_PATH = "/slack/events"


def http_app(bolt: AsyncApp, ops: Ops) -> web.Application:
    """An aiohttp application that hands every Slack request to Bolt (which checks the
    signature and acknowledges at once), with the health and metrics endpoints."""

    async def events(request: web.Request) -> web.Response:
        bolt_response = await bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    application = web.Application()
    application.router.add_post(EVENTS_PATH, events)
    add_routes(application, ops)
    return application


async def start_http(bolt: AsyncApp, ops: Ops, *, host: str, port: int,
                     guards: HttpGuards | None = None) -> tuple[web.AppRunner, int]:
    """Serve ``http_app(bolt, ops)`` with ``bot.ops.listen``'s guards (header and body
    timeouts, connection cap); returns the runner (to clean up) and the bound port."""
    return await listen(http_app(bolt, ops), host=host, port=port,
                        guards=guards or HttpGuards())


def slack_platform(settings: Settings) -> SlackPlatform:
    """The Slack platform a worker answers on (also for ``miru worker`` without a gateway)."""
    return SlackPlatform(make_web_client(settings), settings)


def configured(settings: Settings) -> bool:
    return bool(settings.slack_bot_token.get_secret_value())


def check(settings: Settings, opts: Mapping[str, Any]) -> None:
    """Fail early, naming the missing variable, instead of at the first event."""
    http = bool(opts.get("http"))
    if not settings.slack_bot_token.get_secret_value():
        raise ConfigError("SLACK_BOT_TOKEN is not set (the bot token, xoxb-...)")
    if http and not settings.slack_signing_secret.get_secret_value():
        raise ConfigError("SLACK_SIGNING_SECRET is not set (needed for --http)")
    if not http and not settings.slack_app_token.get_secret_value():
        raise ConfigError("SLACK_APP_TOKEN is not set (Socket Mode, xapp-...); or run with --http")


async def serve(platform: SlackPlatform, app: App, stop: asyncio.Event, *, http: bool = False,
                port: int = 3000, host: str = "127.0.0.1") -> None:
    """The Slack gateway on ``platform`` until ``stop`` is set: Socket Mode, or HTTP on
    ``host:port``. The worker is not started here (``bot.core.platforms.run_platforms``)."""
    bolt = build_bolt_app(app, platform)
    runner = socket_handler = None
    try:
        if http:
            runner, bound = await start_http(bolt, app.ops, host=host, port=port,
                                             guards=HttpGuards.from_settings(app.settings))
            log.info("slack.http_listening", host=host, port=bound, path=EVENTS_PATH)
        else:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            socket_handler = AsyncSocketModeHandler(
                bolt, app.settings.slack_app_token.get_secret_value(), web_client=platform.client
            )
            await socket_handler.connect_async()
            log.info("slack.socket_mode_connected")
        await stop.wait()
    finally:
        if socket_handler is not None:
            await socket_handler.close_async()
        if runner is not None:
            await runner.cleanup()


def build(settings: Settings) -> PlatformRuntime:
    platform = slack_platform(settings)
    return PlatformRuntime(platform=platform, serve=functools.partial(serve, platform),
                           close=platform.close)


SLACK = PlatformSpec(name="slack", build=build, configured=configured, check=check,
                     needs="SLACK_BOT_TOKEN")


async def run_slack(app: App, *, http: bool, port: int = 3000, host: str = "127.0.0.1",
                    with_worker: bool = True, stop: asyncio.Event | None = None) -> None:
    """Slack alone: ``run_platforms(app, ["slack"], ...)``. Signals are the caller's
    (``bot.cli.run`` sets ``stop`` on SIGINT/SIGTERM, once per process)."""
    await run_platforms(app, ["slack"], with_worker=with_worker, stop=stop,
                        options={"slack": {"http": http, "port": port, "host": host}})
