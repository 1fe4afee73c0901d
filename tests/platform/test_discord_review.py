"""Moderator review on Discord, end to end: the real discord.py client against the stand-in, a
worker on real Redis, the real gates. A benign photo is held by policy configuration alone (an
adult channel with open_nsfw thresholds at 0); a hash list of it makes it ``block_and_preserve``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

import pytest

from bot.evidence.audit import verify
from bot.evidence.secrets import chain_key
from tests.platform.discord_stack import discord_settings, discord_stack
from tests.platform.discord_standin import DiscordStandIn
from tests.platform.discord_standin_payloads import Perm
from tests.platform.slack_stack import COFFEE, SafetyModels
from tests.platform.test_discord_app import posts_in, until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]


def _policy(tmp: Path, standin: DiscordStandIn, *, preserve: bool = False) -> Path:
    general, mods = standin.channel("general"), standin.channel("no-threads")
    bob = standin.user("bob")["id"]
    lines = ['version = "1"', "[thresholds]", "nsfw_low = 0.0", "nsfw_high = 0.0",
             f"[channels.{general}]", 'audience = "adult"', 'consent = "off"',
             f"[moderators.{standin.guild_id}]", f'channel = "{mods}"', f'users = ["{bob}"]',
             'roles = ["700000000000000999"]']
    if preserve:
        (tmp / "known.txt").write_text(hashlib.sha256(COFFEE).hexdigest() + "\n")
        lines[1:1] = ["[hash_lists]", 'sha256_files = ["known.txt"]']
    path = tmp / "policy.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _card(standin: DiscordStandIn) -> dict | None:
    mods = str(standin.channel("no-threads"))
    return next((m for m in standin.messages.values()
                 if str(m.get("channel_id")) == mods and m.get("embeds")), None)


def _buttons(message: dict) -> dict[str, str]:
    ids = [c["custom_id"] for row in message.get("components") or () for c in row["components"]]
    return {i.split(":")[2]: i for i in ids}


async def _press(standin: DiscordStandIn, card: dict, custom_id: str, user: str) -> str:
    record = await standin.dispatch_component(int(card["id"]), custom_id, user=user)
    await until(lambda: bool(record.followup_ids))
    answer = standin.messages[record.followup_ids[0]]
    assert answer["flags"] & 64  # ephemeral: only the presser sees it
    return str(answer["content"])


async def test_held_card_preview_refusal_one_approval_and_the_answer(
        discord_standin: DiscordStandIn, tmp_path: Path, safety_models: SafetyModels,
        rdb: object) -> None:
    settings = discord_settings(discord_standin, tmp_path,
                                policy_file=_policy(tmp_path, discord_standin))
    async with discord_stack(settings, discord_standin, safety_models) as stack:
        sent = await discord_standin.dispatch_message(
            "general", "look", mention_bot=True,
            attachments=[(COFFEE, "coffee.jpg", "image/jpeg")])
        mid = int(sent["id"])
        await until(lambda: _card(discord_standin) is not None)
        card = _card(discord_standin)
        buttons = _buttons(card)
        assert set(buttons) == {"approve", "reject", "escalate", "reveal"}
        case = buttons["approve"].rsplit(":", 1)[1]
        embed = json.dumps(card["embeds"])
        assert case in embed and "sexual_exposure_review" in embed and "Reporting" not in embed
        (preview,) = card["attachments"]
        assert preview["filename"] == "preview-blurred.jpg"
        data = discord_standin.cdn._files[next(
            p for p in discord_standin.cdn._files if p.endswith("preview-blurred.jpg"))].data
        assert data != COFFEE and COFFEE[2000:2064] not in data
        await until(lambda: any(case in p for p in posts_in(discord_standin, mid)))

        # Reveal: a copy without metadata in a DM to the moderator (deletable by Miru, unlike
        # an ephemeral reply), tracked; deleted once the case is decided
        dm = discord_standin.dm_channel(int(discord_standin.user("bob")["id"]))
        discord_standin._denied[dm] = Perm.SEND_MESSAGES  # bob's DMs closed: nothing revealed
        closed = await _press(discord_standin, card, buttons["reveal"], "bob")
        assert "could not send you a direct message" in closed
        del discord_standin._denied[dm]
        revealed = await _press(discord_standin, card, buttons["reveal"], "bob")
        assert "in your direct messages" in revealed
        [copy] = [m for m in discord_standin.messages.values()
                  if int(m["channel_id"]) == dm and m.get("attachments")]
        hosted = [h.data for path, h in discord_standin.cdn._files.items()
                  if path.startswith(f"/attachments/{dm}/")]
        assert len(hosted) == 1 and hosted[0] != COFFEE
        assert COFFEE[2000:2064] not in hosted[0]  # re-encoded, not the original bytes
        assert int(copy["id"]) not in discord_standin.deleted

        refused = await _press(discord_standin, card, buttons["approve"], "carol")
        assert "Only this workspace's moderators" in refused
        first, second = await asyncio.gather(
            _press(discord_standin, card, buttons["approve"], "bob"),
            _press(discord_standin, card, buttons["approve"], "bob"))
        assert sorted(["already" in first, "already" in second]) == [False, True]
        await until(lambda: len(stack.engine.requests) == 1)
        await until(lambda: any("approved your image" in p
                                for p in posts_in(discord_standin, mid)))
        await until(lambda: not _card(discord_standin).get("components"))
        assert "approved by" in json.dumps(_card(discord_standin)["embeds"])
        await until(lambda: int(copy["id"]) in discord_standin.deleted)
        again = await _press(discord_standin, card, buttons["reveal"], "bob")
        assert "already decided" in again
    kinds = [json.loads(x)["kind"] for x in settings.audit_path.read_text().splitlines()]
    assert kinds.count("review_decision") == 1
    assert {"review_refused", "review_stale", "review_reveal", "review_card",
            "review_reveal_withdrawn"} <= set(kinds)
    assert verify(settings.audit_path, chain_key(settings).value).ok


async def test_preserved_card_has_no_image_and_reject_tries_to_delete(
        discord_standin: DiscordStandIn, tmp_path: Path, safety_models: SafetyModels,
        rdb: object) -> None:
    settings = discord_settings(discord_standin, tmp_path,
                                policy_file=_policy(tmp_path, discord_standin, preserve=True))
    async with discord_stack(settings, discord_standin, safety_models) as stack:
        sent = await discord_standin.dispatch_message(
            "general", "look", mention_bot=True,
            attachments=[(COFFEE, "coffee.jpg", "image/jpeg")])
        await until(lambda: _card(discord_standin) is not None)
        card = _card(discord_standin)
        assert set(_buttons(card)) == {"reject", "escalate"}
        case = _buttons(card)["reject"].rsplit(":", 1)[1]
        assert card["attachments"] == [] and "image" not in card["embeds"][0]
        assert "CyberTipline" in json.dumps(card["embeds"])
        await until(lambda: bool(posts_in(discord_standin, int(sent["id"]))))
        told = list(posts_in(discord_standin, int(sent["id"])))
        done = await _press(discord_standin, card, f"miru:review:reject:{case}", "bob")
        assert "rejected by" in done
        await discord_standin.wait_for_call("DELETE", rf"/channels/\d+/messages/{sent['id']}", 10)
        # nothing warns the uploader of preserved material: no notice, no case id, no appeal
        assert posts_in(discord_standin, int(sent["id"])) == told
        assert not any(case in p for p in told)
        assert stack.engine.requests == []
        # /miru appeal: the uploader (alice) sends it back once; a new card goes out
        cards = sum(1 for m in discord_standin.messages.values() if m.get("embeds"))
        record = await discord_standin.dispatch_command("miru", {"case": case},
                                                        subcommand="appeal")
        await until(lambda: bool(record.followup_ids))
        assert "back with the moderators" in discord_standin.messages[
            record.followup_ids[0]]["content"]
        await until(lambda: sum(1 for m in discord_standin.messages.values()
                                if m.get("embeds")) == cards + 1)
        again = await discord_standin.dispatch_command("miru", {"case": case},
                                                       subcommand="appeal", user="bob")
        await until(lambda: bool(again.followup_ids))
        assert "not_yours" in discord_standin.messages[again.followup_ids[0]]["content"]


async def test_unpostable_moderators_channel_and_a_case_lost_with_redis(
        discord_standin: DiscordStandIn, tmp_path: Path, safety_models: SafetyModels,
        rdb) -> None:
    policy = _policy(tmp_path, discord_standin)
    text = policy.read_text().replace(f'channel = "{discord_standin.channel("no-threads")}"',
                                      f'channel = "{discord_standin.channel("read-only")}"')
    policy.write_text(text)
    settings = discord_settings(discord_standin, tmp_path, policy_file=policy)
    async with discord_stack(settings, discord_standin, safety_models) as stack:
        sent = await discord_standin.dispatch_message(
            "general", "look", mention_bot=True,
            attachments=[(COFFEE, "coffee.jpg", "image/jpeg")])
        mid = int(sent["id"])
        await until(lambda: any("case" in p for p in posts_in(discord_standin, mid)))
        await until(lambda: "review_card" in settings.audit_path.read_text())
        record = next(json.loads(x) for x in settings.audit_path.read_text().splitlines()
                      if json.loads(x)["kind"] == "review_card")
        assert record["action"] == "not_posted" and "moderators' channel" in record["detail"]["why"]
        [key] = list(rdb.scan_iter("miru:review:*:case"))
        case = json.loads(rdb.hget(key, "data"))["id"]
        assert rdb.hget(key, "status") == b"pending"  # waiting for the command line
        # a card posted earlier, then Redis restarted empty: the press decides nothing
        for k in list(rdb.scan_iter("miru:review:*")) + list(rdb.scan_iter("miru:quarantine:*")):
            rdb.delete(k)
        fake = discord_standin.new_message(discord_standin.channel("no-threads"),
                                           discord_standin.bot, content="old card")
        gone = await _press(discord_standin, fake, f"miru:review:approve:{case}", "bob")
        assert "no longer available" in gone
        assert stack.engine.requests == []


async def test_a_guild_moderator_cannot_act_on_another_workspaces_case(
        discord_standin: DiscordStandIn, tmp_path: Path, safety_models: SafetyModels,
        rdb: object) -> None:
    """Issue 19: moderator rights are tied to the case's platform and workspace. Bob moderates
    this guild; a Slack workspace's case and another guild's case, pressed by their ids from a
    card here, are refused (ephemeral, audited) and stay pending."""
    from bot.models import IncomingMessage
    from bot.review.model import CaseStatus
    from safety.types import Action, Verdict

    settings = discord_settings(discord_standin, tmp_path,
                                policy_file=_policy(tmp_path, discord_standin))
    async with discord_stack(settings, discord_standin, safety_models, worker=False) as stack:
        review = stack.app.services.review
        assert review is not None

        async def case_of(platform: str, workspace: str) -> str:
            msg = IncomingMessage(platform=platform, workspace=workspace, channel="C1",
                                  thread="1.1", message_id="1.1", user="UUPLOADER", text="",
                                  event_id=f"{platform}:{workspace}")
            held = Verdict(Action.HOLD, ("gate_failed",))
            return (await review.open_case(msg, f"r-{workspace}", held, {0: COFFEE})).id

        slack_case = await case_of("slack", "T0OTHERWS")
        other_guild = await case_of("discord", "833333333333333333")
        card = discord_standin.new_message(discord_standin.channel("no-threads"),
                                           discord_standin.bot, content="a card")
        for verb, case in (("approve", slack_case), ("reveal", slack_case),
                           ("reject", other_guild), ("reveal", other_guild)):
            said = await _press(discord_standin, card, f"miru:review:{verb}:{case}", "bob")
            assert "belongs to another workspace" in said, (verb, case)
            assert "shown to you only" not in said
        for case in (slack_case, other_guild):
            got = await review.store.get(case)
            assert got is not None and got.status is CaseStatus.PENDING and not got.decided_by
        assert stack.engine.requests == []
    refused = [json.loads(x) for x in settings.audit_path.read_text().splitlines()
               if json.loads(x)["kind"] == "review_refused"]
    assert [(r["action"], r["detail"]["case"], r["detail"]["why"]) for r in refused] == [
        ("approve", slack_case, "other_workspace"), ("reveal", slack_case, "other_workspace"),
        ("reject", other_guild, "other_workspace"), ("reveal", other_guild, "other_workspace")]
    kinds = [json.loads(x)["kind"] for x in settings.audit_path.read_text().splitlines()]
    assert "review_decision" not in kinds and "review_reveal" not in kinds
