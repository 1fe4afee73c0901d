"""Team permissions on both platforms, end to end: signed events to the real Bolt app and the
real discord.py client against their stand-ins, a worker on real Redis, the real screener and
receipt reader. Someone below ``view`` is refused privately (Slack: ``chat.postEphemeral``;
Discord: a reply that deletes itself) and audited, and nothing reaches a worker; ``view`` asks
fine but cannot keep a ledger; ``edit`` gets a summary without the CSV; ``/miru admin`` by an
admin takes effect at once and is audited; anyone else's is refused and audited."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot import keys, strings
from bot.evidence.events import event_for
from handlers import discord_access
from tests.platform.conftest import make_settings
from tests.platform.discord_stack import discord_settings, discord_stack
from tests.platform.discord_standin import DiscordStandIn
from tests.platform.receipt_flow import RECEIPT_EN, audit_records, csv_rows
from tests.platform.slack_events import GENERAL, mention, slash
from tests.platform.slack_stack import COFFEE, SafetyModels, coffee_file, start_stack
from tests.platform.slack_standin import SlackStandIn
from tests.platform.test_discord_app import posts_in, until
from tests.platform.test_discord_receipts import bot_files, bot_posts, uploaded

pytestmark = [pytest.mark.slow, pytest.mark.timeout(150)]

NOBODY, VIEWER, EDITOR, ADMIN, BOSS = "UALICE01", "UVIEW001", "UEDIT001", "UADMIN01", "UBOSS001"
EDITORS = "SEDITORS1"


def _slack_policy(tmp_path: Path, team: str) -> Path:
    path = tmp_path / "permissions.toml"
    path.write_text(f"""version = "1"
[permissions.{team}]
everyone = "none"
[permissions.{team}.view]
users = ["{VIEWER}"]
[permissions.{team}.edit]
groups = ["{EDITORS}"]
[permissions.{team}.admin]
users = ["{ADMIN}"]
""", encoding="utf-8")
    return path


def _ephemerals(standin: SlackStandIn, user: str) -> list[str]:
    return [str(c.params.get("text")) for c in standin.calls_to("chat.postEphemeral")
            if c.params.get("user") == user]


class SlackThread:
    """Posts into one Slack thread as a given user and waits for Miru's next answer there."""

    def __init__(self, stack, standin: SlackStandIn, root: str) -> None:
        self.stack, self.standin, self.root, self.seq = stack, standin, root, 0

    def replies(self) -> list[str]:
        return self.standin.thread_messages(GENERAL, self.root)

    async def say(self, user: str, text: str = "", *, file: bytes | None = None) -> str:
        self.seq += 1
        ts = f"{self.root[:-3]}{self.seq:03d}"
        before = len(self.replies())
        event: dict = {"type": "message", "channel_type": "channel", "channel": GENERAL,
                       "user": user, "ts": ts, "thread_ts": self.root, "text": text}
        if file is not None:
            event["subtype"] = "file_share"
            event["files"] = [self.standin.add_file(f"FR{self.seq:03d}", "r.png", file,
                                                    "image/png")]
        await self.stack.sender.event(event, event_id=f"Ev{ts}")
        await self.standin.wait_for(lambda: len(self.replies()) > before, timeout=60)
        return self.replies()[-1]


async def test_slack_permissions(standin: SlackStandIn, safety_models: SafetyModels,
                                 tmp_path: Path, rdb) -> None:
    standin.groups[EDITORS] = [EDITOR]
    standin.admins.add(BOSS)
    settings = make_settings(standin, tmp_path,
                             policy_file=_slack_policy(tmp_path, standin.team_id))
    stack = await start_stack(settings, standin, safety_models)
    audit = settings.audit_path
    try:
        # below view: refused privately, audited, nothing reaches a worker
        refused = "1700000301.000100"
        await stack.sender.event(mention(standin, refused, files=[coffee_file(standin)]),
                                 event_id="EvP1")
        await standin.wait_for(lambda: bool(_ephemerals(standin, NOBODY)))
        assert _ephemerals(standin, NOBODY) == [strings.t("access.denied_level", "en")]
        (denied,) = audit_records(audit, "permission_denied")
        assert denied["detail"]["reason"] == "level" and denied["channel"] == GENERAL
        await asyncio.sleep(0.3)  # a (wrong) job would have been answered by now
        assert stack.engine.requests == [] and standin.thread_messages(GENERAL, refused) == []
        assert standin.reactions(GENERAL, refused) == [] and not audit_records(audit, "verdict")

        # view asks and is answered
        asked = "1700000302.000100"
        await stack.sender.event(mention(standin, asked, user=VIEWER,
                                         files=[coffee_file(standin, "FCOFFEE2")]),
                                 event_id="EvP2")
        await standin.wait_for(lambda: "white_check_mark" in standin.reactions(GENERAL, asked))
        assert len(stack.engine.requests) == 1

        # view cannot have images sent back (an export: share)
        clean = "1700000305.000100"
        uploads = len(standin.uploads)
        await stack.sender.event(mention(standin, clean, user=VIEWER, text="remove the metadata",
                                         files=[coffee_file(standin, "FCOFFEE5")]),
                                 event_id="EvP5")
        await standin.wait_for(lambda: bool(standin.thread_messages(GENERAL, clean)))
        assert standin.thread_messages(GENERAL, clean) == [
            strings.t("access.need_share", "en", level="view")]
        assert len(standin.uploads) == uploads

        # an editor (through a user group) keeps a ledger; a viewer may not touch it
        root = "1700000303.000100"
        await stack.sender.event(mention(standin, root, user=EDITOR, text="receipts"),
                                 event_id="EvP3")
        await standin.wait_for(lambda: len(standin.thread_messages(GENERAL, root)) == 1)
        thread = SlackThread(stack, standin, root)
        card = await thread.say(EDITOR, file=RECEIPT_EN)
        assert card.startswith("Receipt #1")
        # an editor's receipt is no integration event (that takes data out: share)
        added = [r for r in audit_records(audit, "receipt")
                 if r["detail"].get("outcome") == "added"]
        assert [r["detail"]["shared"] for r in added] == [False]
        assert event_for(added[0]) is None
        need_edit = strings.t("access.need_edit", "en", level="view")
        assert await thread.say(VIEWER, "summary") == need_edit
        assert await thread.say(VIEWER, "remove 1") == need_edit
        assert await thread.say(VIEWER, file=RECEIPT_EN) == need_edit
        assert [e["detail"]["op"] for e in audit_records(audit, "receipt_edit")] == []

        # edit: the summary comes without the CSV
        uploads = len(standin.uploads)
        summary = await thread.say(EDITOR, "summary")
        assert "USD: 23.45 (1 receipts)" in summary
        assert summary.endswith(strings.t("access.no_csv", "en"))
        await standin.wait_for(lambda: len(standin.uploads) == uploads + 1)
        names = [c.params.get("filename")
                 for c in standin.calls_to("files.getUploadURLExternal")]
        assert names == ["receipts-summary.png"]

        # a non-admin's /miru admin is refused and audited; nothing changes
        answer = await slash(stack, standin, f"admin grant <@{NOBODY}|alice> share", "r1",
                             user=VIEWER)
        assert answer == strings.t("admin.not_admin", "en")
        assert rdb.exists(keys.access_overlay("slack", standin.team_id)) == 0
        assert [r["detail"]["command"] for r in audit_records(audit, "permission_denied")
                if "command" in r["detail"]] == ["admin"]

        # the policy's admin grants share to the editors' group: the CSV comes at once
        answer = await slash(stack, standin, f"admin grant <!subteam^{EDITORS}|@eds> share",
                             "r2", user=ADMIN)
        assert answer == strings.t("admin.granted", "en", who=f"<!subteam^{EDITORS}>",
                                   level="share", old="edit")
        uploads = len(standin.uploads)
        summary = await thread.say(EDITOR, "summary")
        assert strings.t("access.no_csv", "en") not in summary
        await standin.wait_for(lambda: len(standin.uploads) == uploads + 2)
        rows = csv_rows(list(standin.uploads.values())[-1])
        assert [(r["n"], r["total"]) for r in rows] == [("1", "23.45")]

        # a workspace admin (users.info) lets everyone view; the refused user now asks fine
        answer = await slash(stack, standin, "admin everyone view", "r3", user=BOSS)
        assert answer == strings.t("admin.everyone_set", "en", level="view", old="none")
        again = "1700000304.000100"
        await stack.sender.event(mention(standin, again, files=[coffee_file(standin, "FC3")]),
                                 event_id="EvP4")
        await standin.wait_for(lambda: "white_check_mark" in standin.reactions(GENERAL, again))
        shown = await slash(stack, standin, "admin", "r4", user=ADMIN)
        assert f"share: <!subteam^{EDITORS}>" in shown and "Everyone else: view" in shown
        changes = [r["detail"] for r in audit_records(audit, "permission_change")]
        assert [(c["op"], c["old"], c["new"]) for c in changes] == [
            ("grant", "edit", "share"), ("everyone", "none", "view")]
        assert audit_records(audit, "permission_change")[1]["actor"] != BOSS  # a pseudonym
    finally:
        await stack.close()


def _discord_policy(tmp_path: Path, standin: DiscordStandIn, role: str) -> Path:
    bob = standin.user("bob")["id"]
    path = tmp_path / "permissions.toml"
    path.write_text(f"""version = "1"
[permissions.{standin.guild_id}]
everyone = "none"
[permissions.{standin.guild_id}.view]
users = ["{bob}"]
[permissions.{standin.guild_id}.edit]
roles = ["{role}"]
""", encoding="utf-8")
    return path


async def test_discord_permissions(discord_standin: DiscordStandIn, tmp_path: Path,
                                   safety_models: SafetyModels, rdb, monkeypatch) -> None:
    monkeypatch.setattr(discord_access, "NOTICE_DELETE_AFTER_S", 0.3)
    role = "730000000000000777"
    carol, dave = discord_standin.user("carol"), discord_standin.user("dave")
    discord_standin.member_roles[dave["id"]] = [role]
    settings = discord_settings(discord_standin, tmp_path,
                                policy_file=_discord_policy(tmp_path, discord_standin, role))
    audit = settings.audit_path
    async with discord_stack(settings, discord_standin, safety_models) as stack:
        general = discord_standin.channel("general")
        # carol has no level: a reply mentions her, then deletes itself; nothing is queued
        sent = await discord_standin.dispatch_message(
            "general", "what is this?", author="carol", mention_bot=True,
            attachments=[(COFFEE, "coffee.jpg", "image/jpeg")])
        denial = strings.t("access.denied_level", "en")

        def notices() -> list[dict]:
            return [m for m in discord_standin.messages.values()
                    if denial in str(m.get("content") or "")]

        await until(lambda: bool(notices()))
        (notice,) = notices()
        assert str(notice["channel_id"]) == str(general)
        assert notice["content"].startswith(f"<@{carol['id']}>")
        await until(lambda: int(notice["id"]) in discord_standin.deleted, timeout=5)
        # /miru ask: a true ephemeral answer, no question posted
        image = discord_standin.attachment("general", COFFEE, "coffee.jpg", "image/jpeg")
        asked = await discord_standin.dispatch_command(
            "miru", {"image": image, "question": "what?"}, subcommand="ask", user="carol")
        await until(lambda: bool(asked.responses))
        assert asked.responses == [4] and asked.followup_ids == []
        reply = discord_standin.messages[asked.original_message_id]
        assert reply["flags"] & 64 and reply["content"] == denial
        await asyncio.sleep(0.3)
        assert stack.engine.requests == [] and posts_in(discord_standin, sent["id"]) == []

        # bob (view) asks and is answered, but cannot start an expense thread
        await discord_standin.dispatch_message(
            "general", "and this?", author="bob", mention_bot=True,
            attachments=[(COFFEE, "coffee.jpg", "image/jpeg")])
        await until(lambda: len(stack.engine.requests) == 1)
        bobs = await discord_standin.dispatch_message("general", "receipts", author="bob",
                                                      mention_bot=True)
        need_edit = strings.t("access.need_edit", "en", level="view")
        await until(lambda: need_edit in posts_in(discord_standin, bobs["id"]))

        # dave's role gives edit: a ledger, and a summary without the CSV
        started = await discord_standin.dispatch_message("general", "receipts", author="dave",
                                                         mention_bot=True)
        thread = int(started["id"])
        await until(lambda: strings.t("receipts.started", "en") in posts_in(discord_standin,
                                                                            thread))

        async def say(author: str, text: str = "", file: bytes | None = None) -> str:
            before = len(bot_posts(discord_standin, thread))
            await discord_standin.dispatch_message(
                thread, text, author=author,
                attachments=[(file, "r.png", "image/png")] if file is not None else [])
            await until(lambda: len(bot_posts(discord_standin, thread)) > before, timeout=60)
            return bot_posts(discord_standin, thread)[-1]

        assert (await say("dave", file=RECEIPT_EN)).startswith("Receipt #1")
        assert await say("bob", "remove 1") == need_edit
        summary = await say("dave", "summary")
        assert summary.endswith(strings.t("access.no_csv", "en"))
        await until(lambda: len(bot_files(discord_standin, thread)) == 1)
        assert set(await uploaded(discord_standin, thread)) == {"receipts-summary.png"}

        # carol's /miru admin is refused (ephemeral) and audited
        record = await discord_standin.dispatch_command(
            "miru", {"action": f"grant <@{carol['id']}> view"}, subcommand="admin",
            user="carol")
        await until(lambda: bool(record.followup_ids))
        answer = discord_standin.messages[record.followup_ids[0]]
        assert answer["flags"] & 64 and answer["content"] == strings.t("admin.not_admin", "en")
        assert rdb.exists(keys.access_overlay("discord", str(discord_standin.guild_id))) == 0

        # alice owns the guild (an admin on Discord's own terms): her grant works at once
        record = await discord_standin.dispatch_command(
            "miru", {"action": f"grant <@{carol['id']}> view"}, subcommand="admin",
            user="alice")
        await until(lambda: bool(record.followup_ids))
        answer = discord_standin.messages[record.followup_ids[0]]
        assert answer["content"] == strings.t("admin.granted", "en", who=f"<@{carol['id']}>",
                                              level="view", old="none")
        await discord_standin.dispatch_message(
            "general", "now?", author="carol", mention_bot=True,
            attachments=[(COFFEE, "coffee.jpg", "image/jpeg")])
        await until(lambda: len(stack.engine.requests) == 2)
        changes = audit_records(audit, "permission_change")
        assert [(c["detail"]["op"], c["detail"]["new"]) for c in changes] == [("grant", "view")]
        assert [(r["detail"].get("reason"), r["detail"].get("command"))
                for r in audit_records(audit, "permission_denied")] == [
            ("level", None), ("level", None), (None, "admin")]
