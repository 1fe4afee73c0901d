"""Every byte of a request body counted as it is read, whatever part of the form it belongs to.

Counting the parts' contents alone let a chunked body through with a 60 MB preamble (the bytes
before the first boundary, which aiohttp's multipart reader skips by itself), and the same with
the parts' headers or an epilogue. ``CountingStream`` stands between the multipart reader and
the request's body stream: every read through it counts, data handed back (``unread_data``, the
reader's look-ahead) is taken off again, and the first read past the limit raises 413.
"""

from __future__ import annotations

from aiohttp import StreamReader
from aiohttp.http_exceptions import LineTooLong

from bot.api.errors import ApiError

MAX_LINE = 128 * 1024  # aiohttp's own bound for a line when none is given


class CountingStream:
    """The few ``StreamReader`` methods ``aiohttp.MultipartReader`` and its part readers use,
    each counted against ``limit`` bytes."""

    def __init__(self, inner: StreamReader, limit: int) -> None:
        self._inner = inner
        self.limit = limit
        self.count = 0

    def _counted(self, data: bytes) -> bytes:
        self.count += len(data)
        if self.count > self.limit:
            raise ApiError(413, "body_too_large", "api.too_large", size=f"{self.count}+",
                           limit=self.limit)
        return data

    async def read(self, n: int = -1) -> bytes:
        return self._counted(await self._inner.read(n))

    async def readany(self) -> bytes:
        return self._counted(await self._inner.readany())

    async def readline(self, *, max_line_length: int | None = None) -> bytes:
        """One line, never longer than what is left of the limit: a line that would pass it is
        a 413 before it is buffered whole (``LineTooLong`` when only the line bound is passed)."""
        room = self.limit - self.count + 1  # one byte more, to see that it is over
        bound = min(max_line_length or MAX_LINE, room)
        try:
            line = await self._inner.readline(max_line_length=max(bound, 1))
        except LineTooLong:
            if bound == room:
                self._counted(b"x" * room)
            raise
        return self._counted(line)

    def unread_data(self, data: bytes) -> None:
        self.count -= len(data)
        self._inner.unread_data(data)

    def at_eof(self) -> bool:
        return self._inner.at_eof()
