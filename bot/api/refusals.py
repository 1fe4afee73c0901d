"""Refused API requests (401, 403, 429 for too many bad keys), counted instead of audited one by
one: one ``api_refused_summary`` record per window (a minute by default).

A fsynced, hash-chained line per refusal let anyone without a key write the audit log at the
rate they could send requests (500 a second were 20 GB a day, and the Redis mirror turned over in
half an hour). ``RefusalSummary.note`` only counts in memory, per (key, reason, status), where
``key`` is what the caller offered: ``"no key"``, ``"malformed"``, or the 12-hex id of a
well-formed key (never its secret). When the window closes, one record holds its groups (count,
routes, first and last time), so every refusal is still accounted for; ``close`` writes what is
left at shutdown. Accepted requests are audited as before, one record each.

``SourceThrottle`` counts failed keys per client address in the same windows: past the
threshold, a failed key is answered 429 with ``Retry-After`` (the window's end) instead of 401.
A valid key is never throttled, so clients behind one proxy address do not lock each other out.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.api.apikeys import split_key
from bot.errors import MiruError

if TYPE_CHECKING:
    from bot.evidence.audit import AuditLog

log = logging.getLogger(__name__)

MAX_GROUPS = 500  # distinct (key, reason, status) per window; more are counted as "other"
MAX_ROUTES = 20  # distinct "METHOD /path" per group; more are counted as "other"
MAX_SOURCES = 50_000  # client addresses tracked per window by the throttle


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


@dataclass
class _Group:
    count: int = 0
    first: float = 0.0
    last: float = 0.0
    routes: Counter[str] = field(default_factory=Counter)

    def add(self, now: float, route: str) -> None:
        self.count += 1
        self.first = self.first or now
        self.last = now
        if route in self.routes or len(self.routes) < MAX_ROUTES:
            self.routes[route] += 1
        else:
            self.routes["other"] += 1


@dataclass
class _Window:
    start: float
    groups: dict[tuple[str, str, int], _Group] = field(default_factory=dict)
    other: int = 0  # refusals past MAX_GROUPS

    @property
    def total(self) -> int:
        return sum(g.count for g in self.groups.values()) + self.other

    def detail(self, end: float) -> dict[str, Any]:
        ranked = sorted(self.groups.items(), key=lambda kv: -kv[1].count)
        return {
            "window_start": _iso(self.start), "window_end": _iso(end), "total": self.total,
            "groups": [{"key": k, "reason": r, "status": s, "count": g.count,
                        "routes": dict(g.routes), "first": _iso(g.first),
                        "last": _iso(g.last)} for (k, r, s), g in ranked],
            "other": self.other,
        }


class RefusalSummary:
    """Counts refusals per window and writes one audit record per window that had any."""

    def __init__(self, audit: AuditLog, *, window_s: float = 60.0,
                 clock: Callable[[], float] = time.time) -> None:
        self._audit = audit
        self.window_s = window_s
        self._clock = clock
        self._current: _Window | None = None
        self._closed: list[tuple[_Window, float]] = []  # (window, its end), oldest first
        self._lock = asyncio.Lock()

    def _start_of(self, now: float) -> float:
        return now - now % self.window_s

    def note(self, *, key: str, reason: str, status: int, route: str) -> None:
        """Count one refusal (no I/O: refusals cost nothing on disk as they come)."""
        now = self._clock()
        start = self._start_of(now)
        if self._current is not None and self._current.start != start:
            self._closed.append((self._current, self._current.start + self.window_s))
            self._current = None
        window = self._current = self._current or _Window(start)
        group = window.groups.get((key, reason, status))
        if group is None and len(window.groups) >= MAX_GROUPS:
            window.other += 1
            return
        if group is None:
            group = window.groups[(key, reason, status)] = _Group()
        group.add(now, route)

    async def flush(self, *, final: bool = False) -> int:
        """Write a record for every closed window (and, with ``final``, the open one too);
        returns how many were written. A window whose record could not be written stays to be
        tried again (``close`` logs it rather than lose it)."""
        async with self._lock:
            now = self._clock()
            if self._current is not None and (final or
                                              self._start_of(now) != self._current.start):
                end = now if final else self._current.start + self.window_s
                self._closed.append((self._current, end))
                self._current = None
            written = 0
            while self._closed:
                window, end = self._closed[0]
                try:
                    await self._audit.write(self._audit.record(
                        "api_refused_summary", f"api-refused:{int(window.start)}:"
                        f"{uuid.uuid4().hex[:8]}", platform="api", channel="api",
                        action="refused", detail=window.detail(end)))
                except MiruError as exc:
                    log.error("api: refusal summary not audited yet (%d refusals kept): %s",
                              window.total, exc.code)
                    break
                self._closed.pop(0)
                written += 1
            return written

    async def run(self) -> None:
        """Flush each window shortly after it closes, until cancelled."""
        while True:
            now = self._clock()
            await asyncio.sleep(self._start_of(now) + self.window_s - now + 0.05)
            await self.flush()

    async def close(self) -> None:
        """Write everything counted (at shutdown); what still cannot be written is logged."""
        await self.flush(final=True)
        for window, end in self._closed:
            log.error("api: refusal summary lost from the audit log, logged here: %s",
                      json.dumps(window.detail(end), ensure_ascii=False))
        self._closed.clear()


def offered_key(authorization: str) -> str:
    """What a refused request offered as its key, safe to audit: ``"no key"``, ``"malformed"``
    or the id part of a well-formed key (``miru_<id>_...``; never the secret)."""
    if not authorization:
        return "no key"
    kind, _, token = authorization.partition(" ")
    parts = split_key(token.strip()) if kind.lower() == "bearer" else None
    return parts[0] if parts else "malformed"


class SourceThrottle:
    """Failed keys per client address per window; ``over`` past ``limit``."""

    def __init__(self, limit: int, *, window_s: float = 60.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._start = 0.0
        self._failures: Counter[str] = Counter()

    def _roll(self) -> float:
        now = self._clock()
        start = now - now % self.window_s
        if start != self._start:
            self._start, self._failures = start, Counter()
        return now

    def failed(self, source: str) -> bool:
        """Count one failed key from ``source``; True when it is past the limit (answer 429)."""
        self._roll()
        if source not in self._failures and len(self._failures) >= MAX_SOURCES:
            source = "other"  # bounded memory: the rest share one count
        self._failures[source] += 1
        return self._failures[source] > self.limit

    def retry_after(self) -> int:
        """Whole seconds until the window ends (at least 1)."""
        now = self._roll()
        return max(1, int(self._start + self.window_s - now + 0.999))


@contextlib.asynccontextmanager
async def summarised(summary: RefusalSummary) -> Any:
    """Run ``summary``'s flusher for the life of a server; write the rest at its end."""
    task = asyncio.create_task(summary.run(), name="api-refusal-summary")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await summary.close()
