"""Orientation before the paper is measured, with a reader that says how far the photo is
turned (no OCR model here: the reader is a stand-in that records the image it is given), and
RapidOCR refusing to fetch a model its wheel lacks."""

from __future__ import annotations

import io
import socket
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from bot.errors import EngineUnavailable
from bot.receipts.reader import read_receipt, read_receipt_bytes
from bot.vision import rapid
from bot.vision.ocr_words import OcrResult, Orients, Word, turn_image, upright
from tests.receiptgen import generate


class TurnAwareReader:
    """Knows the turn (as the real check finds it) and records what ``words`` is given."""

    def __init__(self, turn_by: int) -> None:
        self.turn_by = turn_by
        self.seen: list[Image.Image] = []
        self.turn_calls = 0

    model_id = "turn-aware-stand-in"

    def read(self, image: Image.Image, lang: str = "auto") -> OcrResult:
        return OcrResult("", self.model_id, "en", None, 0.0)

    def turn(self, image: Image.Image) -> int:
        self.turn_calls += 1
        return self.turn_by

    def words(self, image: Image.Image, lang: str = "ja") -> list[Word]:
        self.seen.append(image)
        return [Word("TOTAL", 10, 10, 80, 20, 0.9), Word("12.50", 200, 10, 60, 20, 0.9)]


@pytest.fixture(scope="module")
def scan() -> Image.Image:
    image = generate(11, lang="en", photo=False).image
    assert image.height > 1.2 * image.width  # a receipt: a tall slip
    return image


def paper_seen(image: Image.Image, turn_by: int) -> Image.Image:
    """The flattened paper the reader's ``words`` is given."""
    reader = TurnAwareReader(turn_by)
    read_receipt(image, ocr=reader)
    assert reader.turn_calls == 1
    (paper,) = reader.seen
    return paper


def same_picture(a: Image.Image, b: Image.Image) -> bool:
    if a.size != b.size:
        return False
    diff = ImageStat.Stat(ImageChops.difference(a.convert("L"), b.convert("L")))
    return diff.mean[0] < 3  # of 255: the same pixels, give or take JPEG's


def test_turn_image_turns_counter_clockwise_without_resampling() -> None:
    image = Image.new("L", (3, 2))
    image.putpixel((0, 0), 255)  # top left
    assert turn_image(image, 90).size == (2, 3)
    assert turn_image(image, 90).getpixel((0, 2)) == 255  # top left goes to bottom left
    assert turn_image(image, 180).getpixel((2, 1)) == 255
    assert turn_image(image, 270).getpixel((1, 0)) == 255
    assert turn_image(image, 0) is image and turn_image(image, 360) is image


def test_upright_asks_only_readers_that_can_tell() -> None:
    image = Image.new("L", (30, 20))
    assert isinstance(TurnAwareReader(90), Orients)
    assert upright(image, TurnAwareReader(90)).size == (20, 30)
    assert upright(image, lambda img, lang: []) is image  # a bare word source


@pytest.mark.parametrize("turned", [90, 180, 270])
def test_a_turned_photo_is_read_upright(scan: Image.Image, turned: int) -> None:
    """The issue's case: a photo turned 90 degrees was flattened on its side (its rows read as
    columns) and the user told it was blurred. The reader turns it first."""
    photo = scan.rotate(-turned, expand=True)  # turned clockwise, no EXIF
    assert same_picture(paper_seen(photo, turned), paper_seen(scan, 0))


def test_exif_orientation_is_applied_before_the_pixels_are_checked(scan: Image.Image) -> None:
    sideways = scan.rotate(-90, expand=True)  # stored on its side, as a camera does
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to display"
    tagged, plain = io.BytesIO(), io.BytesIO()
    sideways.save(tagged, "JPEG", quality=95, exif=exif.tobytes())
    sideways.save(plain, "JPEG", quality=95)
    reader = TurnAwareReader(0)  # upright once EXIF is applied: the pixel check finds nothing
    read_receipt_bytes(tagged.getvalue(), ocr=reader)
    (paper,) = reader.seen
    with Image.open(plain) as stored:
        upright_pixels = stored.rotate(-90, expand=True)
    assert same_picture(paper, paper_seen(upright_pixels, 0))


def test_rapidocr_refuses_a_missing_model_rather_than_download_it(monkeypatch,
                                                                  tmp_path: Path) -> None:
    """No model is loaded: the engine checks the wheel's folder before rapidocr is built."""
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network disabled in tests")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(rapid, "models_dir", lambda: tmp_path)  # an empty "wheel"
    with pytest.raises(EngineUnavailable, match=r"PP-OCRv6_det_small\.onnx"):
        rapid.RapidEngine().words(Image.new("RGB", (64, 64), "white"))
    assert attempts == []
    assert "models missing" in rapid.describe()
