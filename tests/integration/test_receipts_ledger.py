"""The expense ledger in the real Redis: add, correct, remove, undo, duplicates, TTLs, races."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from datetime import date
from decimal import Decimal

import pytest

from bot import keys
from bot.errors import CodecError
from bot.models import ThreadKey
from bot.receipts.codec import load_receipt
from bot.receipts.ledger import Ledger, LedgerFull, dup_key
from bot.receipts.model import LineItem, Receipt
from tests.conftest import redis_client

# Runs again in the cluster pass (make test): multi-key commands, scripts and transactions.
pytestmark = pytest.mark.redis

LAWSON = Receipt(merchant="ローソン 渋谷店", date=date(2026, 11, 20), total=Decimal("561"),
                 tax=Decimal("41"), tax_rate=Decimal("8"), currency="JPY",
                 payment_method="cash", category="supplies",
                 items=(LineItem("おにぎり", Decimal("150")),), confidence={"total": 0.95})
CAFE = Receipt(merchant="Blue Bottle", date=date(2026, 11, 21), total=Decimal("6.41"),
               currency="USD", category="entertainment")


@pytest.fixture
def thread() -> ThreadKey:
    return ThreadKey("slack", "T1", "C1", f"ledger-{uuid.uuid4().hex[:12]}")


@pytest.fixture
async def redis(thread):
    client = redis_client()
    yield client
    names = [k async for k in client.scan_iter(match=f"*{thread.thread}*", count=1000)]
    names += [keys.user_index("slack", u) for u in ("alice", "bob")]
    await client.delete(*names)
    await client.aclose()


@pytest.fixture
def ledger(redis) -> Ledger:
    return Ledger(redis, ttl_s=3600, max_entries=5, undo_depth=3)


async def test_add_numbers_entries_and_keeps_who_and_the_original(ledger, thread) -> None:
    a = await ledger.add(thread, "alice", LAWSON, "sha-a")
    b = await ledger.add(thread, "bob", CAFE, "sha-b")
    assert (a.n, b.n) == (1, 2)
    got = await ledger.entries(thread)
    assert [e.n for e in got] == [1, 2]
    assert got[0].receipt == LAWSON and got[0].original == LAWSON
    assert got[0].added_by == "alice" and got[1].added_by == "bob"
    assert got[1].receipt.total == Decimal("6.41") and got[1].duplicate_of is None


async def test_amounts_are_stored_as_strings_with_a_ttl(ledger, thread, redis) -> None:
    await ledger.add(thread, "alice", CAFE, "sha-b")
    raw = json.loads(await redis.hget(keys.ledger_entries(thread), "1"))
    assert raw["receipt"]["total"] == "6.41" and isinstance(raw["receipt"]["total"], str)
    for key in (keys.ledger_entries(thread), keys.ledger_meta(thread), keys.ledger_undo(thread)):
        assert 3500 < await redis.ttl(key) <= 3600
    assert keys.ledger_entries(thread).encode() in await redis.smembers(
        keys.user_index("slack", "alice"))


async def test_correction_keeps_the_original_and_who_corrected(ledger, thread) -> None:
    await ledger.add(thread, "alice", LAWSON, "sha-a")
    result = await ledger.correct(
        thread, "bob", None, lambda r: dataclasses.replace(r, total=Decimal("1280")),
        "total", "1280")
    assert result is not None
    before, after = result
    assert before.receipt.total == Decimal("561") and after.receipt.total == Decimal("1280")
    (stored,) = await ledger.entries(thread)
    assert stored.original.total == Decimal("561") and stored.receipt.total == Decimal("1280")
    assert [(c.field, c.value, c.by) for c in stored.corrections] == [("total", "1280", "bob")]
    assert await ledger.correct(thread, "bob", 9, lambda r: r, "total", "1") is None


async def test_remove_keeps_the_other_numbers_and_undo_restores(ledger, thread) -> None:
    for r in (LAWSON, CAFE, dataclasses.replace(CAFE, total=Decimal("2"))):
        await ledger.add(thread, "alice", r)
    removed = await ledger.remove(thread, 2)
    assert removed is not None and removed.receipt == CAFE
    assert await ledger.remove(thread, 2) is None
    assert [e.n for e in await ledger.entries(thread)] == [1, 3]
    undone = await ledger.undo(thread)
    assert undone is not None and (undone.op, undone.n) == ("remove", 2)
    assert [e.n for e in await ledger.entries(thread)] == [1, 2, 3]


async def test_undo_steps_back_corrections_then_adds(ledger, thread) -> None:
    await ledger.add(thread, "alice", LAWSON)
    await ledger.correct(thread, "alice", 1,
                         lambda r: dataclasses.replace(r, category="transport"), "category",
                         "transport")
    first = await ledger.undo(thread)
    assert first is not None and first.op == "correct"
    assert first.entry is not None and first.entry.receipt.category == "supplies"
    second = await ledger.undo(thread)
    assert second is not None and second.op == "add" and second.entry is None
    assert await ledger.entries(thread) == []
    assert await ledger.undo(thread) is None
    again = await ledger.add(thread, "alice", CAFE)
    assert again.n == 1  # the undone add gave its number back


async def test_undo_depth_is_bounded(ledger, thread) -> None:
    for i in range(5):
        await ledger.add(thread, "alice", dataclasses.replace(CAFE, total=Decimal(i + 1)))
    results = [await ledger.undo(thread) for _ in range(5)]
    assert [r.n if r else None for r in results] == [5, 4, 3, None, None]
    assert [e.n for e in await ledger.entries(thread)] == [1, 2]


async def test_duplicates_are_flagged_by_image_or_by_merchant_date_total(ledger, thread) -> None:
    await ledger.add(thread, "alice", LAWSON, "sha-a")
    same_image = await ledger.add(thread, "bob", CAFE, "sha-a")
    same_fields = await ledger.add(thread, "bob", dataclasses.replace(
        LAWSON, merchant="ﾛｰｿﾝ渋谷店", confidence={}), "sha-other")  # half-width, no space
    other_day = await ledger.add(thread, "bob", dataclasses.replace(
        LAWSON, date=date(2026, 11, 21)), "sha-c")
    assert same_image.duplicate_of == 1
    assert same_fields.duplicate_of == 1
    assert other_day.duplicate_of is None
    no_total = dataclasses.replace(LAWSON, total=None)
    assert dup_key(no_total) is None


async def test_full_ledger_refuses_more(ledger, thread) -> None:
    for i in range(5):
        await ledger.add(thread, "alice", dataclasses.replace(CAFE, total=Decimal(i + 1)))
    with pytest.raises(LedgerFull):
        await ledger.add(thread, "alice", CAFE)
    assert len(await ledger.entries(thread)) == 5


async def test_concurrent_adds_get_distinct_numbers_and_corrections_are_not_lost(
        redis, thread) -> None:
    """Two gateways' workers on separate connections, racing."""
    other = redis_client()
    try:
        ledgers = [Ledger(redis, ttl_s=3600), Ledger(other, ttl_s=3600)]
        added = await asyncio.gather(*(
            ledgers[i % 2].add(thread, "alice", dataclasses.replace(CAFE, total=Decimal(i + 1)))
            for i in range(20)))
        assert sorted(e.n for e in added) == list(range(1, 21))
        await asyncio.gather(*(
            ledgers[i % 2].correct(thread, "bob", 1, lambda r, i=i: dataclasses.replace(
                r, merchant=f"{r.merchant}+{i}"), "merchant", str(i)) for i in range(10)))
        first = (await ledgers[0].entries(thread))[0]
        assert len(first.corrections) == 10
        assert first.receipt.merchant is not None and first.receipt.merchant.count("+") == 10
    finally:
        await other.aclose()


async def test_expense_thread_flag(ledger, thread) -> None:
    assert not await ledger.is_expense_thread(thread)
    assert await ledger.start(thread) is True
    assert await ledger.start(thread) is False
    assert await ledger.is_expense_thread(thread)


async def test_a_tampered_entry_is_skipped_not_misread(ledger, thread, redis) -> None:
    await ledger.add(thread, "alice", LAWSON)
    raw = json.loads(await redis.hget(keys.ledger_entries(thread), "1"))
    raw["receipt"]["total"] = 561.0  # a float where a string belongs
    await redis.hset(keys.ledger_entries(thread), "1", json.dumps(raw))
    await redis.hset(keys.ledger_entries(thread), "x", b"\xff not json")
    assert await ledger.entries(thread) == []
    with pytest.raises(CodecError):
        load_receipt(raw["receipt"])
    added = await ledger.add(thread, "alice", CAFE)  # the ledger still works around them
    assert added.n == 2 and [e.n for e in await ledger.entries(thread)] == [2]


async def test_corrections_kept_per_entry_are_bounded(ledger, thread) -> None:
    from bot.receipts.ledger import MAX_CORRECTIONS

    await ledger.add(thread, "alice", CAFE)
    for i in range(MAX_CORRECTIONS + 5):
        await ledger.correct(thread, "bob", 1, lambda r, i=i: dataclasses.replace(
            r, total=Decimal(i)), "total", str(i))
    (entry,) = await ledger.entries(thread)
    assert len(entry.corrections) == MAX_CORRECTIONS
    assert entry.corrections[-1].value == str(MAX_CORRECTIONS + 4)
    assert entry.original.total == Decimal("6.41")


async def test_forget_of_the_adder_deletes_the_ledger(ledger, thread, redis) -> None:
    from bot.stores.redis_store import RedisThreadMemory

    await ledger.add(thread, "alice", LAWSON)
    await ledger.undo(thread)
    await ledger.add(thread, "alice", CAFE)
    await RedisThreadMemory(redis, job_base=None).forget_user("slack", "alice")
    for key in (keys.ledger_entries(thread), keys.ledger_meta(thread), keys.ledger_undo(thread)):
        assert not await redis.exists(key)
