"""The expense ledger of one thread, in Redis: add, correct, remove, undo, list.

Three keys per thread (``bot.keys``: entries, meta, undo), all with the thread's hash tag, so every
edit is one optimistic transaction (``WATCH`` the keys, read, ``MULTI``/``EXEC``, retry when
another gateway or worker wrote in between): two people correcting at once never lose an edit
and two receipts never get one number. Receipt numbers are stable: removing #2 leaves #3 as #3.
Each entry keeps who added it, the reading as first read (``original``) and every correction.
Amounts are stored as strings (``bot.receipts.codec``), never floats. The keys live for the
policy's ``retention.ledger_days`` from the last edit, and are indexed for the adder's
``forget``.
"""

from __future__ import annotations

import json
import logging
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from redis.exceptions import WatchError

from bot import keys
from bot.errors import CodecError, MiruError, StoreUnavailable
from bot.models import ThreadKey
from bot.receipts.codec import amount_str, dump_receipt, load_receipt
from bot.receipts.model import Receipt
from bot.stores.redis_base import RedisLike, redis_errors, text, transaction

log = logging.getLogger(__name__)

_TRIES = 25
MAX_CORRECTIONS = 50  # per entry; older ones are dropped from the entry (the audit keeps all)


class LedgerFull(MiruError):
    code = "ledger_full"
    message_key = "receipts.ledger_full"


@dataclass(frozen=True)
class Correction:
    field: str
    value: str
    by: str
    at: float


@dataclass(frozen=True)
class Entry:
    """One receipt in the ledger; ``receipt`` is as corrected, ``original`` as first read."""

    n: int
    receipt: Receipt
    original: Receipt
    added_by: str
    added_at: float
    image_sha256: str = ""
    duplicate_of: int | None = None
    corrections: tuple[Correction, ...] = field(default=())


@dataclass(frozen=True)
class UndoResult:
    op: Literal["add", "correct", "remove"]
    n: int
    entry: Entry | None  # what the entry is now (None: it is gone)


def dup_key(r: Receipt) -> str | None:
    """Merchant (normalised), date, total and currency; None when any of the first three is
    missing (two receipts without a total are not duplicates of each other)."""
    if not r.merchant or r.date is None or r.total is None:
        return None
    merchant = "".join(c for c in unicodedata.normalize("NFKC", r.merchant).casefold()
                       if c.isalnum())
    return f"{merchant}|{r.date.isoformat()}|{amount_str(r.total)}|{r.currency or ''}"


def _dump_entry(e: Entry) -> bytes:
    return json.dumps({
        "receipt": dump_receipt(e.receipt), "original": dump_receipt(e.original),
        "by": e.added_by, "at": e.added_at, "sha": e.image_sha256, "dup": e.duplicate_of,
        "corrections": [c.__dict__ for c in e.corrections],
    }, ensure_ascii=False).encode()


def _load_entry(n: int, raw: Any) -> Entry:
    try:
        d = json.loads(raw)
        return Entry(n=n, receipt=load_receipt(d["receipt"]), original=load_receipt(d["original"]),
                     added_by=str(d["by"]), added_at=float(d["at"]), image_sha256=str(d["sha"]),
                     duplicate_of=None if d.get("dup") is None else int(d["dup"]),
                     corrections=tuple(Correction(str(c["field"]), str(c["value"]), str(c["by"]),
                                                  float(c["at"])) for c in d["corrections"]))
    except CodecError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise CodecError(f"ledger entry {n}: {type(exc).__name__}") from None


def _load_all(raw: dict) -> dict[int, Entry]:
    out = {}
    for key, value in raw.items():
        try:
            n = int(text(key))
            out[n] = _load_entry(n, value)
        except (CodecError, ValueError) as exc:
            log.warning("ledger entry %r skipped: %s", text(key)[:20], exc)
    return out


class Ledger:
    """The ledgers of all threads; ``ttl_s`` from the policy (``retention.ledger_days``)."""

    def __init__(self, redis: RedisLike, *, ttl_s: int = keys.LEDGER_TTL_S,
                 max_entries: int = keys.LEDGER_MAX_ENTRIES,
                 undo_depth: int = keys.LEDGER_UNDO_DEPTH,
                 clock: Callable[[], float] = time.time) -> None:
        self.r = redis
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.undo_depth = undo_depth
        self.clock = clock

    def _keys(self, t: ThreadKey) -> tuple[str, str, str]:
        return keys.ledger_entries(t), keys.ledger_meta(t), keys.ledger_undo(t)

    async def start(self, t: ThreadKey) -> bool:
        """Mark ``t`` as an expense thread; False when it already was."""
        _, meta, _ = self._keys(t)
        with redis_errors("ledger start"):
            pipe = transaction(self.r)
            pipe.hsetnx(meta, "mode", "receipts")
            pipe.expire(meta, self.ttl_s)
            created, _ = await pipe.execute()
        return bool(created)

    async def is_expense_thread(self, t: ThreadKey) -> bool:
        with redis_errors("ledger check"):
            return bool(await self.r.hexists(keys.ledger_meta(t), "mode"))

    async def entries(self, t: ThreadKey) -> list[Entry]:
        """Every entry, by number; an unreadable one is skipped and logged, never misread."""
        with redis_errors("ledger read"):
            raw = await self.r.hgetall(keys.ledger_entries(t))
        return sorted(_load_all(raw).values(), key=lambda e: e.n)

    async def add(self, t: ThreadKey, user: str, receipt: Receipt, image_sha256: str = ""
                  ) -> Entry:
        """Add a reading as the next number; flags (does not refuse) a duplicate: the same
        image, or the same merchant, date and total. Raises ``LedgerFull``."""
        await self._index(t, user)

        def build(current: dict[int, Entry], seq: int) -> tuple[Entry, dict]:
            if len(current) >= self.max_entries:
                raise LedgerFull(f"{len(current)} entries", limit=self.max_entries)
            key = dup_key(receipt)
            dup = next((e.n for e in current.values()
                        if (image_sha256 and e.image_sha256 == image_sha256)
                        or (key is not None and dup_key(e.receipt) == key)), None)
            entry = Entry(seq + 1, receipt, receipt, user, self.clock(), image_sha256, dup)
            return entry, {"op": "add", "n": entry.n, "before": None}

        return await self._edit(t, build, new_seq=True)

    async def correct(self, t: ThreadKey, user: str, n: int | None,
                      change: Callable[[Receipt], Receipt], field_name: str, value: str
                      ) -> tuple[Entry, Entry] | None:
        """Apply ``change`` to entry ``n`` (None: the newest); (before, after), or None when
        there is no such entry."""
        found: list[Entry] = []

        def build(current: dict[int, Entry], seq: int) -> tuple[Entry, dict] | None:
            target = current.get(n) if n is not None else (
                current[max(current)] if current else None)
            if target is None:
                return None
            found[:] = [target]
            fix = Correction(field_name, value, user, self.clock())
            after = Entry(target.n, change(target.receipt), target.original, target.added_by,
                          target.added_at, target.image_sha256, target.duplicate_of,
                          (*target.corrections, fix)[-MAX_CORRECTIONS:])
            return after, {"op": "correct", "n": target.n, "before": _dump_entry(target).decode()}

        after = await self._edit(t, build)
        return (found[0], after) if after is not None else None

    async def remove(self, t: ThreadKey, n: int) -> Entry | None:
        """Remove entry ``n``; the removed entry, or None when there is none."""
        entries, _meta, undo = self._keys(t)
        for _ in range(_TRIES):
            with redis_errors("ledger remove"):
                async with transaction(self.r) as pipe:
                    try:
                        await pipe.watch(entries, undo)
                        raw = await pipe.hget(entries, str(n))
                        if raw is None:
                            await pipe.unwatch()
                            return None
                        pipe.multi()
                        pipe.hdel(entries, str(n))
                        self._push_undo(pipe, t, {"op": "remove", "n": n,
                                                  "before": text(raw)})
                        await pipe.execute()
                        return _load_entry(n, raw)
                    except WatchError:
                        continue
        raise StoreUnavailable("ledger remove: too much contention")

    async def undo(self, t: ThreadKey) -> UndoResult | None:
        """Step back the newest edit (add, correct or remove); None when there is none."""
        entries, meta, undo = self._keys(t)
        for _ in range(_TRIES):
            with redis_errors("ledger undo"):
                async with transaction(self.r) as pipe:
                    try:
                        await pipe.watch(entries, meta, undo)
                        last = await pipe.lindex(undo, -1)
                        if last is None:
                            await pipe.unwatch()
                            return None
                        op = json.loads(last)
                        n = int(op["n"])
                        seq = int(text(await pipe.hget(meta, "seq") or b"0"))
                        pipe.multi()
                        pipe.rpop(undo)
                        if op["op"] == "add":
                            pipe.hdel(entries, str(n))
                            if seq == n:  # the next receipt takes the number back
                                pipe.hset(meta, "seq", n - 1)
                        else:
                            pipe.hset(entries, str(n), op["before"].encode())
                        await pipe.execute()
                    except WatchError:
                        continue
                restored = None if op["op"] == "add" else _load_entry(n, op["before"])
                return UndoResult(op["op"], n, restored)
        raise StoreUnavailable("ledger undo: too much contention")

    async def _edit(self, t: ThreadKey, build: Callable[..., Any], *, new_seq: bool = False
                    ) -> Any:
        """Read every entry and the sequence, let ``build`` compute the new entry and its undo
        record, write both unless someone wrote in between (then again)."""
        entries, meta, _ = self._keys(t)
        for _ in range(_TRIES):
            with redis_errors("ledger edit"):
                async with transaction(self.r) as pipe:
                    try:
                        await pipe.watch(entries, meta)
                        raw = await pipe.hgetall(entries)
                        seq = int(text(await pipe.hget(meta, "seq") or b"0"))
                        current = _load_all(raw)
                        built = build(current, max(seq, max(current, default=0)))
                        if built is None:
                            await pipe.unwatch()
                            return None
                        entry, undo_op = built
                        pipe.multi()
                        pipe.hset(entries, str(entry.n), _dump_entry(entry))
                        if new_seq:
                            pipe.hset(meta, "seq", entry.n)
                        self._push_undo(pipe, t, undo_op)
                        await pipe.execute()
                        return entry
                    except WatchError:
                        continue
        raise StoreUnavailable("ledger edit: too much contention")

    def _push_undo(self, pipe: Any, t: ThreadKey, op: dict) -> None:
        """Queue the undo record and renew every key of the ledger (inside the transaction)."""
        entries, meta, undo = self._keys(t)
        pipe.rpush(undo, json.dumps(op, ensure_ascii=False))
        pipe.ltrim(undo, -self.undo_depth, -1)
        pipe.hsetnx(meta, "mode", "receipts")
        for key in (entries, meta, undo):
            pipe.expire(key, self.ttl_s)

    async def _index(self, t: ThreadKey, user: str) -> None:
        """The ledger's keys in the adder's index, so their ``forget`` finds them (before the
        write: a crash in between leaves a stale name, never an unindexed key)."""
        index = keys.user_index(t.platform, user)
        with redis_errors("ledger index"):
            pipe = transaction(self.r)
            pipe.sadd(index, *self._keys(t))
            pipe.expire(index, self.ttl_s, nx=True)
            pipe.expire(index, self.ttl_s, gt=True)
            await pipe.execute()
