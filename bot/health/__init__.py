"""Set-up health: the checks ``miru doctor`` prints and an admin's home view shows (Slack's
Home tab, Discord's ``/miru settings``), as typed ``bot.models.SetupCheck`` results. One list of
checks for both, so what the doctor says and what an admin sees cannot drift apart.

``run_checks`` runs them one after the other (blocking: file system, Redis, Tesseract, HTTP);
``SetupHealth`` runs them off the event loop with a time limit and keeps the result for a
minute, so an admin opening the home view twice does not start them twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

from bot.health.local import LOCAL_CHECKS
from bot.health.remote import REMOTE_CHECKS
from bot.models import SetupCheck
from config.settings import Settings

log = logging.getLogger(__name__)

CHECKS = (*LOCAL_CHECKS, *REMOTE_CHECKS)
TIMEOUT_S = 20.0  # the home view waits this long for the checks
CACHE_S = 60.0  # and shows the same result for this long


def run_checks(settings: Settings,
               checks: Sequence[Callable[[Settings], SetupCheck]] = CHECKS) -> list[SetupCheck]:
    """Every check's result, in order; a check that raises is a failure, never a crash."""
    results = []
    for check in checks:
        try:
            results.append(check(settings))
        except Exception as exc:  # a check itself must never crash the doctor
            results.append(SetupCheck(check.__name__.strip("_"), False, f"check failed: {exc}",
                                      "see the message above"))
    return results


class SetupHealth:
    """The checks for a running process: in a worker thread, at most ``timeout_s`` (a check
    still running then is reported as not finished; its thread ends on its own, each check
    having its own short network timeouts), the result kept ``cache_s``."""

    def __init__(self, settings: Settings, *, timeout_s: float = TIMEOUT_S,
                 cache_s: float = CACHE_S,
                 checks: Sequence[Callable[[Settings], SetupCheck]] = CHECKS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.timeout_s = timeout_s
        self.cache_s = cache_s
        self.checks = tuple(checks)
        self.clock = clock
        self._last: tuple[float, tuple[SetupCheck, ...]] | None = None
        self._running: asyncio.Task[list[SetupCheck]] | None = None

    async def __call__(self) -> tuple[SetupCheck, ...]:
        now = self.clock()
        if self._last is not None and now - self._last[0] < self.cache_s:
            return self._last[1]
        if self._running is None or self._running.done():
            self._running = asyncio.create_task(
                asyncio.to_thread(run_checks, self.settings, self.checks))
        try:
            results = tuple(await asyncio.wait_for(asyncio.shield(self._running),
                                                   self.timeout_s))
        except TimeoutError:
            log.warning("set-up checks did not finish in %.0f s", self.timeout_s)
            return (SetupCheck("checks", False, f"did not finish in {self.timeout_s:g} s",
                               "run `miru doctor` on the server to see which check hangs"),)
        self._last = (self.clock(), results)
        return results


__all__ = ["CHECKS", "SetupHealth", "run_checks"]
