"""Pure pixel helpers for ingest: mode conversion, EXIF orientation, resizing, pixelation and
metadata-free encoding.

Every function takes and returns Pillow images (never files) and never mutates its input, so the
decoder process and tests can call them directly.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import cv2
import numpy as np
from PIL import Image, ImageOps

from safety.types import Box

WHITE = (255, 255, 255)
_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
_WIDE_MODES = frozenset({"I", "I;16", "I;16L", "I;16B", "I;16N", "F"})


def exif_transpose(img: Image.Image) -> Image.Image:
    """The image turned upright by its EXIF Orientation tag (a copy; unchanged when none).

    A malformed EXIF block is ignored rather than failing the image: orientation is cosmetic, and
    the pixels were already decoded.
    """
    try:
        return ImageOps.exif_transpose(img)
    except (ValueError, TypeError, KeyError, SyntaxError, OSError):
        img.load()
        return img.copy()


def _wide_to_l(img: Image.Image) -> Image.Image:
    """16-bit / 32-bit greyscale to 8-bit by keeping the high byte (Pillow's own convert clips)."""
    arr = np.asarray(img)
    if img.mode == "F":
        out = np.clip(arr, 0, 255).astype(np.uint8)
    else:
        out = (np.clip(arr.astype(np.int64), 0, 65535) >> 8).astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(out), mode="L")


def to_rgb8(img: Image.Image, background: tuple[int, int, int] = WHITE) -> Image.Image:
    """8-bit RGB, whatever the source mode.

    Transparency (an alpha band, or a palette/greyscale ``transparency`` entry) is composited on
    ``background`` so that hidden pixels under a transparent area cannot reach a model. 16-bit
    greyscale keeps its high byte; CMYK, YCbCr, LAB, 1-bit and palette images go through Pillow.
    """
    if img.mode in _WIDE_MODES:
        img = _wide_to_l(img)
    if img.mode in _ALPHA_MODES or "transparency" in img.info:
        rgba = img.convert("RGBA")
        base = Image.new("RGB", rgba.size, background)
        base.paste(rgba, mask=rgba.getchannel("A"))
        return base
    if img.mode == "RGB":
        return img.copy()
    return img.convert("RGB")


def fit_long_edge(
    img: Image.Image, long_edge: int, resample: Image.Resampling = Image.Resampling.BILINEAR
) -> Image.Image:
    """The image with its longer side at most ``long_edge`` (aspect kept; never enlarged).

    Returns ``img`` itself when it already fits (callers never mutate it in place).
    """
    if max(img.size) <= long_edge:
        return img
    return img.resize(draft_size(img.width, img.height, long_edge), resample)


def shrink_to_array(img: Image.Image, long_edge: int) -> np.ndarray:
    """Any image as an 8-bit RGB (H, W, 3) ``uint8`` array with its long edge <= ``long_edge``.

    The fast resize for screening (about 2 ms for 1000 -> 640 px, against 10-15 ms for Pillow's
    antialiased bilinear): Pillow's ``reduce`` averages whole blocks by the largest integer factor
    that keeps the long edge at or above the target, then OpenCV's plain bilinear covers what is
    left, a factor under 2, where its 2x2 taps still reach every source pixel (no aliasing).
    """
    if img.mode != "RGB":
        img = to_rgb8(img)  # transparency composited before any averaging, never after
    target = draft_size(img.width, img.height, long_edge)
    if target == img.size:
        return to_array(img)
    factor = min(img.width // target[0], img.height // target[1])
    if factor >= 2:
        img = img.reduce(factor)
    arr = to_array(img)
    if (arr.shape[1], arr.shape[0]) == target:
        return arr
    return cv2.resize(arr, target, interpolation=cv2.INTER_LINEAR)


def draft_size(width: int, height: int, long_edge: int) -> tuple[int, int]:
    """The size a picture of ``width`` x ``height`` has once fitted to ``long_edge``.

    JPEG draft mode only scales down while *both* sides stay at or above the requested size, so it
    must be asked for the aspect-preserving target, not a square.
    """
    scale = min(1.0, long_edge / max(width, height, 1))
    return max(1, int(width * scale)), max(1, int(height * scale))


def box_pixels(box: Box, width: int, height: int) -> tuple[int, int, int, int] | None:
    """A fractional box as clamped integer pixel bounds (x0, y0, x1, y1), or None if empty."""
    x0, y0, x1, y1 = (min(1.0, max(0.0, float(v))) for v in box)
    left, right = sorted((x0, x1))
    top, bottom = sorted((y0, y1))
    px = (int(np.floor(left * width)), int(np.floor(top * height)),
          int(np.ceil(right * width)), int(np.ceil(bottom * height)))
    if px[2] <= px[0] or px[3] <= px[1]:
        return None
    return px


def pixelate(img: Image.Image, boxes: Sequence[Box], *, blocks: int = 12) -> Image.Image:
    """A copy with each box (fractions 0..1 of width and height) replaced by coarse blocks.

    The box's longer side is cut into ``blocks`` cells, each filled with its mean colour, so no
    detail finer than a cell survives. Boxes are clamped to the image; empty boxes are skipped.
    """
    if blocks < 1:
        raise ValueError("blocks must be >= 1")
    out = img.copy()
    for box in boxes:
        bounds = box_pixels(box, out.width, out.height)
        if bounds is None:
            continue
        region = out.crop(bounds)
        w, h = region.size
        cells = max(1, min(blocks, max(w, h)))
        small = (max(1, round(w * cells / max(w, h))), max(1, round(h * cells / max(w, h))))
        coarse = region.resize(small, Image.Resampling.BOX)
        out.paste(coarse.resize((w, h), Image.Resampling.NEAREST), bounds[:2])
    return out


def encode_clean(img: Image.Image, fmt: str = "JPEG") -> bytes:
    """Encode with no metadata at all: no EXIF, GPS, XMP, IPTC, ICC profile or text chunks.

    The pixels are copied into a fresh image first, so nothing in ``img.info`` (or a cached EXIF
    object) can reach the encoder. JPEG is written at quality 90; PNG losslessly.
    """
    fmt = fmt.upper()
    if fmt not in ("JPEG", "PNG"):
        raise ValueError(f"encode_clean supports JPEG and PNG, not {fmt!r}")
    keep = ("RGB", "L") if fmt == "JPEG" else ("RGB", "RGBA", "L", "LA")
    if img.mode not in keep:
        img = to_rgb8(img)
    img.load()
    fresh = Image.new(img.mode, img.size)
    fresh.paste(img)
    buf = io.BytesIO()
    if fmt == "JPEG":
        fresh.save(buf, "JPEG", quality=90, subsampling="4:2:0")
    else:
        fresh.save(buf, "PNG", compress_level=6)
    return buf.getvalue()


def to_array(img: Image.Image) -> np.ndarray:
    """An 8-bit RGB image as a C-contiguous ``uint8`` array of shape (H, W, 3)."""
    if img.mode != "RGB":
        img = to_rgb8(img)
    return np.ascontiguousarray(np.asarray(img, dtype=np.uint8))
