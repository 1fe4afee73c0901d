"""Slack and Discord in one process: ``run_platforms`` with both gateways (each on its
stand-in) and one worker answering for both, on one Redis."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path

import aiohttp
import pytest

from bot.app import build_app
from bot.core.platforms import run_platforms
from handlers.slack_run import EVENTS_PATH
from tests.fakes import CountingEngine, i_see
from tests.platform.conftest import make_settings
from tests.platform.discord_stack import discord_settings
from tests.platform.discord_standin import DiscordStandIn
from tests.platform.slack_events import GENERAL, SlackSender, mention
from tests.platform.slack_stack import COFFEE, SafetyModels, coffee_file
from tests.platform.slack_standin import SlackStandIn
from tests.platform.test_discord_app import posts_in, until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_slack_and_discord_in_one_process_with_one_worker(
        standin: SlackStandIn, discord_standin: DiscordStandIn, tmp_path: Path,
        safety_models: SafetyModels, rdb: object) -> None:
    slack = make_settings(standin, tmp_path)
    both = discord_settings(discord_standin, tmp_path, **{
        "SLACK_BOT_TOKEN": standin.token, "SLACK_SIGNING_SECRET": "unused",
        "slack_api_url": standin.api_url})
    both = both.model_copy(update={"slack_signing_secret": slack.slack_signing_secret})
    engine = CountingEngine(i_see)
    app = build_app(both, engine=engine, screener=safety_models.screener(both), consumer="both")
    port, stop = free_port(), asyncio.Event()
    running = asyncio.create_task(run_platforms(
        app, ["slack", "discord"], stop=stop,
        options={"slack": {"http": True, "host": "127.0.0.1", "port": port}}))
    try:
        await discord_standin.wait_for_gateway(2, timeout=10)  # IDENTIFY
        await until(lambda: bool(discord_standin.gateway.live_sessions()))
        await asyncio.sleep(0.2)  # READY, GUILD_CREATE, guild_ready_timeout
        sent = await discord_standin.dispatch_message(
            "general", "look", mention_bot=True, attachments=[(COFFEE, "coffee.jpg", "image/jpeg")])
        async with aiohttp.ClientSession() as session:
            sender = SlackSender(f"http://127.0.0.1:{port}{EVENTS_PATH}", session, standin.team_id)
            ts = "1700000001.000100"
            await until(lambda: _listening(port))
            await sender.event(mention(standin, ts, files=[coffee_file(standin)]),
                               event_id="Ev1")
            await standin.wait_for(lambda: "white_check_mark" in standin.reactions(GENERAL, ts))
        await until(lambda: any("image" in p for p in posts_in(discord_standin, sent["id"])))
        assert len(engine.requests) == 2
        assert not running.done()
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(running, 20)
        await app.close()


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0
