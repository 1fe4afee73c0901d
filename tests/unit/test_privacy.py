"""The privacy clean operation (real Pillow encode/decode) and the request detector."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from bot.errors import CorruptImage, EmptyInput, UnsupportedFormat
from bot.imaging.imageops import box_pixels
from bot.imaging.privacy import clean_image, wants_privacy_op
from tests.render import image_bytes, photo_with_gps

GPS_IFD = 0x8825
FACE = (0.25, 0.2, 0.55, 0.6)


def noise(width: int = 240, height: int = 160, mode: str = "RGB") -> Image.Image:
    """Fine random detail (fixed seed), so pixelation is easy to see."""
    bands = len(mode)
    arr = np.random.default_rng(7).integers(0, 256, (height, width, bands), dtype=np.uint8)
    return Image.fromarray(arr if bands > 1 else arr[:, :, 0], mode)


def decode(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def test_gps_and_camera_exif_are_removed() -> None:
    original = photo_with_gps()
    with Image.open(io.BytesIO(original)) as src:
        assert src.getexif().get_ifd(GPS_IFD), "the sample must carry GPS to begin with"
    cleaned = decode(clean_image(original, blur_faces=False))
    assert cleaned.format == "JPEG"
    assert len(cleaned.getexif()) == 0 and not cleaned.getexif().get_ifd(GPS_IFD)
    assert "exif" not in cleaned.info and "icc_profile" not in cleaned.info
    assert cleaned.size == Image.open(io.BytesIO(original)).size


def test_faces_are_pixelated_and_nothing_else_changes() -> None:
    src = noise()
    out = decode(clean_image(image_bytes(src), blur_faces=True, faces=[FACE]))
    assert out.format == "PNG" and out.size == src.size
    x0, y0, x1, y1 = box_pixels(FACE, src.width, src.height)
    before, after = np.asarray(src).astype(int), np.asarray(out).astype(int)
    inside = after[y0:y1, x0:x1].reshape(-1, 3)
    assert len(np.unique(inside, axis=0)) <= 12 * 12, "the box is a few flat blocks"
    assert np.abs(np.diff(after[y0:y1, x0:x1], axis=1)).mean() < 0.2 * np.abs(
        np.diff(before[y0:y1, x0:x1], axis=1)).mean()
    mask = np.ones(before.shape[:2], bool)
    mask[y0:y1, x0:x1] = False
    assert np.array_equal(before[mask], after[mask]), "pixels outside the box are untouched"


def test_faces_are_left_alone_unless_asked() -> None:
    src = noise()
    out = decode(clean_image(image_bytes(src), blur_faces=False, faces=[FACE]))
    assert np.array_equal(np.asarray(src), np.asarray(out))


def test_orientation_is_applied_before_the_tag_goes() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    buf = io.BytesIO()
    noise(240, 160).save(buf, "JPEG", exif=exif.tobytes())
    out = decode(clean_image(buf.getvalue(), blur_faces=False))
    assert out.size == (160, 240) and 0x0112 not in out.getexif()


def test_png_transparency_is_kept_and_text_chunks_dropped() -> None:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "taken at home, 35.6N 139.7E")
    buf = io.BytesIO()
    noise(mode="RGBA").save(buf, "PNG", pnginfo=info)
    out = decode(clean_image(buf.getvalue(), blur_faces=False))
    assert out.mode == "RGBA" and "Comment" not in out.info


def test_bad_input_raises_clear_errors() -> None:
    with pytest.raises(EmptyInput):
        clean_image(b"", blur_faces=False)
    with pytest.raises(UnsupportedFormat):
        clean_image(b"%PDF-1.7 definitely not an image", blur_faces=False)
    whole = photo_with_gps()
    with pytest.raises(CorruptImage):
        clean_image(whole[: len(whole) // 2], blur_faces=False)


@pytest.mark.parametrize("text", [
    "Please remove the location", "strip metadata", "remove the GPS data from this",
    "clean this photo", "can you delete the EXIF?",
    "位置情報を消して", "GPS情報を削除してください", "メタデータを消してほしい",
    "撮影場所を取り除いて",
])
def test_clean_requests(text: str) -> None:
    assert wants_privacy_op(text) == "clean"


@pytest.mark.parametrize("text", [
    "blur faces", "Can you blur the faces?", "pixelate everyone's face please", "hide their faces",
    "Remove the EXIF data and blur faces",
    "顔にモザイク", "顔にモザイクをかけて", "顔をぼかしてください", "モザイクをかけてください",
])
def test_blur_requests(text: str) -> None:
    assert wants_privacy_op(text) == "blur_faces"


@pytest.mark.parametrize("text", [
    "what does this sign say?", "Where was this photo taken?", "Is anyone hiding their face?",
    "how many faces are there?", "don't blur the faces", "remove the background", "",
    "この看板には何と書いてありますか", "この写真の位置情報は？", "顔は何人写っていますか",
    "顔を隠している人はいますか？", "合計金額を教えて",
])
def test_ordinary_questions_are_not_operations(text: str) -> None:
    assert wants_privacy_op(text) is None
