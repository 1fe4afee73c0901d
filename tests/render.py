"""Pillow helpers that render benign text images for tests: receipts, signs and documents in
Japanese and English, plus fuzzy text checks that tolerate OCR noise.

The receipt and sign renderers live in ``bot.imaging.samples`` (``make demo`` uses them too);
this module adds what only tests need. Everything is deterministic.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence

from PIL import Image, ImageDraw
from rapidfuzz import fuzz

from bot.imaging.samples import (
    RECEIPT_EN,
    RECEIPT_JA,
    Receipt,
    Rendered,
    font,
    photo_with_gps,
    render_receipt,
    render_sign,
    scaled,
)
from bot.vision.ocr import normalise_text

__all__ = [
    "RECEIPT_EN",
    "RECEIPT_JA",
    "Receipt",
    "Rendered",
    "blank",
    "document",
    "fuzzy_contains",
    "image_bytes",
    "photo_with_gps",
    "receipt",
    "render_receipt",
    "scaled",
    "sign",
    "squash",
]


def receipt(lang: str, *, scale: float = 1.0) -> Rendered:
    """The demo receipt for ``lang`` ("ja": 合計 ¥1,234; "en": Total $23.45), optionally resized."""
    rendered = render_receipt(RECEIPT_JA if lang == "ja" else RECEIPT_EN)
    return scaled(rendered, scale) if scale != 1.0 else rendered


def sign(lines: Sequence[str], lang: str, **style: object) -> Rendered:
    """A sign (see ``bot.imaging.samples.render_sign`` for ``size``, ``fg`` and ``bg``)."""
    return render_sign(lines, lang, **style)  # type: ignore[arg-type]


def document(paragraphs: Sequence[str], lang: str, *, width: int = 900, size: int = 26,
             title: str = "") -> Rendered:
    """A printed page: optional bold title, then paragraphs wrapped to ``width`` pixels (Japanese
    wraps by character, English by word)."""
    body, head = font(lang, size), font(lang, int(size * 1.4), bold=True)
    margin, line_h = size * 2, int(size * 1.6)
    max_w = width - 2 * margin
    lines: list[tuple[str, object]] = [(title, head), ("", body)] if title else []
    for para in paragraphs:
        for line in _wrap(para, lang, body, max_w):
            lines.append((line, body))
        lines.append(("", body))
    height = margin * 2 + line_h * len(lines)
    img = Image.new("RGB", (width, height), (252, 252, 248))
    draw = ImageDraw.Draw(img)
    for i, (text, face) in enumerate(lines):
        if text:
            draw.text((margin, margin + i * line_h), text, font=face, fill=(20, 20, 20))
    truth = tuple(text for text, _ in lines if text)
    return Rendered(img, truth, lang)


def _wrap(text: str, lang: str, face, max_w: int) -> list[str]:
    if lang != "ja":
        per_line = max(10, int(max_w / (face.getlength("n") or 1)))
        return textwrap.wrap(text, per_line) or [""]
    out, line = [], ""
    for char in text:
        if face.getlength(line + char) > max_w:
            out.append(line)
            line = ""
        line += char
    return [*out, line] if line else out


def blank(size: tuple[int, int] = (400, 300), colour: tuple[int, int, int] = (255, 255, 255)
          ) -> Image.Image:
    """An image with nothing on it."""
    return Image.new("RGB", size, colour)


def image_bytes(img: Image.Image, fmt: str = "PNG") -> bytes:
    """The image encoded as ``fmt`` (PNG by default), without metadata."""
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def squash(text: str, lang: str = "ja") -> str:
    """Normalised (as the OCR reader does) with all whitespace removed: for comparing texts whose
    spacing differs between engines."""
    return "".join(normalise_text(text, lang).split())


def fuzzy_contains(haystack: str, needle: str, *, lang: str = "ja", threshold: float = 85) -> bool:
    """True when ``needle`` appears in ``haystack`` allowing a little OCR noise (rapidfuzz
    ``partial_ratio`` >= ``threshold`` after ``squash``)."""
    return fuzz.partial_ratio(squash(needle, lang), squash(haystack, lang)) >= threshold
