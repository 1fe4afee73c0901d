"""The OCR-only engine: answers from the text read in each image, when no vision model is set up.

It answers the question from what it read (``bot.vision.ocr_answer``): the whole text when that
is what was asked ("全文", "full text", "what does it say?"); for a receipt or invoice, the field
asked for (total, date, shop, tax, registration number) from the receipt reader, when one is
given, else the lines that carry it; otherwise the lines that match the question. A question in
a language other than Japanese or English is told so, with the whole text. A short note that
pictures cannot be described right now follows the first answer of a thread (the one asked
without history); how to add a vision model is for operators (the log, ``miru doctor``, the
admins' home view), never for the channel.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import time
from collections.abc import AsyncIterator, Callable

from PIL import Image as PILImage
from PIL import UnidentifiedImageError

from bot import strings
from bot.errors import EngineError
from bot.models import Answer, AnswerRequest, Image
from bot.vision import ocr_answer
from bot.vision.ocr_answer import Receipt
from bot.vision.ocr_words import Ocr

log = logging.getLogger(__name__)

_READABLE = re.compile(r"\w")  # letters, digits, kana, kanji: not just punctuation noise

ReceiptReader = Callable[[PILImage.Image], Receipt]
"""``bot.receipts.reader.read_receipt`` with its OCR bound: image in, fields out."""


class OcrEngine:
    """``bot.vision.base.Engine`` over an OCR reader (``bot.vision.ocr_words.Ocr``).

    Images are read with language "auto" (the script in an image need not be the language of the
    question). ``note_key`` is the ``bot.strings`` key of the sentence put after a thread's
    first answer (default: pictures cannot be described right now); ``None`` leaves it out.
    ``receipts`` reads a receipt's fields (optional: without it, fields are answered with the
    lines that carry them).
    """

    name = "ocr"

    def __init__(self, reader: Ocr, *, note_key: str | None = "ocr.no_model",
                 receipts: ReceiptReader | None = None) -> None:
        if note_key is not None:
            strings.t(note_key, "en")  # an unknown key fails here, not on the first request
        self.reader = reader
        self.note_key = note_key
        self.receipts = receipts
        self.model_id = reader.model_id

    async def answer(self, request: AnswerRequest) -> Answer:
        start = time.perf_counter()
        text = await asyncio.to_thread(self._answer, request)
        return Answer(text=text, engine=self.name, model=self.model_id,
                      timings_ms={"ocr": round((time.perf_counter() - start) * 1000, 1)})

    async def stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        """Yields the full answer once (OCR has no partial text worth showing)."""
        answer = await self.answer(request)
        yield answer.text

    async def close(self) -> None:
        """Nothing to release: the reader holds no connections."""

    # In a worker thread from here on.

    def _answer(self, request: AnswerRequest) -> str:
        """The answer, then (in a thread's first answer only) the short note that pictures
        cannot be described right now."""
        body = self._body(request)
        if self.note_key and not request.history:
            return body + "\n\n" + strings.t(self.note_key, request.language)
        return body

    def _body(self, request: AnswerRequest) -> str:
        lang = request.language
        pages = [self._open(image) for image in request.images]
        texts = [self._read(pil) for pil in pages]
        parts: list[str] = []
        if not any(texts):
            parts.append(strings.t("engine.ocr_none", lang))
            return "\n\n".join(parts)
        plan = ocr_answer.plan(request.question)
        if plan.kind == "other_language":
            parts.append(strings.t("ocr.other_language", lang))
        if plan.kind in ("full", "other_language"):
            parts.append(self._full(texts, lang))
            return "\n\n".join(parts)
        blocks = [self._about(plan, pil, text, lang) if text else strings.t("engine.ocr_none", lang)
                  for pil, text in zip(pages, texts, strict=True)]
        if len(blocks) == 1:
            parts.append(blocks[0])
        else:
            parts += [f"{strings.t('engine.ocr_image', lang, n=n)}\n{block}"
                      for n, block in enumerate(blocks, start=1)]
        parts.append(strings.t("ocr.full_hint", lang))
        return "\n\n".join(parts)

    def _about(self, plan: ocr_answer.Plan, pil: PILImage.Image, text: str, lang: str) -> str:
        """One image's answer to a fields or lines question."""
        if plan.kind == "fields":
            named = ocr_answer.item_lines(plan.question, text)
            if named:
                return self._quoted(named, lang)
            receipt = self._receipt(pil) if self.receipts else None
            if receipt is not None and receipt.is_receipt:
                return self._fields(plan, receipt, text, lang)
            if receipt is None and ocr_answer.looks_like_receipt(text):
                found = [line for field in plan.fields
                         for line in ocr_answer.field_lines(field, text)]
                if found:
                    return self._quoted(list(dict.fromkeys(found)), lang)
        lines = ocr_answer.matching_lines(plan.question, text)
        return self._quoted(lines, lang) if lines else strings.t("ocr.no_match", lang)

    def _fields(self, plan: ocr_answer.Plan, receipt: Receipt, text: str, lang: str) -> str:
        if not receipt.readable:
            return strings.t("ocr.receipt_unreadable", lang)
        out = []
        for field in plan.fields:
            said = ocr_answer.field_text(field, receipt, lang)
            if said is None:
                name = strings.t(f"ocr.field_{field}", lang)
                said = strings.t("ocr.field_missing", lang, field=name)
                lines = ocr_answer.field_lines(field, text)
                if lines:
                    said += "\n" + "\n".join(f"> {line}" for line in lines)
            out.append(said)
        return "\n".join(out)

    @staticmethod
    def _quoted(lines: list[str], lang: str) -> str:
        return strings.t("ocr.lines_header", lang) + "\n" + "\n".join(f"> {ln}" for ln in lines)

    @staticmethod
    def _full(texts: list[str], lang: str) -> str:
        header = strings.t("engine.ocr_header", lang)
        if len(texts) == 1:
            return f"{header}\n{texts[0]}"
        none = strings.t("engine.ocr_none", lang)
        return header + "\n" + "\n\n".join(
            f"{strings.t('engine.ocr_image', lang, n=n)}\n{text or none}"
            for n, text in enumerate(texts, start=1))

    def _receipt(self, pil: PILImage.Image) -> Receipt | None:
        """The receipt reader's fields; a reader fault falls back to the lines (logged)."""
        assert self.receipts is not None
        try:
            return self.receipts(pil)
        except Exception as exc:  # the reader is best effort here: the lines still answer
            log.warning("receipt reader failed, answering from the lines: %s",
                        type(exc).__name__)
            return None

    @staticmethod
    def _open(image: Image) -> PILImage.Image:
        try:
            with PILImage.open(io.BytesIO(image.data)) as pil:
                pil.load()
                return pil.copy()
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError,
                PILImage.DecompressionBombError) as err:
            raise EngineError(f"image {image.index + 1} could not be decoded for OCR") from err

    def _read(self, pil: PILImage.Image) -> str:
        text = self.reader.read(pil, "auto").text
        return text if _READABLE.search(text) else ""
