"""Thread memory and state in Redis (redis-py's asyncio client, ``decode_responses=False``).

Key names and TTLs come from ``bot.keys``; every key of a thread carries its hash tag, a user's
index and preferences the user's. Every key written on a user's behalf is added to
``keys.user_index`` so ``forget_user`` finds them all, and a write to a thread renews every
participant's index (``keys.thread_users``), so no index expires before the data it lists.
Every transaction touches the keys of one hash slot only (Redis Cluster refuses others with
CROSSSLOT). Any Redis or socket failure surfaces as ``StoreUnavailable``.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from redis.crc import key_slot

from bot import keys
from bot.errors import CodecError
from bot.models import Image, IncomingMessage, ThreadKey, Turn
from bot.stores.base import ThreadState
from bot.stores.codec import (
    dump_image_meta,
    dump_message,
    dump_turn,
    load_image,
    load_message,
    load_turn,
)
from bot.stores.job_stream import forget_jobs
from bot.stores.redis_base import (
    RedisLike,
    redis_errors,
    register_script,
    require_bytes_client,
    text,
    transaction,
)

log = logging.getLogger(__name__)

_IMG_SEQ = "img_seq"

_CLAIMED = "claimed:"  # a reply claim's value: claimed:<worker>, then sent
_SENT = b"sent"
# Take a reply claim over only if it still holds the mark that was judged dead (one key).
_TAKE_OVER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
  return 1
end
return 0
"""


_text = text


def _queue_index(pipe: Any, platform: str, user: str, names: Sequence[str], ttl_s: int) -> None:
    """Queue ``names`` into the user's key index; the index lives as long as its longest key."""
    index = keys.user_index(platform, user)
    pipe.sadd(index, *names)
    pipe.expire(index, ttl_s, nx=True)
    pipe.expire(index, ttl_s, gt=True)


async def _index(r: RedisLike, platform: str, user: str, names: Sequence[str], ttl_s: int) -> None:
    """Record ``names`` in the user's index, in a transaction of its own (the index has the
    user's hash slot, the data another). Called *before* the data is written, so a crash in
    between leaves a stale name (``DEL`` ignores it), never an unindexed key."""
    pipe = transaction(r)
    _queue_index(pipe, platform, user, names, ttl_s)
    await pipe.execute()


def _queue_participant(pipe: Any, thread: ThreadKey, user: str, ttl_s: int) -> None:
    """Queue: add ``user`` to the thread's participants (TTL at least ``ttl_s``), then read them."""
    users = keys.thread_users(thread)
    pipe.sadd(users, user)
    pipe.expire(users, ttl_s, nx=True)
    pipe.expire(users, ttl_s, gt=True)
    pipe.smembers(users)


async def _renew_indexes(r: RedisLike, platform: str, users: Any, writer: str, ttl_s: int) -> None:
    """A write renewed thread data for ``ttl_s``: every other participant's index must live at
    least as long, or their ``forget`` would find nothing once it expired (single-key commands,
    one round trip)."""
    others = {_text(u) for u in users} - {writer}
    if not others:
        return
    pipe = r.pipeline(transaction=False)
    for other in sorted(others):
        pipe.expire(keys.user_index(platform, other), ttl_s, gt=True)
    await pipe.execute()


class RedisThreadMemory:
    """``ThreadMemory`` in Redis: a list of turns, a sorted set of image ids, a hash per image."""

    def __init__(self, redis: RedisLike, *, turn_ttl_s: int = keys.TURN_TTL_S,
                 image_ttl_s: int = keys.IMAGE_TTL_S, max_turns: int = 20,
                 max_image_bytes: int = 20_000_000, job_base: str | None = keys.JOB_BASE,
                 job_group: str = keys.JOB_GROUP) -> None:
        require_bytes_client(redis)
        self.r = redis
        self.job_base = job_base
        self.job_group = job_group
        self.turn_ttl_s = turn_ttl_s
        self.image_ttl_s = image_ttl_s
        self.max_turns = max_turns
        self.max_image_bytes = max_image_bytes

    async def load(self, thread: ThreadKey) -> ThreadState:
        with redis_errors("load"):
            pipe = self.r.pipeline(transaction=False)
            pipe.lrange(keys.thread_turns(thread), 0, -1)
            pipe.zrange(keys.thread_images_index(thread), 0, -1)
            raw_turns, raw_ids = await pipe.execute()
            ids = [_text(i) for i in raw_ids]
            alive: list[int] = []
            if ids:
                pipe = self.r.pipeline(transaction=False)
                for sha in ids:
                    pipe.exists(keys.thread_image(thread, sha))
                alive = await pipe.execute()
        turns = []
        for raw in raw_turns:
            try:
                turns.append(load_turn(raw))
            except CodecError as exc:
                log.warning("skipping an unreadable turn in thread memory: %s", exc.detail)
        return ThreadState(tuple(turns), tuple(s for s, a in zip(ids, alive, strict=True) if a))

    async def append(self, thread: ThreadKey, user: str, turns: Sequence[Turn]) -> None:
        if not turns:
            return
        name, ttl = keys.thread_turns(thread), self.turn_ttl_s
        with redis_errors("append"):
            await _index(self.r, thread.platform, user, [name, keys.thread_users(thread)], ttl)
            pipe = transaction(self.r)
            pipe.rpush(name, *(dump_turn(t) for t in turns))
            pipe.ltrim(name, -self.max_turns, -1)
            pipe.expire(name, ttl)
            _queue_participant(pipe, thread, user, ttl)
            users = (await pipe.execute())[-1]
            await _renew_indexes(self.r, thread.platform, users, user, ttl)

    async def put_images(self, thread: ThreadKey, user: str, images: Sequence[Image]) -> None:
        if not images:
            return
        meta, index = keys.thread_meta(thread), keys.thread_images_index(thread)
        ttl = self.image_ttl_s
        names = [meta, index, keys.thread_users(thread)]
        names += [keys.thread_image(thread, img.sha256) for img in images]
        with redis_errors("put_images"):
            await _index(self.r, thread.platform, user, names, ttl)
            pipe = transaction(self.r)
            pipe.hincrby(meta, _IMG_SEQ, len(images))
            pipe.expire(meta, ttl)
            seq = int((await pipe.execute())[0])
            pipe = transaction(self.r)
            for n, img in enumerate(images):
                name = keys.thread_image(thread, img.sha256)
                pipe.hset(name, mapping={"meta": dump_image_meta(img), "data": img.data})
                pipe.expire(name, ttl)
                pipe.zadd(index, {img.sha256: seq - len(images) + 1 + n})
            pipe.expire(index, ttl)
            _queue_participant(pipe, thread, user, ttl)
            users = (await pipe.execute())[-1]
            await _renew_indexes(self.r, thread.platform, users, user, ttl)
            await self._enforce_cap(thread)

    async def _enforce_cap(self, thread: ThreadKey) -> None:
        """Keep the newest images whose sizes sum to at most ``max_image_bytes``."""
        index = keys.thread_images_index(thread)
        ids = [_text(i) for i in await self.r.zrange(index, 0, -1, desc=True)]
        pipe = self.r.pipeline(transaction=False)
        for sha in ids:
            pipe.hstrlen(keys.thread_image(thread, sha), "data")
        sizes = await pipe.execute()
        total, drop, full = 0, [], False
        for sha, size in zip(ids, sizes, strict=True):  # newest first
            full = full or (0 < size <= self.max_image_bytes < total + size)
            if full or size == 0 or size > self.max_image_bytes:
                drop.append(sha)
            else:
                total += size
        if drop:
            pipe = transaction(self.r)
            pipe.zrem(index, *drop)
            pipe.delete(*(keys.thread_image(thread, sha) for sha in drop))
            await pipe.execute()

    async def get_images(self, thread: ThreadKey, ids: Sequence[str]) -> list[Image]:
        if not ids:
            return []
        with redis_errors("get_images"):
            pipe = self.r.pipeline(transaction=False)
            for sha in ids:
                pipe.hmget(keys.thread_image(thread, sha), ["meta", "data"])
            rows = await pipe.execute()
        out = []
        for meta, data in rows:
            if meta is None or data is None:
                continue
            try:
                out.append(load_image(meta, data))
            except CodecError as exc:
                log.warning("skipping an unreadable cached image: %s", exc.detail)
        return out

    async def drop_images(self, thread: ThreadKey, ids: Sequence[str]) -> int:
        if not ids:
            return 0
        with redis_errors("drop_images"):
            pipe = transaction(self.r)  # one thread: one hash slot
            pipe.zrem(keys.thread_images_index(thread), *ids)
            pipe.delete(*(keys.thread_image(thread, sha) for sha in ids))
            _, removed = await pipe.execute()
        return int(removed)

    async def language(self, thread: ThreadKey) -> str | None:
        with redis_errors("language"):
            raw = await self.r.get(keys.thread_lang(thread))
        return None if raw is None else _text(raw)

    async def set_language(self, thread: ThreadKey, user: str, lang: str) -> None:
        name, ttl = keys.thread_lang(thread), self.turn_ttl_s
        with redis_errors("set_language"):
            await _index(self.r, thread.platform, user, [name], ttl)
            await self.r.set(name, lang.encode(), ex=ttl)

    async def forget_thread(self, thread: ThreadKey) -> int:
        index = keys.thread_images_index(thread)
        with redis_errors("forget_thread"):
            ids = [_text(i) for i in await self.r.zrange(index, 0, -1)]
            names = [keys.thread_turns(thread), keys.thread_meta(thread), index,
                     keys.thread_users(thread), keys.thread_lang(thread),
                     keys.active_thread(thread.platform, thread.workspace, thread.channel,
                                        thread.thread)]
            names += [keys.thread_image(thread, sha) for sha in ids]
            return int(await self.r.delete(*names))

    async def forget_user(self, platform: str, user: str) -> int:
        """Delete every key in the user's index (one ``DEL`` per hash slot, one round trip) and,
        when ``job_base`` is set, their jobs still waiting in their platform's job stream (and
        in the one stream of every platform before issue 19)."""
        index = keys.user_index(platform, user)
        with redis_errors("forget_user"):
            names = [_text(n) for n in await self.r.smembers(index)]
            names += [keys.user_pref(platform, user), index]
            by_slot: dict[int, list[str]] = defaultdict(list)
            for name in names:
                by_slot[key_slot(name.encode())].append(name)
            pipe = self.r.pipeline(transaction=False)
            for group in by_slot.values():
                pipe.delete(*group)
            removed = sum(int(n) for n in await pipe.execute())
        if self.job_base is not None:
            streams = [keys.job_stream(platform, self.job_base)]
            if self.job_base == keys.JOB_BASE:
                streams.append(keys.LEGACY_JOB_STREAM)
            for stream in streams:
                removed += await forget_jobs(self.r, platform, user, stream=stream,
                                             group=self.job_group)
        return removed


class RedisStateStore:
    """``StateStore`` in Redis: ``SET NX EX`` for once-only claims, hashes for preferences.

    Reply claims: with ``holder`` (the worker's consumer name, whose heartbeat is in
    ``keys.WORKERS_SEEN``) a claim stores ``claimed:<holder>`` until ``reply_posted`` turns it
    into ``sent``. A later run of the same request (its job was claimed by another worker
    because this one stopped beating) takes over a ``claimed`` mark whose holder has not been
    seen for ``holder_dead_after_s``: the holder died between its claim and its post (a
    SIGKILL mid-answer), and without the takeover the user would never be answered. A holder
    that is alive, or one never seen (a process that is not a worker), keeps its claim. Two
    runs racing for a takeover: a compare-and-set lets one win."""

    def __init__(self, redis: RedisLike, *, holder: str | None = None,
                 holder_dead_after_s: float = keys.REPLY_HOLDER_DEAD_AFTER_S) -> None:
        require_bytes_client(redis)
        self.r = redis
        self.holder = holder
        self.holder_dead_after_s = holder_dead_after_s
        self._take_over = register_script(redis, _TAKE_OVER)

    async def _set_once(self, name: str, ttl_s: int, what: str) -> bool:
        with redis_errors(what):
            return bool(await self.r.set(name, b"1", nx=True, ex=ttl_s))

    async def first_time(self, platform: str, event_id: str) -> bool:
        return await self._set_once(keys.event_seen(platform, event_id),
                                    keys.EVENT_DEDUP_TTL_S, "first_time")

    async def claim_reply(self, request_id: str) -> bool:
        name = keys.reply_sent(request_id)
        mark = f"{_CLAIMED}{self.holder}".encode() if self.holder else b"1"
        with redis_errors("claim_reply"):
            if await self.r.set(name, mark, nx=True, ex=keys.REPLY_CLAIM_TTL_S):
                return True
            if self.holder is None:
                return False
            raw = await self.r.get(name)
            current = "" if raw is None else _text(raw)
            if not current.startswith(_CLAIMED):
                return False  # sent, or claimed by a process that is not a worker
            gone = current[len(_CLAIMED):]
            if gone == self.holder:
                return False  # this worker's own claim, from a run that may still go on
            seen = await self.r.zscore(keys.WORKERS_SEEN, gone)
            if seen is None or time.time() - float(seen) < self.holder_dead_after_s:
                return False
            won = await self._take_over(keys=[name], args=[current, mark])
        if won:
            log.warning("reply claim taken over from %s, not seen for %.0f s (it died "
                        "before posting)", gone, time.time() - float(seen),
                        extra={"request_id": request_id})
        return bool(won)

    async def reply_posted(self, request_id: str) -> None:
        with redis_errors("reply_posted"):
            await self.r.set(keys.reply_sent(request_id), _SENT, xx=True, keepttl=True)

    async def set_pref(self, platform: str, user: str, name: str, value: str) -> None:
        key = keys.user_pref(platform, user)
        with redis_errors("set_pref"):
            pipe = transaction(self.r)
            pipe.hset(key, name, value)
            pipe.expire(key, keys.USER_PREF_TTL_S)
            _queue_index(pipe, platform, user, [key], keys.USER_PREF_TTL_S)  # one user slot
            await pipe.execute()

    async def get_pref(self, platform: str, user: str, name: str) -> str | None:
        with redis_errors("get_pref"):
            value = await self.r.hget(keys.user_pref(platform, user), name)
        return None if value is None else _text(value)

    async def save_pending(self, request_id: str, message: IncomingMessage, ttl_s: int) -> None:
        key = keys.pending_consent(request_id)
        with redis_errors("save_pending"):
            await _index(self.r, message.platform, message.user, [key], ttl_s)
            await self.r.set(key, dump_message(message), ex=ttl_s)

    async def pop_pending(self, request_id: str) -> IncomingMessage | None:
        with redis_errors("pop_pending"):
            raw = await self.r.getdel(keys.pending_consent(request_id))
        if raw is None:
            return None
        try:
            return load_message(raw)
        except CodecError as exc:
            log.warning("dropping an unreadable pending request: %s", exc.detail)
            return None

    async def mark_active(self, thread: ThreadKey) -> None:
        key = keys.active_thread(thread.platform, thread.workspace, thread.channel, thread.thread)
        with redis_errors("mark_active"):
            await self.r.set(key, b"1", ex=keys.ACTIVE_THREAD_TTL_S)

    async def is_active(self, thread: ThreadKey) -> bool:
        key = keys.active_thread(thread.platform, thread.workspace, thread.channel, thread.thread)
        with redis_errors("is_active"):
            return bool(await self.r.exists(key))

    async def ping(self) -> bool:
        try:
            return bool(await self.r.ping())
        except Exception:  # ping reports, never raises
            return False
