"""Help, descriptions, ``/miru receipts`` and ``/miru settings`` on Discord (issue 22): the
real discord.py client against the stand-in (command sync with localisations, interactions,
component presses on an ephemeral panel), a worker on real Redis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot import keys, strings
from tests.platform.discord_stack import discord_settings, discord_stack
from tests.platform.discord_standin import DiscordStandIn
from tests.platform.receipt_flow import audit_records
from tests.platform.slack_stack import SafetyModels
from tests.platform.test_discord_app import posts_in, until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

SUBCOMMANDS = {"ask", "receipts", "settings", "forget", "lang", "history", "appeal", "admin",
               "help"}


def _followups(standin: DiscordStandIn, record: Any) -> list[dict[str, Any]]:
    return [standin.messages[i] for i in record.followup_ids]


async def _answer(standin: DiscordStandIn, record: Any) -> str:
    await until(lambda: bool(record.followup_ids))
    (reply,) = _followups(standin, record)
    assert reply["flags"] & 64  # ephemeral
    return str(reply["content"])


async def test_every_command_and_option_is_described_in_both_languages(
        discord_standin: DiscordStandIn, tmp_path: Path, safety_models: SafetyModels,
        rdb: object) -> None:
    """Issue 22: options read "…" (discord.py's placeholder) in Discord's command picker."""
    async with discord_stack(discord_settings(discord_standin, tmp_path), discord_standin,
                             safety_models, worker=False):
        (miru,) = discord_standin.synced_commands[None]
    assert {o["name"] for o in miru["options"]} == SUBCOMMANDS
    described = [miru, *miru["options"], *(p for o in miru["options"]
                                           for p in o.get("options") or ())]
    for item in described:
        assert item["description"] and item["description"] != "…", item["name"]
        local = item.get("description_localizations") or {}
        assert local.get("ja") and local.get("en-US") == item["description"], item
        assert local["ja"] != item["description"], item["name"]
    ask = next(o for o in miru["options"] if o["name"] == "ask")
    image = next(p for p in ask["options"] if p["name"] == "image")
    assert image["description_localizations"]["ja"] == strings.t("discord.opt.image", "ja")


async def test_help_lists_every_command_and_admin_only_for_admins(
        discord_standin: DiscordStandIn, tmp_path: Path, safety_models: SafetyModels,
        rdb: object) -> None:
    """alice owns the guild (an admin: every permission); bob is a member."""
    settings = discord_settings(discord_standin, tmp_path)
    async with discord_stack(settings, discord_standin, safety_models, worker=False):
        bob = await discord_standin.dispatch_command("miru", subcommand="help", user="bob")
        text = await _answer(discord_standin, bob)
        alice = await discord_standin.dispatch_command("miru", subcommand="help")
        as_admin = await _answer(discord_standin, alice)
    for name in SUBCOMMANDS - {"admin"}:
        assert f"/miru {name}" in text, name
    assert strings.t("help.ask_command", "en") in text and "/miru admin" not in text
    assert "/miru admin" in as_admin


async def test_miru_receipts_starts_an_expense_thread(
        discord_standin: DiscordStandIn, tmp_path: Path, safety_models: SafetyModels,
        rdb: object) -> None:
    async with discord_stack(discord_settings(discord_standin, tmp_path), discord_standin,
                             safety_models):
        record = await discord_standin.dispatch_command("miru", subcommand="receipts")
        await until(lambda: len(record.followup_ids) == 2)
        root, said = _followups(discord_standin, record)
        alice = discord_standin.user("alice")["id"]
        assert root["content"] == strings.t("receipts.thread_root", "en", user=f"<@{alice}>")
        assert not root["flags"] & 64  # the thread's first message is public
        assert said["content"] == strings.t("receipts.command_started", "en")
        thread = int(root["id"])  # Discord's thread from a message has the message's id
        await until(lambda: strings.t("receipts.started", "en") in posts_in(discord_standin,
                                                                            thread), 60)


async def test_settings_panel_changes_the_owners_settings_only(
        discord_standin: DiscordStandIn, tmp_path: Path, safety_models: SafetyModels,
        rdb: Any) -> None:
    settings = discord_settings(discord_standin, tmp_path)
    bob = str(discord_standin.user("bob")["id"])
    async with discord_stack(settings, discord_standin, safety_models, worker=False) as stack:
        record = await discord_standin.dispatch_command("miru", subcommand="settings",
                                                        user="bob")
        await until(lambda: bool(record.followup_ids))
        (panel,) = _followups(discord_standin, record)
        assert panel["flags"] & 64
        assert strings.t("home.language_auto", "en") in panel["content"]
        assert strings.t("home.health", "en") not in panel["content"]  # bob is no admin
        menus = [c for row in panel["components"] for c in row["components"]]
        assert [m["custom_id"] for m in menus] == [f"miru:home:lang:{bob}",
                                                  f"miru:home:history:{bob}"]
        assert all(m["type"] == 3 for m in menus)  # string selects

        stranger = await discord_standin.dispatch_component(
            int(panel["id"]), f"miru:home:lang:{bob}", user="alice", component_type=3,
            values=["ja"])
        await until(lambda: bool(stranger.responses))
        assert stranger.responses == [4]  # an ephemeral refusal, the panel untouched
        assert rdb.hget(keys.user_pref("discord", bob), "lang") is None

        press = await discord_standin.dispatch_component(
            int(panel["id"]), f"miru:home:lang:{bob}", user="bob", component_type=3,
            values=["ja"])
        await until(lambda: strings.t("home.settings", "ja") in str(
            discord_standin.messages[int(panel["id"])]["content"]))
        assert press.responses == [6]  # a deferred update, then the panel redrawn
        assert rdb.hget(keys.user_pref("discord", bob), "lang") == b"ja"
        assert [r["action"] for r in audit_records(stack.app.settings.audit_path,
                                                   "language")] == ["ja"]

        owner = await discord_standin.dispatch_command("miru", subcommand="settings")
        await until(lambda: bool(owner.followup_ids))
        (admin_panel,) = _followups(discord_standin, owner)
    assert strings.t("home.health", "en") in admin_panel["content"]
    assert "discord: bot miru, Message Content intent on" in admin_panel["content"]
    assert len(admin_panel["content"]) <= 2000
