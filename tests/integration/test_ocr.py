"""OCR with the real engines: Debian's tesseract (jpn, eng) and RapidOCR's bundled ONNX models, on
receipts and signs rendered by the tests."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytesseract
import pytest
from PIL import Image
from rapidfuzz import fuzz

from bot.errors import ConfigError, EngineError, EngineUnavailable
from bot.vision import ocr
from bot.vision.ocr import OcrReader, normalise_text, prepare
from tests.render import blank, fuzzy_contains, receipt, sign, squash

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
CJK_GAP = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff] +[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.fixture(scope="session")
def tesseract() -> OcrReader:
    return OcrReader(engines_by_lang={"ja": "tesseract", "en": "tesseract"})


@pytest.fixture(scope="session")
def rapid() -> OcrReader:
    return OcrReader(engines_by_lang={"ja": "rapidocr", "en": "rapidocr"})


@pytest.fixture(scope="session")
def ja_read(tesseract: OcrReader) -> ocr.OcrResult:
    return tesseract.read(receipt("ja").image, "ja")


def test_tesseract_reads_the_japanese_receipt(ja_read: ocr.OcrResult) -> None:
    truth = receipt("ja")
    assert ja_read.engine == "tesseract" and ja_read.lang == "ja"
    for field in ("合計 ¥1,234", "小計 ¥1,122", "消費税(10%)", "2026年11月20日",
                  "お支払い クレジット", "登録番号 T1234567890123"):
        assert fuzzy_contains(ja_read.text, field), (field, ja_read.text)
    assert fuzz.ratio(squash(truth.text), squash(ja_read.text)) >= 90
    assert ja_read.confidence is not None and 0 < ja_read.confidence <= 1


def test_japanese_output_has_no_spaces_between_characters(ja_read: ocr.OcrResult) -> None:
    assert ja_read.text.strip()
    assert not CJK_GAP.search(ja_read.text), ja_read.text


def test_tesseract_reads_the_english_receipt(tesseract: OcrReader) -> None:
    result = tesseract.read(receipt("en").image, "en")
    for field in ("Total $23.45", "Subtotal $21.71", "VISA", "Invoice No. INV-2026-0042",
                  "2026-11-20"):
        assert fuzzy_contains(result.text, field, lang="en"), (field, result.text)
    assert result.engine == "tesseract" and result.lang == "en"


def test_rapidocr_reads_the_english_receipt(rapid: OcrReader) -> None:
    result = rapid.read(receipt("en").image, "en")
    assert result.engine == "rapidocr"
    for field in ("Total $23.45", "Subtotal", "VISA", "INV-2026-0042", "CORNER MARKET"):
        assert fuzzy_contains(result.text, field, lang="en"), (field, result.text)
    lines = result.text.splitlines()
    assert any("Total" in line and "23.45" in line for line in lines), "boxes joined into lines"
    assert result.confidence is not None and 0.5 < result.confidence <= 1


def test_auto_tells_japanese_from_english(tesseract: OcrReader) -> None:
    assert tesseract.read(sign(["非常口"], "ja").image, "auto").lang == "ja"
    english = tesseract.read(sign(["NO PARKING"], "en").image, "auto")
    assert english.lang == "en" and fuzzy_contains(english.text, "NO PARKING", lang="en")


def test_auto_rereads_english_with_the_english_engine() -> None:
    reader = OcrReader(engines_by_lang={"ja": "tesseract", "en": "rapidocr"})
    result = reader.read(sign(["Wet floor"], "en").image, "auto")
    assert (result.lang, result.engine) == ("en", "rapidocr")
    assert fuzzy_contains(result.text, "Wet floor", lang="en")


def test_a_dark_frame_round_the_text_is_trimmed_and_read_again(tesseract: OcrReader) -> None:
    framed = sign(["Wet floor"], "en", fg=(0, 0, 0), bg=(250, 210, 40)).image
    assert fuzzy_contains(tesseract.read(framed, "en").text, "Wet floor", lang="en")


def test_small_receipt_is_upscaled_and_read(tesseract: OcrReader) -> None:
    small = receipt("ja", scale=0.5).image
    prepared = prepare(small)
    assert prepared.mode == "L" and max(prepared.size) >= ocr.UPSCALE_BELOW - 1
    assert fuzzy_contains(tesseract.read(small, "ja").text, "合計 ¥1,234")


def test_a_blank_image_reads_as_no_text(tesseract: OcrReader, rapid: OcrReader) -> None:
    assert tesseract.read(blank(), "ja").text == ""
    assert rapid.read(blank(), "en").text == ""


def test_transparent_image_is_read_on_white(tesseract: OcrReader) -> None:
    text = sign(["OPEN"], "en", fg=(0, 0, 0), bg=(255, 255, 255), size=64).image
    rgba = text.convert("RGBA")
    rgba.putalpha(rgba.convert("L").point(lambda v: 255 - v))  # text opaque, paper transparent
    assert fuzzy_contains(tesseract.read(rgba, "en").text, "OPEN", lang="en")


def test_missing_tesseract_binary_is_engine_unavailable(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "no-tesseract"))
    with pytest.raises(EngineUnavailable, match="not installed"):
        OcrReader(engines_by_lang={"en": "tesseract"}).read(blank(), "en")


def test_missing_language_data_is_engine_unavailable(monkeypatch) -> None:
    monkeypatch.setitem(ocr.TESSERACT_LANGS, "en", "eng+xyz")
    with pytest.raises(EngineUnavailable, match="xyz"):
        OcrReader(engines_by_lang={"en": "tesseract"}).read(blank(), "en")


def test_unknown_engine_or_language_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        OcrReader(engines_by_lang={"ja": "paddle"})
    with pytest.raises(ConfigError):
        OcrReader(engines_by_lang={"fr": "tesseract"})


def test_available_reports_versions_and_languages() -> None:
    info = OcrReader().available()
    version = str(pytesseract.get_tesseract_version())
    assert info["tesseract"].startswith(version) and "jpn" in info["tesseract"]
    assert re.fullmatch(r"\d+\.\d+\.\d+ \(PP-OCRv6 .*models in the wheel\)", info["rapidocr"])
    assert OcrReader(engines_by_lang={"ja": "tesseract", "en": "rapidocr"}).model_id.endswith(
        f"+rapidocr-{info['rapidocr'].split()[0]}")


def test_normalise_text() -> None:
    raw = "合 計   \\1,234\n\n Total   $23.45 \nＡＢＣ １２３ ￥500"
    assert normalise_text(raw, "ja") == "合計 ¥1,234\nTotal $23.45\nABC 123 ¥500"
    assert normalise_text("C:\\2024", "en") == "C:\\2024"


def test_make_samples_writes_the_demo_images_deterministically(tmp_path: Path,
                                                               tesseract: OcrReader) -> None:
    script = ROOT / "scripts" / "make_samples.py"
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        subprocess.run([sys.executable, str(script), str(out)], check=True, capture_output=True)
    names = sorted(p.name for p in outs[0].iterdir())
    assert names == ["photo.jpg", "receipt_en.png", "receipt_ja.png"]
    for name in names:
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    with Image.open(outs[0] / "photo.jpg") as photo:
        gps = photo.getexif().get_ifd(0x8825)
    assert gps.get(1) == "N" and gps.get(3) == "E"
    with Image.open(outs[0] / "receipt_en.png") as img:
        assert fuzzy_contains(tesseract.read(img, "en").text, "Total $23.45", lang="en")


def test_a_tesseract_run_past_its_time_limit_is_an_engine_error() -> None:
    reader = OcrReader(engines_by_lang={"ja": "tesseract"}, timeout_s=0.001)
    with pytest.raises(EngineError, match="timeout"):
        reader.read(receipt("ja").image, "ja")
