"""Animations for the decoding-budget tests: plain colour frames only, made in memory."""

from __future__ import annotations

import io
import struct

from PIL import Image

PIL_FORMAT = {"gif": "GIF", "png": "PNG", "webp": "WEBP"}


def plain(fmt: str, frames: int, size: tuple[int, int]) -> bytes:
    """An animated GIF, APNG or WebP whose frame i is a flat colour (distinct per frame)."""
    images = [Image.new("RGB", size, ((i * 53) % 256, (i * 101) % 256, 128)) for i in range(frames)]
    buf = io.BytesIO()
    extra = {"lossless": True} if fmt == "webp" else {}
    images[0].save(buf, PIL_FORMAT[fmt], save_all=True, append_images=images[1:], duration=100,
                   loop=0, **extra)
    return buf.getvalue()


def canvas_gif(side: int, frames: int) -> bytes:
    """A GIF whose logical screen is ``side`` x ``side`` and whose every frame paints one pixel.

    A few hundred bytes on disk, yet each frame decodes to the whole canvas: written by hand
    because an encoder writes the canvas's pixels out. Each frame is a graphic control block
    (100 ms), a 1x1 image descriptor and one LZW sub-block (clear code, index 0, end code).
    """
    header = b"GIF89a" + struct.pack("<HHBBB", side, side, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    frame = (b"\x21\xf9\x04\x00\x0a\x00\x00\x00"
             + b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0)
             + b"\x02\x02\x44\x01\x00")
    return header + loop + frame * frames + b"\x3b"
