"""Quotas on both platforms, through the real Bolt app and the real discord.py client against
their stand-ins: the image over a user's daily quota is refused in the thread with the reset
time, never reaches the engine, and is audited; the refusal is counted in the metrics."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.core.quota import next_reset
from tests.platform.conftest import make_settings
from tests.platform.discord_stack import discord_settings, discord_stack
from tests.platform.discord_standin import DiscordStandIn
from tests.platform.slack_events import GENERAL, mention
from tests.platform.slack_stack import COFFEE, SafetyModels, audit_kinds, coffee_file, start_stack
from tests.platform.slack_standin import SlackStandIn

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

ONE_A_DAY = """version = "1"
[tiers.free]
images_per_user_per_day = 1
[tiers.paid]
[plans]
default = "free"
"""


def _policy(tmp_path: Path) -> Path:
    path = tmp_path / "quota-policy.toml"
    path.write_text(ONE_A_DAY, encoding="utf-8")
    return path


def _reset() -> str:
    return next_reset(time.time()).strftime("%Y-%m-%d %H:%M UTC")


async def until(pred: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_slack_user_over_the_daily_quota_is_told_when_it_resets(
        standin: SlackStandIn, safety_models: SafetyModels, tmp_path: Path, rdb) -> None:
    settings = make_settings(standin, tmp_path, policy_file=_policy(tmp_path))
    stack = await start_stack(settings, standin, safety_models)
    try:
        first, second = "1700000201.000100", "1700000202.000100"
        await stack.sender.event(mention(standin, first, files=[coffee_file(standin)]),
                                 event_id="EvQ1")
        await standin.wait_for(lambda: "white_check_mark" in standin.reactions(GENERAL, first))
        await stack.sender.event(mention(standin, second, files=[coffee_file(standin)]),
                                 event_id="EvQ2")
        await standin.wait_for(lambda: bool(standin.thread_messages(GENERAL, second)))
        (refusal,) = standin.thread_messages(GENERAL, second)
        assert "limit of 1 images" in refusal and _reset() in refusal
        await asyncio.sleep(0.2)  # a (wrong) job for it would have reached the engine by now
        assert len(stack.engine.requests) == 1
        refused = [r for r in audit_kinds(stack) if r["kind"] == "quota_refused"]
        assert [r["detail"]["scope"] for r in refused] == ["user"]
        assert stack.app.services.metrics.quota_refusals.labels("user")._value.get() == 1
    finally:
        await stack.close()


async def test_discord_user_over_the_daily_quota_is_told_when_it_resets(
        discord_standin: DiscordStandIn, tmp_path: Path, safety_models: SafetyModels,
        rdb: object) -> None:
    settings = discord_settings(discord_standin, tmp_path, policy_file=_policy(tmp_path))
    async with discord_stack(settings, discord_standin, safety_models) as stack:
        await discord_standin.dispatch_message(
            "general", "what is this?", mention_bot=True,
            attachments=[(COFFEE, "coffee.jpg", "image/jpeg")])
        await until(lambda: len(stack.engine.requests) == 1)
        await discord_standin.dispatch_message(
            "general", "and this one?", mention_bot=True,
            attachments=[(COFFEE, "coffee2.jpg", "image/jpeg")])

        def refusals() -> list[str]:
            return [str(m.get("content") or "") for m in discord_standin.messages.values()
                    if "limit of 1 images" in str(m.get("content") or "")]

        await until(lambda: bool(refusals()))
        assert _reset() in refusals()[0]
        await asyncio.sleep(0.2)
        assert len(stack.engine.requests) == 1
