"""The receipt images and expectations both platforms' expense-thread tests share: rendered
receipts (``tests.render``, read by the real reader and Tesseract), a page of prose that is no
receipt, and a blurred receipt that needs a retake."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from PIL import Image, ImageFilter

from tests.render import document, receipt


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "PNG")
    return buf.getvalue()


RECEIPT_JA = _png(receipt("ja").image)  # 合計 ¥1,234, 2026-11-20
RECEIPT_EN = _png(receipt("en").image)  # CORNER MARKET, Total $23.45
PROSE = _png(document(["The quick brown fox jumps over the lazy dog. Meeting notes for "
                       "Tuesday: discuss the roadmap and hiring."], "en").image)
BLURRED = _png(receipt("en").image.filter(ImageFilter.GaussianBlur(6)))


def csv_rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "the CSV starts with a BOM for Excel"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def audit_records(path: Path, kind: str) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [r for r in map(json.loads, path.read_text().splitlines()) if r.get("kind") == kind]
