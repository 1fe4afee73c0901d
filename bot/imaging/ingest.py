"""Ingest: untrusted bytes in, screening frames (stage 1) and a clean image (stage 2) out.

Stage 1 (``Ingestor.decode``) runs for every upload before any gate: cheap checks here (empty, too
many bytes, magic bytes), then the decode, which checks the declared pixel counts (per frame, and
over every frame it will decode) from the headers before decoding anything. Small baseline JPEGs
are decoded in-process (``bot.imaging.decoder.screen_inline``); everything else in the decoder pool
(``bot.imaging.decodepool``). Stage 2 (``Ingestor.process``) runs only for images the policy
allowed and produces the metadata-free bytes models see, always in the pool.

``check_size`` is the one byte-size check: ingest, the platforms' fetchers and the command line
call it.

Every refusal is an ``InputRejected`` subclass carrying the params its ``bot.strings`` sentence
needs; no Pillow or OS error reaches the caller. Image bytes are never logged.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

from bot.errors import (
    CorruptImage,
    DecodeLimit,
    EmptyInput,
    InputRejected,
    TooLarge,
    TooManyPixels,
    TooManyTotalPixels,
    UnsupportedFormat,
)
from bot.imaging import decoder
from bot.imaging.decodepool import DecoderPool
from bot.models import Image
from safety.types import Box, DecodedImage

if TYPE_CHECKING:
    from config.settings import Settings

_FAILURES: dict[str, type[InputRejected]] = {
    "corrupt": CorruptImage,
    "too_many_pixels": TooManyPixels,
    "too_many_total_pixels": TooManyTotalPixels,
    "decode_limit": DecodeLimit,
}
# ISO-BMFF brands of HEIF stills and sequences (AVIF shares the container but is not accepted).
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"})
_HEIF_GENERIC = frozenset({b"mif1", b"msf1"})


@dataclass(frozen=True)
class IngestLimits:
    """Limits on what ingest accepts and how hard the decoder may work."""

    max_bytes: int = 20_000_000
    max_pixels: int = 40_000_000
    max_frames: int = 32
    max_total_pixels: int = 100_000_000  # over every frame decoded, from the headers
    max_long_edge: int = 2048
    screen_size: int = 640
    decode_timeout_s: float = 10.0
    decode_memory_mb: int = 1024  # address space a decoder worker may add on top of its libraries
    workers: int = 1
    inline_max_pixels: int = 12_000_000  # baseline JPEGs up to this are decoded in-process

    @classmethod
    def from_settings(cls, settings: Settings) -> IngestLimits:
        return cls(
            max_bytes=settings.max_bytes,
            max_pixels=settings.max_pixels,
            max_frames=settings.max_frames,
            max_total_pixels=settings.max_total_pixels,
            max_long_edge=settings.max_long_edge,
            screen_size=settings.screen_size,
            decode_timeout_s=settings.decode_timeout_s,
            decode_memory_mb=settings.decode_memory_mb,
            workers=settings.decoder_workers,
            inline_max_pixels=settings.inline_decode_max_pixels,
        )


def check_size(size: int | None, max_bytes: int, name: str | None, detail: str = "") -> None:
    """Raise ``TooLarge`` naming ``name`` when ``size`` bytes exceed ``max_bytes`` (None passes).

    The one byte-size check, for a declared size, a download in progress or bytes in hand.
    """
    if size is not None and size > max_bytes:
        raise TooLarge(
            f"{name}: {detail or 'size'} {size} bytes",
            name=name, size_mb=size / 1e6, limit_mb=max_bytes / 1e6,
        )


def _heif_brand(data: bytes) -> bool:
    if data[4:8] != b"ftyp" or len(data) < 12:
        return False
    major = data[8:12]
    if major in _HEIF_BRANDS:
        return True
    if major not in _HEIF_GENERIC:
        return False
    box_size = int.from_bytes(data[0:4], "big")
    compatible = data[16:min(box_size, 64)]
    return any(compatible[i:i + 4] in _HEIF_BRANDS for i in range(0, len(compatible) - 3, 4))


def sniff(data: bytes) -> str | None:
    """The image format from magic bytes: "jpeg", "png", "webp", "gif", "heif", or None.

    The file name and the platform's MIME type are never trusted; only these bytes are.
    """
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "webp"
    if _heif_brand(data):
        return "heif"
    return None


class Ingestor:
    """Decodes and cleans untrusted image bytes: small baseline JPEGs in-process (in a thread),
    the rest in a decoder pool (started on first use).

    One ``Ingestor`` belongs to one event loop; ``close`` (or leaving the ``with`` block) stops
    its decoder processes.
    """

    def __init__(self, limits: IngestLimits) -> None:
        self.limits = limits
        self._pool = DecoderPool(
            workers=limits.workers,
            memory_mb=limits.decode_memory_mb,
            max_pixels=limits.max_pixels,
        )
        self._inline = asyncio.Semaphore(max(1, limits.workers))
        self.inline_decodes = 0  # stage-1 decodes done in-process, without the pool

    @property
    def restarts(self) -> int:
        """How often the decoder pool was killed and restarted (time, memory, dead worker)."""
        return self._pool.restarts

    async def start(self) -> None:
        """Start the decoder processes now, so the first upload does not wait for them."""
        try:
            await self._pool.start()
        except DecodeLimit as exc:
            raise DecodeLimit(exc.detail, name="decoder") from None

    def _check(self, data: bytes, name: str) -> str:
        if not data:
            raise EmptyInput(f"{name}: no bytes", name=name)
        check_size(len(data), self.limits.max_bytes, name)
        fmt = sniff(data)
        if fmt is None:
            raise UnsupportedFormat(f"{name}: unknown magic {data[:4].hex()}", name=name)
        return fmt

    async def _run(self, task: Any, *args: Any, name: str) -> Any:
        try:
            result = await self._pool.run(task, *args, timeout_s=self.limits.decode_timeout_s)
        except DecodeLimit as exc:
            raise DecodeLimit(f"{name}: {exc.detail}", name=name) from None
        return _unless_failed(result, name)

    async def decode(self, data: bytes, *, index: int = 0, name: str = "image") -> DecodedImage:
        """Stage 1: frames at screening scale (long edge <= ``screen_size``), upright, RGB uint8.

        Every frame of an animation up to ``max_frames`` (sampled evenly beyond that);
        ``frame_count`` is the real number. Also the SHA-256 of ``data`` and the PDQ hash of
        frame 0. Raises an ``InputRejected`` subclass for anything unusable.
        """
        fmt = self._check(data, name)
        limits = self.limits
        args = (data, fmt, limits.screen_size, limits.max_pixels, limits.max_frames)
        inline = None
        if fmt == "jpeg" and limits.inline_max_pixels > 0:
            async with self._inline:
                inline = await asyncio.to_thread(
                    decoder.screen_inline, *args, max_total_pixels=limits.max_total_pixels,
                    inline_max_pixels=limits.inline_max_pixels,
                )
        if inline is not None:
            self.inline_decodes += 1
            result: decoder.ScreenResult = _unless_failed(inline, name)
        else:
            result = await self._run(
                functools.partial(decoder.screen_task, max_total_pixels=limits.max_total_pixels),
                *args, name=name,
            )
        return DecodedImage(
            index=index,
            source_format=fmt,
            width=result.width,
            height=result.height,
            original_sha256=hashlib.sha256(data).hexdigest(),
            frames=result.frames,
            frame_count=result.frame_count,
            pdq=result.pdq,
            pdq_quality=result.pdq_quality,
            pdq_variants=result.pdq_variants,
        )

    async def process(
        self, data: bytes, decoded: DecodedImage, *, blur: tuple[Box, ...] = (),
        name: str = "image",
    ) -> Image:
        """Stage 2, for allowed images only: upright 8-bit RGB, long edge <= ``max_long_edge``,
        ``blur`` boxes (fractions 0..1) pixelated, re-encoded with no metadata and nothing appended.

        ``decoded`` must be stage 1's result for the same ``data`` (checked by SHA-256).
        """
        original = hashlib.sha256(data).hexdigest()
        if original != decoded.original_sha256:
            raise ValueError("process() got bytes that differ from the decoded image's")
        fmt = self._check(data, name)
        limits = self.limits
        result: decoder.ProcessResult = await self._run(
            decoder.process_task, data, fmt, limits.max_long_edge, limits.max_pixels,
            tuple(blur), name=name,
        )
        return Image(
            index=decoded.index,
            data=result.data,
            mime=result.mime,
            width=result.width,
            height=result.height,
            source_format=fmt,
            original_sha256=original,
            sha256=hashlib.sha256(result.data).hexdigest(),
            blurred=bool(blur),
            pdq=decoded.pdq_variants,
        )

    def close(self) -> None:
        """Stop the decoder processes. Safe to call more than once."""
        self._pool.close()

    def __enter__(self) -> Ingestor:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _unless_failed(result: Any, name: str) -> Any:
    """``result``, or the ``InputRejected`` a decoder ``Failure`` stands for, naming the file."""
    if isinstance(result, decoder.Failure):
        error = _FAILURES.get(result.kind, CorruptImage)
        raise error(f"{name}: {result.detail}", name=name, **result.params)
    return result
