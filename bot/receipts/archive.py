"""The receipt images as one zip, each named so that date, amount and counterparty can be
searched, as Japan's electronic bookkeeping act (電子帳簿保存法) asks of stored receipts:
``2026-11-28_3300_ファミリーマート.jpg`` (date, amount in the receipt's currency with its code
when not yen, merchant), with ``receipts.csv`` (every receipt's fields, its approval and the
image's name in the zip) beside them.

The images are the processed copies the ledger keeps (``bot.receipts.images``: metadata
stripped, re-encoded), never the uploads. Names are safe on every system: NFC, no path
separators, control or reserved characters (``<>:"/\\|?*``), no leading dots, at most 120
characters; a name taken twice gets ``_2``, ``_3``. The archive stops before ``max_bytes``:
what is left out is returned, so the reply can say so.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.receipts.entry import Entry
from bot.receipts.export_common import Item, reference
from bot.receipts.summary import money

_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*#%&{}$!\'@+`=]')
MAX_NAME = 120


@dataclass(frozen=True)
class Archive:
    data: bytes
    names: dict[str, str]  # receipt reference (``export_common.reference``) -> image name
    missing: tuple[int, ...]  # receipt numbers whose image is not kept
    too_big: tuple[int, ...]  # receipt numbers left out to stay under the size limit


def image_name(entry: Entry, ext: str) -> str:
    """``2026-11-28_3300_ファミリーマート.jpg``; ``nodate``/``nototal``/``unknown`` for what is
    missing; amounts in another currency than yen carry its code (``23.45USD``)."""
    r = entry.receipt
    day = r.date.isoformat() if r.date else "nodate"
    if r.total is None:
        amount = "nototal"
    else:
        amount = money(r.total).replace(",", "")
        if r.currency and r.currency != "JPY":
            amount += r.currency
    merchant = safe(r.merchant or "unknown", 60) or "unknown"
    return safe(f"{day}_{amount}_{merchant}", MAX_NAME - len(ext) - 1) + "." + ext


def safe(text: str, limit: int) -> str:
    cleaned = _UNSAFE.sub("", unicodedata.normalize("NFC", text))
    cleaned = "-".join(cleaned.split()).lstrip(".-")
    return cleaned[:limit].rstrip(".- ")


def extension(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return "jpg"


def build_archive(items: Sequence[Item], images: Mapping[tuple[str, str], bytes],
                  index_csv: Callable[[dict[str, str]], bytes], *,
                  max_bytes: int | None = None) -> Archive:
    """The zip of ``items``' images (``images``: (thread tag, original SHA-256) -> processed
    bytes) and ``index_csv(names)`` as ``receipts.csv``; images stored, not deflated (JPEG
    and PNG do not shrink)."""
    taken: set[str] = set()
    names: dict[str, str] = {}
    missing, too_big = [], []
    chosen: list[tuple[str, bytes]] = []
    size = 0
    for item in items:
        e = item.entry
        data = images.get((item.thread.tag(), e.image_sha256))
        if data is None:
            missing.append(e.n)
            continue
        if max_bytes is not None and size + len(data) > max_bytes:
            too_big.append(e.n)
            continue
        name = _unique(image_name(e, extension(data)), taken)
        names[reference(item)] = name
        chosen.append((name, data))
        size += len(data)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("receipts.csv", index_csv(names), compress_type=zipfile.ZIP_DEFLATED)
        for name, data in chosen:
            zf.writestr(name, data)
    return Archive(buf.getvalue(), names, tuple(missing), tuple(too_big))


def _unique(name: str, taken: set[str]) -> str:
    stem, _, ext = name.rpartition(".")
    candidate, count = name, 1
    while candidate.casefold() in taken:
        count += 1
        candidate = f"{stem}_{count}.{ext}"
    taken.add(candidate.casefold())
    return candidate
