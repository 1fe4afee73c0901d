"""One export of a ledger's receipts, as files, for a thread or the command line:

- ``csv``: every receipt, every field, its approval (UTF-8 with a BOM, so spreadsheets read
  Japanese right; ``bot.receipts.summary.csv_bytes``);
- ``freee`` and ``mf``: the accounting imports (``bot.receipts.freee``,
  ``bot.receipts.moneyforward``): JPY receipts with a date and a total, in the policy's
  ``export_statuses``;
- ``zip``: the kept receipt images named for search, with the CSV as index
  (``bot.receipts.archive``), up to ``max_bytes``.

What an export leaves out is named, by reason, in its notes (``Made.notes``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot import strings
from bot.models import Attachment, ThreadKey
from bot.receipts.archive import build_archive
from bot.receipts.export_common import Encoded, Item, reference, select_for_import
from bot.receipts.freee import freee_csv
from bot.receipts.images import ReceiptImages
from bot.receipts.moneyforward import moneyforward_csv
from bot.receipts.summary import csv_bytes
from config.receipts_policy import ReceiptsPolicy

KINDS = ("csv", "freee", "mf", "zip")


@dataclass(frozen=True)
class Made:
    """An export's files, how many receipts it carries, and the notes on what it left out."""

    files: tuple[Attachment, ...]
    count: int
    notes: tuple[str, ...] = ()
    left_out_count: int = 0


async def make_export(kind: str, items: list[Item], names: dict[str, str], lang: str,
                      policy: ReceiptsPolicy, images: ReceiptImages | None, *,
                      max_bytes: int | None) -> Made:
    """One export: ``csv`` (every receipt, UTF-8 with BOM), ``freee`` and ``mf`` (the import
    files: JPY receipts with a date and a total, in the policy's statuses), ``zip`` (the kept
    images, named for search, with the CSV as index)."""
    entries = [i.entry for i in items]
    refs = [reference(i) for i in items]
    if kind == "csv":
        return Made((Attachment("receipts.csv", csv_bytes(entries, refs=refs), "text/csv"),),
                    len(items))
    if kind == "zip":
        found: dict[tuple[str, str], bytes] = {}
        if images is not None:
            by_thread: dict[ThreadKey, list[str]] = {}
            for i in items:
                if i.entry.image_sha256:
                    by_thread.setdefault(i.thread, []).append(i.entry.image_sha256)
            for thread, shas in by_thread.items():
                got = await images.get_many(thread, shas)
                found.update({(thread.tag(), sha): data for sha, data in got.items()})
        archive = await asyncio.to_thread(
            build_archive, items, found,
            lambda names_: csv_bytes(entries, refs=refs, image_names=names_),
            max_bytes=max_bytes)
        left = _left_out({"no_image": list(archive.missing), "too_big": list(archive.too_big)},
                         lang, policy, max_bytes)
        return Made((Attachment("receipts-images.zip", archive.data, "application/zip"),),
                    len(archive.names), left,
                    len(archive.missing) + len(archive.too_big))
    chosen = select_for_import(items, policy.export_statuses)
    encoded: Encoded = (freee_csv(chosen.items, policy, names) if kind == "freee"
                        else moneyforward_csv(chosen.items, policy, names))
    notes: list[str] = list(_left_out(chosen.left_out, lang, policy, max_bytes))
    if encoded.replaced:
        notes.append(strings.t("expense.replaced_chars", lang, count=encoded.replaced,
                               list=", ".join(f"#{n}" for n in encoded.rows_replaced)))
    name = "freee-torihiki.csv" if kind == "freee" else "moneyforward-shiwake.csv"
    return Made((Attachment(name, encoded.data, "text/csv"),), len(chosen.items), tuple(notes),
                sum(len(v) for v in chosen.left_out.values()))


def _left_out(left: dict[str, list[int]], lang: str, policy: ReceiptsPolicy,
              max_bytes: int | None) -> tuple[str, ...]:
    lines = [strings.t(f"expense.left_out.{reason}", lang,
                       list=", ".join(f"#{n}" for n in numbers[:50]),
                       statuses=", ".join(strings.t(f"expense.status.{s}", lang)
                                          for s in policy.export_statuses),
                       limit_mb=(max_bytes or 0) // (1024 * 1024))
             for reason, numbers in left.items() if numbers]
    return (strings.t("expense.left_out_head", lang), *lines) if lines else ()
