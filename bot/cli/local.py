"""The command line's ``Conversation``: images from local files, the reply kept for printing."""

from __future__ import annotations

import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import EmptyInput, FetchError
from bot.imaging.ingest import check_size
from bot.models import ImageRef, IncomingMessage, Reply, Status

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".heic", ".heif", ".avif"}


@dataclass
class LocalConversation:
    message: IncomingMessage
    show_progress: bool = False
    replies: list[Reply] = field(default_factory=list)
    statuses: list[Status] = field(default_factory=list)
    _shown: int = 0

    async def fetch(self, ref: ImageRef, max_bytes: int) -> bytes:
        path = Path(ref.path or ref.url)
        try:
            size = path.stat().st_size
            check_size(size, max_bytes, ref.name)
            if size == 0:
                raise EmptyInput(name=ref.name)
            return path.read_bytes()
        except OSError as exc:
            raise FetchError(f"cannot read {path}: {exc.strerror}", name=ref.name) from None

    async def status(self, status: Status) -> None:
        self.statuses.append(status)

    async def partial(self, text: str) -> None:
        if self.show_progress and len(text) > self._shown:
            sys.stderr.write(text[self._shown:])
            sys.stderr.flush()
            self._shown = len(text)

    async def reply(self, reply: Reply) -> None:
        if self.show_progress and self._shown:
            sys.stderr.write("\n")
            self._shown = 0
        self.replies.append(reply)


def expand_paths(items: list[str]) -> list[Path]:
    """Files as given; folders expanded to the image files inside them (sorted)."""
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            out.extend(sorted(c for c in p.rglob("*")
                              if c.is_file() and c.suffix.lower() in IMAGE_SUFFIXES))
        else:
            out.append(p)
    return out


CLI_USER = "cli-user"  # the command line's one user (its cases name it as the uploader)


def cli_message(paths: list[Path], text: str, *, thread: str = "local", language: str | None = None,
                consent: bool = False) -> IncomingMessage:
    refs = tuple(ImageRef(name=p.name, path=str(p)) for p in paths)
    return IncomingMessage(platform="cli", workspace="local", channel="cli", thread=thread,
                           message_id=uuid.uuid4().hex, user=CLI_USER, text=text, images=refs,
                           language=language, consent_confirmed=consent)
