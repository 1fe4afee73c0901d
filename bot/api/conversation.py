"""The API's ``Conversation``: the uploaded files served from memory, the reply kept for the
response (like the command line's ``LocalConversation``, without files on disk)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.api.upload import UploadedFile
from bot.errors import EmptyInput, FetchError
from bot.imaging.ingest import check_size
from bot.models import ImageRef, IncomingMessage, Reply, Status


@dataclass
class ApiConversation:
    message: IncomingMessage
    files: Mapping[str, UploadedFile]  # ImageRef.file_id -> the upload
    replies: list[Reply] = field(default_factory=list)
    statuses: list[Status] = field(default_factory=list)

    async def fetch(self, ref: ImageRef, max_bytes: int) -> bytes:
        got = self.files.get(ref.file_id)
        if got is None:
            raise FetchError(f"no uploaded file {ref.file_id}", name=ref.name)
        check_size(got.size, max_bytes, ref.name)
        if got.size == 0:
            raise EmptyInput(name=ref.name)
        return got.data

    async def status(self, status: Status) -> None:
        self.statuses.append(status)

    async def partial(self, text: str) -> None:
        return None  # the response is sent whole

    async def reply(self, reply: Reply) -> None:
        self.replies.append(reply)


def refs_for(files: tuple[UploadedFile, ...]) -> tuple[ImageRef, ...]:
    return tuple(ImageRef(name=f.name, file_id=str(i), size=f.size, mimetype=f.mimetype)
                 for i, f in enumerate(files))


def files_by_id(files: tuple[UploadedFile, ...]) -> dict[str, UploadedFile]:
    return {str(i): f for i, f in enumerate(files)}
