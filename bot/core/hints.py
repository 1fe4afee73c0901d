"""Whether quality hints bear on a request: only when it is about reading (issue 22).

A hint such as "the image is small; small text may be misread" helps a question about the text
in an image ("what does this sign say?", "合計はいくら？", "summarise this slide") or about a
receipt, and only confuses one about what is shown ("what animal is this?"). Pure functions:
the question's words (ja/en) and the OCR text read from the images.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.models import Image
from bot.receipts.context import looks_like_receipt

MAX_QUESTION_CHARS = 500  # what is looked at of a question

_READING = re.compile(
    r"\b(?:read|reads|reading|say|says|said|text|written|write|writing|word|words|letters?|"
    r"spell|spelled|translat\w*|transcri\w*|ocr|sign|signs|menu|menus|receipts?|invoices?|"
    r"bill|label|labels|document|documents|slide|slides|page|pages|note|notes|caption|title|"
    r"headline|summari[sz]e|summary|number|numbers|serial|code|price|prices|cost|costs|total|"
    r"how much|amount|tax|date|dates|hours|opening|address|phone|ingredients?|allergens?|"
    r"instructions?|timetable|schedule|name on|brand)\b"
    r"|読|文字|書い|書か|書き|翻訳|訳し|訳す|和訳|英訳|看板|標識|メニュー|品書|レシート|領収書|"
    r"請求書|値段|いくら|幾ら|価格|料金|合計|金額|税|番号|住所|電話|日付|名前|全文|内容|要約|"
    r"まとめ|成分|原材料|アレルギ|説明書|ラベル|表示|テキスト|文章|単語|時刻|営業時間|何時",
    re.IGNORECASE)


def reading_question(question: str) -> bool:
    """True when the question is about text in the image (in Japanese or English)."""
    return _READING.search((question or "")[:MAX_QUESTION_CHARS]) is not None


def hints_bear_on(question: str, images: Sequence[Image]) -> bool:
    """Quality hints go with an answer to a reading question, or about a receipt (one of the
    images reads as one); never with "what animal is this?"."""
    return reading_question(question) or any(looks_like_receipt(img.ocr_text or "")
                                             for img in images)
