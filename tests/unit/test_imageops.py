"""bot.imaging.imageops: mode conversion, orientation, resizing, pixelation, metadata-free
encoding."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import ExifTags, Image

from bot.imaging import imageops
from tests import badfiles


def _open(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def test_16bit_grey_keeps_high_byte():
    img = _open(badfiles.png16())
    assert img.mode.startswith("I")
    out = np.asarray(imageops.to_rgb8(img))
    assert out.dtype == np.uint8 and out.shape == (64, 256, 3)
    expected = (np.linspace(0, 65535, 256).astype(np.uint16) >> 8).astype(np.uint8)
    assert np.array_equal(out[0, :, 0], expected)
    assert np.array_equal(out[..., 0], out[..., 2])


def test_cmyk_becomes_red():
    img = _open(badfiles.cmyk_jpeg())
    assert img.mode == "CMYK"
    r, g, b = imageops.to_rgb8(img).getpixel((10, 10))
    assert r > 230 and g < 25 and b < 25


def test_palette_transparency_is_composited_on_white():
    img = _open(badfiles.palette_png_transparent())
    assert img.mode == "P" and "transparency" in img.info
    out = imageops.to_rgb8(img)
    assert out.getpixel((2, 2)) == (255, 255, 255)  # hidden black becomes white
    assert out.getpixel((32, 32)) == (0, 0, 255)


@pytest.mark.parametrize(
    ("mode", "colour", "expected"),
    [
        ("LA", (0, 0), (255, 255, 255)),  # fully transparent black
        ("LA", (40, 255), (40, 40, 40)),
        ("RGBA", (10, 20, 30, 0), (255, 255, 255)),
        ("RGBA", (10, 20, 30, 255), (10, 20, 30)),
        ("1", 1, (255, 255, 255)),
        ("1", 0, (0, 0, 0)),
        ("L", 77, (77, 77, 77)),
    ],
)
def test_modes_to_rgb8(mode, colour, expected):
    out = imageops.to_rgb8(Image.new(mode, (8, 8), colour))
    assert out.mode == "RGB"
    assert out.getpixel((3, 3)) == expected


def test_half_transparent_rgba_blends_towards_white():
    out = imageops.to_rgb8(Image.new("RGBA", (4, 4), (0, 0, 0, 128)))
    assert all(120 <= c <= 135 for c in out.getpixel((0, 0)))


def test_exif_transpose_turns_upright():
    img = _open(badfiles.jpeg_with_gps(orientation=6))
    assert img.size == (320, 240)
    assert imageops.exif_transpose(img).size == (240, 320)


def test_fit_long_edge_keeps_aspect_and_never_enlarges():
    img = Image.new("RGB", (3000, 1000))
    assert imageops.fit_long_edge(img, 640).size == (640, 213)
    small = Image.new("RGB", (100, 50))
    assert imageops.fit_long_edge(small, 640).size == (100, 50)


def test_draft_size_is_aspect_preserving():
    assert imageops.draft_size(2000, 1000, 640) == (640, 320)
    assert imageops.draft_size(300, 200, 640) == (300, 200)


def test_box_pixels_clamps_and_skips_empty():
    assert imageops.box_pixels((-0.5, 0.25, 0.5, 2.0), 100, 40) == (0, 10, 50, 40)
    assert imageops.box_pixels((0.5, 0.5, 0.5, 0.9), 100, 100) is None


def test_pixelate_destroys_detail_only_inside_box():
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (200, 200, 3), dtype=np.uint8)
    img = Image.fromarray(noise)
    out = np.asarray(imageops.pixelate(img, [(0.25, 0.25, 0.75, 0.75)], blocks=10))
    inside = out[50:150, 50:150]
    assert len(np.unique(inside.reshape(-1, 3), axis=0)) <= 100  # 10x10 cells at most
    assert np.array_equal(inside[0:10, 0:10], np.broadcast_to(inside[0, 0], (10, 10, 3)))
    assert np.array_equal(out[:50], noise[:50])  # outside untouched
    assert np.array_equal(np.asarray(img), noise)  # input not mutated


def test_pixelate_rejects_zero_blocks():
    with pytest.raises(ValueError):
        imageops.pixelate(Image.new("RGB", (10, 10)), [(0, 0, 1, 1)], blocks=0)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_encode_clean_drops_all_metadata(fmt):
    img = _open(badfiles.jpeg_with_gps())
    assert "exif" in img.info and "icc_profile" in img.info and "xmp" in img.info
    data = imageops.encode_clean(img, fmt)
    back = Image.open(io.BytesIO(data))
    assert back.format == fmt
    for key in ("exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "photoshop"):
        assert key not in back.info
    assert not back.getexif()
    assert not back.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert b"MiruTestCam" not in data


def test_encode_clean_palette_png_keeps_colours():
    img = _open(badfiles.palette_png_transparent())
    back = Image.open(io.BytesIO(imageops.encode_clean(img, "PNG"))).convert("RGB")
    assert back.getpixel((32, 32)) == (0, 0, 255)
    assert back.getpixel((2, 2)) == (255, 255, 255)


def test_encode_clean_refuses_other_formats():
    with pytest.raises(ValueError):
        imageops.encode_clean(Image.new("RGB", (4, 4)), "TIFF")


def test_to_array_shape_and_type():
    arr = imageops.to_array(Image.new("LA", (5, 3), (9, 255)))
    assert arr.shape == (3, 5, 3) and arr.dtype == np.uint8 and arr.flags.c_contiguous


@pytest.mark.parametrize(
    ("size", "expected"),
    [((1000, 1000), (640, 640)), ((4000, 100), (640, 16)), ((2000, 1500), (640, 480)),
     ((600, 300), (600, 300)), ((1281, 2), (640, 1))],
)
def test_shrink_to_array_fits_the_long_edge(size, expected):
    arr = imageops.shrink_to_array(Image.new("RGB", size, (10, 20, 30)), 640)
    assert arr.shape == (expected[1], expected[0], 3)
    assert arr.dtype == np.uint8 and arr.flags.c_contiguous
    assert np.all(arr == (10, 20, 30))


def test_shrink_to_array_close_to_pillows_antialiased_resize():
    img = badfiles.photo((2000, 1500))
    fast = imageops.shrink_to_array(img, 640).astype(np.int16)
    slow = np.asarray(img.resize((640, 480), Image.Resampling.BILINEAR), dtype=np.int16)
    assert np.abs(fast - slow).mean() < 3


def test_shrink_to_array_does_not_alias_fine_stripes():
    # One-pixel black/white stripes shrunk 4x must average to grey, not pick one colour.
    stripes = np.zeros((100, 2560), dtype=np.uint8)
    stripes[:, ::2] = 255
    arr = imageops.shrink_to_array(Image.fromarray(stripes), 640)
    assert arr.shape == (25, 640, 3) and np.abs(arr.astype(int) - 127).max() <= 2


def test_shrink_to_array_composites_transparency_before_averaging():
    # Red hidden under alpha 0 must not bleed into the shrunk view.
    rgba = Image.new("RGBA", (2000, 2000), (255, 0, 0, 0))
    arr = imageops.shrink_to_array(rgba, 640)
    assert np.all(arr == 255)
