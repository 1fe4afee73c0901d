"""The OCR context a vision model gets for an image (``miru ask``): plain text, except that a
receipt is read again in layout order so each label keeps its amount.

Tesseract's plain reading of a tilted receipt photo gives every label (小計, 消費税, 合計) but
none of the right-aligned amounts, so "合計はいくら?" could not be answered from it. Other images
(signs, documents, slides) keep the plain reading, whose page segmentation suits them better.
"""

from __future__ import annotations

import re

from PIL import Image

from bot.receipts.amounts import find_amounts
from bot.receipts.reader import layout_text
from bot.vision.ocr_words import Ocr

_RECEIPT_WORDS = re.compile(
    r"合\s*計|小\s*計|消\s*費\s*税|お\s*会\s*計|ご\s*請\s*求|お\s*釣|お\s*預|領\s*収|レシート|"
    r"\btotal\b|subtotal|\btax\b|\bvat\b|\bgst\b|amount\s*due|balance|\bchange\b|receipt",
    re.I)


def looks_like_receipt(text: str) -> bool:
    """Two or more receipt words (a total, subtotal, tax, change...) in the text."""
    return len(_RECEIPT_WORDS.findall(text)) >= 2


def has_prices(text: str) -> bool:
    """Three or more rows with a price on them (a currency mark or two decimals): what is left
    of a receipt when the plain reading lost its labels."""
    rows = 0
    for line in text.splitlines()[:500]:
        if any(a.currency or a.decimals == 2 for a in find_amounts(line)):
            rows += 1
    return rows >= 3


def ocr_context(reader: Ocr, image: Image.Image) -> str:
    """The text in ``image`` for a model's context: layout rows for a receipt, else plain."""
    plain = reader.read(image, "auto").text
    if not (looks_like_receipt(plain) or has_prices(plain)):
        return plain
    rows = layout_text(image, reader)
    return rows if looks_like_receipt(rows) or not plain.strip() else plain
