"""Expense threads on Discord, issue 22: a question in Japanese, the receipt card's Approve and
Reject buttons (a form for the reason), a non-approver refused privately, and an export as a
file, through the real discord.py client against the stand-in, a worker on real Redis and the
real reader."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from bot import strings
from tests.platform.discord_stack import discord_settings, discord_stack
from tests.platform.discord_standin import DiscordStandIn
from tests.platform.receipt_flow import RECEIPT_JA, audit_records
from tests.platform.slack_stack import SafetyModels
from tests.platform.test_discord_app import posts_in, until
from tests.platform.test_discord_receipts import say, uploaded

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def public(standin: DiscordStandIn, thread: int) -> list[str]:
    """Miru's messages in the thread that everyone sees (not the ephemeral answers)."""
    return [str(m.get("content")) for m in standin.messages.values()
            if str(m.get("channel_id")) == str(thread) and m.get("content")
            and not (m.get("flags") or 0) & 64
            and str((m.get("author") or {}).get("id")) == str(standin.bot["id"])]


def card(standin: DiscordStandIn, thread: int) -> dict:
    return next(m for m in reversed(list(standin.messages.values()))
                if str(m.get("channel_id")) == str(thread) and m.get("components"))


def buttons(message: dict) -> dict[str, str]:
    return {c["label"]: c["custom_id"] for row in message["components"]
            for c in row["components"]}


async def test_buttons_questions_and_an_export_on_discord(
        discord_standin: DiscordStandIn, tmp_path: Path, safety_models: SafetyModels,
        rdb: object) -> None:
    boss = discord_standin.user("boss")
    policy = tmp_path / "policy.toml"
    policy.write_text("\n".join([
        'version = "1"', f"[permissions.{discord_standin.guild_id}]", 'everyone = "share"',
        f"[permissions.{discord_standin.guild_id}.approve]", f'users = ["{boss["id"]}"]', ""]),
        encoding="utf-8")
    settings = discord_settings(discord_standin, tmp_path, policy_file=policy, language="auto")
    async with discord_stack(settings, discord_standin, safety_models):
        sent = await discord_standin.dispatch_message("general", "receipts", mention_bot=True)
        thread = int(sent["id"])
        await until(lambda: strings.t("receipts.started", "en") in posts_in(discord_standin,
                                                                            thread))
        first = await say(discord_standin, thread, file=RECEIPT_JA, name="lunch.png")
        assert first.startswith("Receipt #1")
        message = card(discord_standin, thread)
        found = buttons(message)
        assert len(found) == 2 and all(v.startswith("miru:act:") for v in found.values())
        approve, reject = list(found.values())

        assert await say(discord_standin, thread, "#1の合計は?") == "#1 の合計: 1,234 JPY"

        # alice (share) presses Approve: refused privately, nothing in the thread
        before = len(public(discord_standin, thread))
        record = await discord_standin.dispatch_component(int(message["id"]), approve,
                                                          user="alice")
        await until(lambda: bool(record.followup_ids))
        refusal = discord_standin.messages[record.followup_ids[0]]
        assert refusal["flags"] & 64 and "approve" in str(refusal["content"])
        assert len(public(discord_standin, thread)) == before

        # boss presses Reject: a form asks why; its submission rejects #1
        record = await discord_standin.dispatch_component(int(message["id"]), reject,
                                                          user="boss")
        await until(lambda: record.modal is not None)
        assert record.modal is not None and record.responses == [9]
        assert record.modal["title"] in ("Reject receipt #1", "レシート #1 を却下")
        await discord_standin.dispatch_modal_submit(thread, record.modal["custom_id"],
                                                    {"reason": "私用のため"}, user="boss")
        await until(lambda: len(public(discord_standin, thread)) > before, timeout=30)
        rejected = public(discord_standin, thread)[-1]
        assert rejected.startswith("#1 を却下しました（boss）") or rejected.startswith(
            "#1 rejected by boss")
        assert "私用のため" in rejected

        # then boss presses Approve: one press, #1 approved
        before = len(public(discord_standin, thread))
        await discord_standin.dispatch_component(int(message["id"]), approve, user="boss")
        await until(lambda: len(public(discord_standin, thread)) > before, timeout=30)
        assert public(discord_standin, thread)[-1] in ("#1 approved by boss.",
                                                          "#1 を承認しました（boss）。")

        mf = await say(discord_standin, thread, "export mf")
        assert mf.startswith("Money Forward import file")
        await until(lambda: "moneyforward-shiwake.csv" in str(discord_standin.messages))
        files = await uploaded(discord_standin, thread)
        rows = list(csv.reader(io.StringIO(files["moneyforward-shiwake.csv"].decode("cp932"))))
        row = dict(zip(rows[0], rows[1], strict=True))
        assert (row["取引日"], row["借方金額(円)"], row["貸方勘定科目"]) == ("2026/11/20", "1234",
                                                                   "未払金")
        assert row["仕訳メモ"] == "承認済み boss"
        approvals = audit_records(settings.audit_path, "receipt_approval")
        assert [a["detail"]["status"] for a in approvals] == ["rejected", "approved"]
