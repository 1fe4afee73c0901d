"""The decoder process pool: every untrusted image is opened in a separate, memory-capped process.

``DecoderPool`` is a long-lived ``ProcessPoolExecutor`` (``forkserver`` context, because the main
process has threads and onnxruntime loaded) whose workers cap their address space with
``RLIMIT_AS``. A task that runs past its time limit, runs out of memory or kills its worker makes
the pool kill every worker and start afresh; the caller gets ``DecodeLimit`` and the next request
works again.

``screen_task`` and ``process_task`` run inside the workers. They never raise: a refusal comes back
as a picklable ``Failure`` (``MiruError`` keeps its params in attributes that pickling drops).
"""

from __future__ import annotations

import asyncio
import io
import multiprocessing
import re
import resource
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pdqhash
import pillow_heif
import structlog
from PIL import Image, ImageFile

from bot import imageops
from bot.errors import DecodeLimit
from bot.models import Box
from safety.hashlist import pdq_hex

log = structlog.get_logger(__name__)

PIL_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "gif": "GIF", "heif": "HEIF"}
_BOMB = (Image.DecompressionBombWarning, Image.DecompressionBombError)


@dataclass(frozen=True)
class Failure:
    """Why a worker refused an image: ``kind`` is an ``InputRejected`` code."""

    kind: str  # "corrupt" | "too_many_pixels" | "decode_limit"
    detail: str
    params: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ScreenResult:
    width: int  # original size, upright
    height: int
    frames: tuple[np.ndarray, ...]
    frame_count: int
    pdq: str
    pdq_quality: int


@dataclass(frozen=True)
class ProcessResult:
    data: bytes
    mime: str
    width: int
    height: int


class _Reject(Exception):
    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.detail)
        self.failure = failure


def _init_worker(memory_mb: int, max_pixels: int) -> None:
    """Worker start-up: HEIF opener, strict Pillow settings, then the address-space cap.

    The cap is the worker's current size plus ``memory_mb``: the libraries already mapped
    (numpy, Pillow, libheif) do not eat into the decoding budget.
    """
    pillow_heif.register_heif_opener()
    Image.init()
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    Image.MAX_IMAGE_PIXELS = max_pixels
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    try:
        with open("/proc/self/statm") as fh:
            current = int(fh.read().split()[0]) * resource.getpagesize()
    except OSError:
        current = 0
    limit = current + memory_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))  # hard too: no raising it back


def _ping() -> bool:
    return True


def _too_many(width: int, height: int, max_pixels: int) -> Failure:
    return Failure(
        "too_many_pixels",
        f"{width}x{height} exceeds {max_pixels} pixels",
        {"megapixels": width * height / 1e6, "limit_mp": max_pixels / 1e6},
    )


def _open(data: bytes, fmt: str, max_pixels: int) -> Image.Image:
    """Open (header only) as exactly the sniffed format, refusing oversized images up front."""
    try:
        img = Image.open(io.BytesIO(data), formats=[PIL_FORMATS[fmt]])
    except _BOMB as exc:
        match = re.search(r"\((\d+) pixels\)", str(exc))
        pixels = int(match.group(1)) if match else max_pixels
        raise _Reject(Failure("too_many_pixels", str(exc)[:200], {
            "megapixels": pixels / 1e6, "limit_mp": max_pixels / 1e6})) from None
    if img.width * img.height > max_pixels:
        raise _Reject(_too_many(img.width, img.height, max_pixels))
    return img


def _upright_size(img: Image.Image) -> tuple[int, int]:
    try:
        orientation = img.getexif().get(0x0112, 1)
    except Exception:  # malformed EXIF: orientation is ignored, as in imageops.exif_transpose
        orientation = 1
    return (img.height, img.width) if orientation in (5, 6, 7, 8) else img.size


def _frame(img: Image.Image, fmt: str, long_edge: int, resample: Image.Resampling) -> Image.Image:
    """The current frame, decoded fully, upright, 8-bit RGB, long edge <= ``long_edge``."""
    if fmt == "jpeg":
        img.draft("RGB", imageops.draft_size(img.width, img.height, long_edge))
    img.load()
    upright = imageops.exif_transpose(img)
    return imageops.fit_long_edge(imageops.to_rgb8(upright), long_edge, resample)


def sample_frames(count: int, cap: int) -> list[int]:
    """Up to ``cap`` frame indices spread evenly over ``count`` frames, first and last included."""
    if count <= cap:
        return list(range(count))
    return sorted({int(i) for i in np.linspace(0, count - 1, cap).round()})


def _guard(work: Callable[[], Any]) -> Any:
    try:
        return work()
    except _Reject as exc:
        return exc.failure
    except _BOMB as exc:
        return Failure("too_many_pixels", str(exc)[:200])
    except MemoryError:
        return Failure("decode_limit", "out of memory while decoding")
    except Exception as exc:  # any decoder error (OSError, SyntaxError, EOFError...) = corrupt
        return Failure("corrupt", f"{type(exc).__name__}: {str(exc)[:200]}")


def screen_task(
    data: bytes, fmt: str, screen_size: int, max_pixels: int, max_frames: int
) -> ScreenResult | Failure:
    """Stage 1 (in a worker): frames at screening scale and the PDQ hash of the first."""

    def work() -> ScreenResult:
        img = _open(data, fmt, max_pixels)
        width, height = _upright_size(img)
        count = max(1, int(getattr(img, "n_frames", 1)))
        frames = []
        for index in sample_frames(count, max_frames):
            if index:
                img.seek(index)
                if img.width * img.height > max_pixels:
                    raise _Reject(_too_many(img.width, img.height, max_pixels))
            frame = _frame(img, fmt, screen_size, Image.Resampling.BILINEAR)
            frames.append(imageops.to_array(frame))
        bits, quality = pdqhash.compute(frames[0])
        pdq = pdq_hex(bits)  # the ThreatExchange hex form operators' lists use
        return ScreenResult(width, height, tuple(frames), count, pdq, int(quality))

    return _guard(work)


def process_task(
    data: bytes, fmt: str, max_long_edge: int, max_pixels: int, blur: Sequence[Box]
) -> ProcessResult | Failure:
    """Stage 2 (in a worker): the first frame upright, resized, faces pixelated, re-encoded.

    PNG output for PNG/GIF sources with at most 256 colours (screenshots, diagrams), JPEG q90
    otherwise; either way with no metadata and nothing appended.
    """

    def work() -> ProcessResult:
        img = _open(data, fmt, max_pixels)
        frame = _frame(img, fmt, max_long_edge, Image.Resampling.LANCZOS)
        if blur:
            frame = imageops.pixelate(frame, blur)
        few_colours = fmt in ("png", "gif") and frame.getcolors(256) is not None
        out_fmt, mime = ("PNG", "image/png") if few_colours else ("JPEG", "image/jpeg")
        return ProcessResult(imageops.encode_clean(frame, out_fmt), mime, frame.width, frame.height)

    return _guard(work)


class DecoderPool:
    """A restartable pool of decoder processes, started on first use.

    ``run`` raises ``DecodeLimit`` when a task times out or its worker dies; the pool is then
    killed and restarted. At most ``workers`` tasks are submitted at once, so a task's time limit
    counts its own decoding, not its wait in the queue. A task lost only because another task's
    failure restarted the pool is retried once. One pool belongs to one event loop.
    """

    def __init__(
        self, *, workers: int = 1, memory_mb: int = 1024, max_pixels: int = 40_000_000,
        start_timeout_s: float = 120.0,
    ) -> None:
        self._workers = workers
        self._initargs = (memory_mb, max_pixels)
        self._start_timeout_s = start_timeout_s
        self._executor: ProcessPoolExecutor | None = None
        self._generation = 0
        self._lock = asyncio.Lock()
        self._slots = asyncio.Semaphore(workers)
        self.restarts = 0

    async def start(self) -> None:
        """Start the workers now rather than on the first task (start-up takes about a second)."""
        await self._ready()

    async def _ready(self) -> tuple[ProcessPoolExecutor, int]:
        async with self._lock:
            if self._executor is None:
                executor = ProcessPoolExecutor(
                    max_workers=self._workers,
                    mp_context=multiprocessing.get_context("forkserver"),
                    initializer=_init_worker,
                    initargs=self._initargs,
                )
                try:
                    ping = asyncio.wrap_future(executor.submit(_ping))
                    await asyncio.wait_for(ping, self._start_timeout_s)
                except (TimeoutError, BrokenProcessPool) as exc:
                    _kill(executor)
                    raise DecodeLimit(f"decoder pool did not start: {exc!r}") from None
                self._executor = executor
            return self._executor, self._generation

    async def _restart(self, generation: int, reason: str) -> None:
        async with self._lock:
            if generation != self._generation or self._executor is None:
                return  # another task already restarted it
            _kill(self._executor)
            self._executor = None
            self._generation += 1
            self.restarts += 1
        log.warning("decoder_pool_restarted", reason=reason, restarts=self.restarts)

    async def run(self, fn: Callable[..., Any], /, *args: Any, timeout_s: float) -> Any:
        """``fn(*args)`` in a worker; ``fn`` must be a module-level (picklable) function."""
        async with self._slots:
            return await self._run(fn, args, timeout_s)

    async def _run(self, fn: Callable[..., Any], args: tuple[Any, ...], timeout_s: float) -> Any:
        for attempt in (0, 1):
            executor, generation = await self._ready()
            try:
                future = asyncio.wrap_future(executor.submit(fn, *args))
                result = await asyncio.wait_for(future, timeout_s)
            except TimeoutError:
                await self._restart(generation, "timeout")
                raise DecodeLimit(f"decoding took longer than {timeout_s:g} s") from None
            except (BrokenProcessPool, RuntimeError) as exc:
                if generation != self._generation and attempt == 0:
                    continue
                await self._restart(generation, "worker died")
                raise DecodeLimit(f"decoder worker died: {type(exc).__name__}") from None
            except MemoryError:
                await self._restart(generation, "out of memory")
                raise DecodeLimit("decoder ran out of memory") from None
            if isinstance(result, Failure) and result.kind == "decode_limit":
                await self._restart(generation, result.detail)
            return result
        raise DecodeLimit("decoder pool restarted twice")  # pragma: no cover - loop always returns

    def close(self) -> None:
        """Stop the workers (at once: nothing in flight is worth waiting for)."""
        if self._executor is not None:
            _kill(self._executor)
            self._executor = None


def _kill(executor: ProcessPoolExecutor) -> None:
    # ProcessPoolExecutor has no public way to stop a running task before Python 3.14
    # (terminate_workers); killing its processes is the only way to stop a runaway decode.
    for process in list((getattr(executor, "_processes", None) or {}).values()):
        if process.is_alive():
            process.kill()
    executor.shutdown(wait=False, cancel_futures=True)
