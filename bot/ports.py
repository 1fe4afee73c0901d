"""What the core needs from the outside world, as protocols.

A platform adapter implements ``Conversation`` for one incoming message and ``Platform`` for a
worker; the pipeline and worker only ever talk to these, so Slack, Discord and the command line
share one code path. ``PlatformInfo`` is what the core may say about a platform (its name in
sentences, a link to a message), given by the adapter; ``Adapters`` holds the platforms this
process serves, filled as they start. ``Clock`` is time, for quotas, retention stamps and
throttles (``bot.app.build_app(clock=...)``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.models import ImageRef, IncomingMessage, Reply, Status
from safety.types import Finding


class HashMatcher(Protocol):
    """The operator's hash lists as they are now (``safety.hashlist.HashGate``): an image known
    only by its hashes (a stored one, a case's item) matched again."""

    @property
    def fingerprint(self) -> str: ...  # names the lists' content

    def match(self, sha256: str, pdq: Sequence[str], index: int) -> tuple[Finding, ...]: ...


class Clock(Protocol):
    """Time as the core reads it."""

    def now(self) -> float:
        """Wall-clock seconds since the epoch (``time.time``): stamps, UTC days, resets."""
        ...

    def monotonic(self) -> float:
        """Seconds that only go forward (``time.monotonic``): throttles and TTLs in memory."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


SYSTEM_CLOCK = SystemClock()  # stateless: the default wherever no clock is passed in


def _no_link(_message: IncomingMessage) -> str:
    return ""


@dataclass(frozen=True)
class PlatformInfo:
    """What the core may say about a platform; its adapter gives it (``Platform.info``).

    ``display_name``: the platform's name in sentences ("Slack"). ``message_link``: a link to
    a message there ("" where there is none). ``deletes_uploads``: the bot may delete a user's
    upload (a rejected review case's image); where it may not, the uploader is asked to.
    ``ask_command``: it has ``/miru ask`` (Discord: a slash command can carry a file).
    ``home_tab``: a person's settings live on a home tab (Slack), not ``/miru settings``."""

    name: str
    display_name: str = ""
    message_link: Callable[[IncomingMessage], str] = _no_link
    deletes_uploads: bool = True
    ask_command: bool = False
    home_tab: bool = False

    @property
    def shown(self) -> str:
        return self.display_name or self.name


class Conversation(Protocol):
    """One request's link back to its platform."""

    message: IncomingMessage

    async def fetch(self, ref: ImageRef, max_bytes: int) -> bytes:
        """The file's bytes, only from the platform's own hosts; raises ``FetchError``."""
        ...

    async def status(self, status: Status) -> None:
        """Show progress on the user's message (best effort, never raises)."""
        ...

    async def partial(self, text: str) -> None:
        """The answer so far, while it streams (the adapter throttles edits)."""
        ...

    async def reply(self, reply: Reply) -> None:
        """Post the final reply in the thread (or ephemerally when ``reply.ephemeral_to``)."""
        ...


class Platform(Protocol):
    """A chat platform a worker can answer on."""

    name: str
    info: PlatformInfo

    def conversation(self, message: IncomingMessage) -> Conversation: ...


class Adapters:
    """The platforms this process serves, by name: each worker and gateway registers its
    platform as it starts (``bot.runtime.App``), so review cards, notices and message links find the
    adapter of a case's platform without the core naming any platform."""

    def __init__(self) -> None:
        self._platforms: dict[str, Platform] = {}

    def add(self, platform: Platform) -> None:
        self._platforms[platform.name] = platform

    def get(self, name: str) -> Platform | None:
        return self._platforms.get(name)

    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._platforms))

    def info(self, name: str) -> PlatformInfo:
        """The platform's own ``info``; a bare one for a platform this process does not serve
        (the command line, the API)."""
        platform = self._platforms.get(name)
        return platform.info if platform is not None else PlatformInfo(name)

    def link(self, message: IncomingMessage) -> str:
        """A link to ``message`` on its platform ("" where there is none)."""
        return self.info(message.platform).message_link(message)
