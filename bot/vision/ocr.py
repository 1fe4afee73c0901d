"""Reading text in images: Tesseract (pytesseract) and RapidOCR behind one interface.

``OcrReader.read`` is synchronous and CPU-bound; async callers use ``asyncio.to_thread``. Missing
pieces (no tesseract binary, no language data, no rapidocr package) raise ``EngineUnavailable``
with a sentence an operator can act on; an engine that fails mid-read raises ``EngineError``.
"""

from __future__ import annotations

import re
import time
import unicodedata

from PIL import Image

from bot.errors import ConfigError, EngineError, EngineUnavailable
from bot.vision import rapid, rapid_tiers
from bot.vision.ocr_words import TESSERACT_LANGS, OcrResult, Word, tesseract_words, turn_image

ENGINES = ("tesseract", "rapidocr")
LANGS = ("ja", "en")

# RapidOCR 3.10 (PP-OCRv6 small: one multilingual recogniser for Latin, digits, kana and kanji)
# for both, by measurement (`OMP_THREAD_LIMIT=1 .venv/bin/python bench/receipts.py --n 20
# --lang ja --engine rapidocr|tesseract` and `--sroie DIR`, 2026-12-06, figures in
# docs/models.md): on rendered Japanese receipts total, date, merchant and category 1.000 at
# 0.56 CPU-s p50; on real scans (SROIE) it reads the total into the text for ~100 in 100 where
# Tesseract manages ~84. Tesseract (jpn+eng) is the fallback when rapidocr or its models are
# missing, and stays selectable per language (the PP-OCRv4 model before it missed most kana).
DEFAULT_ENGINES: dict[str, str] = {"ja": "rapidocr", "en": "rapidocr"}
FALLBACK_ENGINES: dict[str, str] = {"ja": "tesseract", "en": "tesseract"}

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
# RapidOCR's recogniser is trained on Chinese too and reads some kanji in their simplified
# forms ("消费税", "10%对象" on rendered receipts, bench/receipts.py 2026-12-06): the Japanese
# forms of those seen on receipts. A table, not a library: OpenCC would convert every character
# of real Chinese text as well, where only these misreads are meant.
_SIMPLIFIED_AS_JAPANESE = str.maketrans(
    "费对计额发证书单价现银钱东车馆药饮员关实领收应币师门问题买卖图传运边选",
    "費対計額発証書単価現銀銭東車館薬飲員関実領収応幣師門問題買売図伝運辺選")


def normalise_text(text: str, lang: str) -> str:
    """Tidy raw OCR output: NFKC (full-width ASCII and ``￥`` to their usual forms), single spaces,
    no spaces between CJK characters (Tesseract's jpn model puts them there), no blank lines.
    For Japanese a backslash before a digit is a yen sign (the JIS X 0201 confusion), and a
    kanji read in its simplified Chinese form is given its Japanese form (消费税 -> 消費税)."""
    # NFKC is the standard normalisation for mixed-width Japanese text; jaconv would also do it
    # but also converts kana we want kept as they are.
    text = unicodedata.normalize("NFKC", text)
    if lang == "ja":
        text = _YEN_AS_BACKSLASH.sub("¥", text).translate(_SIMPLIFIED_AS_JAPANESE)
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
    ``DEFAULT_ENGINES``, or Tesseract where rapidocr is not installed). ``orient=False`` skips
    the orientation check (``turn``). ``preprocess=False`` hands Tesseract the image as it is
    (for the bench); a Tesseract run longer than ``timeout_s`` is killed (``EngineError``).
    RapidOCR's models are loaded on first use and kept by this reader (``rapid_engine``).
    """

    def __init__(
        self,
        *,
        engines_by_lang: dict[str, str] | None = None,
        preprocess: bool = True,
        timeout_s: float = 60.0,
        orient: bool = True,
        rapid_engine: rapid.RapidEngine | None = None,
    ) -> None:
        defaults = FALLBACK_ENGINES if rapid.missing_models() else DEFAULT_ENGINES
        mapping = {**defaults, **(engines_by_lang or {})}
        for lang, engine in mapping.items():
            if lang not in LANGS or engine not in ENGINES:
                raise ConfigError(
                    f"OCR engine mapping {lang!r}: {engine!r} is not valid "
                    f"(languages {', '.join(LANGS)}; engines {', '.join(ENGINES)})"
                )
        self.engines_by_lang = mapping
        self.preprocess = preprocess
        self.timeout_s = timeout_s
        self.orient = orient
        self._tesseract_langs: frozenset[str] | None = None  # found on first use
        self.rapid = rapid_engine or rapid.RapidEngine()

    @property
    def model_id(self) -> str:
        """E.g. "tesseract-5.3.0" or "tesseract-5.3.0+rapidocr-1.4.4": the engines this reader
        uses, with versions where they can be found, for answers and the audit log."""
        used = sorted(set(self.engines_by_lang.values()), key=ENGINES.index)
        return "+".join(_engine_version(name) for name in used)

    def read(self, image: Image.Image, lang: str = "auto") -> OcrResult:
        """The text in ``image``, turned upright (where rapidocr reads first, the turn comes
        from its one reading, ``read_turned``; else ``turn`` first). ``lang`` "ja", "en" or "auto"
        (anything else counts as auto): auto reads with the English engine when that is
        rapidocr (it reads kana and kanji too) and again with the Japanese one when Japanese
        came out and that engine differs; otherwise with the Japanese engine (Tesseract
        jpn+eng) and again with the English one when no Japanese came out and it differs."""
        start = time.perf_counter()
        base = lang.split("-")[0].lower() if lang else "auto"
        first = "en" if self.engines_by_lang["en"] == "rapidocr" else "ja"
        read_first = base if base in LANGS else first
        read: list[Word] | None = None  # rapidocr's words, where the turn came with them
        if self.reads_turned(read_first):
            turn, read = self.rapid.read_turned(image)
            image = turn_image(image, turn)
        else:
            image = turn_image(image, self.turn(image))
        if base in LANGS:
            text, conf, engine = self._read_with(image, base, read)
            found = base
        else:
            text, conf, engine = self._read_with(image, first, read)
            found = "ja" if looks_japanese(text) else "en"
            if found != first and self.engines_by_lang[found] != engine:
                text, conf, engine = self._read_with(image, found)
        elapsed = (time.perf_counter() - start) * 1000
        return OcrResult(text, engine, found, conf, elapsed)

    def words(self, image: Image.Image, lang: str = "ja") -> list[Word]:
        """The words with boxes from the engine for ``lang`` (Tesseract's "ja" reads jpn+eng;
        rapidocr's "words" are runs of text), for the receipt reader's rows. The image is
        read as it is: the receipt reader turns it upright before flattening it."""
        if self.engines_by_lang.get(lang, "tesseract") == "rapidocr":
            return self.rapid.words(image, lang)
        return tesseract_words(image, lang, timeout_s=self.timeout_s)

    def reads_turned(self, lang: str = "ja") -> bool:
        """Whether ``read_turned`` can tell the turn while reading ``lang`` (rapidocr reads
        it and the orientation check is on); else ``turn`` first, ``words`` after."""
        return self.orient and self.engines_by_lang.get(lang, "tesseract") == "rapidocr"

    def read_turned(self, image: Image.Image, lang: str = "ja",
                    ) -> tuple[int, list[Word] | None]:
        """How far ``image`` must turn and its words, from one reading
        (``RapidEngine.read_turned``: the words of the page as turned for 0 and 180, None for
        a page on its side). Only where ``reads_turned(lang)``."""
        return self.rapid.read_turned(image)

    def _read_with(self, image: Image.Image, lang: str, read: list[Word] | None = None,
                   ) -> tuple[str, float | None, str]:
        """``read``: rapidocr's words of ``image``, already read with its turn."""
        engine = self.engines_by_lang[lang]
        if engine == "tesseract":
            prepared = prepare(image) if self.preprocess else image.convert("RGB")
            text, conf = self._tesseract(prepared, lang)
            if not text.strip():
                text, conf = self._tesseract(trim_margins(prepared), lang)
        elif read is not None:
            text, conf = rapid.joined(read)
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
        return self.rapid.text(image)

    def turn(self, image: Image.Image) -> int:
        """Degrees (0, 90, 180, 270) to turn ``image`` counter-clockwise so its text is upright
        (``bot.vision.rapid.RapidEngine.turn`` where rapidocr reads; Tesseract's orientation
        detection for a Tesseract-only reader); 0 with ``orient=False``."""
        if not self.orient:
            return 0
        if "rapidocr" in self.engines_by_lang.values():
            return self.rapid.turn(image)
        return tesseract_turn(image, timeout_s=self.timeout_s)

    def available(self) -> dict[str, str]:
        """What is installed, for ``miru doctor``: {"tesseract": "5.3.0 (eng, jpn, osd)",
        "rapidocr": "3.10.0 (PP-OCRv6 small, models in the wheel)", "engines": "ja=tesseract,
        en=rapidocr"}; "missing: ..." otherwise."""
        import pytesseract

        info: dict[str, str] = {}
        try:
            version = pytesseract.get_tesseract_version()
            langs = ", ".join(sorted(pytesseract.get_languages()))
            info["tesseract"] = f"{version} ({langs})"
        except (pytesseract.TesseractNotFoundError, OSError):
            info["tesseract"] = "missing: install tesseract-ocr and tesseract-ocr-jpn"
        info["rapidocr"] = rapid.describe()
        info["ocr tiers"] = rapid_tiers.describe()
        info["engines"] = ", ".join(f"{k}={v}" for k, v in self.engines_by_lang.items())
        return info


def tesseract_turn(image: Image.Image, *, timeout_s: float = 60.0) -> int:
    """Tesseract's orientation detection (``osd``): degrees to turn ``image`` counter-clockwise;
    0 when it cannot tell (too little text, no ``osd`` data)."""
    import pytesseract

    try:
        osd = pytesseract.image_to_osd(image.convert("L"), timeout=timeout_s,
                                       output_type=pytesseract.Output.DICT)
    except (pytesseract.TesseractError, pytesseract.TesseractNotFoundError, RuntimeError,
            OSError):
        return 0
    # "rotate" is the clockwise turn that makes the page upright
    return (360 - int(osd.get("rotate", 0))) % 360


def _engine_version(name: str) -> str:
    if name == "rapidocr":
        return f"rapidocr-{rapid.version() or 'missing'}"
    try:
        import pytesseract

        return f"tesseract-{pytesseract.get_tesseract_version()}"
    except Exception:  # a missing engine still gets a name; reading it raises EngineUnavailable
        return name
