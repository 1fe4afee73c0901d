"""bot.imaging.ingest: every hostile input from tests/badfiles gets a verdict-ready image or the
right error, through the real decoder pool."""

from __future__ import annotations

import hashlib
import io
import zipfile

import numpy as np
import pytest
from PIL import ExifTags, Image

from bot import strings
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
from bot.imaging.ingest import IngestLimits, Ingestor, check_size, sniff
from config import settings as settings_module
from config.settings import Settings
from tests import badfiles
from tests.unit import animated

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ingestor():
    with Ingestor(IngestLimits()) as ing:
        yield ing


def _readable(err: InputRejected) -> str:
    """The user's sentence for an error: fails if a param the string needs is missing."""
    assert strings.fields(err.message_key) <= set(err.params), err.params
    return strings.t(err.message_key, "en", **err.params) + strings.t(
        err.message_key, "ja", **err.params)


def _check_frame(frame: np.ndarray, screen_size: int = 640) -> None:
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    assert max(frame.shape[:2]) <= screen_size and frame.flags.c_contiguous


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xff\xd8\xff\xe0rest", "jpeg"),
        (b"\x89PNG\r\n\x1a\nrest", "png"),
        (b"GIF89a....", "gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "heif"),
        (b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1heic", "heif"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1", None),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom", None),
        (b"%PDF-1.7", None),
        (b"BM\x00\x00", None),
        (b"", None),
    ],
)
def test_sniff(data, expected):
    assert sniff(data) == expected


def test_limits_from_settings():
    settings = Settings(max_bytes=123, decoder_workers=3, screen_size=320, _env_file=None)
    limits = IngestLimits.from_settings(settings)
    assert (limits.max_bytes, limits.workers, limits.screen_size) == (123, 3, 320)


@pytest.mark.parametrize(("cores", "workers"), [(1, 1), (2, 1), (8, 7)])
def test_decoder_workers_follow_the_cores(monkeypatch, cores, workers):
    monkeypatch.setattr(settings_module.os, "sched_getaffinity", lambda pid: set(range(cores)))
    assert Settings(_env_file=None).decoder_workers == workers
    monkeypatch.setenv("MIRU_DECODER_WORKERS", "3")
    assert Settings(_env_file=None).decoder_workers == 3


def test_check_size_is_the_one_byte_limit():
    check_size(None, 10, "a.png")  # size unknown: passes
    check_size(10, 10, "a.png")
    with pytest.raises(TooLarge) as info:
        check_size(2_500_000, 1_000_000, "a.png", "download")
    assert info.value.params == {"name": "a.png", "size_mb": 2.5, "limit_mb": 1.0}
    assert "a.png" in _readable(info.value) and "download" in info.value.detail


async def test_empty(ingestor):
    with pytest.raises(EmptyInput) as info:
        await ingestor.decode(badfiles.empty(), name="blank.png")
    assert "blank.png" in _readable(info.value)


async def test_text_named_jpg_is_unsupported(ingestor):
    with pytest.raises(UnsupportedFormat) as info:
        await ingestor.decode(badfiles.text_as_jpg(), name=badfiles.TEXT_NAME)
    assert badfiles.TEXT_NAME in _readable(info.value)


async def test_too_many_bytes_refused_before_decoding():
    with Ingestor(IngestLimits(max_bytes=1000)) as small:
        with pytest.raises(TooLarge) as info:
            await small.decode(badfiles.jpeg(), name="big.jpg")
        assert small.restarts == 0
    assert info.value.params["limit_mb"] == pytest.approx(0.001)
    assert "big.jpg" in _readable(info.value)


async def test_truncated_jpeg_is_corrupt(ingestor):
    with pytest.raises(CorruptImage) as info:
        await ingestor.decode(badfiles.truncated_jpeg(), name="cut.jpg")
    _readable(info.value)


async def test_bomb_header_is_refused(ingestor):
    with pytest.raises(TooManyPixels) as info:
        await ingestor.decode(badfiles.png_bomb_header(), name="bomb.png")
    assert info.value.params["megapixels"] == pytest.approx(10_000_000_000 / 1e6)
    assert "10000000000" not in _readable(info.value)  # formatted as MP, not raw


async def test_frames_past_the_total_pixel_budget_are_refused_by_name(ingestor):
    # Three flat 6000x6000 frames: ~80 kB, 108 MP to decode (1.7 s of CPU) against 100 MP.
    data = animated.plain("gif", 3, (6000, 6000))
    with pytest.raises(TooManyTotalPixels) as info:
        await ingestor.decode(data, name="flash.gif")
    assert isinstance(info.value, TooManyPixels) and info.value.params["frames"] == 3
    assert info.value.params["megapixels"] == pytest.approx(108)
    assert "flash.gif" in _readable(info.value) and ingestor.restarts == 0


async def test_tiny_gif_with_a_huge_canvas_does_not_hold_the_decoder(ingestor):
    # 32 frames of a 6000x6000 canvas in a few hundred bytes: without a budget checked from the
    # header, decoding holds the decoder past its time limit and restarts the pool.
    with pytest.raises(TooManyTotalPixels) as info:
        await ingestor.decode(animated.canvas_gif(6000, 32), name="tiny.gif")
    assert info.value.params["frames"] == 32 and ingestor.restarts == 0
    assert "tiny.gif" in _readable(info.value)
    assert (await ingestor.decode(badfiles.png16())).frame_count == 1


async def test_baseline_jpeg_is_screened_in_process_like_in_the_pool():
    data = badfiles.jpeg((2000, 1500))
    with Ingestor(IngestLimits()) as fast, Ingestor(IngestLimits(inline_max_pixels=0)) as pooled:
        a, b = await fast.decode(data), await pooled.decode(data)
        assert (fast.inline_decodes, pooled.inline_decodes) == (1, 0)
        assert np.array_equal(a.frames[0], b.frames[0]) and a.pdq == b.pdq
        with pytest.raises(CorruptImage):
            await fast.decode(badfiles.truncated_jpeg(), name="cut.jpg")
        assert fast.inline_decodes == 2
        await fast.decode(badfiles.png16())  # not a JPEG: the pool
        assert fast.inline_decodes == 2


async def test_jpeg_photo(ingestor):
    data = badfiles.jpeg((2000, 1500))
    decoded = await ingestor.decode(data, index=2, name="photo.jpg")
    assert decoded.index == 2 and decoded.source_format == "jpeg"
    assert (decoded.width, decoded.height) == (2000, 1500) and decoded.frame_count == 1
    (frame,) = decoded.frames
    _check_frame(frame)
    assert frame.shape == (480, 640, 3)
    assert decoded.original_sha256 == hashlib.sha256(data).hexdigest()
    assert len(decoded.pdq) == 64 and decoded.pdq_quality > 50


async def test_pdq_survives_recompression(ingestor):
    a = await ingestor.decode(badfiles.jpeg((512, 512), quality=95))
    b = await ingestor.decode(badfiles.jpeg((400, 400), quality=60))
    distance = bin(int(a.pdq, 16) ^ int(b.pdq, 16)).count("1")
    assert distance <= 31  # PDQ's usual match threshold
    other = await ingestor.decode(badfiles.png16())
    assert bin(int(a.pdq, 16) ^ int(other.pdq, 16)).count("1") > 31


async def test_png16(ingestor):
    frame = (await ingestor.decode(badfiles.png16())).frames[0]
    _check_frame(frame)
    assert frame[0, 0].tolist() == [0, 0, 0] and frame[0, -1].tolist() == [255, 255, 255]


async def test_cmyk_jpeg(ingestor):
    frame = (await ingestor.decode(badfiles.cmyk_jpeg())).frames[0]
    r, g, b = frame[32, 48].tolist()
    assert r > 230 and g < 25 and b < 25


async def test_palette_png_transparency_on_white(ingestor):
    frame = (await ingestor.decode(badfiles.palette_png_transparent())).frames[0]
    assert frame[2, 2].tolist() == [255, 255, 255]
    assert frame[32, 32].tolist() == [0, 0, 255]


async def test_animated_gif_500_frames_is_sampled(ingestor):
    decoded = await ingestor.decode(badfiles.animated_gif(500), name="long.gif")
    assert decoded.frame_count == 500 and len(decoded.frames) == 32
    for frame in decoded.frames:
        _check_frame(frame)
    first, last = decoded.frames[0], decoded.frames[-1]
    assert first[0, 10, 0] == 0 and last[0, 10, 0] == (499 * 7) % 256  # really frame 0 and 499


async def test_short_animated_webp_keeps_every_frame(ingestor):
    frames = [Image.new("RGB", (40, 30), (i * 40, 0, 0)) for i in range(5)]
    buf = io.BytesIO()
    frames[0].save(buf, "WEBP", save_all=True, append_images=frames[1:], lossless=True)
    decoded = await ingestor.decode(buf.getvalue())
    assert decoded.source_format == "webp" and decoded.frame_count == 5
    assert [int(f[5, 5, 0]) for f in decoded.frames] == [0, 40, 80, 120, 160]


async def test_heic(ingestor):
    try:
        data = badfiles.heic()
    except (OSError, ValueError, KeyError) as exc:  # pragma: no cover - encoder-less builds
        pytest.skip(f"pillow-heif cannot encode HEIF here: {exc}")
    decoded = await ingestor.decode(data, name="phone.heic")
    assert decoded.source_format == "heif" and (decoded.width, decoded.height) == (160, 120)
    reference = np.asarray(badfiles.photo((160, 120)), dtype=np.int16)
    assert np.abs(decoded.frames[0].astype(np.int16) - reference).mean() < 12
    image = await ingestor.process(data, decoded)
    assert image.mime == "image/jpeg" and image.source_format == "heif"


async def test_gps_jpeg_is_upright_and_clean(ingestor):
    data = badfiles.jpeg_with_gps(orientation=6)
    decoded = await ingestor.decode(data)
    assert (decoded.width, decoded.height) == (240, 320)
    assert decoded.frames[0].shape == (320, 240, 3)
    image = await ingestor.process(data, decoded)
    back = Image.open(io.BytesIO(image.data))
    assert back.size == (240, 320) == (image.width, image.height)
    for key in ("exif", "icc_profile", "xmp", "photoshop"):
        assert key not in back.info
    assert not back.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert b"MiruTestCam" not in image.data and b"adobe:ns:meta" not in image.data
    assert image.sha256 == hashlib.sha256(image.data).hexdigest() != image.original_sha256


async def test_png_with_zip_loses_the_zip(ingestor):
    data = badfiles.png_with_zip()
    assert zipfile.is_zipfile(io.BytesIO(data))
    decoded = await ingestor.decode(data)
    image = await ingestor.process(data, decoded)
    assert not zipfile.is_zipfile(io.BytesIO(image.data))
    assert b"PK\x03\x04" not in image.data and b"secret.txt" not in image.data
    back = Image.open(io.BytesIO(image.data))
    back.load()
    assert back.size == (128, 96)


async def test_process_respects_long_edge_and_blur(ingestor):
    data = badfiles.jpeg((3000, 1500))
    decoded = await ingestor.decode(data)
    plain = await ingestor.process(data, decoded)
    box = (0.4, 0.05, 0.6, 0.45)
    blurred = await ingestor.process(data, decoded, blur=(box,))
    assert (plain.width, plain.height) == (2048, 1024) and not plain.blurred
    assert blurred.blurred and blurred.sha256 != plain.sha256
    a = np.asarray(Image.open(io.BytesIO(plain.data)), dtype=np.int16)
    b = np.asarray(Image.open(io.BytesIO(blurred.data)), dtype=np.int16)
    assert np.abs(a[60:450, 830:1220] - b[60:450, 830:1220]).mean() > 3
    assert np.abs(a[600:, :700] - b[600:, :700]).mean() < 1.5


async def test_process_few_colour_png_stays_png(ingestor):
    data = badfiles.palette_png_transparent()
    image = await ingestor.process(data, await ingestor.decode(data))
    assert image.mime == "image/png"
    assert Image.open(io.BytesIO(image.data)).convert("RGB").getpixel((2, 2)) == (255, 255, 255)


async def test_process_refuses_other_bytes(ingestor):
    decoded = await ingestor.decode(badfiles.png16())
    with pytest.raises(ValueError):
        await ingestor.process(badfiles.cmyk_jpeg(), decoded)


async def test_memory_limit_restarts_decoder_and_next_works():
    big = badfiles.big_png(6000)  # 36 MP: ~108 MB as RGB, far past a 48 MB budget
    with Ingestor(IngestLimits(decode_memory_mb=48)) as tight:
        with pytest.raises(DecodeLimit) as info:
            await tight.decode(big, name="huge.png")
        assert tight.restarts == 1
        assert "huge.png" in _readable(info.value)
        decoded = await tight.decode(badfiles.cmyk_jpeg())
        assert decoded.frames[0].shape == (64, 96, 3)


async def test_time_limit_gives_decode_limit():
    with Ingestor(IngestLimits(decode_timeout_s=0.001)) as hasty:
        with pytest.raises(DecodeLimit):
            await hasty.decode(badfiles.big_png(4000))
        assert hasty.restarts == 1


async def test_pixel_limit_in_worker_counts_exactly():
    # 1001 x 1001 is just over 1 MP: in the worker this trips Pillow's DecompressionBombWarning,
    # which must be an error there, not a warning that lets the decode go on.
    with Ingestor(IngestLimits(max_pixels=1_000_000)) as strict:
        with pytest.raises(TooManyPixels) as info:
            await strict.decode(badfiles.big_png(1001), name="wide.png")
        assert info.value.params["megapixels"] == pytest.approx(1.002001)
        assert (await strict.decode(badfiles.big_png(1000))).frames[0].shape == (640, 640, 3)


async def test_pdq_is_in_the_threatexchange_hex_form(ingestor):
    """Operators' PDQ lists use ThreatExchange's hex; the decoded image must use the same form."""
    import pdqhash
    from skimage import data

    from safety.hashlist import pdq_hex

    decoded = await ingestor.decode(_jpeg_bytes(data.chelsea()), name="chelsea.jpg")
    bits, _ = pdqhash.compute(decoded.frames[0])
    assert decoded.pdq == pdq_hex(bits)


def _jpeg_bytes(array) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, "JPEG", quality=90)
    return buf.getvalue()
