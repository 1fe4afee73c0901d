"""One receipt in an expense ledger (``Entry``), its corrections and its approval, and the JSON
the ledger stores it as.

An entry's ``approval`` is ``pending`` until someone at the ``approve`` level approves or
rejects it (with a reason); anything that changes the receipt's figures afterwards (a
correction, an undo) puts it back to ``pending``, so no figure is ever approved that the
approver did not see. Entries written before approvals existed read as pending.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from bot.errors import CodecError
from bot.receipts.codec import amount_str, dump_receipt, load_receipt
from bot.receipts.model import Receipt

Status = Literal["pending", "approved", "rejected"]
STATUSES: tuple[Status, ...] = ("pending", "approved", "rejected")
MAX_REASON = 200  # characters of an approval's reason that are kept


@dataclass(frozen=True)
class Correction:
    field: str
    value: str
    by: str
    at: float


@dataclass(frozen=True)
class Approval:
    """Where a receipt stands: ``pending``, or decided ``by`` (platform user id, and the name
    the platform showed, ``by_name``) ``at`` (Unix seconds) with a ``reason``."""

    status: Status = "pending"
    by: str = ""
    by_name: str = ""
    at: float = 0.0
    reason: str = ""

    @property
    def decided(self) -> bool:
        return self.status != "pending"


PENDING = Approval()


@dataclass(frozen=True)
class Entry:
    """One receipt in the ledger; ``receipt`` is as corrected, ``original`` as first read."""

    n: int
    receipt: Receipt
    original: Receipt
    added_by: str
    added_at: float
    image_sha256: str = ""
    duplicate_of: int | None = None
    corrections: tuple[Correction, ...] = field(default=())
    approval: Approval = PENDING
    added_by_name: str = ""  # the adder's name as the platform showed it ("" when unknown)

    @property
    def status(self) -> Status:
        return self.approval.status


def same_figures(a: Receipt, b: Receipt) -> bool:
    """Whether two readings say the same (how sure the reader was does not count: a person
    confirming a figure changes its confidence, not the figure)."""
    return replace(a, confidence={}, totals_disagree=False, ocr_text="") == replace(
        b, confidence={}, totals_disagree=False, ocr_text="")


def dump_entry(e: Entry) -> bytes:
    d: dict[str, Any] = {
        "receipt": dump_receipt(e.receipt), "original": dump_receipt(e.original),
        "by": e.added_by, "at": e.added_at, "sha": e.image_sha256, "dup": e.duplicate_of,
        "corrections": [c.__dict__ for c in e.corrections],
    }
    if e.added_by_name:
        d["by_name"] = e.added_by_name
    if e.approval != PENDING:
        d["approval"] = e.approval.__dict__
    return json.dumps(d, ensure_ascii=False).encode()


def load_entry(n: int, raw: Any) -> Entry:
    """An entry as ``dump_entry`` wrote it; ``CodecError`` for anything else (a hand-edited
    entry must not become a wrong total or a forged approval)."""
    try:
        d = json.loads(raw)
        return Entry(n=n, receipt=load_receipt(d["receipt"]), original=load_receipt(d["original"]),
                     added_by=str(d["by"]), added_at=float(d["at"]), image_sha256=str(d["sha"]),
                     duplicate_of=None if d.get("dup") is None else int(d["dup"]),
                     corrections=tuple(Correction(str(c["field"]), str(c["value"]), str(c["by"]),
                                                  float(c["at"])) for c in d["corrections"]),
                     approval=_approval(d.get("approval")),
                     added_by_name=str(d.get("by_name") or ""))
    except CodecError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CodecError(f"ledger entry {n}: {type(exc).__name__}") from None


def _approval(d: Any) -> Approval:
    if d is None:
        return PENDING
    status = d["status"]
    if status not in STATUSES:
        raise CodecError(f"approval: unknown status {status!r}")
    return Approval(status, str(d.get("by") or ""), str(d.get("by_name") or ""),
                    float(d.get("at") or 0), str(d.get("reason") or "")[:MAX_REASON])


def dup_key(r: Receipt) -> str | None:
    """Merchant (normalised), date, total and currency; None when any of the first three is
    missing (two receipts without a total are not duplicates of each other)."""
    if not r.merchant or r.date is None or r.total is None:
        return None
    merchant = "".join(c for c in unicodedata.normalize("NFKC", r.merchant).casefold()
                       if c.isalnum())
    return f"{merchant}|{r.date.isoformat()}|{amount_str(r.total)}|{r.currency or ''}"


def restored(before: Entry, now_raw: Any, n: int) -> Entry:
    """What an undo writes back: the entry as it was, with today's decision only where the
    figures come back unchanged (an undo never brings back an approval, and never keeps one
    on figures the approver did not see)."""
    if now_raw is None:
        return before  # an undone remove: the entry as it was removed
    now = load_entry(n, now_raw)
    return replace(before, approval=now.approval if same_figures(before.receipt, now.receipt)
                   else PENDING)
