"""Decoding untrusted images: the tasks that run in the decoder pool's workers
(``bot.imaging.decodepool``), and the one case cheap and bounded enough to run in the calling
process.

``screen_task`` and ``process_task`` never raise: a refusal comes back as a picklable ``Failure``
(``MiruError`` keeps its params in attributes that pickling drops). Before any frame is decoded,
the header's pixel counts are checked: each frame against ``max_pixels``, and every frame the
decoder will have to decode, together, against ``max_total_pixels``.

``screen_inline`` serves single-frame baseline JPEGs of bounded size without the pool round trip
(draft-mode decoding: the header bounds both its memory and its time); everything else, and every
file whose header it cannot read, goes to the pool.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pdqhash
from PIL import Image, ImageFile

from bot.imaging import imageops
from safety.hashlist import dihedral_hex, pdq_hex
from safety.types import Box

PIL_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "gif": "GIF", "heif": "HEIF"}
_BOMB = (Image.DecompressionBombWarning, Image.DecompressionBombError)


@dataclass(frozen=True)
class Failure:
    """Why a worker refused an image: ``kind`` is an ``InputRejected`` code."""

    kind: str  # "corrupt" | "too_many_pixels" | "too_many_total_pixels" | "decode_limit"
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
    pdq_variants: tuple[str, ...] = ()


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


def _too_many(width: int, height: int, max_pixels: int) -> Failure:
    return Failure(
        "too_many_pixels",
        f"{width}x{height} exceeds {max_pixels} pixels",
        {"megapixels": width * height / 1e6, "limit_mp": max_pixels / 1e6},
    )


def _too_many_total(frames: int, pixels: int, max_total_pixels: int) -> Failure:
    return Failure(
        "too_many_total_pixels",
        f"{frames} frames, {pixels} pixels in all, exceed {max_total_pixels} pixels",
        {"frames": frames, "megapixels": pixels / 1e6, "limit_mp": max_total_pixels / 1e6},
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


def _screen_frame(img: Image.Image, fmt: str, long_edge: int) -> np.ndarray:
    """The current frame at screening scale: upright RGB uint8, long edge <= ``long_edge``."""
    if fmt == "jpeg":
        img.draft("RGB", imageops.draft_size(img.width, img.height, long_edge))
    img.load()
    return imageops.shrink_to_array(imageops.exif_transpose(img), long_edge)


def sample_frames(count: int, cap: int) -> list[int]:
    """Up to ``cap`` frame indices spread evenly over ``count`` frames, first and last included."""
    if count <= cap:
        return list(range(count))
    return sorted({int(i) for i in np.linspace(0, count - 1, cap).round()})


def _plan(
    img: Image.Image, fmt: str, count: int, max_frames: int, max_total_pixels: int
) -> list[int]:
    """The frames to screen, once the pixels decoding them costs fit ``max_total_pixels``.

    From headers only, before any frame is decoded. HEIF images are independent, so only the
    sampled ones are decoded; GIF, APNG and animated WebP frames build on the previous one, so
    reaching the last sampled frame decodes every frame up to it, each the size of the canvas.
    """
    picked = sample_frames(count, max_frames)
    if fmt == "heif" and count > 1:
        sizes = []
        for index in picked:
            img.seek(index)  # reads the image's header, decodes nothing
            sizes.append(img.width * img.height)
        img.seek(0)
        decoded, total = len(picked), sum(sizes)
    else:
        decoded = picked[-1] + 1
        total = decoded * img.width * img.height
    if total > max_total_pixels:
        raise _Reject(_too_many_total(decoded, total, max_total_pixels))
    return picked


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


def _screen(
    img: Image.Image, fmt: str, screen_size: int, max_pixels: int, max_frames: int,
    max_total_pixels: int,
) -> ScreenResult:
    width, height = _upright_size(img)
    count = max(1, int(getattr(img, "n_frames", 1)))
    frames = []
    for index in _plan(img, fmt, count, max_frames, max_total_pixels):
        if index:
            img.seek(index)
            canvas = img.width * img.height
            if canvas > max_pixels:
                raise _Reject(_too_many(img.width, img.height, max_pixels))
            if fmt != "heif" and (index + 1) * canvas > max_total_pixels:  # a GIF canvas grew
                raise _Reject(_too_many_total(index + 1, (index + 1) * canvas, max_total_pixels))
        frames.append(_screen_frame(img, fmt, screen_size))
    # Every frame's 8 rotations/flips, in the ThreatExchange hex form operators' lists use: the
    # hash gate matches them, and a stored image keeps them to be matched again later.
    first, quality = pdqhash.compute_dihedral(np.ascontiguousarray(frames[0]))
    variants = tuple(pdq_hex(h) for h in first) + dihedral_hex(frames[1:])
    return ScreenResult(width, height, tuple(frames), count, variants[0], int(quality),
                        variants)


def screen_task(
    data: bytes, fmt: str, screen_size: int, max_pixels: int, max_frames: int, *,
    max_total_pixels: int,
) -> ScreenResult | Failure:
    """Stage 1 (in a worker): frames at screening scale and the PDQ hash of the first."""
    return _guard(lambda: _screen(
        _open(data, fmt, max_pixels), fmt, screen_size, max_pixels, max_frames, max_total_pixels))


def screen_inline(
    data: bytes, fmt: str, screen_size: int, max_pixels: int, max_frames: int, *,
    max_total_pixels: int, inline_max_pixels: int,
) -> ScreenResult | Failure | None:
    """Stage 1 in the calling process, or None where the file must go to the pool.

    Only a single-frame baseline JPEG of at most ``inline_max_pixels`` qualifies: decoding it in
    draft mode costs time in proportion to its bytes and memory to its (small) draft output, both
    bounded before decoding starts. Progressive JPEGs (whole-image coefficient buffers, and scan
    counts no header bounds), every other format, and any header Pillow cannot read go to the pool.
    The work and the limits are ``screen_task``'s; truncated files are refused here as there.
    """
    if fmt != "jpeg" or inline_max_pixels <= 0 or ImageFile.LOAD_TRUNCATED_IMAGES:
        return None
    try:
        img = Image.open(io.BytesIO(data), formats=[PIL_FORMATS[fmt]])
        single = int(getattr(img, "n_frames", 1)) == 1
    except Exception:  # any header problem: the pool's worker reports it precisely
        return None
    if (not single or img.info.get("progressive")
            or img.width * img.height > min(inline_max_pixels, max_pixels)):
        return None
    return _guard(lambda: _screen(img, fmt, screen_size, max_pixels, max_frames, max_total_pixels))


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


