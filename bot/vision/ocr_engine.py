"""The OCR-only engine: answers with the text read from each image, when no vision model is set up.

It does not try to answer the question; it says plainly (``note_key``) that only text reading is
available, then lists what it read, in the request's language.
"""

from __future__ import annotations

import asyncio
import io
import re
import time
from collections.abc import AsyncIterator

from PIL import Image as PILImage
from PIL import UnidentifiedImageError

from bot import strings
from bot.errors import EngineError
from bot.models import Answer, AnswerRequest, Image
from bot.vision.ocr import OcrReader

_READABLE = re.compile(r"\w")  # letters, digits, kana, kanji: not just punctuation noise


class OcrEngine:
    """``bot.vision.base.Engine`` over an ``OcrReader``.

    Images are read with language "auto" (the script in an image need not be the language of the
    question). ``note_key`` is the ``bot.strings`` key of the sentence put first (default: no
    vision model is configured); ``None`` leaves only the text read.
    """

    name = "ocr"

    def __init__(self, reader: OcrReader, *, note_key: str | None = "engine.unavailable") -> None:
        if note_key is not None:
            strings.t(note_key, "en")  # an unknown key fails here, not on the first request
        self.reader = reader
        self.note_key = note_key
        self.model_id = reader.model_id

    async def answer(self, request: AnswerRequest) -> Answer:
        """The note, then "Text in the image:" and what was read ("Image n:" per image when there
        are several), or the no-text sentence when nothing readable was found."""
        start = time.perf_counter()
        texts = [await asyncio.to_thread(self._read, image) for image in request.images]
        elapsed = (time.perf_counter() - start) * 1000
        return Answer(
            text=self._compose(texts, request.language),
            engine=self.name,
            model=self.model_id,
            timings_ms={"ocr": round(elapsed, 1)},
        )

    async def stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        """Yields the full answer once (OCR has no partial text worth showing)."""
        answer = await self.answer(request)
        yield answer.text

    async def close(self) -> None:
        """Nothing to release: the reader holds no connections."""

    def _read(self, image: Image) -> str:
        try:
            with PILImage.open(io.BytesIO(image.data)) as pil:
                pil.load()
                text = self.reader.read(pil, "auto").text
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError,
                PILImage.DecompressionBombError) as err:
            raise EngineError(f"image {image.index + 1} could not be decoded for OCR") from err
        return text if _READABLE.search(text) else ""

    def _compose(self, texts: list[str], lang: str) -> str:
        parts = [strings.t(self.note_key, lang)] if self.note_key else []
        if not any(texts):
            parts.append(strings.t("engine.ocr_none", lang))
            return "\n\n".join(parts)
        header = strings.t("engine.ocr_header", lang)
        if len(texts) == 1:
            parts.append(f"{header}\n{texts[0]}")
            return "\n\n".join(parts)
        none = strings.t("engine.ocr_none", lang)
        blocks = [
            f"{strings.t('engine.ocr_image', lang, n=n)}\n{text or none}"
            for n, text in enumerate(texts, start=1)
        ]
        parts.append(header + "\n" + "\n\n".join(blocks))
        return "\n\n".join(parts)
