"""Miru on Discord end to end: the real discord.py client against the stand-in, a real worker on
Redis, the real screener; only the vision model counts its calls."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.platform.discord_stack import discord_settings, discord_stack
from tests.platform.discord_standin import DiscordStandIn
from tests.platform.slack_stack import COFFEE, SafetyModels

pytestmark = pytest.mark.timeout(60)


async def until(pred: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def posts_in(standin: DiscordStandIn, channel: int | str) -> list[str]:
    """The current text of the messages in ``channel`` (edits applied)."""
    return [str(m.get("content") or "") for m in standin.messages.values()
            if str(m.get("channel_id")) == str(channel)]


async def test_mention_gets_a_thread_with_the_answer_and_a_follow_up_remembers(
        discord_standin: DiscordStandIn, tmp_path: Path, safety_models: SafetyModels,
        rdb: object) -> None:
    settings = discord_settings(discord_standin, tmp_path)
    async with discord_stack(settings, discord_standin, safety_models) as stack:
        sent = await discord_standin.dispatch_message(
            "general", "what is in this picture?", mention_bot=True,
            attachments=[(COFFEE, "coffee.jpg", "image/jpeg")])
        mid = int(sent["id"])
        await discord_standin.wait_for_call("POST", rf"/channels/\d+/messages/{mid}/threads", 15)
        await until(lambda: any("image" in p for p in posts_in(discord_standin, mid)))
        assert len(stack.engine.requests) == 1
        await discord_standin.dispatch_message(mid, "and now?")
        await until(lambda: len(stack.engine.requests) == 2)
        assert len(stack.engine.requests[1].images) == 1  # the thread's image, from memory
        assert "\N{EYES}" in str(discord_standin.reactions)
