"""``handlers.discord.translate_message`` on messages the real discord.py parsed from the
stand-in's gateway: mentions, threads, DMs, and what is ignored (bots, webhooks, no mention)."""

from __future__ import annotations

import asyncio

import discord
import pytest

from handlers.discord import is_follow_up, translate_message
from tests.platform.discord_standin import DiscordStandIn, run_client

pytestmark = pytest.mark.timeout(30)


def make_client() -> tuple[discord.Client, asyncio.Queue[discord.Message]]:
    intents = discord.Intents.none()
    intents.guilds = intents.guild_messages = intents.dm_messages = True
    intents.message_content = True
    client = discord.Client(intents=intents, guild_ready_timeout=0.05)
    got: asyncio.Queue[discord.Message] = asyncio.Queue()

    @client.event
    async def on_message(message: discord.Message) -> None:
        await got.put(message)

    return client, got


async def next_message(got: asyncio.Queue[discord.Message]) -> discord.Message:
    return await asyncio.wait_for(got.get(), 5)


async def test_mention_with_image_starts_a_thread_keyed_by_the_message(
        discord_standin: DiscordStandIn) -> None:
    client, got = make_client()
    async with run_client(client, discord_standin):
        bot_id = discord_standin.app_id
        sent = await discord_standin.dispatch_message(
            "general", "what is this <@123>?", mention_bot=True,
            attachments=[(b"\x89PNG fake", "cat.png", "image/png")])
        msg = translate_message(await next_message(got), bot_id)
        assert msg is not None
        assert msg.platform == "discord" and not msg.is_dm
        assert msg.channel == str(discord_standin.channel("general"))
        assert msg.thread == msg.message_id == str(sent["id"])
        assert msg.event_id == f"discord:{sent['id']}"
        assert msg.workspace == str(discord_standin.guild_id)
        assert msg.text == "what is this <@123>?"
        (ref,) = msg.images
        assert ref.name == "cat.png" and ref.mimetype == "image/png" and ref.url


async def test_thread_message_shares_the_thread_key_and_is_a_follow_up(
        discord_standin: DiscordStandIn) -> None:
    client, got = make_client()
    async with run_client(client, discord_standin):
        bot_id = discord_standin.app_id
        root = await discord_standin.dispatch_message("general", "look", mention_bot=True)
        first = translate_message(await next_message(got), bot_id)
        thread = await discord_standin.create_thread("general", from_message=int(root["id"]))
        await discord_standin.dispatch_message(int(thread["id"]), "and the colour?")
        raw = await next_message(got)
        follow = translate_message(raw, bot_id)
        assert first is not None and follow is not None
        assert follow.thread_key == first.thread_key
        assert is_follow_up(raw, bot_id)


async def test_dm_needs_no_mention(discord_standin: DiscordStandIn) -> None:
    client, got = make_client()
    async with run_client(client, discord_standin):
        await discord_standin.dispatch_message(None, "hello", dm=True)
        msg = translate_message(await next_message(got), discord_standin.app_id)
        assert msg is not None and msg.is_dm and msg.thread == msg.channel


async def test_ignored_without_mention_from_bots_and_webhooks(
        discord_standin: DiscordStandIn) -> None:
    client, got = make_client()
    async with run_client(client, discord_standin):
        bot_id = discord_standin.app_id
        await discord_standin.dispatch_message("general", "no mention here")
        await discord_standin.dispatch_message("general", "hi", author="helper-bot",
                                               mention_bot=True)
        await discord_standin.dispatch_message("general", "hook", webhook=True,
                                               mention_bot=True)
        for _ in range(3):
            assert translate_message(await next_message(got), bot_id) is None


async def test_age_restricted_channel_and_its_threads_are_an_adult_audience(
        discord_standin: DiscordStandIn) -> None:
    """Issue 9: Discord's ``nsfw`` flag reaches the policy as audience ``adult``."""
    from config.policy import Audience

    client, got = make_client()
    async with run_client(client, discord_standin):
        bot_id = discord_standin.app_id
        root = await discord_standin.dispatch_message("after-dark", "look", mention_bot=True)
        top = translate_message(await next_message(got), bot_id)
        thread = await discord_standin.create_thread("after-dark", from_message=int(root["id"]))
        await discord_standin.dispatch_message(int(thread["id"]), "and this?")
        inner = translate_message(await next_message(got), bot_id)
        await discord_standin.dispatch_message("general", "plain <@1>", mention_bot=True)
        plain = translate_message(await next_message(got), bot_id)
        await discord_standin.dispatch_message(None, "hello", dm=True)
        dm = translate_message(await next_message(got), bot_id)
        assert top is not None and inner is not None and plain is not None and dm is not None
        assert top.platform_audience is Audience.ADULT
        assert inner.platform_audience is Audience.ADULT
        assert plain.platform_audience is None and dm.platform_audience is None
