"""Reading text in images: Tesseract (pytesseract) and RapidOCR behind one interface.

``OcrReader.read`` is synchronous and CPU-bound; async callers use ``asyncio.to_thread``. Missing
pieces (no tesseract binary, no language data, no rapidocr package) raise ``EngineUnavailable``
with a sentence an operator can act on; an engine that fails mid-read raises ``EngineError``.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import threading
import time
import unicodedata
from typing import Any

from PIL import Image

from bot.errors import ConfigError, EngineError, EngineUnavailable
from bot.vision.ocr_words import TESSERACT_LANGS, OcrResult, Word, tesseract_words

ENGINES = ("tesseract", "rapidocr")
LANGS = ("ja", "en")

# Chosen from `.venv/bin/python bench/ocr.py --compare-prep` (2026-11-27, 2 CPU cores shared with
# other jobs, so times are rough): character accuracy (1 - normalised Indel distance) and median ms
# over 3 receipts + 3 signs per language, each at full and half scale (12 images):
#   ja  tesseract 0.983 acc  1,159 ms (0.924 without pre-processing) | rapidocr 0.880  2,777 ms
#   en  tesseract 1.000 acc    701 ms (0.996 without pre-processing) | rapidocr 0.997  2,363 ms
# and at 0.35 scale (`--scales 0.35`, 6 images): ja 0.943 vs 0.839, en 0.995 vs 0.992.
# RapidOCR's bundled model is Chinese+English and misses most kana; on English it is as accurate
# but slower here in every run (600-2,500 ms against 460-900 ms). Tesseract for both also lets
# "auto" read mixed ja/en text in one pass (jpn+eng). RapidOCR stays available by configuration.
DEFAULT_ENGINES: dict[str, str] = {"ja": "tesseract", "en": "tesseract"}

# Page segmentation 4 ("one column of text of variable sizes") suits receipts, signs and notices:
# mean ja accuracy 0.983 against 0.964 for the default (3), which split a receipt's price column.
TESSERACT_CONFIG = "--psm 4"

# Pre-processing for Tesseract (bench/ocr.py --compare-prep): grayscale, and upscale images whose
# long side is under UPSCALE_BELOW so that small text gets enough pixels per stroke. RapidOCR gets
# the image as it is: it resizes for its own detector, and the same steps bought it nothing
# (en 0.997 either way) but time.
UPSCALE_BELOW = 1000
MAX_UPSCALE = 3.0

_CJK = r"\u3000-\u303f\u3040-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])[ \t]+(?=[{_CJK}])")
_JAPANESE = re.compile(r"[\u3040-\u309f\u30a0-\u30ff\u4e00-\u9fff]")
_YEN_AS_BACKSLASH = re.compile(r"\\(?=\s?\d)")


def normalise_text(text: str, lang: str) -> str:
    """Tidy raw OCR output: NFKC (full-width ASCII and ``￥`` to their usual forms), single spaces,
    no spaces between CJK characters (Tesseract's jpn model puts them there), no blank lines.
    For Japanese a backslash before a digit is a yen sign (the JIS X 0201 confusion)."""
    # NFKC is the standard normalisation for mixed-width Japanese text; jaconv would also do it
    # but also converts kana we want kept as they are.
    text = unicodedata.normalize("NFKC", text)
    if lang == "ja":
        text = _YEN_AS_BACKSLASH.sub("¥", text)
    lines = []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        line = _SPACE_BETWEEN_CJK.sub("", line)
        if line:
            lines.append(line)
    return "\n".join(lines)


def looks_japanese(text: str) -> bool:
    """True when the text has any kana or kanji."""
    return bool(_JAPANESE.search(text))


def trim_margins(image: Image.Image, fraction: float = 0.05) -> Image.Image:
    """The image without its outer ``fraction`` on each side. Tesseract's layout analysis reads a
    dark frame round the text (a sign's border, a photo's edge) as one picture and returns nothing;
    the reader retries without the margins when a first pass finds no text."""
    dx, dy = round(image.width * fraction), round(image.height * fraction)
    if image.width - 2 * dx < 8 or image.height - 2 * dy < 8:
        return image
    return image.crop((dx, dy, image.width - dx, image.height - dy))


def prepare(image: Image.Image) -> Image.Image:
    """Grayscale (transparency flattened onto white) and upscale small images for OCR."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(flat, rgba)
    gray = image.convert("L")
    long_side = max(gray.size)
    if 0 < long_side < UPSCALE_BELOW:
        factor = min(MAX_UPSCALE, UPSCALE_BELOW / long_side)
        size = (round(gray.width * factor), round(gray.height * factor))
        gray = gray.resize(size, Image.Resampling.LANCZOS)
    return gray


class OcrReader:
    """Reads text with the engine configured for each language.

    ``engines_by_lang`` maps "ja"/"en" to "tesseract" or "rapidocr" (missing languages take
    ``DEFAULT_ENGINES``). ``preprocess=False`` hands Tesseract the image as it is (for the
    bench); a Tesseract run longer than ``timeout_s`` is killed (``EngineError``). RapidOCR's
    models are loaded on first use and kept by this reader.
    """

    def __init__(
        self,
        *,
        engines_by_lang: dict[str, str] | None = None,
        preprocess: bool = True,
        timeout_s: float = 60.0,
    ) -> None:
        mapping = {**DEFAULT_ENGINES, **(engines_by_lang or {})}
        for lang, engine in mapping.items():
            if lang not in LANGS or engine not in ENGINES:
                raise ConfigError(
                    f"OCR engine mapping {lang!r}: {engine!r} is not valid "
                    f"(languages {', '.join(LANGS)}; engines {', '.join(ENGINES)})"
                )
        self.engines_by_lang = mapping
        self.preprocess = preprocess
        self.timeout_s = timeout_s
        self._tesseract_langs: frozenset[str] | None = None  # found on first use
        self._rapid: Any = None
        self._rapid_lock = threading.Lock()

    @property
    def model_id(self) -> str:
        """E.g. "tesseract-5.3.0" or "tesseract-5.3.0+rapidocr-1.4.4": the engines this reader
        uses, with versions where they can be found, for answers and the audit log."""
        used = sorted(set(self.engines_by_lang.values()), key=ENGINES.index)
        return "+".join(_engine_version(name) for name in used)

    def read(self, image: Image.Image, lang: str = "auto") -> OcrResult:
        """The text in ``image``. ``lang`` "ja", "en" or "auto" (anything else counts as auto):
        auto reads with the Japanese engine and, when no Japanese came out and the English engine
        differs, reads again with the English one."""
        start = time.perf_counter()
        base = lang.split("-")[0].lower() if lang else "auto"
        if base in LANGS:
            text, conf, engine = self._read_with(image, base)
            found = base
        else:
            text, conf, engine = self._read_with(image, "ja")
            found = "ja" if looks_japanese(text) else "en"
            if found == "en" and self.engines_by_lang["en"] != engine:
                text, conf, engine = self._read_with(image, "en")
        elapsed = (time.perf_counter() - start) * 1000
        return OcrResult(text, engine, found, conf, elapsed)

    def words(self, image: Image.Image, lang: str = "ja") -> list[Word]:
        """Tesseract's words with boxes (``lang`` "ja" reads jpn+eng), whatever engine reads
        plain text: the receipt reader's rows come from Tesseract (``bot.receipts.reader``)."""
        return tesseract_words(image, lang, timeout_s=self.timeout_s)

    def _read_with(self, image: Image.Image, lang: str) -> tuple[str, float | None, str]:
        engine = self.engines_by_lang[lang]
        if engine == "tesseract":
            prepared = prepare(image) if self.preprocess else image.convert("RGB")
            text, conf = self._tesseract(prepared, lang)
            if not text.strip():
                text, conf = self._tesseract(trim_margins(prepared), lang)
        else:
            text, conf = self._rapidocr(image)
        return normalise_text(text, lang), conf, engine

    def _tesseract(self, image: Image.Image, lang: str) -> tuple[str, float | None]:
        import pytesseract

        langs = TESSERACT_LANGS[lang]
        self._check_tesseract_langs(langs)
        try:
            data = pytesseract.image_to_data(
                image, lang=langs, config=TESSERACT_CONFIG, timeout=self.timeout_s,
                output_type=pytesseract.Output.DICT,
            )
        except pytesseract.TesseractNotFoundError as err:
            raise EngineUnavailable("tesseract is not installed or not on PATH") from err
        except (pytesseract.TesseractError, RuntimeError, OSError) as err:
            raise EngineError(f"tesseract failed: {err}") from err
        lines: dict[tuple[int, int, int], list[str]] = {}
        confs: list[float] = []
        for i, word in enumerate(data["text"]):
            if not word.strip():
                continue
            key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
            lines.setdefault(key, []).append(word)
            conf = float(data["conf"][i])
            if conf >= 0:
                confs.append(conf / 100)
        text = "\n".join(" ".join(words) for words in lines.values())
        return text, (sum(confs) / len(confs) if confs else None)

    def _check_tesseract_langs(self, langs: str) -> None:
        import pytesseract

        if self._tesseract_langs is None:
            try:
                self._tesseract_langs = frozenset(pytesseract.get_languages())
            except pytesseract.TesseractNotFoundError as err:
                raise EngineUnavailable("tesseract is not installed or not on PATH") from err
        installed = self._tesseract_langs
        missing = [code for code in langs.split("+") if code not in installed]
        if missing:
            raise EngineUnavailable(
                f"tesseract language data missing: {', '.join(missing)} "
                f"(install tesseract-ocr-{missing[0]})"
            )

    def _rapidocr(self, image: Image.Image) -> tuple[str, float | None]:
        engine = self._rapid_engine()
        try:
            result, _ = engine(image.convert("RGB"))
        except Exception as err:  # onnxruntime and cv2 raise many types; all mean "failed"
            raise EngineError(f"rapidocr failed: {err}") from err
        if not result:
            return "", None
        boxes = [(_box_extent(box), text, float(score)) for box, text, score in result]
        return _join_lines(boxes), sum(score for _, _, score in boxes) / len(boxes)

    def _rapid_engine(self) -> Any:
        with self._rapid_lock:
            if self._rapid is None:
                try:
                    from rapidocr_onnxruntime import RapidOCR
                except ImportError as err:
                    raise EngineUnavailable(
                        "rapidocr is not installed (pip install rapidocr-onnxruntime)"
                    ) from err
                self._rapid = RapidOCR()
            return self._rapid

    def available(self) -> dict[str, str]:
        """What is installed, for ``miru doctor``: {"tesseract": "5.3.0 (eng, jpn, osd)",
        "rapidocr": "1.4.4", "engines": "ja=tesseract, en=tesseract"}; "missing: ..." otherwise."""
        import pytesseract

        info: dict[str, str] = {}
        try:
            version = pytesseract.get_tesseract_version()
            langs = ", ".join(sorted(pytesseract.get_languages()))
            info["tesseract"] = f"{version} ({langs})"
        except (pytesseract.TesseractNotFoundError, OSError):
            info["tesseract"] = "missing: install tesseract-ocr and tesseract-ocr-jpn"
        if importlib.util.find_spec("rapidocr_onnxruntime") is None:
            info["rapidocr"] = "missing: pip install rapidocr-onnxruntime"
        else:
            info["rapidocr"] = importlib.metadata.version("rapidocr-onnxruntime")
        info["engines"] = ", ".join(f"{k}={v}" for k, v in self.engines_by_lang.items())
        return info


def _engine_version(name: str) -> str:
    try:
        if name == "tesseract":
            import pytesseract

            return f"tesseract-{pytesseract.get_tesseract_version()}"
        return f"rapidocr-{importlib.metadata.version('rapidocr-onnxruntime')}"
    except Exception:  # a missing engine still gets a name; reading it raises EngineUnavailable
        return name


Extent = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels


def _box_extent(box: Any) -> Extent:
    xs = [float(p[0]) for p in box]
    ys = [float(p[1]) for p in box]
    return (min(xs), min(ys), max(xs), max(ys))


def _join_lines(boxes: list[tuple[Extent, str, float]]) -> str:
    """Group RapidOCR's text boxes into printed lines (vertical centres within half a box height
    of the line's first box), each line left to right."""
    lines: list[list[tuple[Extent, str, float]]] = []
    for item in sorted(boxes, key=lambda b: (b[0][1] + b[0][3]) / 2):
        (_, y0, _, y1), _, _ = item
        centre = (y0 + y1) / 2
        if lines:
            ref = lines[-1][0][0]
            if abs(centre - (ref[1] + ref[3]) / 2) <= (ref[3] - ref[1]) / 2:
                lines[-1].append(item)
                continue
        lines.append([item])
    return "\n".join(" ".join(t for _, t, _ in sorted(line, key=lambda b: b[0][0]))
                     for line in lines)
