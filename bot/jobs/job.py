"""A job as a worker holds it: the message, how often it was delivered, and where it came from."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from bot.models import IncomingMessage


@dataclass(frozen=True)
class Job:
    id: str  # the stream entry id
    message: IncomingMessage
    attempts: int  # 1 on the first delivery
    stream: str = ""  # the stream it came from (its platform's)

    @property
    def ref(self) -> tuple[str, str]:
        """Stream and entry id: entry ids are unique within one stream only."""
        return (self.stream, self.id)


def by_stream(jobs: Sequence[Job]) -> dict[str, list[str]]:
    """The jobs' entry ids, per stream (commands on a stream name its entries)."""
    out: dict[str, list[str]] = defaultdict(list)
    for job in jobs:
        out[job.stream].append(job.id)
    return dict(out)
