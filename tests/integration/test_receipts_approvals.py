"""Approvals, receipt images and the workspace's list of ledgers, in the real Redis: a decision
stands until the figures change, undo never brings one back, images are kept encrypted and
forgotten with the ledger, and each workspace lists only its own threads."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from decimal import Decimal

import pytest
from cryptography.fernet import Fernet, MultiFernet

from bot import keys
from bot.errors import CodecError
from bot.models import ThreadKey
from bot.receipts.corrections import SetField, apply
from bot.receipts.entry import load_entry
from bot.receipts.images import ReceiptImages
from bot.receipts.ledger import Ledger
from bot.receipts.model import Receipt
from tests.conftest import redis_client

LAWSON = Receipt(merchant="ローソン", date=date(2026, 11, 20), total=Decimal("561"),
                 currency="JPY")
HOTEL = Receipt(merchant="東横イン", date=date(2026, 11, 21), total=Decimal("9000"),
                currency="JPY")


@pytest.fixture
def thread() -> ThreadKey:
    return ThreadKey("slack", f"T{uuid.uuid4().hex[:8].upper()}", "C1",
                     f"appr-{uuid.uuid4().hex[:12]}")


@pytest.fixture
async def redis(thread):
    client = redis_client()
    yield client
    names = [k async for k in client.scan_iter(match=f"*{thread.workspace}*", count=1000)]
    names += [keys.user_index("slack", u) for u in ("alice", "bob")]
    await client.delete(*names)
    await client.aclose()


@pytest.fixture
def ledger(redis) -> Ledger:
    return Ledger(redis, ttl_s=3600)


def total(value: str) -> SetField:
    return SetField("total", Decimal(value))


async def correct(ledger: Ledger, thread: ThreadKey, n: int, value: str):
    cmd = total(value)
    return await ledger.correct(thread, "alice", n, lambda r: apply(r, cmd), "total", value)


async def test_approve_reject_and_approving_twice_changes_nothing(ledger, thread) -> None:
    await ledger.add(thread, "alice", LAWSON, "sha-a", user_name="Alice")
    before, after = await ledger.decide(thread, 1, "approved", "UBOSS", by_name="Boss")
    assert before.status == "pending" and after.status == "approved"
    assert (after.approval.by, after.approval.by_name) == ("UBOSS", "Boss")
    again = await ledger.decide(thread, 1, "approved", "UOTHER", by_name="Other")
    assert again is not None and again[0] is again[1]  # the first approver stands
    (stored,) = await ledger.entries(thread)
    assert stored.approval.by_name == "Boss" and stored.added_by_name == "Alice"
    _, rejected = await ledger.decide(thread, 1, "rejected", "UBOSS", reason=" 私用 ")
    assert rejected.status == "rejected" and rejected.approval.reason == "私用"
    assert await ledger.decide(thread, 9, "approved", "UBOSS") is None


async def test_a_correction_puts_a_decided_receipt_back_to_pending(ledger, thread) -> None:
    await ledger.add(thread, "alice", LAWSON, "sha-a")
    await ledger.decide(thread, 1, "rejected", "UBOSS", reason="no receipt number")
    before, after = await correct(ledger, thread, 1, "600")
    assert before.status == "rejected" and after.status == "pending"
    await ledger.decide(thread, 1, "approved", "UBOSS")
    _, same = await correct(ledger, thread, 1, "600")  # the same figure: still approved
    assert same.status == "approved"
    _, changed = await correct(ledger, thread, 1, "650")
    assert changed.status == "pending"


async def test_undo_never_brings_back_a_decision(ledger, thread) -> None:
    await ledger.add(thread, "alice", LAWSON, "sha-a")
    await ledger.decide(thread, 1, "approved", "UBOSS")
    await correct(ledger, thread, 1, "600")  # pending again
    await ledger.decide(thread, 1, "approved", "UBOSS")  # 600 approved
    undone = await ledger.undo(thread)  # back to 561: not what was approved
    assert undone is not None and undone.op == "correct"
    (entry,) = await ledger.entries(thread)
    assert entry.receipt.total == Decimal("561") and entry.status == "pending"
    # decisions are not edits: the undo stack never steps back an approval
    await ledger.decide(thread, 1, "rejected", "UBOSS", reason="dup")
    undone = await ledger.undo(thread)
    assert undone is not None and undone.op == "add"
    assert await ledger.entries(thread) == []


async def test_undoing_a_remove_restores_the_decision_it_had(ledger, thread) -> None:
    await ledger.add(thread, "alice", LAWSON, "sha-a")
    await ledger.decide(thread, 1, "approved", "UBOSS")
    await ledger.remove(thread, 1)
    await ledger.undo(thread)
    (entry,) = await ledger.entries(thread)
    assert entry.status == "approved"


async def test_racing_decisions_and_corrections_lose_nothing(ledger, thread) -> None:
    for r in (LAWSON, HOTEL):
        await ledger.add(thread, "alice", r)
    await asyncio.gather(
        ledger.decide(thread, 1, "approved", "UBOSS"),
        correct(ledger, thread, 2, "9100"),
        ledger.decide(thread, 2, "rejected", "UBOSS", reason="x"),
        correct(ledger, thread, 1, "561"))
    one, two = await ledger.entries(thread)
    assert one.status == "approved"  # the same figure: the approval stands either way
    assert two.receipt.total == Decimal("9100")
    assert len(two.corrections) == 1


async def test_a_forged_status_is_refused_not_read(redis, ledger, thread) -> None:
    await ledger.add(thread, "alice", LAWSON)
    raw = await redis.hget(keys.ledger_entries(thread), "1")
    forged = raw.replace(b'"sha"', b'"approval": {"status": "paid"}, "sha"')
    with pytest.raises(CodecError):
        load_entry(1, forged)
    await redis.hset(keys.ledger_entries(thread), "1", forged)
    assert await ledger.entries(thread) == []  # skipped and logged, never misread


async def test_images_are_kept_encrypted_and_forgotten_with_the_ledger(redis, ledger,
                                                                       thread) -> None:
    key = Fernet.generate_key()
    images = ReceiptImages(redis, MultiFernet([Fernet(key)]), ttl_s=3600, max_bytes=50_000)
    photo = b"\xff\xd8" + bytes(range(256)) * 40
    assert await images.put(thread, "sha-a", photo)
    assert not await images.put(thread, "sha-big", b"x" * 60_000)  # over the limit
    stored = await redis.hget(keys.ledger_images(thread), "sha-a")
    assert stored is not None and photo[2:200] not in stored  # a Fernet token, no plaintext
    assert await images.get_many(thread, ["sha-a", "sha-gone"]) == {"sha-a": photo}
    other = ReceiptImages(redis, MultiFernet([Fernet(Fernet.generate_key())]))
    assert await other.get_many(thread, ["sha-a"]) == {}  # another key: left out, no crash
    # the adder's forget index lists the images beside the ledger; an edit renews them
    await ledger.add(thread, "alice", LAWSON, "sha-a")
    index = await redis.smembers(keys.user_index("slack", "alice"))
    assert keys.ledger_images(thread).encode() in index
    await redis.expire(keys.ledger_images(thread), 10)
    await ledger.decide(thread, 1, "approved", "UBOSS")
    assert await redis.ttl(keys.ledger_images(thread)) > 3000


async def test_each_workspace_lists_only_its_own_threads(redis, ledger, thread) -> None:
    other = ThreadKey("slack", thread.workspace + "X", "C9", thread.thread + "-other")
    await ledger.start(thread)
    await ledger.start(other)
    mine = await redis.zrange(keys.ledger_index("slack", thread.workspace), 0, -1)
    theirs = await redis.zrange(keys.ledger_index("slack", other.workspace), 0, -1)
    assert [t.decode() for t in mine] == [thread.tag()]
    assert [t.decode() for t in theirs] == [other.tag()]
    assert await redis.ttl(keys.ledger_index("slack", thread.workspace)) > 3000
