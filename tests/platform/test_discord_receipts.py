"""Expense threads on Discord end to end: the real discord.py client against the stand-in, a
worker on real Redis, the real screener and the real receipt reader. The same core code as on
Slack; this checks that Discord's threads, follow-ups and file uploads carry it."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from bot import strings
from tests.platform.discord_stack import discord_settings, discord_stack
from tests.platform.discord_standin import DiscordStandIn
from tests.platform.receipt_flow import PROSE, RECEIPT_EN, RECEIPT_JA, audit_records, csv_rows
from tests.platform.slack_stack import SafetyModels, write_policy
from tests.platform.test_discord_app import posts_in, until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def bot_posts(standin: DiscordStandIn, thread: int) -> list[str]:
    """Miru's messages in ``thread`` that have text, oldest first (edits applied)."""
    return [str(m.get("content")) for m in standin.messages.values()
            if str(m.get("channel_id")) == str(thread) and m.get("content")
            and str((m.get("author") or {}).get("id")) == str(standin.bot["id"])]


async def say(standin: DiscordStandIn, thread: int, text: str = "", *,
              file: bytes | None = None, name: str = "r.png") -> str:
    before = len(bot_posts(standin, thread))
    await standin.dispatch_message(thread, text, attachments=[(file, name, "image/png")]
                                   if file is not None else [])
    await until(lambda: len(bot_posts(standin, thread)) > before, timeout=60)
    return bot_posts(standin, thread)[-1]


def bot_files(standin: DiscordStandIn, thread: int) -> list[dict]:
    """The attachments of Miru's own messages in ``thread``."""
    return [att for m in standin.messages.values()
            if str(m.get("channel_id")) == str(thread)
            and str((m.get("author") or {}).get("id")) == str(standin.bot["id"])
            for att in m.get("attachments") or ()]


async def uploaded(standin: DiscordStandIn, thread: int) -> dict[str, bytes]:
    """The files Miru posted in ``thread``, fetched from the stand-in's CDN like a user would."""
    files = {}
    async with aiohttp.ClientSession() as session:
        for att in bot_files(standin, thread):
            async with session.get(att["url"]) as resp:
                files[att["filename"]] = await resp.read()
    return files


async def test_expense_thread_on_discord(discord_standin: DiscordStandIn, tmp_path: Path,
                                         safety_models: SafetyModels, rdb: object) -> None:
    settings = discord_settings(discord_standin, tmp_path)
    async with discord_stack(settings, discord_standin, safety_models) as stack:
        sent = await discord_standin.dispatch_message("general", "receipts", mention_bot=True)
        thread = int(sent["id"])
        await until(lambda: strings.t("receipts.started", "en") in posts_in(discord_standin,
                                                                            thread))
        first = await say(discord_standin, thread, file=RECEIPT_JA, name="lunch.png")
        assert first.startswith("Receipt #1") and "1,234 JPY" in first
        second = await say(discord_standin, thread, file=RECEIPT_EN, name="market.png")
        assert second.startswith("Receipt #2") and "23.45 USD" in second
        dup = await say(discord_standin, thread, file=RECEIPT_EN, name="market2.png")
        assert strings.t("receipts.duplicate", "en", n=3, of=2) in dup
        assert await say(discord_standin, thread, "undo") == strings.t(
            "receipts.undone_add", "en", n=3)
        fixed = await say(discord_standin, thread, "#2 payment cash")
        assert fixed.startswith("#2: Payment is now cash.")
        prose = await say(discord_standin, thread, file=PROSE, name="notes.png")
        assert prose == strings.t("receipts.not_receipt", "en", name="notes.png")
        summary = await say(discord_standin, thread, "summary")
        assert "JPY: 1,234 (1 receipts)" in summary and "USD: 23.45 (1 receipts)" in summary
        await until(lambda: len(bot_files(discord_standin, thread)) == 2)
        files = await uploaded(discord_standin, thread)
        assert set(files) == {"receipts-summary.png", "receipts.csv"}
        assert files["receipts-summary.png"].startswith(b"\x89PNG")
        rows = csv_rows(files["receipts.csv"])
        assert [(r["n"], r["payment_method"]) for r in rows][1] == ("2", "cash")
        edits = audit_records(settings.audit_path, "receipt_edit")
        assert [e["detail"]["op"] for e in edits] == ["undo", "correct"]
        assert stack.engine.requests == []


async def test_receipts_channel_needs_no_start(discord_standin: DiscordStandIn, tmp_path: Path,
                                               safety_models: SafetyModels, rdb: object) -> None:
    policy = write_policy(tmp_path)
    channel = discord_standin.channel("general")
    policy.write_text(policy.read_text() + f"[channels.{channel}]\nreceipts = true\n",
                      encoding="utf-8")
    settings = discord_settings(discord_standin, tmp_path, policy_file=policy)
    async with discord_stack(settings, discord_standin, safety_models):
        sent = await discord_standin.dispatch_message(
            "general", "", mention_bot=True, attachments=[(RECEIPT_EN, "m.png", "image/png")])
        thread = int(sent["id"])
        await until(lambda: any("Receipt #1" in p for p in posts_in(discord_standin, thread)),
                    timeout=60)
        (card,) = bot_posts(discord_standin, thread)
        assert card.startswith(strings.t("receipts.started", "en")) and "23.45 USD" in card
