"""The "working…" message: posted once, then edited in place at most once per interval.

Both adapters stream partial answers through ``ThrottledEdits``: the platform-specific part is
only how to post and how to edit (two callables); the throttle, its clock and the rule that a lost
preview never fails a request live here.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)

EDIT_INTERVAL_S = 1.0  # Slack and Discord both allow about one edit a second per message


class ThrottledEdits:
    """One working message per request.

    ``post(text)`` posts it and returns its id; ``edit(message_id, text)`` replaces its text.
    ``update`` never raises: the final reply still comes, so a lost preview is harmless.
    """

    def __init__(self, post: Callable[[str], Awaitable[str]],
                 edit: Callable[[str, str], Awaitable[object]], *,
                 clock: Callable[[], float] = time.monotonic,
                 interval_s: float = EDIT_INTERVAL_S, name: str = "progress") -> None:
        self._post = post
        self._edit = edit
        self._clock = clock
        self._interval_s = interval_s
        self._name = name
        self._last = 0.0
        self.message_id: str | None = None  # the working message, once posted

    async def update(self, text: str) -> bool:
        """Show ``text``: post it the first time, later edit when an interval has passed.
        Returns whether a call was made (False: throttled, empty, or the call failed)."""
        if not text:
            return False
        now = self._clock()
        try:
            if self.message_id is None:
                self.message_id = await self._post(text)
                self._last = now
                return True
            if now - self._last < self._interval_s:
                return False
            self._last = now
            await self._edit(self.message_id, text)
            return True
        except Exception as exc:  # best effort by contract (see the class docstring)
            log.warning(f"{self._name}.partial_failed", error=type(exc).__name__)
            return False
