"""What the core needs from the outside world, as protocols.

A platform adapter implements ``Conversation`` for one incoming message; the pipeline and worker
only ever talk to these, so Slack, Discord and the command line share one code path.
"""

from __future__ import annotations

from typing import Protocol

from bot.models import ImageRef, IncomingMessage, Reply, Status


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

    def conversation(self, message: IncomingMessage) -> Conversation: ...
