"""bot.imaging.decoder: worker-side tasks (called in-process) and the restartable process pool."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from bot.imaging import decoder
from tests import badfiles
from tests.unit import animated

LIMIT = 40_000_000
TOTAL = 100_000_000


def _screen(data: bytes, fmt: str, max_pixels: int = LIMIT, total: int = TOTAL, frames: int = 32):
    return decoder.screen_task(data, fmt, 640, max_pixels, frames, max_total_pixels=total)


def test_sample_frames_even_and_capped():
    assert decoder.sample_frames(5, 32) == [0, 1, 2, 3, 4]
    picked = decoder.sample_frames(500, 32)
    assert len(picked) == 32 and picked[0] == 0 and picked[-1] == 499
    assert picked == sorted(picked)
    gaps = np.diff(picked)
    assert gaps.max() - gaps.min() <= 1


def test_screen_task_jpeg_uses_reduced_scale():
    result = _screen(badfiles.jpeg((2000, 1500)), "jpeg")
    assert isinstance(result, decoder.ScreenResult)
    assert (result.width, result.height) == (2000, 1500)
    (frame,) = result.frames
    assert frame.shape == (480, 640, 3) and frame.dtype == np.uint8
    assert len(result.pdq) == 64 and 0 <= result.pdq_quality <= 100


def test_screen_task_pdq_matches_pdqhash_reference():
    import pdqhash

    result = _screen(badfiles.jpeg((320, 320)), "jpeg")
    bits, _ = pdqhash.compute(result.frames[0])
    as_int = int("".join(str(int(b)) for b in bits), 2)
    assert result.pdq == f"{as_int:064x}"


def test_screen_task_reports_corrupt_not_raises():
    result = _screen(badfiles.truncated_jpeg(), "jpeg")
    assert isinstance(result, decoder.Failure) and result.kind == "corrupt"


def test_screen_task_refuses_declared_size():
    result = _screen(badfiles.png_bomb_header(), "png")
    assert isinstance(result, decoder.Failure) and result.kind == "too_many_pixels"
    assert result.params["megapixels"] == pytest.approx(10_000 * 1e6 / 1e6)
    assert result.params["limit_mp"] == pytest.approx(40)


def test_screen_task_refuses_just_over_limit():
    data = badfiles.big_png(side=1001)
    result = _screen(data, "png", 1_000_000)
    assert isinstance(result, decoder.Failure) and result.kind == "too_many_pixels"
    assert isinstance(_screen(data, "png", 1_002_001), decoder.ScreenResult)


def test_screen_task_wrong_format_is_corrupt():
    png = badfiles.png16()
    result = _screen(png, "jpeg")  # only the sniffed format may open
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


@pytest.mark.parametrize("fmt", ["gif", "png", "webp"])
def test_frames_over_total_pixel_budget_refused_before_decoding(fmt):
    data = animated.plain(fmt, 3, (300, 200))
    result = _screen(data, fmt, total=3 * 60_000 - 1)
    assert isinstance(result, decoder.Failure) and result.kind == "too_many_total_pixels"
    assert result.params["frames"] == 3 and result.params["megapixels"] == pytest.approx(0.18)
    assert result.params["limit_mp"] == pytest.approx(0.18, abs=1e-5)
    fits = _screen(data, fmt, total=3 * 60_000)
    assert isinstance(fits, decoder.ScreenResult) and len(fits.frames) == 3


def test_budget_counts_every_frame_decoded_not_only_those_sampled():
    # 10 frames, 2 sampled (0 and 9): reaching frame 9 of a GIF decodes all ten.
    data = animated.plain("gif", 10, (100, 100))
    result = _screen(data, "gif", total=99_999, frames=2)
    assert isinstance(result, decoder.Failure) and result.params["frames"] == 10
    assert len(_screen(data, "gif", total=100_000, frames=2).frames) == 2


def test_huge_canvas_gif_is_refused_from_its_header():
    data = animated.canvas_gif(6000, 32)  # ~600 bytes, 32 frames of 36 MP once decoded
    assert len(data) < 1000
    result = _screen(data, "gif")
    assert isinstance(result, decoder.Failure) and result.kind == "too_many_total_pixels"
    assert result.params["frames"] == 32 and result.params["megapixels"] == pytest.approx(1152)


def _inline(data: bytes, fmt: str = "jpeg", *, inline_max: int = 12_000_000, max_pixels=LIMIT):
    return decoder.screen_inline(data, fmt, 640, max_pixels, 32, max_total_pixels=TOTAL,
                                 inline_max_pixels=inline_max)


def test_inline_gives_what_the_worker_task_gives():
    data = badfiles.jpeg((2000, 1500))
    inline, task = _inline(data), _screen(data, "jpeg")
    assert isinstance(inline, decoder.ScreenResult) and isinstance(task, decoder.ScreenResult)
    assert inline.frames[0].shape == (480, 640, 3)
    assert np.array_equal(inline.frames[0], task.frames[0]) and inline.pdq == task.pdq


def test_inline_refuses_a_truncated_jpeg_as_corrupt():
    result = _inline(badfiles.truncated_jpeg())
    assert isinstance(result, decoder.Failure) and result.kind == "corrupt"


def test_inline_leaves_everything_else_to_the_pool(monkeypatch):
    progressive = io.BytesIO()
    badfiles.photo((320, 240)).save(progressive, "JPEG", progressive=True)
    assert _inline(progressive.getvalue()) is None
    assert _inline(badfiles.png16(), "png") is None
    assert _inline(badfiles.jpeg((1000, 1000)), inline_max=999_999) is None
    assert _inline(badfiles.jpeg((1000, 1000)), max_pixels=999_999) is None  # the pool refuses it
    assert _inline(badfiles.jpeg(), inline_max=0) is None
    assert _inline(b"\xff\xd8\xff\xe0 not really a jpeg") is None
    monkeypatch.setattr(decoder.ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    assert _inline(badfiles.jpeg()) is None
