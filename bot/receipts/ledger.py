"""The expense ledger of one thread, in Redis: add, correct, remove, undo, decide, list.

Three keys per thread (``bot.keys``: entries, meta, undo; the receipt images beside them, in
``bot.receipts.images``), all with the thread's hash tag, so every
edit is one optimistic transaction (``WATCH`` the keys, read, ``MULTI``/``EXEC``, retry when
another gateway or worker wrote in between): two people correcting at once never lose an edit
and two receipts never get one number. Receipt numbers are stable: removing #2 leaves #3 as #3.
Each entry keeps who added it, the reading as first read (``original``) and every correction.
Amounts are stored as strings (``bot.receipts.codec``), never floats. The keys live for the
policy's ``retention.ledger_days`` from the last edit, and are indexed for the adder's
``forget`` and in the workspace's list of ledgers (``bot.receipts.ledgers``, for reports).

Approvals (``decide``) are not edits ``undo`` steps back: an approver's decision stands until
the receipt's figures change (a correction, or an undo that changes them), which puts the
receipt back to pending (``bot.receipts.entry``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from redis.exceptions import WatchError

from bot import keys
from bot.errors import CodecError, MiruError, StoreUnavailable
from bot.models import ThreadKey
from bot.receipts.entry import (
    MAX_REASON,
    PENDING,
    Approval,
    Correction,
    Entry,
    Status,
    dump_entry,
    dup_key,
    load_entry,
    restored,
    same_figures,
)
from bot.receipts.model import Receipt
from bot.stores.redis_base import RedisLike, redis_errors, text, transaction

log = logging.getLogger(__name__)

_TRIES = 25
MAX_CORRECTIONS = 50  # per entry; older ones are dropped from the entry (the audit keeps all)
MAX_NAME = 80  # characters of a person's shown name that are kept


class LedgerFull(MiruError):
    code = "ledger_full"
    message_key = "receipts.ledger_full"


@dataclass(frozen=True)
class UndoResult:
    op: Literal["add", "correct", "remove"]
    n: int
    entry: Entry | None  # what the entry is now (None: it is gone)


def _load_all(raw: dict) -> dict[int, Entry]:
    out = {}
    for key, value in raw.items():
        try:
            n = int(text(key))
            out[n] = load_entry(n, value)
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

    def _all_keys(self, t: ThreadKey) -> tuple[str, ...]:
        """Every key of the thread's ledger, its images included (renewed and forgotten
        together)."""
        return (*self._keys(t), keys.ledger_images(t))

    async def start(self, t: ThreadKey) -> bool:
        """Mark ``t`` as an expense thread (and list it in its workspace's ledgers, for
        reports); False when it already was one."""
        _, meta, _ = self._keys(t)
        now = self.clock()
        index = keys.ledger_index(t.platform, t.workspace)
        with redis_errors("ledger start"):
            pipe = transaction(self.r)
            pipe.hsetnx(meta, "mode", "receipts")
            pipe.expire(meta, self.ttl_s)
            created, _ = await pipe.execute()
            # Another hash tag than the thread's keys: its own round trip (Cluster-safe).
            pipe = transaction(self.r)
            pipe.zadd(index, {t.tag(): now})
            pipe.zremrangebyscore(index, "-inf", now - self.ttl_s)
            pipe.expire(index, self.ttl_s)
            await pipe.execute()
        return bool(created)

    async def is_expense_thread(self, t: ThreadKey) -> bool:
        with redis_errors("ledger check"):
            return bool(await self.r.hexists(keys.ledger_meta(t), "mode"))

    async def entries(self, t: ThreadKey) -> list[Entry]:
        """Every entry, by number; an unreadable one is skipped and logged, never misread."""
        with redis_errors("ledger read"):
            raw = await self.r.hgetall(keys.ledger_entries(t))
        return sorted(_load_all(raw).values(), key=lambda e: e.n)

    async def add(self, t: ThreadKey, user: str, receipt: Receipt, image_sha256: str = "",
                  *, user_name: str = "") -> Entry:
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
            entry = Entry(seq + 1, receipt, receipt, user, self.clock(), image_sha256, dup,
                          added_by_name=user_name[:MAX_NAME])
            return entry, {"op": "add", "n": entry.n, "before": None}

        return await self._edit(t, build, new_seq=True)

    async def correct(self, t: ThreadKey, user: str, n: int | None,
                      change: Callable[[Receipt], Receipt], field_name: str, value: str
                      ) -> tuple[Entry, Entry] | None:
        """Apply ``change`` to entry ``n`` (None: the newest); (before, after), or None when
        there is no such entry. A decided receipt whose figures change goes back to pending."""
        found: list[Entry] = []

        def build(current: dict[int, Entry], seq: int) -> tuple[Entry, dict] | None:
            target = current.get(n) if n is not None else (
                current[max(current)] if current else None)
            if target is None:
                return None
            found[:] = [target]
            fix = Correction(field_name, value, user, self.clock())
            changed = change(target.receipt)
            after = replace(target, receipt=changed,
                            corrections=(*target.corrections, fix)[-MAX_CORRECTIONS:],
                            approval=(target.approval if same_figures(changed, target.receipt)
                                      else PENDING))
            return after, {"op": "correct", "n": target.n, "before": dump_entry(target).decode()}

        after = await self._edit(t, build)
        return (found[0], after) if after is not None else None

    async def decide(self, t: ThreadKey, n: int, status: Status, by: str, *, by_name: str = "",
                     reason: str = "") -> tuple[Entry, Entry] | None:
        """Approve or reject entry ``n`` (``status``), or set it back to pending; (before,
        after), or None when there is no such entry. Approving what is already approved
        changes nothing (``after is before``). Not an edit ``undo`` steps back."""
        found: list[Entry] = []

        def build(current: dict[int, Entry], seq: int) -> tuple[Entry, None] | None:
            target = current.get(n)
            if target is None:
                return None
            found[:] = [target]
            if target.status == status and status != "rejected":
                return target, None
            approval = (PENDING if status == "pending" else
                        Approval(status, by, by_name[:MAX_NAME], self.clock(),
                                 reason.strip()[:MAX_REASON]))
            return replace(target, approval=approval), None

        after = await self._edit(t, build)
        if after is None:
            return None
        return (found[0], found[0]) if after == found[0] else (found[0], after)

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
                        return load_entry(n, raw)
                    except WatchError:
                        continue
        raise StoreUnavailable("ledger remove: too much contention")

    async def undo(self, t: ThreadKey) -> UndoResult | None:
        """Step back the newest edit (add, correct or remove); None when there is none. An
        approval is kept only where the receipt's figures come back unchanged."""
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
                        now = await pipe.hget(entries, str(n))
                        back = None if op["op"] == "add" else restored(
                            load_entry(n, op["before"]), now, n)
                        pipe.multi()
                        pipe.rpop(undo)
                        if back is None:
                            pipe.hdel(entries, str(n))
                            if seq == n:  # the next receipt takes the number back
                                pipe.hset(meta, "seq", n - 1)
                        else:
                            pipe.hset(entries, str(n), dump_entry(back))
                        await pipe.execute()
                    except WatchError:
                        continue
                return UndoResult(op["op"], n, back)
        raise StoreUnavailable("ledger undo: too much contention")

    async def _edit(self, t: ThreadKey, build: Callable[..., Any], *, new_seq: bool = False
                    ) -> Any:
        """Read every entry and the sequence, let ``build`` compute the new entry and its undo
        record (None: not an undoable edit), write both unless someone wrote in between (then
        again). An entry ``build`` returns unchanged is not written."""
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
                        if built is None or built[0] == current.get(built[0].n):
                            await pipe.unwatch()
                            return None if built is None else built[0]
                        entry, undo_op = built
                        pipe.multi()
                        pipe.hset(entries, str(entry.n), dump_entry(entry))
                        if new_seq:
                            pipe.hset(meta, "seq", entry.n)
                        self._push_undo(pipe, t, undo_op)
                        await pipe.execute()
                        return entry
                    except WatchError:
                        continue
        raise StoreUnavailable("ledger edit: too much contention")

    def _push_undo(self, pipe: Any, t: ThreadKey, op: dict | None) -> None:
        """Queue the undo record (if any) and renew every key of the ledger (inside the
        transaction)."""
        _, meta, undo = self._keys(t)
        if op is not None:
            pipe.rpush(undo, json.dumps(op, ensure_ascii=False))
            pipe.ltrim(undo, -self.undo_depth, -1)
        pipe.hsetnx(meta, "mode", "receipts")
        for key in self._all_keys(t):
            pipe.expire(key, self.ttl_s)

    async def _index(self, t: ThreadKey, user: str) -> None:
        """The ledger's keys in the adder's index, so their ``forget`` finds them (before the
        write: a crash in between leaves a stale name, never an unindexed key)."""
        index = keys.user_index(t.platform, user)
        with redis_errors("ledger index"):
            pipe = transaction(self.r)
            pipe.sadd(index, *self._all_keys(t))
            pipe.expire(index, self.ttl_s, nx=True)
            pipe.expire(index, self.ttl_s, gt=True)
            await pipe.execute()

