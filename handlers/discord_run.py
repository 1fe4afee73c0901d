"""Run the Discord gateway. ``DISCORD`` is Discord's entry in the platform registry
(``bot.core.platforms``): ``run_platforms`` runs its gateway beside others, with one in-process
worker for all of them. One ``MiruDiscord`` client serves both the gateway (events, commands) and
the worker's REST calls; ``miru worker`` alone logs it in without a gateway connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import structlog

from bot.core.platforms import PlatformRuntime, PlatformSpec
from bot.errors import ConfigError
from config.settings import Settings
from handlers.discord_access import channel_notice
from handlers.discord_bot import MiruDiscord
from handlers.discord_client import DiscordPlatform, configure_api

if TYPE_CHECKING:
    from bot.runtime import App

log = structlog.get_logger(__name__)


def discord_platform(settings: Settings) -> DiscordPlatform:
    configure_api(settings)
    return DiscordPlatform(MiruDiscord(settings), settings)


def configured(settings: Settings) -> bool:
    return bool(settings.discord_token.get_secret_value())


def check(settings: Settings, opts: Mapping[str, Any]) -> None:
    if not settings.discord_token.get_secret_value():
        raise ConfigError("DISCORD_TOKEN is not set (the bot token of your Discord application)")


async def serve(platform: DiscordPlatform, app: App, stop: asyncio.Event) -> None:
    """The Discord gateway until ``stop`` is set (discord.py reconnects and resumes itself)."""
    client = platform.client
    assert isinstance(client, MiruDiscord)
    client.review_platform = platform
    # Team permissions: roles and admin status come with each event (no directory needed).
    client.bind(app.gateway(platform, notify=channel_notice(client)))
    await platform.login()
    connection = asyncio.create_task(client.connect(reconnect=True), name="discord:connect")
    stopper = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait({connection, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if connection in done:
            connection.result()  # raises the client's error (LoginFailure, intents, ...)
    finally:
        stopper.cancel()
        await client.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(connection, 5.0)


def build(settings: Settings) -> PlatformRuntime:
    platform = discord_platform(settings)
    return PlatformRuntime(platform=platform, serve=functools.partial(serve, platform),
                           close=platform.close)


DISCORD = PlatformSpec(name="discord", build=build, configured=configured, check=check,
                       needs="DISCORD_TOKEN")
