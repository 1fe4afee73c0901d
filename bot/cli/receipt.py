"""``miru receipt IMAGE... [--json | --csv]``: screen each image with the real gates, then read
the allowed ones into receipt fields.

Files are read in parallel, one process per core (each loads the gates and Tesseract once);
a progress bar goes to stderr only when it is a terminal. Every file gets its own entry, in the
order given: one that cannot be read, decoded or screened carries an ``error`` and never stops
the rest. The parent alone writes the audit log (one verdict record per screened file), so the
hash chain has one writer.

Where a vision model is configured (``bot.wiring.receipt_opinion_for``: the app's own wiring),
the parent alone asks it for a second opinion on each readable receipt, as an expense thread
does: a worker hands back the reading and the processed image (allowed by the gates, metadata
stripped) with its result, and the parent asks while the workers go on reading. One engine (one
HTTP client, or one model in memory) then serves every file, and the opinion's outcome goes into
the file's verdict record (``second_opinion``). A timeout or error of the model changes nothing.

``--json`` prints a list of objects with the keys ``file``, ``verdict`` (the action, or null
when the file was never screened), the receipt fields of ``bot.receipts.codec.CONTRACT_FIELDS``
(null where not found; amounts as strings in major units; confidences after the second
opinion), ``checks`` (the fields the vision model read otherwise, ``[{"field", "model"}]``;
empty when it agreed or there is none) and ``error`` (null, or ``{"code", "message"}``). The
plain text (one line per file) marks a field to check with ⚠ and says what the model read
(the CSV keeps its columns). ``-o FILE`` writes the output to a file instead; a CSV there
starts with a UTF-8 BOM and ends its lines with CRLF, as spreadsheets expect (stdout stays
plain for pipes).
A workspace's ledgers are ``miru receipt report`` (``bot.cli.receipt_report``).
"""

from __future__ import annotations

import asyncio
import csv
import io
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from multiprocessing.util import Finalize
from pathlib import Path
from typing import Any

from bot import strings
from bot.api.contract import PRESERVES, keep_stopped, keep_with
from bot.api.receipt_read import (
    Opinion,
    ReceiptRead,
    read_detail,
    read_receipt_image,
    receipt_entry,
    second_opinion,
)
from bot.cli.exitcodes import EX_DATAERR, EX_FAIL, EX_OK
from bot.cli.local import CLI_USER, cli_message, expand_paths
from bot.cli.output import dumps
from bot.cli.review import redis_client_if_up
from bot.errors import EvidenceNotKept
from bot.evidence.audit import AuditLog
from bot.evidence.secrets import open_audit_log
from bot.receipts.card import UNSURE, field_label
from bot.receipts.codec import CONTRACT_FIELDS
from bot.receipts.reader import read_receipt
from bot.receipts.summary import csv_cell
from bot.wiring import build_ocr, build_screening, open_evidence_keeper, receipt_opinion_for
from config.policy import load_policy
from config.settings import Settings

_WORKER: dict[str, Any] = {}  # per worker process: its ingestor, screener, policy, OCR, loop
_entry = receipt_entry  # the JSON object per file, shared with /v1/receipts


def _init_worker(settings: Settings, for_opinion: bool = False) -> None:
    """Load the gates and the OCR reader once per worker process; ``for_opinion``: hand a
    readable receipt's reading and image back for the parent's second opinion."""
    ingestor, screener, policy = build_screening(settings)
    # The ingestor's own decoder processes must stop before this worker exits: multiprocessing
    # joins a process's children at exit, and idle decoders would wait forever (a priority >= 0
    # finalizer runs before that join).
    Finalize(ingestor, ingestor.close, exitpriority=10)
    _WORKER.update(ingestor=ingestor, screener=screener, policy=policy, ocr=build_ocr(settings),
                   loop=asyncio.new_event_loop(), max_bytes=settings.max_bytes,
                   for_opinion=for_opinion)


@dataclass(frozen=True)
class Result:
    """One file from a worker: its read (None when the file could not be opened: ``failed``
    says why), and the original bytes of a file whose verdict preserves (the parent keeps
    it)."""

    file: str
    got: ReceiptRead | None
    failed: tuple[str, str] | None = None
    stopped: bytes | None = None

    def entry(self) -> dict[str, Any]:
        got = self.got
        if got is None:
            return _entry(self.file, error=self.failed)
        return _entry(self.file, got.verdict.action.value if got.verdict else None, got.fields,
                      got.error, got.checks)


def _read_one(path_text: str) -> Result:
    """One file through the gates and the reader: never raises for what is in the file."""
    w, path = _WORKER, Path(path_text)
    try:
        size = path.stat().st_size
        data = b"" if size > w["max_bytes"] else path.read_bytes()
    except OSError as exc:
        return Result(path_text, None, ("unreadable", f"cannot read {path.name}: "
                                        f"{exc.strerror or exc}"))
    got = w["loop"].run_until_complete(read_receipt_image(
        data, path.name, size=size, max_bytes=w["max_bytes"], ingestor=w["ingestor"],
        screener=w["screener"], policy=w["policy"], read=_read_pil, channel="cli",
        for_opinion=w["for_opinion"]))
    if got.receipt is not None:  # the OCR text stays here: the opinion does not use it
        got = replace(got, receipt=replace(got.receipt, ocr_text=""))
    stopped = got.verdict is not None and got.verdict.action in PRESERVES
    return Result(path_text, got, stopped=data if stopped else None)


def _read_pil(img: Any) -> Any:
    """An allowed (processed) image's receipt fields, with this worker's OCR reader."""
    from PIL import Image as PILImage

    with PILImage.open(io.BytesIO(img.data)) as pil:
        return read_receipt(pil.convert("RGB"), ocr=_WORKER["ocr"])


async def receipt_command(items: list[str], *, as_json: bool, as_csv: bool,
                          settings: Settings, workers: int | None = None,
                          output: str | None = None) -> int:
    paths = [str(p) for p in expand_paths(items)]
    if not paths:
        print("miru: no image files found in " + ", ".join(items), file=sys.stderr)
        return EX_DATAERR
    audit = open_audit_log(settings)
    ask, engine = receipt_opinion_for(settings)
    try:
        results = await _run_all(paths, settings, workers or os.cpu_count() or 1, ask)
    finally:
        if engine is not None:
            await engine.close()
    entries, unkept = await _audit_and_keep(paths, results, settings, audit)
    if as_json:
        out = dumps(entries) + "\n"
    elif as_csv:
        out = _csv(entries, crlf=output is not None)
    else:
        lang = "ja" if settings.language == "ja" else "en"
        out = "\n".join(_line(e, lang) for e in entries) + "\n"
    if output is None:
        sys.stdout.write(out)
    else:  # a file: a spreadsheet opens it, so a CSV gets the BOM Excel needs for Japanese
        Path(output).write_bytes(("\ufeff" if as_csv else "").encode() + out.encode("utf-8"))
        print(f"wrote {output} ({len(entries)} files)", file=sys.stderr)
    if unkept:
        return EX_FAIL
    return EX_OK if any(e["verdict"] is not None for e in entries) else EX_DATAERR


async def _audit_and_keep(paths: list[str], results: list[Result], settings: Settings,
                          audit: AuditLog) -> tuple[list[dict[str, Any]], int]:
    """Audit every verdict; keep every file whose verdict preserves (a case in the shared
    queue when Redis answers, else the local quarantine folder), as chat does. A file kept
    nowhere loses its verdict (fail closed). Returns the entries and how many were not kept."""
    entries, unkept = [r.entry() for r in results], 0
    keeper, redis = None, None
    try:  # a bad policy or quarantine key fails the keeper: the client is closed all the same
        if any(r.stopped is not None for r in results):
            redis = await redis_client_if_up(settings)
            keeper = open_evidence_keeper(settings, load_policy(settings.policy_file), audit,
                                          redis)
        for n, result in enumerate(results):
            got = result.got
            if got is None or got.verdict is None:
                continue
            sha = got.sha256
            rid = f"receipt:{sha[:16]}"
            await audit.write(audit.record("verdict", rid, platform="cli", images=[sha],
                                           verdict=got.verdict, detail=read_detail(got)))
            if result.stopped is None or keeper is None:
                continue
            path = Path(paths[n])
            try:
                await keep_stopped(keep_with(keeper, cli_message([path], ""), rid),
                                   got.verdict, result.stopped, sha, got.pdq, audit=audit,
                                   request_id=rid, platform="cli", user=CLI_USER,
                                   name=path.name)
            except EvidenceNotKept as exc:
                unkept += 1
                entries[n] = _entry(result.file, error=(exc.code, exc.user_message(
                    "en", name=path.name)))
    finally:
        if redis is not None:
            await redis.aclose()
    return entries, unkept


async def _run_all(paths: list[str], settings: Settings, workers: int,
                   ask: Opinion | None = None) -> list[Result]:
    from tqdm import tqdm

    loop = asyncio.get_running_loop()
    results: dict[int, Result] = {}
    bar = tqdm(total=len(paths), file=sys.stderr, unit="file", disable=not sys.stderr.isatty())
    workers = max(1, min(workers, len(paths)))
    asking = asyncio.Semaphore(workers)  # no more questions at once than files being read
    # spawn: the workers load ONNX and Tesseract; nothing of this process's state is inherited
    with ProcessPoolExecutor(max_workers=workers,
                             mp_context=multiprocessing.get_context("spawn"),
                             initializer=_init_worker, initargs=(settings, ask is not None)
                             ) as pool:

        async def one(index: int, path: str) -> tuple[int, Result]:
            try:
                result = await loop.run_in_executor(pool, _read_one, path)
            except Exception as exc:  # a worker died (BrokenProcessPool) or hit a bug
                return index, Result(path, None, ("worker_failed",
                                                  f"reading stopped: {type(exc).__name__}"))
            return index, await _with_opinion(result, ask, asking)

        for done in asyncio.as_completed([one(i, p) for i, p in enumerate(paths)]):
            index, result = await done
            results[index] = result
            bar.update(1)
    bar.close()
    return [results[i] for i in range(len(paths))]


async def _with_opinion(result: Result, ask: Opinion | None,
                        asking: asyncio.Semaphore) -> Result:
    """``result`` with the vision model's second opinion (``second_opinion``), in the parent:
    the worker handed back the reading and image only when one is configured."""
    if result.got is None:
        return result
    async with asking:
        return replace(result, got=await second_opinion(result.got, ask))


def _line(e: dict[str, Any], lang: str = "en") -> str:
    if e["verdict"] is None or (e["error"] and e["total"] is None and e["merchant"] is None):
        return f"{e['file']}: {e['error']['message'] if e['error'] else 'no result'}"
    checks = {c["field"]: c["model"] for c in e.get("checks") or ()}
    shown = {"merchant": e["merchant"] or "merchant ?", "date": e["date"] or "date ?",
             "total": f"{e['total']} {e['currency'] or ''}".strip() if e["total"] else "total ?",
             "category": e["category"] or "category ?"}
    parts = [f"{v} {UNSURE}" if k in checks or (k == "total" and "currency" in checks) else v
             for k, v in shown.items()]
    notes = [strings.t("receipts.check_field", lang, field=field_label(f, lang),
                       value=model if model is not None else "?")
             for f, model in checks.items()]
    return f"{e['file']}: " + " · ".join(parts) + "".join(f" — {n}" for n in notes)


def _csv(entries: list[dict[str, Any]], *, crlf: bool = False) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n" if crlf else "\n")
    columns = ["file", "verdict", *[f for f in CONTRACT_FIELDS if f != "confidence"], "error"]
    writer.writerow(columns)
    for e in entries:
        row = []
        for c in columns:
            value = e[c]
            if c == "items":
                value = "; ".join(f"{i['name']}: {i['amount']}" for i in value)
            elif c == "error":
                value = value["code"] if value else None
            row.append(csv_cell(value))
        writer.writerow(row)
    return buf.getvalue()
