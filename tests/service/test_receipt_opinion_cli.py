"""``miru receipt``'s second opinion, in process: what a worker hands back (pickled, as the
process pool sends it) and what the parent then does with the real ``ReceiptOpinions`` over a
local stand-in vision engine: the entry, its verdict audit record and the plain-text line. The
command itself, with its worker processes, runs in tests/integration/test_cli_receipt.py; here
the worker's step runs with the fakes (``FakeOcr``'s receipt words, the scripted screener)."""

from __future__ import annotations

import asyncio
import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from bot import strings
from bot.api.receipt_read import read_receipt_image
from bot.cli import receipt as cli
from bot.evidence.secrets import open_audit_log
from bot.imaging.ingest import IngestLimits
from bot.receipts.card import UNSURE
from bot.receipts.opinion import ReceiptOpinions
from bot.vision.openai_engine import OpenAIEngine
from bot.wiring import receipt_opinion_for, receipt_reader
from config.policy import PolicyConfig
from config.settings import load_settings
from tests.fakes import FakeOcr, FakeScreener, InThreadIngestor
from tests.service.test_receipt_opinion_api import AGREES, Vision, says
from tests.service.test_receipts import paper, receipt_words

SECRET = "cli-opinion-secret-0123456789abcdef-0123"


async def _worker_result(tmp_path: Path, *, for_opinion: bool) -> cli.Result:
    """What ``_read_one`` returns for a receipt photo, through a pickle round trip."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "r.jpg"
    path.write_bytes(paper())
    got = await read_receipt_image(
        path.read_bytes(), path.name, size=path.stat().st_size, max_bytes=10_000_000,
        ingestor=InThreadIngestor(IngestLimits()), screener=FakeScreener(),
        policy=PolicyConfig(), read=receipt_reader(FakeOcr("", receipt_words())),
        channel="cli", for_opinion=for_opinion)
    return pickle.loads(pickle.dumps(cli.Result(str(path), got)))


async def _parent(tmp_path: Path, engine: Any, *, timeout_s: float = 5.0
                  ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The parent's steps for one file: the opinion (none without ``engine``), then the
    verdict audit; returns the ``--json`` entry and the verdict record."""
    ask = ReceiptOpinions(engine, timeout_s=timeout_s) if engine is not None else None
    result = await _worker_result(tmp_path, for_opinion=ask is not None)
    result = await cli._with_opinion(result, ask, asyncio.Semaphore(1))
    assert result.got is not None and result.got.image is None  # the image is not kept
    settings = load_settings(data_dir=tmp_path / "data", audit_path=tmp_path / "audit.jsonl",
                             audit_secret=SECRET, vlm_backend="ocr")
    audit = open_audit_log(settings)
    (entry,), unkept = await cli._audit_and_keep([result.file], [result], settings, audit)
    assert unkept == 0
    records = [json.loads(x) for x in (tmp_path / "audit.jsonl").read_text().splitlines()]
    (record,) = [r for r in records if r["kind"] == "verdict"]
    return {**entry, "file": Path(entry["file"]).name}, record


async def test_no_model_the_worker_hands_back_no_image_and_the_entry_is_as_before(
        tmp_path) -> None:
    result = await _worker_result(tmp_path, for_opinion=False)
    assert result.got is not None and result.got.image is None and result.got.receipt is None
    entry, record = await _parent(tmp_path, None)
    assert (entry["total"], entry["merchant"], entry["checks"]) == ("8.00", "CAFE MIRU", [])
    assert "second_opinion" not in record["detail"]
    assert UNSURE not in cli._line(entry)


async def test_a_model_the_worker_hands_back_the_processed_image_and_reading(tmp_path) -> None:
    result = await _worker_result(tmp_path, for_opinion=True)
    got = result.got
    assert got is not None and got.image is not None and got.receipt is not None
    assert got.image.original_sha256 == got.sha256  # the allowed file's processed copy


async def test_agreement_raises_confidence_and_lists_nothing(tmp_path) -> None:
    plain, _ = await _parent(tmp_path / "a", None)
    entry, record = await _parent(tmp_path / "b", says())
    assert entry["checks"] == [] and entry["total"] == "8.00"
    assert entry["confidence"]["total"] > plain["confidence"]["total"]
    assert record["detail"]["second_opinion"]["status"] == "answered"
    assert cli._line(entry) == cli._line(plain)  # nothing to mark


async def test_a_difference_is_marked_on_the_line_and_listed(tmp_path) -> None:
    entry, record = await _parent(tmp_path, says(total="80.00"))
    assert entry["checks"] == [{"field": "total", "model": "80.00"}]
    assert entry["total"] == "8.00"
    assert record["detail"]["second_opinion"]["differ"] == ["total"]
    line = cli._line(entry)
    assert f"8.00 {UNSURE}" in line and "CAFE MIRU ·" in line  # only the total is marked
    assert strings.t("receipts.check_field", "en", field="Total", value="80.00") in line
    ja = cli._line(entry, "ja")
    assert strings.t("receipts.check_field", "ja", field="合計", value="80.00") in ja


@pytest.mark.parametrize("engine", [
    Vision(json.dumps(AGREES), pause_s=2.0), Vision(fail=TimeoutError("down")),
    says(total="9" * 30)], ids=["timeout", "error", "absurd"])
async def test_a_failed_answer_is_the_same_as_no_model(tmp_path, engine) -> None:
    plain, _ = await _parent(tmp_path / "a", None)
    entry, record = await _parent(tmp_path / "b", engine, timeout_s=0.3)
    assert entry == plain
    assert record["detail"]["second_opinion"]["status"] in ("timeout", "error", "unreadable")


async def test_the_command_line_wires_its_model_as_the_app_does(tmp_path) -> None:
    def settings(**kw: Any):
        return load_settings(data_dir=tmp_path, audit_secret=SECRET, **kw)

    assert receipt_opinion_for(settings(vlm_backend="ocr")) == (None, None)
    assert receipt_opinion_for(settings(vlm_backend="openai", vlm_checks=False)) == (None, None)
    ask, engine = receipt_opinion_for(settings(vlm_backend="openai", vlm_check_timeout_s=7))
    assert isinstance(ask, ReceiptOpinions) and isinstance(engine, OpenAIEngine)
    assert ask.engine is engine and ask.timeout_s == 7
    await engine.close()
