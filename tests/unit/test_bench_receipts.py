"""bench/receipts.py's SROIE folder handling: receipts below 150 are kept for measuring and are
never listed or opened; the key's dates and amounts are read as printed in Malaysia."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from bench.receipts import sroie, sroie_amount, sroie_date, sroie_numbers


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for sub in ("img", "key", "box"):
        (tmp_path / sub).mkdir()
    for stem in ("000", "149", "150", "151", "499", "500"):
        (tmp_path / "img" / f"{stem}.jpg").write_bytes(b"not opened here")
        (tmp_path / "key" / f"{stem}.json").write_text(
            '{"company": "A SDN BHD", "date": "28/03/2018", "total": "RM 30.00"}')
    (tmp_path / "box" / "150.csv").write_text(
        "10,10,90,10,90,30,10,30,TOTAL\n200,12,260,12,260,30,200,30,30.00\n")
    return tmp_path


def test_receipts_below_150_are_refused(folder: Path) -> None:
    with pytest.raises(SystemExit, match="refused"):
        sroie_numbers(folder, 149, 499)
    with pytest.raises(SystemExit, match="refused"):
        sroie_numbers(folder, 0, 625)


def test_only_the_development_range_is_listed(folder: Path) -> None:
    assert sroie_numbers(folder, 150, 499) == [150, 151, 499]
    assert sroie_numbers(folder, 150, 625, step=2) == [150, 499]


def test_text_only_cases_carry_the_boxes_and_the_truth(folder: Path) -> None:
    case = next(sroie(folder, 150, 150, 1, images=False))
    assert case.image is None
    assert [w.text for w in case.boxes] == ["TOTAL", "30.00"]
    assert case.truth == {"total": Decimal("30.00"), "date": date(2018, 3, 28),
                          "merchant": "A SDN BHD"}


@pytest.mark.parametrize(("text", "expected"), [
    ("28/03/2018", date(2018, 3, 28)), ("25-03-18", date(2018, 3, 25)),
    ("2018-03-25", date(2018, 3, 25)), ("02/JAN/2017", date(2017, 1, 2)),
    ("25 MAR 2018", date(2018, 3, 25)), ("OCT 3, 2016", date(2016, 10, 3)),
    ("(01/02/2018)", date(2018, 2, 1)), ("15012018", date(2018, 1, 15)), ("soon", None),
    ("12/13/2016", date(2016, 12, 13)), ("20180428", date(2018, 4, 28))])
def test_key_dates(text: str, expected: date | None) -> None:
    assert sroie_date(text) == expected


def test_key_amounts() -> None:
    assert sroie_amount("RM 9.90") == Decimal("9.90")
    assert sroie_amount("$12.00") == Decimal("12.00")
    assert sroie_amount("") is None


def test_text_only_lists_by_key_and_orders_by_number(tmp_path: Path) -> None:
    (tmp_path / "key").mkdir()
    for stem in ("960", "1000", "999"):
        (tmp_path / "key" / f"{stem}.json").write_text('{"total": "1.00"}')
    assert sroie_numbers(tmp_path, 150, 9999, images=False) == [960, 999, 1000]
    with pytest.raises(SystemExit, match="no receipts"):
        sroie_numbers(tmp_path, 150, 9999)  # no images to read


def test_blind_sets_are_there_and_the_measure_set_shows_no_miss(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.receipts import BLIND, main
    for name in ("dev", "measure"):
        keys = sorted((BLIND / name / "key").glob("*.json"))
        assert len(keys) >= 100
        assert {k.stem for k in keys} == {b.stem for b in (BLIND / name / "box").glob("*.csv")}
    monkeypatch.setattr("sys.argv", ["receipts.py", "--blind", "measure", "--show"])
    with pytest.raises(SystemExit, match="refused"):
        main()


def test_misreads_counts_digits_read_for_others() -> None:
    from bench.ocr_misreads import misreads

    counts = misreads(["TOTAL RM 118.00", "15-03-18 15:41", "Qty 2"],
                      ["TOTAL RM 113.00", "15-03-13 15:41", "Qty 7", "THANK YOU"])
    # an 8 read as a 3 twice; a line of fewer than four digits is not matched
    assert counts == {"83": 2}
    # a row whose digits are unlike the line's is no reading of it
    assert misreads(["20/11/2026"], ["TEL 03-9054 3785"]) == {}


def test_photo_is_a_phone_photo_of_the_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    from bench.receipts import PHOTO_SIDE, main, photographed

    scan = Image.new("RGB", (300, 3000), "white")
    photo, again = photographed(scan, 7), photographed(scan, 7)
    # the paper scaled down to a phone's pixels, with a table around it; the same seed, the
    # same photo
    assert PHOTO_SIDE < max(photo.size) < 2 * PHOTO_SIDE
    assert photo.getpixel((2, 2)) != (255, 255, 255)
    assert photo.tobytes() == again.tobytes()
    # guard: on text lines there is nothing to photograph
    monkeypatch.setattr("sys.argv", ["receipts.py", "--blind", "dev", "--photo", "1"])
    with pytest.raises(SystemExit, match="--photo needs"):
        main()


def test_ceiling_finds_the_total_only_with_its_cents() -> None:
    from bench.ocr_ceiling import holds

    assert holds(Decimal("28.05"), ["Net", "Total", "RM28.05"])
    assert holds(Decimal("9.90"), ["9,90"])
    assert not holds(Decimal("28.05"), ["2805", "28.0", "128.051"])


def test_ceiling_finds_the_date_in_a_rows_words_in_either_order() -> None:
    from datetime import date

    from bench.ocr_ceiling import holds_date
    from bot.vision.ocr_words import Word

    row = [Word("Date:", 10, 100, 50, 20, 0.9), Word("05/01/2017", 70, 100, 100, 20, 0.9)]
    assert holds_date(date(2017, 1, 5), [row])
    assert holds_date(date(2017, 5, 1), [row])  # a month-first slip
    assert holds_date(date(2017, 1, 5), [[Word("0:", 1, 1, 9, 9, 0.5)], row])  # any reading
    assert not holds_date(date(2017, 1, 6), [row])
    assert not holds_date(date(2017, 1, 5), [[Word("05/0:/2017", 70, 100, 100, 20, 0.9)]])
