"""In-process stores with the same TTL and cap rules as Redis (command line, single process).

Time comes from an injected ``clock`` (``time.monotonic`` by default) so expiry is testable
without sleeping. Data lives in the instance only; nothing is shared between processes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bot import keys
from bot.models import Image, IncomingMessage, ThreadKey, Turn
from bot.stores.base import ThreadState

V = TypeVar("V")
Clock = Callable[[], float]


@dataclass
class _Entry(Generic[V]):
    value: V
    expires: float


class _TtlDict(Generic[V]):
    """A dict whose entries vanish after their TTL (checked on access against ``clock``)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._data: dict[str, _Entry[V]] = {}

    def get(self, key: str) -> V | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        if entry.expires <= self._clock():
            del self._data[key]
            return None
        return entry.value

    def set(self, key: str, value: V, ttl_s: float) -> None:
        self._data[key] = _Entry(value, self._clock() + ttl_s)

    def set_nx(self, key: str, value: V, ttl_s: float) -> bool:
        if self.get(key) is not None:
            return False
        self.set(key, value, ttl_s)
        return True

    def live_keys(self) -> list[str]:
        return [k for k in list(self._data) if self.get(k) is not None]

    def pop(self, key: str) -> V | None:
        value = self.get(key)
        self._data.pop(key, None)
        return value


@dataclass
class _Thread:
    turns: list[Turn] = field(default_factory=list)
    turns_expire: float = 0.0
    images: dict[str, tuple[Image, float]] = field(default_factory=dict)  # sha -> (img, expires)
    users: set[tuple[str, str]] = field(default_factory=set)
    lang: str | None = None
    lang_expire: float = 0.0


class MemoryThreadMemory:
    """``ThreadMemory`` in a dict: same knobs and semantics as ``RedisThreadMemory``."""

    def __init__(self, *, turn_ttl_s: int = keys.TURN_TTL_S, image_ttl_s: int = keys.IMAGE_TTL_S,
                 max_turns: int = 20, max_image_bytes: int = 20_000_000,
                 clock: Clock = time.monotonic) -> None:
        self.turn_ttl_s = turn_ttl_s
        self.image_ttl_s = image_ttl_s
        self.max_turns = max_turns
        self.max_image_bytes = max_image_bytes
        self._clock = clock
        self._threads: dict[ThreadKey, _Thread] = {}

    def _live(self, thread: ThreadKey) -> _Thread | None:
        t = self._threads.get(thread)
        if t is None:
            return None
        now = self._clock()
        if t.turns_expire <= now:
            t.turns = []
        t.images = {s: (img, exp) for s, (img, exp) in t.images.items() if exp > now}
        if t.lang_expire <= now:
            t.lang = None
        if not t.turns and not t.images and t.lang is None:
            del self._threads[thread]
            return None
        return t

    def _get(self, thread: ThreadKey, user: str) -> _Thread:
        t = self._live(thread) or self._threads.setdefault(thread, _Thread())
        t.users.add((thread.platform, user))
        return t

    async def load(self, thread: ThreadKey) -> ThreadState:
        t = self._live(thread)
        if t is None:
            return ThreadState()
        return ThreadState(tuple(t.turns), tuple(t.images))

    async def append(self, thread: ThreadKey, user: str, turns: Sequence[Turn]) -> None:
        if not turns:
            return
        t = self._get(thread, user)
        t.turns = [*t.turns, *turns][-self.max_turns:]
        t.turns_expire = self._clock() + self.turn_ttl_s

    async def put_images(self, thread: ThreadKey, user: str, images: Sequence[Image]) -> None:
        if not images:
            return
        t = self._get(thread, user)
        expires = self._clock() + self.image_ttl_s
        for img in images:
            t.images.pop(img.sha256, None)  # re-posting makes it the newest
            t.images[img.sha256] = (img, expires)
        total, keep, full = 0, set(), False
        for sha in reversed(list(t.images)):  # newest first; one alone over the cap is skipped
            size = len(t.images[sha][0].data)
            full = full or (size <= self.max_image_bytes < total + size)
            if not full and size <= self.max_image_bytes:
                keep.add(sha)
                total += size
        t.images = {s: v for s, v in t.images.items() if s in keep}

    async def get_images(self, thread: ThreadKey, ids: Sequence[str]) -> list[Image]:
        t = self._live(thread)
        if t is None:
            return []
        return [t.images[s][0] for s in ids if s in t.images]

    async def drop_images(self, thread: ThreadKey, ids: Sequence[str]) -> int:
        t = self._live(thread)
        if t is None:
            return 0
        return sum(t.images.pop(sha, None) is not None for sha in ids)

    async def language(self, thread: ThreadKey) -> str | None:
        t = self._live(thread)
        return None if t is None else t.lang

    async def set_language(self, thread: ThreadKey, user: str, lang: str) -> None:
        t = self._get(thread, user)
        t.lang, t.lang_expire = lang, self._clock() + self.turn_ttl_s

    async def forget_thread(self, thread: ThreadKey) -> int:
        t = self._threads.pop(thread, None)
        if t is None:
            return 0
        return int(bool(t.turns)) + len(t.images) + int(t.lang is not None)

    async def forget_user(self, platform: str, user: str) -> int:
        mine = [k for k, t in self._threads.items() if (platform, user) in t.users]
        return sum([await self.forget_thread(k) for k in mine])


class MemoryStateStore:
    """``StateStore`` in dicts, with the Redis TTLs."""

    def __init__(self, *, clock: Clock = time.monotonic) -> None:
        self._once: _TtlDict[bool] = _TtlDict(clock)
        self._prefs: _TtlDict[dict[str, str]] = _TtlDict(clock)
        self._pending: _TtlDict[IncomingMessage] = _TtlDict(clock)
        self._active: _TtlDict[bool] = _TtlDict(clock)

    async def first_time(self, platform: str, event_id: str) -> bool:
        return self._once.set_nx(keys.event_seen(platform, event_id), True,
                                 keys.EVENT_DEDUP_TTL_S)

    async def claim_reply(self, request_id: str) -> bool:
        return self._once.set_nx(keys.reply_sent(request_id), True, keys.REPLY_CLAIM_TTL_S)

    async def reply_posted(self, request_id: str) -> None:
        """One process: its claims are never taken over, so nothing to mark."""

    async def set_pref(self, platform: str, user: str, name: str, value: str) -> None:
        key = keys.user_pref(platform, user)
        prefs = dict(self._prefs.get(key) or {})
        prefs[name] = value
        self._prefs.set(key, prefs, keys.USER_PREF_TTL_S)

    async def get_pref(self, platform: str, user: str, name: str) -> str | None:
        return (self._prefs.get(keys.user_pref(platform, user)) or {}).get(name)

    async def save_pending(self, request_id: str, message: IncomingMessage, ttl_s: int) -> None:
        self._pending.set(keys.pending_consent(request_id), message, ttl_s)

    async def pop_pending(self, request_id: str) -> IncomingMessage | None:
        return self._pending.pop(keys.pending_consent(request_id))

    async def mark_active(self, thread: ThreadKey) -> None:
        key = keys.active_thread(thread.platform, thread.workspace, thread.channel, thread.thread)
        self._active.set(key, True, keys.ACTIVE_THREAD_TTL_S)

    async def is_active(self, thread: ThreadKey) -> bool:
        key = keys.active_thread(thread.platform, thread.workspace, thread.channel, thread.thread)
        return bool(self._active.get(key))

    async def forget_user(self, platform: str, user: str) -> int:
        """Drop the user's preferences and pending requests (memory stores are separate)."""
        removed = int(self._prefs.pop(keys.user_pref(platform, user)) is not None)
        for key in self._pending.live_keys():
            msg = self._pending.get(key)
            if msg is not None and (msg.platform, msg.user) == (platform, user):
                removed += int(self._pending.pop(key) is not None)
        return removed

    async def ping(self) -> bool:
        return True
