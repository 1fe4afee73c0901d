"""Expense threads on Slack, issue 22: questions answered from the ledger (Japanese and
English), reports, exports (freee, Money Forward, the image zip) and approvals, by text and by
the receipt card's buttons (a reason modal for Reject), through the real Bolt app, a worker on
real Redis, the real reader and the Web API stand-in."""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from bot import strings
from bot.core.safetext import neutralise
from tests.platform.conftest import make_settings
from tests.platform.receipt_flow import RECEIPT_EN, RECEIPT_JA, audit_records, csv_rows
from tests.platform.slack_events import GENERAL, USER, mention, signed_headers
from tests.platform.slack_stack import start_stack
from tests.platform.slack_standin import SlackStandIn

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

ROOT = "1700000200.000100"
BOSS = "UBOSS0001"


def policy(tmp: Path, team: str, *, approvals: bool = True) -> Path:
    path = tmp / "policy.toml"
    path.write_text("\n".join([
        'version = "1"', "[receipts]", f"approvals = {'true' if approvals else 'false'}",
        f"[permissions.{team}]", 'everyone = "share"',
        f"[permissions.{team}.approve]", f'users = ["{BOSS}"]', ""]), encoding="utf-8")
    return path


class Thread:
    def __init__(self, stack: Any, standin: SlackStandIn) -> None:
        self.stack, self.standin, self.seq = stack, standin, 0

    def replies(self) -> list[str]:
        return self.standin.thread_messages(GENERAL, ROOT)

    async def say(self, text: str = "", *, file: bytes | None = None, user: str = USER,
                  name: str = "Alice") -> str:
        self.seq += 1
        ts = f"{ROOT[:-3]}{self.seq:03d}"
        before = len(self.replies())
        event: dict = {"type": "message", "channel_type": "channel", "channel": GENERAL,
                       "user": user, "ts": ts, "thread_ts": ROOT, "text": text,
                       "user_profile": {"display_name": name, "real_name": name + " R."}}
        if file is not None:
            event["subtype"] = "file_share"
            event["files"] = [self.standin.add_file(f"F{self.seq:04d}", "r.png", file,
                                                    "image/png")]
        await self.stack.sender.event(event, event_id=f"Ev{ts}")
        await self.standin.wait_for(lambda: len(self.replies()) > before, timeout=60)
        return self.replies()[-1]

    async def post(self, payload: dict[str, Any]) -> int:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.stack.sender.raw(body, signed_headers(
            body, content_type="application/x-www-form-urlencoded"))


def card_buttons(standin: SlackStandIn, n: int) -> tuple[str, dict[str, str]]:
    """The ts of receipt #n's card and its buttons (label -> value) as Miru posted them."""
    for call in reversed(standin.calls):
        if call.method not in ("chat.postMessage", "chat.update"):
            continue
        blocks = call.params.get("blocks") or []
        text = " ".join(b["text"]["text"] for b in blocks if b["type"] == "section")
        if f"Receipt #{n}" in text:
            (actions,) = [b for b in blocks if b["type"] == "actions"]
            ts = call.params.get("ts") or next(
                ts for ts, m in standin.messages.items() if m["text"] == call.params["text"])
            return ts, {e["text"]["text"]: e["value"] for e in actions["elements"]}
    raise AssertionError(f"no card with buttons for #{n}")


def press(user: str, name: str, card_ts: str, value: str, rid: str,
          standin: SlackStandIn) -> dict[str, Any]:
    return {"type": "block_actions", "team": {"id": standin.team_id},
            "user": {"id": user, "name": name, "team_id": standin.team_id},
            "api_app_id": "AMIRU", "trigger_id": f"trig-{rid}",
            "response_url": standin.response_url(rid), "channel": {"id": GENERAL},
            "container": {"type": "message", "message_ts": card_ts, "channel_id": GENERAL},
            "message": {"ts": card_ts, "thread_ts": ROOT, "type": "message"},
            "actions": [{"action_id": "miru_act_1", "block_id": "miru_actions", "value": value,
                         "type": "button", "action_ts": f"{time.time():.6f}"}]}


async def test_questions_approvals_reports_and_exports(standin, safety_models, tmp_path,
                                                        rdb) -> None:
    settings = make_settings(standin, tmp_path, language="auto",
                             policy_file=policy(tmp_path, standin.team_id))
    stack = await start_stack(settings, standin, safety_models)
    try:
        await stack.sender.event(mention(standin, ROOT, text="receipts"), event_id="EvX0")
        await standin.wait_for(lambda: len(standin.thread_messages(GENERAL, ROOT)) == 1)
        thread = Thread(stack, standin)
        assert (await thread.say(file=RECEIPT_JA)).startswith("Receipt #1")
        assert (await thread.say(file=RECEIPT_EN, user=BOSS, name="Boss")).startswith(
            "Receipt #2")
        card_ts, buttons = card_buttons(standin, 1)
        assert list(buttons) == ["Approve", "Reject"]

        # questions, both languages, from the ledger
        assert await thread.say("what was #1's total?") == "#1 Total: 1,234 JPY"
        assert await thread.say("#1の合計は?") == "#1 の合計: 1,234 JPY"
        assert (await thread.say("2026年11月の合計は?")).startswith(
            "2026年11月: 1,234 JPY (1) · 23.45 USD (1)")
        top = await thread.say("who spent the most?")
        assert "1. Alice: 1,234 JPY (1)" in top and "1. Boss: 23.45 USD (1)" in top
        missing = await thread.say("which receipts have no registration number?")
        # #1's number fails its check digit; #2 is American: no number expected
        assert missing.startswith("Without Invoice reg. no. (1): #1 (") and "#2" not in missing
        assert await thread.say("hello there") == neutralise(strings.t("expense.unknown", "en"))

        # approvals: Alice (share) may not; Boss (approve) may, by text and by button
        assert await thread.say("approve #1") == neutralise(
            strings.t("expense.need_approve", "en", level="share"))
        refused_before = len(standin.calls_to("response_url"))
        assert await thread.post(press(USER, "alice", card_ts, buttons["Reject"], "r1",
                                       standin)) == 200
        await standin.wait_for(lambda: len(standin.calls_to("response_url")) > refused_before)
        assert standin.calls_to("response_url")[-1].params["text"] == strings.t(
            "expense.need_approve", "en", level="share")
        assert standin.calls_to("views.open") == []  # no reason form for a refused press

        before = len(thread.replies())
        assert await thread.post(press(BOSS, "boss", card_ts, buttons["Approve"], "r2",
                                       standin)) == 200
        await standin.wait_for(lambda: len(thread.replies()) > before, timeout=30)
        assert thread.replies()[-1] == "#1 approved by boss."

        card2, buttons2 = card_buttons(standin, 2)
        await thread.post(press(BOSS, "boss", card2, buttons2["Reject"], "r3", standin))
        await standin.wait_for(lambda: bool(standin.calls_to("views.open")))
        view = standin.calls_to("views.open")[-1].params["view"]
        view = json.loads(view) if isinstance(view, str) else view
        assert view["title"]["text"] == "Reject receipt #2"
        before = len(thread.replies())
        assert await thread.post({
            "type": "view_submission", "team": {"id": standin.team_id},
            "user": {"id": BOSS, "name": "boss", "team_id": standin.team_id},
            "api_app_id": "AMIRU", "view": {
                "id": "V1", "type": "modal", "callback_id": view["callback_id"],
                "private_metadata": view["private_metadata"],
                "state": {"values": {"reason": {"reason": {
                    "type": "plain_text_input", "value": "personal lunch"}}}}}}) == 200
        await standin.wait_for(lambda: len(thread.replies()) > before, timeout=30)
        assert thread.replies()[-1] == "#2 rejected by boss. Reason: personal lunch"
        assert "#2: rejected by boss (personal lunch)." in await thread.say("#2?")
        assert await thread.say("how many are pending?") == (
            "pending: 0 receipts (0 approved, 0 pending, 0 rejected).")

        # a correction of a rejected receipt puts it back to pending
        fixed = await thread.say("#2 total 20.00")
        assert strings.t("expense.back_to_pending", "en", n=2, status="rejected") in fixed

        # report and exports (Alice has share)
        uploads = len(standin.uploads)
        report = await thread.say("report")
        assert report.startswith("Expense report, all receipts: 2 receipts")
        assert "Approved 1 · pending 1 · rejected 0" in report
        await standin.wait_for(lambda: len(standin.uploads) == uploads + 2)
        freee = await thread.say("export freee")
        assert freee.startswith("freee import file (取引インポート) for all receipts: 1 receipts")
        assert "not in JPY (convert by hand): #2" in freee
        await standin.wait_for(lambda: len(standin.uploads) == uploads + 3)
        rows = list(csv.reader(io.StringIO(list(standin.uploads.values())[-1].decode("cp932"))))
        row = dict(zip(rows[0], rows[1], strict=True))
        assert (row["発生日"], row["金額"], row["勘定科目"]) == ("2026/11/20", "1234", "雑費")
        assert row["税区分"] == "課対仕入（控50）10%"  # its registration number fails its check
        await thread.say("export images")
        await standin.wait_for(lambda: len(standin.uploads) == uploads + 4)
        with zipfile.ZipFile(io.BytesIO(list(standin.uploads.values())[-1])) as zf:
            names = zf.namelist()
            index = csv_rows(zf.read("receipts.csv"))
        assert names[0] == "receipts.csv", names
        assert any(n.startswith("2026-11-20_1234_") and n.endswith(".png") for n in names), names
        assert any(n.startswith("2026-11-20_20USD_CORNER") for n in names)
        assert [r["status"] for r in index] == ["approved", "pending"]

        approvals = audit_records(settings.audit_path, "receipt_approval")
        assert [(a["detail"]["n"], a["detail"]["status"]) for a in approvals] == [
            (1, "approved"), (2, "rejected"), (2, "pending")]
        assert BOSS not in json.dumps(approvals) and "boss" not in json.dumps(approvals)
        exports = audit_records(settings.audit_path, "receipt_export")
        assert [e["detail"]["kind"] for e in exports] == ["freee", "zip"]
        denied = audit_records(settings.audit_path, "permission_denied")
        assert [d["detail"].get("needs") for d in denied] == ["approve"]
        assert stack.engine.requests == []
    finally:
        await stack.close()


async def test_no_buttons_where_approvals_are_off(standin, safety_models, tmp_path,
                                                  rdb) -> None:
    settings = make_settings(standin, tmp_path, policy_file=policy(
        tmp_path, standin.team_id, approvals=False))
    stack = await start_stack(settings, standin, safety_models)
    try:
        await stack.sender.event(mention(standin, ROOT, text="receipts"), event_id="EvY0")
        await standin.wait_for(lambda: len(standin.thread_messages(GENERAL, ROOT)) == 1)
        thread = Thread(stack, standin)
        assert (await thread.say(file=RECEIPT_EN)).startswith("Receipt #1")
        assert not any(c.params.get("blocks") for c in standin.calls
                       if c.method in ("chat.postMessage", "chat.update"))
        assert await thread.say("approve #1", user=BOSS) == strings.t("expense.approvals_off",
                                                                      "en")
    finally:
        await stack.close()
