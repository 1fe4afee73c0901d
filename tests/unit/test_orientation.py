"""Orientation before the paper is measured, with a reader that says how far the photo is
turned (no OCR model here: the reader is a stand-in that records the image it is given), and
RapidOCR refusing to fetch a model its wheel lacks."""

from __future__ import annotations

import io
import socket
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageChops, ImageStat

import bot.receipts.reader as reader_module
from bot.errors import EngineUnavailable
from bot.receipts.paper import runs_down
from bot.receipts.reader import (
    MAX_SIDE,
    _normalised,
    prepare_and_read,
    read_receipt,
    read_receipt_bytes,
)
from bot.vision import rapid
from bot.vision.ocr_words import OcrResult, Orients, ReadsTurned, Word, turn_image, upright
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


class ReadingTurnReader(TurnAwareReader):
    """Tells the turn while it reads (as rapidocr does): ``turns`` are what each
    ``read_turned`` says in order; records the pages it reads."""

    def __init__(self, *turns: int) -> None:
        super().__init__(0)
        self.turns = list(turns)
        self.read_pages: list[Image.Image] = []

    def reads_turned(self, lang: str) -> bool:
        return True

    def read_turned(self, image: Image.Image, lang: str) -> tuple[int, list[Word] | None]:
        self.read_pages.append(image)
        turn = self.turns.pop(0)
        if turn in (90, 270):
            return turn, None
        return turn, [Word("TOTAL", 10, 10, 80, 20, 0.9), Word("12.50", 200, 10, 60, 20, 0.9)]


def test_a_reader_that_tells_the_turn_while_reading_reads_an_upright_page_once(
        scan: Image.Image) -> None:
    reader = ReadingTurnReader(0)
    paper, _, words = prepare_and_read(scan, reader, "en")
    assert isinstance(reader, ReadsTurned)
    assert reader.turn_calls == 0 and reader.seen == []  # no check of its own, no second read
    assert len(reader.read_pages) == 1 and paper is reader.read_pages[0]
    assert [w.text for w in words] == ["TOTAL", "12.50"]
    assert same_picture(paper, paper_seen(scan, 0))


def test_upside_down_the_paper_turns_with_the_words_it_gave(scan: Image.Image) -> None:
    reader = ReadingTurnReader(180)
    paper, _, words = prepare_and_read(scan.rotate(180), reader, "en")
    assert reader.turn_calls == 0 and reader.seen == [] and len(reader.read_pages) == 1
    assert same_picture(paper, turn_image(reader.read_pages[0], 180))
    assert same_picture(paper, paper_seen(scan, 0))
    assert [w.text for w in words] == ["TOTAL", "12.50"]


def test_the_first_guess_tells_a_sheet_on_its_side(scan: Image.Image) -> None:
    """``paper.runs_down``: the ink's profile down the columns against across the rows."""
    assert [runs_down(np.asarray(scan.rotate(-t, expand=True))) for t in (0, 90, 180, 270)] == [
        False, True, False, True]
    assert not runs_down(np.full((400, 300, 3), 255, np.uint8))  # nothing printed


@pytest.mark.parametrize(("turned", "then"), [(90, 0), (270, 180)])
def test_a_photo_on_its_side_is_turned_a_quarter_before_its_one_reading(
        scan: Image.Image, turned: int, then: int) -> None:
    """The guess turns it 90 counter-clockwise: upright, or upside down for the reading."""
    reader = ReadingTurnReader(then)
    paper, quality, words = prepare_and_read(scan.rotate(-turned, expand=True), reader, "en")
    assert len(reader.read_pages) == 1 and reader.turn_calls == 0 and reader.seen == []
    assert same_picture(paper, paper_seen(scan, 0))
    assert quality == prepare_and_read(scan, ReadingTurnReader(0), "en")[1]
    assert [w.text for w in words] == ["TOTAL", "12.50"]


@pytest.mark.parametrize("turned", [90, 270])
def test_on_its_side_after_the_guess_the_photo_is_turned_flattened_and_read_again(
        scan: Image.Image, turned: int, monkeypatch) -> None:
    monkeypatch.setattr(reader_module, "runs_down", lambda rgb: False)  # the guess missed
    reader = ReadingTurnReader(turned, 0)
    paper, quality, words = prepare_and_read(scan.rotate(-turned, expand=True), reader, "en")
    assert len(reader.read_pages) == 2 and reader.turn_calls == 0 and reader.seen == []
    assert same_picture(paper, paper_seen(scan, 0))  # flattened anew, upright
    assert quality == prepare_and_read(scan, ReadingTurnReader(0), "en")[1]
    assert [w.text for w in words] == ["TOTAL", "12.50"]


def test_a_wrong_guess_costs_a_reading_not_the_result(scan: Image.Image, monkeypatch) -> None:
    monkeypatch.setattr(reader_module, "runs_down", lambda rgb: True)  # an upright page
    reader = ReadingTurnReader(270, 0)  # the reading finds the turned page on its side
    paper, _, _ = prepare_and_read(scan, reader, "en")
    assert len(reader.read_pages) == 2
    assert same_picture(paper, paper_seen(scan, 0))


def test_on_its_side_twice_the_page_is_read_as_it_now_lies(scan: Image.Image,
                                                          monkeypatch) -> None:
    monkeypatch.setattr(reader_module, "runs_down", lambda rgb: False)
    reader = ReadingTurnReader(90, 90)
    _, _, words = prepare_and_read(scan.rotate(-90, expand=True), reader, "en")
    assert len(reader.read_pages) == 2 and len(reader.seen) == 1  # then a plain reading
    assert [w.text for w in words] == ["TOTAL", "12.50"]


def test_a_reader_that_cannot_tell_while_reading_is_asked_first(scan: Image.Image) -> None:
    class NotNow(ReadingTurnReader):
        def reads_turned(self, lang: str) -> bool:
            return False

    reader = NotNow(0)
    prepare_and_read(scan.rotate(-90, expand=True), reader, "en")
    assert reader.read_pages == [] and reader.turn_calls == 1 and len(reader.seen) == 1


def test_a_photo_over_max_side_is_reduced_by_whole_blocks() -> None:
    """``_normalised``: by the whole factor that brings the long side under MAX_SIDE, each
    block to its mean (a 35 MP scan is halved, not resampled to exactly MAX_SIDE)."""
    wide = Image.new("RGB", (MAX_SIDE * 2 + 3, 30), "white")
    wide.paste((0, 0, 0), (0, 0, 3, 3))  # one whole 3 x 3 block of ink
    wide.paste((0, 0, 0), (3, 0, 4, 3))  # and a third of the next
    out = _normalised(wide)
    assert out.size == (-(-(MAX_SIDE * 2 + 3) // 3), 10) and max(out.size) <= MAX_SIDE
    assert out.getpixel((0, 0)) == (0, 0, 0) and out.getpixel((1, 0)) == (170, 170, 170)
    edge = Image.new("RGB", (MAX_SIDE, 20), "white")
    assert _normalised(edge) is edge  # not over: kept as it is
    clear = _normalised(Image.new("RGBA", (40, 20), (0, 0, 0, 0)))
    assert clear.mode == "RGB" and clear.getpixel((0, 0)) == (255, 255, 255)
