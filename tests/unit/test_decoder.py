"""bot.decoder: worker-side tasks (called in-process) and the restartable process pool."""

from __future__ import annotations

import asyncio
import io
import operator
import os
import time

import numpy as np
import pytest
from PIL import Image

from bot import decoder
from bot.errors import DecodeLimit
from tests import badfiles

LIMIT = 40_000_000


def test_sample_frames_even_and_capped():
    assert decoder.sample_frames(5, 32) == [0, 1, 2, 3, 4]
    picked = decoder.sample_frames(500, 32)
    assert len(picked) == 32 and picked[0] == 0 and picked[-1] == 499
    assert picked == sorted(picked)
    gaps = np.diff(picked)
    assert gaps.max() - gaps.min() <= 1


def test_screen_task_jpeg_uses_reduced_scale():
    result = decoder.screen_task(badfiles.jpeg((2000, 1500)), "jpeg", 640, LIMIT, 32)
    assert isinstance(result, decoder.ScreenResult)
    assert (result.width, result.height) == (2000, 1500)
    (frame,) = result.frames
    assert frame.shape == (480, 640, 3) and frame.dtype == np.uint8
    assert len(result.pdq) == 64 and 0 <= result.pdq_quality <= 100


def test_screen_task_pdq_matches_pdqhash_reference():
    import pdqhash

    result = decoder.screen_task(badfiles.jpeg((320, 320)), "jpeg", 640, LIMIT, 32)
    bits, _ = pdqhash.compute(result.frames[0])
    as_int = int("".join(str(int(b)) for b in bits), 2)
    assert result.pdq == f"{as_int:064x}"


def test_screen_task_reports_corrupt_not_raises():
    result = decoder.screen_task(badfiles.truncated_jpeg(), "jpeg", 640, LIMIT, 32)
    assert isinstance(result, decoder.Failure) and result.kind == "corrupt"


def test_screen_task_refuses_declared_size():
    result = decoder.screen_task(badfiles.png_bomb_header(), "png", 640, LIMIT, 32)
    assert isinstance(result, decoder.Failure) and result.kind == "too_many_pixels"
    assert result.params["megapixels"] == pytest.approx(10_000 * 1e6 / 1e6)
    assert result.params["limit_mp"] == pytest.approx(40)


def test_screen_task_refuses_just_over_limit():
    data = badfiles.big_png(side=1001)
    result = decoder.screen_task(data, "png", 640, 1_000_000, 32)
    assert isinstance(result, decoder.Failure) and result.kind == "too_many_pixels"
    assert isinstance(decoder.screen_task(data, "png", 640, 1_002_001, 32), decoder.ScreenResult)


def test_screen_task_wrong_format_is_corrupt():
    png = badfiles.png16()
    result = decoder.screen_task(png, "jpeg", 640, LIMIT, 32)  # only the sniffed format may open
    assert isinstance(result, decoder.Failure) and result.kind == "corrupt"


def test_process_task_respects_long_edge_and_blurs():
    data = badfiles.jpeg((1000, 800))
    plain = decoder.process_task(data, "jpeg", 500, LIMIT, ())
    blurred = decoder.process_task(data, "jpeg", 500, LIMIT, ((0.0, 0.0, 0.5, 0.5),))
    assert isinstance(plain, decoder.ProcessResult) and isinstance(blurred, decoder.ProcessResult)
    assert (plain.width, plain.height) == (500, 400) and plain.mime == "image/jpeg"
    a = np.asarray(Image.open(io.BytesIO(plain.data)), dtype=np.int16)
    b = np.asarray(Image.open(io.BytesIO(blurred.data)), dtype=np.int16)
    assert np.abs(a[:200, :250] - b[:200, :250]).mean() > 5  # the box changed
    assert np.abs(a[220:, 270:] - b[220:, 270:]).mean() < 2  # the rest did not


@pytest.fixture
def pool():
    p = decoder.DecoderPool(workers=1, memory_mb=256)
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
