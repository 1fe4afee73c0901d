"""The OCR port: what the rest of Miru asks of a text reader, and Tesseract's word boxes.

``Ocr`` is the port ``bot.app.build_app`` takes as ``ocr=`` (``bot.vision.ocr.OcrReader`` by
default): ``read`` gives an image's plain text, ``words`` its words with boxes, which the
receipt reader and the OCR context group into printed rows. Tests pass a fake that returns
given text and boxes; nothing else needs Tesseract.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from PIL import Image

from bot.errors import EngineError, EngineUnavailable

TESSERACT_LANGS: dict[str, str] = {"ja": "jpn+eng", "en": "eng"}

# Page segmentation 6 ("a single uniform block of text"); the rows are grouped here from the
# word boxes whatever the mode. `OMP_THREAD_LIMIT=1 .venv/bin/python bench/receipts.py --n 40
# --psm N` (seeds 1000-1039, 2026-11-28, 2 shared cores, load ~2.5), share of fields right:
#   psm 6:  total 1.000  tax 1.000  payment 1.000  merchant 0.950  p50 1,091 ms
#   psm 4:  total 1.000  tax 0.975  payment 0.975  merchant 0.950  p50 1,051 ms
#   psm 11: total 0.975  tax 0.900  payment 0.850  merchant 0.950  p50 1,069 ms
PSM = 6
MAX_WORDS = 5_000  # a page with more "words" than this is noise, not a receipt


@dataclass(frozen=True)
class OcrResult:
    """Text read from one image. ``confidence`` is 0..1 (mean over words/lines), None if unknown."""

    text: str
    engine: str
    lang: str
    confidence: float | None
    elapsed_ms: float


@dataclass(frozen=True)
class Word:
    text: str
    left: int
    top: int
    width: int
    height: int
    conf: float  # 0..1

    @property
    def cy(self) -> float:
        return self.top + self.height / 2

    @property
    def right(self) -> int:
        return self.left + self.width


class Ocr(Protocol):
    """A text reader. Synchronous and CPU-bound: async callers use ``asyncio.to_thread``.
    Raises ``EngineUnavailable`` when the engine is missing, ``EngineError`` when it fails."""

    @property
    def model_id(self) -> str:
        """The engines and versions, for answers and the audit log."""
        ...

    def read(self, image: Image.Image, lang: str = "auto") -> OcrResult:
        """The plain text in ``image`` ("ja", "en" or "auto")."""
        ...

    def words(self, image: Image.Image, lang: str = "ja") -> list[Word]:
        """The words in ``image`` with their boxes and confidences, in no particular order."""
        ...


@runtime_checkable
class Orients(Protocol):
    """A reader that can tell how far a photo is turned (``OcrReader.turn``)."""

    def turn(self, image: Image.Image) -> int:
        """Degrees (0, 90, 180, 270) to turn ``image`` counter-clockwise to make it upright."""
        ...


@runtime_checkable
class ReadsTurned(Protocol):
    """A reader that tells how far a page is turned from the reading itself
    (``OcrReader.read_turned``)."""

    def reads_turned(self, lang: str) -> bool: ...

    def read_turned(self, image: Image.Image, lang: str) -> tuple[int, list[Word] | None]:
        """Degrees to turn ``image`` counter-clockwise, and the words of the page so turned
        (None where it is on its side: turn it and read it again)."""
        ...


def turn_image(image: Image.Image, degrees: int) -> Image.Image:
    """``image`` turned ``degrees`` (a multiple of 90) counter-clockwise, pixels unchanged."""
    ops = {90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180,
           270: Image.Transpose.ROTATE_270}
    op = ops.get(degrees % 360)
    return image.transpose(op) if op is not None else image


def upright(image: Image.Image, reader: object) -> Image.Image:
    """``image`` turned upright by ``reader``'s orientation check, where it has one."""
    if isinstance(reader, Orients):
        return turn_image(image, reader.turn(image))
    return image


def tesseract_words(image: Image.Image, lang: str = "ja", *, psm: int = PSM,
                    timeout_s: float = 60.0) -> list[Word]:
    """Tesseract's words with boxes and confidences (``lang`` "ja" reads jpn+eng)."""
    import pytesseract

    try:
        data = pytesseract.image_to_data(
            image, lang=TESSERACT_LANGS.get(lang, "jpn+eng"), config=f"--psm {psm}",
            timeout=timeout_s, output_type=pytesseract.Output.DICT)
    except pytesseract.TesseractNotFoundError as err:
        raise EngineUnavailable("tesseract is not installed or not on PATH") from err
    except (pytesseract.TesseractError, RuntimeError, OSError) as err:
        raise EngineError(f"tesseract failed: {err}") from err
    words = []
    for i, text in enumerate(data["text"]):
        if not text.strip():
            continue
        conf = float(data["conf"][i])
        words.append(Word(text.strip(), int(data["left"][i]), int(data["top"][i]),
                          int(data["width"][i]), int(data["height"][i]),
                          max(0.0, conf) / 100))
        if len(words) >= MAX_WORDS:
            break
    return words
