"""What the core needs from its stores: thread memory and small pieces of state.

Two implementations of each: ``redis_store`` (production, shared by every worker) and ``memory``
(one process: the command line and tests of other parts). Both keep the same TTL and cap rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.models import Image, IncomingMessage, ThreadKey, Turn


@dataclass(frozen=True)
class ThreadState:
    """A thread's memory: its turns (oldest first) and the ids of its still-cached images."""

    turns: tuple[Turn, ...] = ()
    image_ids: tuple[str, ...] = ()


@runtime_checkable
class ThreadMemory(Protocol):
    """Conversation memory per thread. Turns expire after ``turn_ttl_s``, images after
    ``image_ttl_s``; at most ``max_turns`` turns and ``max_image_bytes`` of images are kept per
    thread (the oldest go first). Redis failures raise ``StoreUnavailable``."""

    async def load(self, thread: ThreadKey) -> ThreadState:
        """The thread's turns and cached image ids (empty state for an unknown thread)."""
        ...

    async def append(self, thread: ThreadKey, user: str, turns: Sequence[Turn]) -> None:
        """Add turns at the end, drop the oldest beyond ``max_turns``, renew the TTL."""
        ...

    async def put_images(self, thread: ThreadKey, user: str, images: Sequence[Image]) -> None:
        """Cache processed images (keyed by ``sha256``) with their metadata; oldest dropped
        beyond ``max_image_bytes``."""
        ...

    async def get_images(self, thread: ThreadKey, ids: Sequence[str]) -> list[Image]:
        """The cached images with these ids, in the order asked; expired or unknown ids skipped."""
        ...

    async def drop_images(self, thread: ThreadKey, ids: Sequence[str]) -> int:
        """Remove these cached images from the thread now (the policy stopped them); returns
        how many were there."""
        ...

    async def language(self, thread: ThreadKey) -> str | None:
        """The language the thread is answered in (``set_language``), or None."""
        ...

    async def set_language(self, thread: ThreadKey, user: str, lang: str) -> None:
        """Record the thread's answer language for later turns (as long as turns live, in
        ``user``'s data for ``forget_user``)."""
        ...

    async def forget_thread(self, thread: ThreadKey) -> int:
        """Delete everything of the thread now; returns the number of keys/items removed."""
        ...

    async def forget_user(self, platform: str, user: str) -> int:
        """Delete every key the user wrote to (threads they spoke in, prefs, pending requests)
        and, where the store shares Redis with the job queue, their jobs still queued; returns
        the number of keys/items removed. Another user's later post in a shared thread does
        not let the index of this user's data expire first."""
        ...


@runtime_checkable
class StateStore(Protocol):
    """Small shared state: event de-duplication, reply claims, preferences, pending consent."""

    async def first_time(self, platform: str, event_id: str) -> bool:
        """True exactly once per event id (within the dedup TTL)."""
        ...

    async def claim_reply(self, request_id: str) -> bool:
        """True for the first caller only: the one that may post the reply (or, where the
        store knows its workers, the first run after the holder died before posting)."""
        ...

    async def reply_posted(self, request_id: str) -> None:
        """The claimed reply went out: no later run may take the claim over."""
        ...

    async def set_pref(self, platform: str, user: str, name: str, value: str) -> None: ...

    async def get_pref(self, platform: str, user: str, name: str) -> str | None: ...

    async def save_pending(self, request_id: str, message: IncomingMessage, ttl_s: int) -> None:
        """Park a message that waits for the uploader's consent."""
        ...

    async def pop_pending(self, request_id: str) -> IncomingMessage | None:
        """Take a parked message (once); None when unknown or expired."""
        ...

    async def mark_active(self, thread: ThreadKey) -> None:
        """Remember that Miru answered in this thread (follow-ups need no mention)."""
        ...

    async def is_active(self, thread: ThreadKey) -> bool: ...

    async def ping(self) -> bool:
        """True when the store answers; never raises."""
        ...
