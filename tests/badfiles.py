"""Builders for hostile and awkward image inputs, made in memory (never explicit imagery).

Every builder returns the file's bytes; ``TEXT_NAME`` is the misleading name for ``text_as_jpg``.
Other test modules import these to feed the pipeline the same bad inputs.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import numpy as np
from PIL import ExifTags, Image, ImageCms, ImageDraw
from skimage import data as skdata

TEXT_NAME = "holiday.jpg"
GPS_LATITUDE = (35.0, 39.0, 29.0)  # a real-looking position that must not survive ingest


def _save(img: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()


def photo(size: tuple[int, int] = (512, 512)) -> Image.Image:
    """A benign photo with a face (scikit-image's astronaut), resized to ``size``."""
    img = Image.fromarray(skdata.astronaut())
    return img if img.size == size else img.resize(size, Image.Resampling.BILINEAR)


def jpeg(size: tuple[int, int] = (512, 512), quality: int = 90) -> bytes:
    return _save(photo(size), "JPEG", quality=quality)


def empty() -> bytes:
    return b""


def text_as_jpg() -> bytes:
    """Plain text that a user (or attacker) named ``holiday.jpg``."""
    return b"This is not an image, whatever its name says.\n" * 20


def truncated_jpeg() -> bytes:
    """A real JPEG cut in half: must be refused, never screened as a partial (grey) image."""
    data = jpeg()
    return data[: len(data) // 2]


def png16() -> bytes:
    """16-bit greyscale PNG: a horizontal ramp 0..65535 (8-bit value = high byte)."""
    ramp = np.linspace(0, 65535, 256).astype(np.uint16)
    return _save(Image.fromarray(np.tile(ramp, (64, 1))), "PNG")


def cmyk_jpeg() -> bytes:
    """CMYK JPEG, pure red (C=0, M=255, Y=255, K=0)."""
    return _save(Image.new("CMYK", (96, 64), (0, 255, 255, 0)), "JPEG", quality=95)


def palette_png_transparent() -> bytes:
    """Palette PNG whose background index is black but fully transparent, with a blue square.

    Decoded correctly the background is white (composited), not the hidden black.
    """
    img = Image.new("P", (64, 64), 0)
    img.putpalette([0, 0, 0, 0, 0, 255] + [0, 0, 0] * 254)
    ImageDraw.Draw(img).rectangle((16, 16, 47, 47), fill=1)
    return _save(img, "PNG", transparency=0)


def animated_gif(frames: int = 500, size: tuple[int, int] = (64, 48)) -> bytes:
    """A long animation: frame i is a solid grey of level (i * 7) % 256 with a bar at x = i % w."""
    images = []
    for i in range(frames):
        img = Image.new("L", size, (i * 7) % 256)
        ImageDraw.Draw(img).line((i % size[0], 0, i % size[0], size[1]), fill=255 - (i * 7) % 256)
        images.append(img.convert("P"))
    return _save(images[0], "GIF", save_all=True, append_images=images[1:], duration=40, loop=0)


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return (struct.pack(">I", len(payload)) + kind + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))


def png_bomb_header(width: int = 100_000, height: int = 100_000) -> bytes:
    """A PNG whose valid IHDR declares ``width`` x ``height`` RGB with a tiny IDAT.

    Written by hand (Pillow will not encode it): a decoder that trusts the header would try to
    allocate tens of gigabytes.
    """
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" + b"\x00" * 3 * 16)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat)
            + _chunk(b"IEND", b""))


def png_with_zip() -> bytes:
    """A valid PNG with a ZIP archive appended (a polyglot that carries a hidden file)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("secret.txt", "hidden payload " * 50)
    return _save(photo((128, 96)), "PNG") + buf.getvalue()


def jpeg_with_gps(orientation: int = 6) -> bytes:
    """A 320x240 JPEG with GPS EXIF, an EXIF orientation tag, an ICC profile and XMP.

    Orientation 6 means "rotate 90 degrees clockwise to display": upright it is 240x320.
    """
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "MiruTestCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (139.0, 44.0, 28.0)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    return _save(photo((320, 240)), "JPEG", quality=90, exif=exif, icc_profile=icc, xmp=xmp)


def heic() -> bytes:
    """A HEIC still (pillow-heif's x265 encoder), 160x120, of the astronaut."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    return _save(photo((160, 120)), "HEIF", quality=80)


def big_png(side: int = 6000) -> bytes:
    """A flat grey PNG of ``side`` x ``side``: small on disk, ~100 MB once decoded to RGB."""
    return _save(Image.new("L", (side, side), 128), "PNG", compress_level=1)


ALL = {
    "empty": empty,
    "text_as_jpg": text_as_jpg,
    "truncated_jpeg": truncated_jpeg,
    "png16": png16,
    "cmyk_jpeg": cmyk_jpeg,
    "palette_png_transparent": palette_png_transparent,
    "animated_gif": animated_gif,
    "png_bomb_header": png_bomb_header,
    "png_with_zip": png_with_zip,
    "jpeg_with_gps": jpeg_with_gps,
    "heic": heic,
}
