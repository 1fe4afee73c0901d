"""What one request run decided (``Outcome``), and the request id every step keys on.

Its own module so that the pipeline, its shared steps (``bot.core.steps``) and the branches they
serve (``bot.core.receipt_thread``) all type it without importing one another.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.models import Image, IncomingMessage, Reply, Turn
from safety.types import Action, DecodedImage, Verdict


def request_id_for(message: IncomingMessage) -> str:
    """Stable per platform message, so a re-delivered event maps to the same request."""
    return f"{message.platform}:{message.channel}:{message.event_id or message.message_id}"


@dataclass(frozen=True)
class Rejection:
    index: int
    name: str
    code: str
    message: str


@dataclass
class Outcome:
    """Everything one run decided; the command line prints it, adapters only see ``reply``."""

    request_id: str
    reply: Reply | None = None
    verdict: Verdict | None = None
    decoded: list[DecodedImage] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)  # this message's processed images
    stored: list[Image] = field(default_factory=list)  # the thread's images, decided again
    left_out: int = 0  # the thread's older images this request does not use (over the cap)
    history: tuple[Turn, ...] = ()  # the thread's turns the answer uses (their text is read)
    image_texts: dict[int, str] = field(default_factory=dict)  # fresh images' text, read once
    dropped: list[tuple[Image, Action]] = field(default_factory=list)  # stored, now stopped
    relisted: list[str] = field(default_factory=list)  # stored images a hash list now names
    rejections: list[Rejection] = field(default_factory=list)
    engine: str = ""
    language: str = "en"
    notes: list[str] = field(default_factory=list)
    delivered: bool = False

    @property
    def unkept(self) -> bool:
        """A held or preserved item's evidence could be kept nowhere (``Steps.preserve``):
        the command line and the API then give no verdict."""
        return any(n.startswith("preserve_failed:") for n in self.notes)
