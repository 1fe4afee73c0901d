"""Miru on Discord end to end: the real discord.py client against the stand-in, a real worker on
Redis, the real screener; only the vision model counts its calls."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot import strings
from tests.platform.discord_stack import discord_settings, discord_stack
from tests.platform.discord_standin import DiscordStandIn
from tests.platform.slack_stack import ASTRONAUT, COFFEE, SafetyModels, write_policy

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]


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


async def test_blocked_image_never_reaches_the_engine(
        discord_standin: DiscordStandIn, tmp_path: Path, safety_models: SafetyModels,
        rdb: object) -> None:
    policy = write_policy(tmp_path, blocked_sha256=(hashlib.sha256(COFFEE).hexdigest(),))
    settings = discord_settings(discord_standin, tmp_path, policy_file=policy)
    async with discord_stack(settings, discord_standin, safety_models) as stack:
        sent = await discord_standin.dispatch_message(
            "general", "look", mention_bot=True,
            attachments=[(COFFEE, "coffee.jpg", "image/jpeg")])
        mid = int(sent["id"])
        await until(lambda: "\N{NO ENTRY}" in discord_standin.reactions.get(mid, []))
        assert stack.engine.requests == []
        assert posts_in(discord_standin, mid)  # the blocked notice, in the thread


async def test_consent_buttons_count_only_for_the_uploader(
        discord_standin: DiscordStandIn, tmp_path: Path, safety_models: SafetyModels,
        rdb: object) -> None:
    channel = discord_standin.channel("general")
    policy = write_policy(tmp_path, consent_channels=(str(channel),))
    settings = discord_settings(discord_standin, tmp_path, policy_file=policy)
    async with discord_stack(settings, discord_standin, safety_models) as stack:
        sent = await discord_standin.dispatch_message(
            "general", "look", mention_bot=True,
            attachments=[(ASTRONAUT, "astronaut.jpg", "image/jpeg")])
        mid = int(sent["id"])
        await until(lambda: any(m.get("components") for m in discord_standin.messages.values()
                                if str(m.get("channel_id")) == str(mid)))
        prompt = next(m for m in discord_standin.messages.values()
                      if str(m.get("channel_id")) == str(mid) and m.get("components"))
        buttons = [c["custom_id"] for row in prompt["components"] for c in row["components"]]
        confirm = next(b for b in buttons if ":yes:" in b)
        refused = await discord_standin.dispatch_component(int(prompt["id"]), confirm,
                                                           user="bob")
        await until(lambda: bool(refused.responses))
        assert refused.responses == [4]  # a message, ephemeral, to bob only
        assert stack.engine.requests == []
        pressed = await discord_standin.dispatch_component(int(prompt["id"]), confirm)
        await until(lambda: len(stack.engine.requests) == 1)
        assert pressed.responses


async def test_ask_command_is_deferred_then_answered(
        discord_standin: DiscordStandIn, tmp_path: Path, safety_models: SafetyModels,
        rdb: object) -> None:
    settings = discord_settings(discord_standin, tmp_path)
    async with discord_stack(settings, discord_standin, safety_models) as stack:
        image = discord_standin.attachment("general", COFFEE, "coffee.jpg", "image/jpeg")
        record = await discord_standin.dispatch_command(
            "miru", {"image": image, "question": "what is it?"}, subcommand="ask")
        await until(lambda: len(stack.engine.requests) == 1)
        assert record.responses[0] == 5  # deferred (thinking) within the deadline
        assert record.followup_ids
        question = record.followup_ids[0]
        await until(lambda: any("image" in p for p in posts_in(discord_standin, question)))


async def test_a_message_delivered_again_is_answered_once(
        discord_standin: DiscordStandIn, tmp_path: Path, safety_models: SafetyModels,
        rdb: object) -> None:
    settings = discord_settings(discord_standin, tmp_path)
    async with discord_stack(settings, discord_standin, safety_models) as stack:
        async with discord_standin.offline():
            sent = await discord_standin.dispatch_message(
                "general", "look", mention_bot=True,
                attachments=[(COFFEE, "coffee.jpg", "image/jpeg")])
        await discord_standin.wait_for_gateway(6)  # RESUME replays the buffered message
        await discord_standin.dispatch("MESSAGE_CREATE", discord_standin.fresh(sent))
        await until(lambda: len(stack.engine.requests) == 1)
        await asyncio.sleep(1.0)
        assert len(stack.engine.requests) == 1
        assert len(discord_standin.calls("POST", r"/channels/\d+/messages/\d+/threads")) == 1


async def test_help_and_lang_answer_only_the_caller(
        discord_standin: DiscordStandIn, tmp_path: Path, safety_models: SafetyModels,
        rdb: object) -> None:
    settings = discord_settings(discord_standin, tmp_path)
    async with discord_stack(settings, discord_standin, safety_models):
        assert {c["name"] for c in discord_standin.synced_commands[None]} == {"miru"}
        record = await discord_standin.dispatch_command("miru", {"language": "ja"},
                                                        subcommand="lang")
        await until(lambda: bool(record.followup_ids))
        assert record.responses == [5]
        (reply,) = [discord_standin.messages[i] for i in record.followup_ids]
        assert reply["flags"] & 64  # ephemeral
        assert reply["content"] == strings.t("cmd.lang_set", "ja")


async def test_ten_attachments_with_a_non_image_and_an_oversized_one(
        discord_standin: DiscordStandIn, tmp_path: Path, safety_models: SafetyModels,
        rdb: object) -> None:
    """Issue 9, bad input: Discord's most attachments per message (10), one not an image and
    one over the size limit: the others are answered, the two are named with the reason."""
    settings = discord_settings(discord_standin, tmp_path, max_bytes=len(COFFEE) + 1000)
    files = [(b"just some notes\n", "notes.txt", "text/plain"),
             (b"\xff\xd8\xff" + bytes(len(COFFEE) + 5000), "big.jpg", "image/jpeg")]
    files += [(COFFEE, f"coffee{i}.jpg", "image/jpeg") for i in range(8)]
    async with discord_stack(settings, discord_standin, safety_models) as stack:
        sent = await discord_standin.dispatch_message("general", "what are these?",
                                                      mention_bot=True, attachments=files)
        mid = int(sent["id"])
        # eight images through the real gates: slow on a loaded 2-core machine
        await until(lambda: any("notes.txt" in p for p in posts_in(discord_standin, mid)), 50)
        (request,) = stack.engine.requests
        assert len(request.images) == 8
        text = "\n".join(posts_in(discord_standin, mid))
        assert "notes.txt" in text and "big.jpg" in text and "8 image" in text
