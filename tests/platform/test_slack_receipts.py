"""Expense threads on Slack end to end: signed events to the real Bolt app, a worker on real
Redis, the real screener, the real receipt reader (Tesseract) and the Web API stand-in, which
records the thread's replies and the summary's uploaded files."""

from __future__ import annotations

import pytest

from bot import strings
from bot.core.safetext import neutralise
from tests.platform.receipt_flow import (
    BLURRED,
    PROSE,
    RECEIPT_EN,
    RECEIPT_JA,
    audit_records,
    csv_rows,
)
from tests.platform.slack_events import GENERAL, USER, mention
from tests.platform.slack_stack import coffee_file
from tests.platform.slack_standin import SlackStandIn

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

ROOT = "1700000100.000100"


class Thread:
    """Posts into one Slack thread and waits for each answer."""

    def __init__(self, stack, standin: SlackStandIn, root: str = ROOT, channel: str = GENERAL
                 ) -> None:
        self.stack, self.standin, self.root, self.channel = stack, standin, root, channel
        self.seq = 0

    def replies(self) -> list[str]:
        return self.standin.thread_messages(self.channel, self.root)

    async def say(self, text: str = "", *, file: bytes | None = None, name: str = "r.png"
                  ) -> str:
        self.seq += 1
        ts = f"{self.root[:-3]}{self.seq:03d}"
        before = len(self.replies())
        event: dict = {"type": "message", "channel_type": "channel", "channel": self.channel,
                       "user": USER, "ts": ts, "thread_ts": self.root, "text": text}
        if file is not None:
            event["subtype"] = "file_share"
            event["files"] = [self.standin.add_file(f"F{self.seq:04d}", name, file,
                                                    "image/png")]
        await self.stack.sender.event(event, event_id=f"Ev{ts}")
        await self.standin.wait_for(lambda: len(self.replies()) > before, timeout=60)
        return self.replies()[-1]


async def test_expense_thread_reads_corrects_and_sums_up(stacks, standin) -> None:
    stack = await stacks()
    await stack.sender.event(mention(standin, ROOT, text="receipts"), event_id="EvR0")
    await standin.wait_for(lambda: len(standin.thread_messages(GENERAL, ROOT)) == 1)
    assert standin.thread_messages(GENERAL, ROOT)[0] == strings.t("receipts.started", "en")
    thread = Thread(stack, standin)

    first = await thread.say(file=RECEIPT_JA, name="lunch.png")
    assert first.startswith("Receipt #1") and "1,234 JPY" in first
    second = await thread.say(file=RECEIPT_EN, name="market.png")
    assert second.startswith("Receipt #2") and "23.45 USD" in second
    assert "CORNER MARKET" in second
    again = await thread.say(file=RECEIPT_JA, name="lunch-again.png")
    assert again.startswith("Receipt #3")
    assert strings.t("receipts.duplicate", "en", n=3, of=1) in again

    assert await thread.say("remove 3") == strings.t("receipts.removed", "en", n=3)
    fixed = await thread.say("#1 total 1300")
    assert fixed.startswith("#1: Total is now 1300.") and "1,300 JPY" in fixed
    moved = await thread.say("#1 category 交通費")
    assert "Category: Transport" in moved
    refused = await thread.say("total -5")
    assert refused.startswith(strings.t("receipts.negative_amount", "en"))
    assert strings.t("receipts.forms", "en") in refused
    assert await thread.say("undo") == strings.t("receipts.undone_correct", "en", n=1)

    uploads_before = len(standin.uploads)
    summary = await thread.say("summary")
    assert "JPY: 1,300 (1 receipts)" in summary and "USD: 23.45 (1 receipts)" in summary
    await standin.wait_for(lambda: len(standin.uploads) == uploads_before + 2)
    files = list(standin.uploads.values())[-2:]
    names = [c.params.get("filename") for c in standin.calls_to("files.getUploadURLExternal")]
    assert names[-2:] == ["receipts-summary.png", "receipts.csv"]
    assert files[0].startswith(b"\x89PNG")
    rows = csv_rows(files[1])
    assert [(r["n"], r["total"], r["currency"]) for r in rows] == [("1", "1300", "JPY"),
                                                                  ("2", "23.45", "USD")]
    assert rows[0]["corrected_fields"] == "total"  # the category change was undone

    edits = audit_records(stack.app.settings.audit_path, "receipt_edit")
    assert [e["detail"]["op"] for e in edits] == ["remove", "correct", "correct", "undo"]
    assert edits[1]["detail"]["field"] == "total" and edits[1]["detail"]["value"] == "1300"
    added = audit_records(stack.app.settings.audit_path, "receipt")
    assert [a["detail"]["outcome"] for a in added] == ["added"] * 3
    assert len(audit_records(stack.app.settings.audit_path, "verdict")) >= 3
    assert stack.engine.requests == []  # no vision model was asked


async def test_bad_input_adds_nothing(stacks, standin) -> None:
    stack = await stacks()
    await stack.sender.event(mention(standin, ROOT, text="receipts"), event_id="EvR1")
    await standin.wait_for(lambda: len(standin.thread_messages(GENERAL, ROOT)) == 1)
    thread = Thread(stack, standin)
    prose = await thread.say(file=PROSE, name="notes.png")
    assert prose == strings.t("receipts.not_receipt", "en", name="notes.png")
    blurred = await thread.say(file=BLURRED, name="shaky.png")
    assert blurred.startswith(strings.t("receipts.unreadable", "en", name="shaky.png", tips=""))
    assert await thread.say("summary") == strings.t("receipts.empty", "en")
    # neither a correction nor a question: examples of both, not "no correction"
    assert await thread.say("hello") == neutralise(strings.t("expense.unknown", "en"))
    outcomes = [a["detail"]["outcome"]
                for a in audit_records(stack.app.settings.audit_path, "receipt")]
    assert outcomes == ["not_receipt", "unreadable"]


async def test_blocked_image_in_an_expense_thread_is_not_read(stacks, standin) -> None:
    import hashlib

    from tests.platform.slack_stack import COFFEE

    stack = await stacks(policy={"blocked_sha256": (hashlib.sha256(COFFEE).hexdigest(),)})
    await stack.sender.event(mention(standin, ROOT, text="receipts", files=[coffee_file(standin)]),
                             event_id="EvR2")
    await standin.wait_for(lambda: "no_entry" in standin.reactions(GENERAL, ROOT))
    assert standin.thread_messages(GENERAL, ROOT) == [strings.t("verdict.blocked", "en")]
    assert audit_records(stack.app.settings.audit_path, "receipt") == []
