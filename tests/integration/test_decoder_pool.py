"""The decoder pool's processes: results, restarts after a timeout, a memory limit or a dead
worker, and a time limit that counts only a task's own run (moved from tests/unit: these start
processes)."""

from __future__ import annotations

import asyncio
import operator
import os
import time

import pytest

from bot.errors import DecodeLimit
from bot.imaging.decodepool import DecoderPool


@pytest.fixture
def pool():
    p = DecoderPool(workers=1, memory_mb=256)
    yield p
    p.close()


@pytest.mark.slow
async def test_pool_runs_and_restarts_after_timeout(pool):
    assert await pool.run(operator.add, 2, 3, timeout_s=60) == 5
    with pytest.raises(DecodeLimit):
        await pool.run(time.sleep, 60, timeout_s=0.5)
    assert pool.restarts == 1
    # Had the sleeping worker survived, this would wait behind it and time out.
    assert await pool.run(operator.mul, 6, 7, timeout_s=20) == 42


@pytest.mark.slow
async def test_pool_restarts_after_memory_limit(pool):
    with pytest.raises(DecodeLimit):
        await pool.run(bytearray, 2_000_000_000, timeout_s=60)  # past RLIMIT_AS: MemoryError
    assert pool.restarts == 1
    assert await pool.run(len, b"abc", timeout_s=60) == 3


@pytest.mark.slow
async def test_pool_restarts_after_worker_dies(pool):
    with pytest.raises(DecodeLimit):
        await pool.run(os.abort, timeout_s=60)  # the worker dies: BrokenProcessPool
    assert pool.restarts == 1
    assert await pool.run(operator.add, 1, 1, timeout_s=60) == 2


@pytest.mark.slow
async def test_pool_time_limit_excludes_queueing(pool):
    await pool.start()
    # One worker, three 0.6 s tasks: the last finishes ~1.8 s after submission, past its 1.5 s
    # limit, unless the limit only counts its own run.
    results = await asyncio.gather(
        *(pool.run(time.sleep, 0.6, timeout_s=1.5) for _ in range(3))
    )
    assert results == [None, None, None] and pool.restarts == 0
