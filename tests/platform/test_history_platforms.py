"""History off on Slack and Discord end to end (real Bolt / discord.py against the stand-ins,
a worker on real Redis): ``/miru history off`` per user and ``history = "off"`` per channel in
the policy. Afterwards a scan of the test DB finds no turns, images, participants or "active
thread" flag for that user or channel; a follow-up without a mention is not taken up, one with
a mention but no image is told to post the image again; the audit log has every decision."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import keys, strings
from tests.platform.discord_stack import discord_settings, discord_stack
from tests.platform.discord_standin import DiscordStandIn
from tests.platform.slack_events import GENERAL, USER, mention, settle, slash
from tests.platform.slack_stack import COFFEE, SafetyModels, audit_kinds, coffee_file, write_policy
from tests.platform.test_discord_app import posts_in, until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]

CONVERSATION = (b"miru:thread:*", b"miru:active:*")


def kept(rdb) -> list[bytes]:
    return sorted(k for pattern in CONVERSATION for k in rdb.scan_iter(match=pattern))


def off_status(lang: str = "en") -> str:
    return strings.t("cmd.history_off", lang, turns_days="7", images_days="1")


async def _slack_thread_without_history(stack, standin, rdb, root: str, channel: str) -> None:
    """An image question, a follow-up without a mention, then one with a mention, no image."""
    await stack.sender.event(mention(standin, root, channel=channel,
                                     files=[coffee_file(standin)]), event_id=f"Ev{root}a")
    await standin.wait_for(lambda: "white_check_mark" in standin.reactions(channel, root))
    (answer,) = standin.thread_messages(channel, root)
    assert answer.startswith("I see 1 image(s).")
    assert strings.t("history.off_note", "en") in answer
    follow = {"type": "message", "channel_type": "channel", "channel": channel, "user": USER,
              "ts": f"{root[:-3]}200", "thread_ts": root, "text": "and the colour?"}
    await stack.sender.event(follow, event_id=f"Ev{root}b")
    await settle(rdb)
    assert len(stack.engine.requests) == 1  # not taken up: no thread was marked active
    again = mention(standin, f"{root[:-3]}300", channel=channel, text="and the colour?",
                    thread_ts=root)
    await stack.sender.event(again, event_id=f"Ev{root}c")
    await standin.wait_for(lambda: len(standin.thread_messages(channel, root)) == 2)
    assert standin.thread_messages(channel, root)[1] == strings.t("history.off_no_image", "en")
    assert len(stack.engine.requests) == 1


async def test_slack_user_turns_history_off(stacks, standin, rdb) -> None:
    stack = await stacks()
    assert await slash(stack, standin, "history", "s0") == strings.t(
        "cmd.history_on", "en", turns_days="7", images_days="1")
    assert await slash(stack, standin, "history off", "s1") == off_status()
    await _slack_thread_without_history(stack, standin, rdb, "1700001001.000100", GENERAL)
    assert kept(rdb) == []
    assert rdb.smembers(keys.user_index("slack", USER)) == {
        keys.user_pref("slack", USER).encode()}  # the choice itself, nothing else
    kinds = [r["kind"] for r in audit_kinds(stack)]
    assert kinds.count("verdict") == 1 and kinds.count("answer") == 1 and "history" in kinds


async def test_slack_bad_history_argument_gets_the_usage(stacks, standin, rdb) -> None:
    stack = await stacks(worker=False)
    assert await slash(stack, standin, "history sometimes", "b1") == strings.t(
        "cmd.history_usage", "en")
    assert await slash(stack, standin, "lang ja", "b2") == strings.t("cmd.lang_set", "ja")
    assert await slash(stack, standin, "history", "b3") == strings.t(
        "cmd.history_on", "ja", turns_days="7", images_days="1")
    assert [r for r in audit_kinds(stack) if r["kind"] == "history"] == []


async def test_slack_channel_policy_history_off(stacks, standin, rdb) -> None:
    stack = await stacks(policy={"history_off_channels": (GENERAL,)})
    assert await slash(stack, standin, "history", "p0") == strings.t(
        "cmd.history_on", "en", turns_days="7", images_days="1") + "\n" + strings.t(
        "cmd.history_channel_off", "en")
    await _slack_thread_without_history(stack, standin, rdb, "1700001002.000100", GENERAL)
    assert kept(rdb) == []
    assert not rdb.exists(keys.user_index("slack", USER))
    # another channel keeps its threads (the scan above could have failed)
    other = "1700001003.000100"
    await stack.sender.event(mention(standin, other, channel="COTHER01",
                                     files=[coffee_file(standin, "FCOFFEE2")]), event_id="EvOth")
    await standin.wait_for(lambda: "white_check_mark" in standin.reactions("COTHER01", other))
    assert kept(rdb) and all(b"COTHER01" in k for k in kept(rdb))


async def test_discord_user_turns_history_off(
        discord_standin: DiscordStandIn, tmp_path: Path, safety_models: SafetyModels,
        rdb) -> None:
    settings = discord_settings(discord_standin, tmp_path)
    async with discord_stack(settings, discord_standin, safety_models) as stack:
        bad = await discord_standin.dispatch_command("miru", {"setting": "perhaps"},
                                                     subcommand="history")
        await until(lambda: bool(bad.followup_ids))
        assert discord_standin.messages[bad.followup_ids[0]]["content"] == strings.t(
            "cmd.history_usage", "en")
        record = await discord_standin.dispatch_command("miru", {"setting": "off"},
                                                        subcommand="history")
        await until(lambda: bool(record.followup_ids))
        (reply,) = [discord_standin.messages[i] for i in record.followup_ids]
        assert reply["flags"] & 64 and reply["content"] == off_status()
        sent = await discord_standin.dispatch_message(
            "general", "what is in this picture?", mention_bot=True,
            attachments=[(COFFEE, "coffee.jpg", "image/jpeg")])
        mid = int(sent["id"])
        await until(lambda: any(strings.t("history.off_note", "en") in p
                                for p in posts_in(discord_standin, mid)))
        await discord_standin.dispatch_message(mid, "and now?")  # no mention: not taken up
        await settle(rdb)
        assert len(stack.engine.requests) == 1
        await discord_standin.dispatch_message(mid, "and now?", mention_bot=True)
        await until(lambda: strings.t("history.off_no_image", "en")
                    in posts_in(discord_standin, mid))
        assert len(stack.engine.requests) == 1
        assert kept(rdb) == []
        user = str(discord_standin.user("alice")["id"])
        assert rdb.smembers(keys.user_index("discord", user)) == {
            keys.user_pref("discord", user).encode()}


async def test_discord_channel_policy_history_off(
        discord_standin: DiscordStandIn, tmp_path: Path, safety_models: SafetyModels,
        rdb) -> None:
    general = str(discord_standin.channel("general"))
    policy = write_policy(tmp_path, history_off_channels=(general,))
    settings = discord_settings(discord_standin, tmp_path, policy_file=policy)
    async with discord_stack(settings, discord_standin, safety_models) as stack:
        record = await discord_standin.dispatch_command("miru", {}, subcommand="history")
        await until(lambda: bool(record.followup_ids))
        assert discord_standin.messages[record.followup_ids[0]]["content"].endswith(
            strings.t("cmd.history_channel_off", "en"))
        sent = await discord_standin.dispatch_message(
            "general", "what is in this picture?", mention_bot=True,
            attachments=[(COFFEE, "coffee.jpg", "image/jpeg")])
        mid = int(sent["id"])
        await until(lambda: any(strings.t("history.off_note", "en") in p
                                for p in posts_in(discord_standin, mid)))
        await settle(rdb)
        assert len(stack.engine.requests) == 1
        assert kept(rdb) == []
        assert [k for k in rdb.scan_iter(match=b"miru:user:*")] == []
