"""Discord faults: expired attachment links, a channel where Miru cannot open threads, and
which REST failures are worth retrying (``DeliveryFailed.retryable``)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

import discord
import pytest

from bot.errors import DeliveryFailed
from bot.keys import job_stream
from bot.models import IncomingMessage, Reply, ReplyKind
from handlers.discord_client import delivery_failed
from handlers.discord_run import discord_platform
from tests.platform.discord_stack import discord_settings, discord_stack
from tests.platform.discord_standin import DiscordStandIn
from tests.platform.discord_standin_rest import MISSING_PERMISSIONS
from tests.platform.slack_stack import COFFEE, SafetyModels
from tests.platform.test_discord_app import posts_in, until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]


@pytest.mark.parametrize(("status", "code", "retryable"), [
    (429, 0, True), (500, 0, True), (503, 0, True),
    (403, 50013, False), (404, 10008, False), (400, 50035, False),
])
def test_which_failures_are_retryable(status: int, code: int, retryable: bool) -> None:
    response = SimpleNamespace(status=status, reason="x")
    exc = discord.HTTPException(response, {"code": code, "message": "m"})  # type: ignore[arg-type]
    assert delivery_failed(exc).retryable is retryable


async def test_missing_permission_is_not_retryable(
        discord_standin: DiscordStandIn, tmp_path: Path) -> None:
    platform = discord_platform(discord_settings(discord_standin, tmp_path))
    try:
        channel = discord_standin.channel("general")
        sent = await discord_standin.dispatch_message("general", "hi", dm=True)
        message = IncomingMessage(platform="discord", workspace="dm", channel=str(channel),
                                  thread=str(channel), message_id=str(sent["id"]), user="1",
                                  text="hi", is_dm=True)
        discord_standin.fail("POST", rf"/channels/{channel}/messages", MISSING_PERMISSIONS)
        with pytest.raises(DeliveryFailed) as failed:
            await platform.conversation(message).reply(
                Reply(ReplyKind.ANSWER, "answer", message.thread_key, "r1"))
        assert failed.value.retryable is False
    finally:
        await platform.close()


async def test_expired_link_is_refreshed_by_fetching_the_message(
        discord_standin: DiscordStandIn, tmp_path: Path, safety_models: SafetyModels,
        rdb: object) -> None:
    settings = discord_settings(discord_standin, tmp_path)
    async with discord_stack(settings, discord_standin, safety_models, worker=False) as stack:
        sent = await discord_standin.dispatch_message(
            "general", "look", mention_bot=True,
            attachments=[(COFFEE, "coffee.jpg", "image/jpeg")])
        await until(lambda: bool(rdb.xlen(job_stream("discord"))))  # type: ignore[attr-defined]
        discord_standin.expire_attachment_links()
        stop = asyncio.Event()
        worker = asyncio.create_task(stack.app.run_worker({"discord": stack.platform}, stop))
        try:
            await until(lambda: len(stack.engine.requests) == 1)
            await until(lambda: any("image" in p for p in posts_in(discord_standin, sent["id"])))
            assert discord_standin.calls("GET", rf"/channels/\d+/messages/{sent['id']}")
        finally:
            stop.set()
            await asyncio.wait_for(worker, 15)


async def test_no_thread_permission_answers_in_the_channel(
        discord_standin: DiscordStandIn, tmp_path: Path, safety_models: SafetyModels,
        rdb: object) -> None:
    settings = discord_settings(discord_standin, tmp_path)
    async with discord_stack(settings, discord_standin, safety_models) as stack:
        await discord_standin.dispatch_message(
            "no-threads", "look", mention_bot=True,
            attachments=[(COFFEE, "coffee.jpg", "image/jpeg")])
        channel = discord_standin.channel("no-threads")
        await until(lambda: any("image" in p for p in posts_in(discord_standin, channel)))
        assert len(stack.engine.requests) == 1


@pytest.mark.parametrize(("flags", "ok"), [((1 << 19), True), (0, False)])
async def test_doctor_checks_the_token_and_the_message_content_intent(
        tmp_path: Path, flags: int, ok: bool) -> None:
    from bot.health.remote import _discord

    async with DiscordStandIn(application_flags=flags) as standin:
        check = await asyncio.to_thread(_discord, discord_settings(standin, tmp_path))
    assert check.ok is ok
    assert ok or "MESSAGE CONTENT INTENT" in check.fix


async def test_message_deleted_before_the_answer_is_a_logged_and_audited_skip(
        discord_standin: DiscordStandIn, tmp_path: Path, safety_models: SafetyModels,
        rdb: object) -> None:
    """Issue 9: the author deleted the message while it waited in the queue. No answer is posted
    anywhere (in the channel it would show what they took back); the audit log says why."""
    import json

    settings = discord_settings(discord_standin, tmp_path)
    async with discord_stack(settings, discord_standin, safety_models, worker=False) as stack:
        channel = discord_standin.channel("general")
        sent = await discord_standin.dispatch_message(
            "general", "look", mention_bot=True,
            attachments=[(COFFEE, "coffee.jpg", "image/jpeg")])
        await until(lambda: bool(rdb.xlen(job_stream("discord"))))  # type: ignore[attr-defined]
        before = len(posts_in(discord_standin, channel))
        await discord_standin.dispatch_delete("general", int(sent["id"]))
        stop = asyncio.Event()
        worker = asyncio.create_task(stack.app.run_worker({"discord": stack.platform}, stop))

        def audited() -> list[dict[str, object]]:
            path = settings.audit_path
            lines = path.read_text().splitlines() if path.exists() else []
            return [r for r in map(json.loads, lines) if r["kind"] == "delivery_failed"]
        try:
            await until(lambda: bool(audited()))
            (record,) = audited()
            assert record["detail"]["retryable"] is False  # type: ignore[index]
            assert "message_deleted" in json.dumps(record)
            assert len(posts_in(discord_standin, channel)) == before
            assert not discord_standin.threads.get(int(sent["id"]))
        finally:
            stop.set()
            await asyncio.wait_for(worker, 15)


async def test_gateway_url_setting_is_where_the_client_connects(
        discord_standin: DiscordStandIn, tmp_path: Path, safety_models: SafetyModels,
        rdb: object) -> None:
    """MIRU_DISCORD_GATEWAY_URL is used: with discord.py's default gateway pointed nowhere, the
    client still reaches READY on the stand-in named by the setting."""
    import yarl

    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL("ws://127.0.0.1:9/")
    settings = discord_settings(discord_standin, tmp_path,
                                discord_gateway_url=discord_standin.gateway_url + "/")
    async with discord_stack(settings, discord_standin, safety_models, worker=False) as stack:
        assert stack.platform.client.is_ready()
    assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY).startswith(
        discord_standin.gateway_url)
