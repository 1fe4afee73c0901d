"""Micro-batching: gather requests that arrive close together and run them as one batch.

Requests arriving within ``window_ms`` of the first waiting one (or until ``max_batch`` wait) are
handed to ``run_batch`` together, in a single worker thread, so the event loop stays free and one
model never runs two batches at once. Each caller awaits its own result; a caller whose wait times
out or is cancelled only stops waiting: its item is dropped if the batch has not started yet, and
its result discarded otherwise. When ``run_batch`` raises (or returns the wrong number of
results), the batch's items are run again one at a time, so a bad item fails alone and the others
get their answers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class BatchStats:
    """Counters a caller (or a test, or a metrics exporter) may read: one entry per batch run."""

    sizes: list[int] = field(default_factory=list)

    @property
    def batches(self) -> int:
        return len(self.sizes)

    @property
    def items(self) -> int:
        return sum(self.sizes)


@dataclass
class _Pending(Generic[T, R]):
    item: T
    future: asyncio.Future[R]
    arrived: float


class MicroBatcher(Generic[T, R]):
    """Runs ``run_batch(items) -> results`` (same length, same order) over gathered items."""

    def __init__(
        self,
        run_batch: Callable[[Sequence[T]], Sequence[R | BaseException]],
        *,
        window_ms: float = 20.0,
        max_batch: int = 16,
        thread_name: str = "miru-batch",
    ) -> None:
        self._run_batch = run_batch
        self._window_s = max(window_ms, 0.0) / 1000.0
        self._max_batch = max(max_batch, 1)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=thread_name)
        self._queue: asyncio.Queue[_Pending[T, R]] | None = None
        self._runner: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.stats = BatchStats()

    async def submit(self, item: T, timeout_s: float | None = None) -> R:
        """Queue ``item`` and wait for its result; ``TimeoutError`` after ``timeout_s``."""
        queue = self._ensure_runner()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        queue.put_nowait(_Pending(item, future, loop.time()))
        return await asyncio.wait_for(future, timeout_s)

    def _ensure_runner(self) -> asyncio.Queue[_Pending[T, R]]:
        loop = asyncio.get_running_loop()
        if self._runner is None or self._runner.done() or self._loop is not loop:
            self._loop = loop
            self._queue = asyncio.Queue()
            self._runner = loop.create_task(self._run(self._queue), name="miru-batcher")
        assert self._queue is not None
        return self._queue

    async def _gather(self, queue: asyncio.Queue[_Pending[T, R]]) -> list[_Pending[T, R]]:
        loop = asyncio.get_running_loop()
        first = await queue.get()
        batch = [first]
        deadline = first.arrived + self._window_s
        while len(batch) < self._max_batch:
            if not queue.empty():
                batch.append(queue.get_nowait())
                continue
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                batch.append(await asyncio.wait_for(queue.get(), remaining))
            except TimeoutError:
                break
        return [p for p in batch if not p.future.done()]

    async def _run(self, queue: asyncio.Queue[_Pending[T, R]]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = await self._gather(queue)
            if not batch:
                continue
            try:
                results = await self._call(loop, batch)
                if isinstance(results, Exception):
                    results = ([results] if len(batch) == 1
                               else [await self._alone(loop, p) for p in batch])
            except asyncio.CancelledError:
                for pending in batch:
                    pending.future.cancel()
                raise
            for pending, result in zip(batch, results, strict=True):
                if pending.future.done():
                    continue
                if isinstance(result, BaseException):
                    pending.future.set_exception(result)
                else:
                    pending.future.set_result(result)

    async def _call(self, loop: asyncio.AbstractEventLoop, batch: list[_Pending[T, R]]
                    ) -> list[R | BaseException] | Exception:
        """``run_batch`` over the batch's items in the worker thread: its results, or the
        exception it raised (a wrong number of results counts as one)."""
        self.stats.sizes.append(len(batch))
        try:
            results = await loop.run_in_executor(
                self._executor, self._run_batch, [p.item for p in batch]
            )
            if len(results) != len(batch):
                raise RuntimeError(f"run_batch gave {len(results)} results for {len(batch)} items")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            return exc
        return list(results)

    async def _alone(self, loop: asyncio.AbstractEventLoop, pending: _Pending[T, R]
                     ) -> R | BaseException:
        """One item of a failed batch, run on its own (skipped when nobody waits for it)."""
        if pending.future.done():
            return asyncio.CancelledError()
        results = await self._call(loop, [pending])
        return results if isinstance(results, Exception) else results[0]

    async def close(self) -> None:
        """Stop the runner and the worker thread; callers still waiting are cancelled."""
        if self._runner is not None and not self._runner.done():
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        if self._queue is not None:
            while not self._queue.empty():
                self._queue.get_nowait().future.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)
