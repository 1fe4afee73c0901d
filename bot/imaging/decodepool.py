"""The decoder process pool: every untrusted image the caller does not decode in-process is opened
in a separate, memory-capped process.

``DecoderPool`` is a long-lived ``ProcessPoolExecutor`` (``forkserver`` context, because the main
process has threads and onnxruntime loaded) whose workers cap their address space with
``RLIMIT_AS``. A task that runs past its time limit, runs out of memory or kills its worker makes
the pool kill every worker and start afresh; the caller gets ``DecodeLimit`` and the next request
works again. The tasks themselves (``bot.imaging.decoder``) never raise: a refusal is a ``Failure``.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import cv2
import pillow_heif
import structlog
from PIL import Image, ImageFile

from bot.errors import DecodeLimit
from bot.imaging.decoder import Failure

log = structlog.get_logger(__name__)


def _init_worker(memory_mb: int, max_pixels: int) -> None:
    """Worker start-up: HEIF opener, strict Pillow settings, one OpenCV thread, then the
    address-space cap.

    The cap is the worker's current size plus ``memory_mb``: the libraries already mapped
    (numpy, Pillow, libheif) do not eat into the decoding budget.
    """
    pillow_heif.register_heif_opener()
    Image.init()
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    Image.MAX_IMAGE_PIXELS = max_pixels
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    cv2.setNumThreads(1)  # its thread pool would take stacks out of the capped address space
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
