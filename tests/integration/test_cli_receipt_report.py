"""`miru receipt report` in a subprocess over ledgers in the real Redis: one workspace's
ledgers only, as a report, JSON, the generic CSV, freee, Money Forward and the image zip."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, MultiFernet

from bot.cli.exitcodes import EX_DATAERR, EX_OK, EX_USAGE
from bot.models import ThreadKey
from bot.receipts.images import ReceiptImages
from bot.receipts.ledger import Ledger
from bot.receipts.model import Receipt
from tests.clirun import miru
from tests.conftest import redis_client

pytestmark = [pytest.mark.timeout(120)]

FAMIMA = Receipt(merchant="ファミリーマート", date=date(2026, 11, 28), total=Decimal("3300"),
                 currency="JPY", category="transport", tax_rate=Decimal(10))
HOTEL = Receipt(merchant="東横イン", date=date(2026, 12, 1), total=Decimal("9000"),
                currency="JPY", category="lodging", tax_rate=Decimal(10))
SECRET = Receipt(merchant="OTHER TENANT", date=date(2026, 11, 2), total=Decimal("777"),
                 currency="JPY", category="misc")


@pytest.fixture
def ws() -> str:
    return "T" + uuid.uuid4().hex[:10].upper()


@pytest.fixture
def key() -> bytes:
    return Fernet.generate_key()


@pytest.fixture
def ledgers(ws: str, key: bytes):
    """Two threads of ``ws`` and one of another workspace, with images."""
    async def fill() -> None:
        redis = redis_client()
        ledger = Ledger(redis, ttl_s=3600)
        images = ReceiptImages(redis, MultiFernet([Fernet(key)]), ttl_s=3600)
        one = ThreadKey("slack", ws, "C1", "1700000000.000100")
        two = ThreadKey("slack", ws, "C2", "1700000000.000200")
        other = ThreadKey("slack", ws + "X", "C1", "1700000000.000100")
        for thread, receipt, user, name in ((one, FAMIMA, "UALICE", "Alice"),
                                            (two, HOTEL, "UBOB", "Bob"),
                                            (other, SECRET, "UEVE", "Eve")):
            await ledger.start(thread)
            await ledger.add(thread, user, receipt, f"sha-{user}", user_name=name)
            await images.put(thread, f"sha-{user}", b"\xff\xd8" + user.encode() * 100)
        await ledger.decide(one, 1, "approved", "UBOSS", by_name="Boss")
        await redis.aclose()

    async def clean() -> None:
        redis = redis_client()
        names = [k async for k in redis.scan_iter(match=f"*{ws}*", count=1000)]
        if names:
            await redis.delete(*names)
        await redis.aclose()

    asyncio.run(fill())
    yield
    asyncio.run(clean())


def run(env: dict, key: bytes, *args: str):
    return miru({**env, "MIRU_QUARANTINE_KEY": key.decode()}, "receipt", "report", *args)


def test_a_report_reads_one_workspace_only(env, ws, key, ledgers) -> None:
    text = run(env, key, "--workspace", ws)
    assert text.returncode == EX_OK, text.stderr
    assert text.stdout.startswith("Expense report, all receipts: 2 receipts\n2 expense threads")
    assert "12,300 JPY (2)" in text.stdout and "OTHER TENANT" not in text.stdout
    assert "777" not in text.stdout
    ja = run(env, key, "--workspace", ws, "--month", "2026-11", "--lang", "ja")
    assert ja.stdout.startswith("経費レポート（2026年11月）: 1 件")
    as_json = json.loads(run(env, key, "--workspace", ws, "--format", "json").stdout)
    assert as_json["count"] == 2 and {r["merchant"] for r in as_json["receipts"]} == {
        "ファミリーマート", "東横イン"}
    assert [r["status"] for r in as_json["receipts"]] == ["approved", "pending"]
    bob = json.loads(run(env, key, "--workspace", ws, "--user", "UBOB", "--format",
                         "json").stdout)
    assert [r["added_by_name"] for r in bob["receipts"]] == ["Bob"]
    nobody = run(env, key, "--workspace", "T" + uuid.uuid4().hex[:10].upper())
    assert nobody.returncode == EX_DATAERR
    assert run(env, key, "--workspace", ws, "--month", "2026-13").returncode == EX_USAGE
    assert run(env, key, "--workspace", ws, "--format", "zip").returncode == EX_USAGE


def test_exports_to_files(env, ws, key, ledgers, tmp_path: Path) -> None:
    freee = tmp_path / "freee.csv"
    done = run(env, key, "--workspace", ws, "--format", "freee", "-o", str(freee))
    assert done.returncode == EX_OK, done.stderr
    rows = list(csv.reader(io.StringIO(freee.read_bytes().decode("cp932"))))
    assert [r[2] for r in rows[1:]] == ["2026/11/28", "2026/12/01"]  # 発生日
    assert [r[5] for r in rows[1:]] == ["旅費交通費", "旅費交通費"]  # both map to it
    mf = tmp_path / "mf.csv"
    assert run(env, key, "--workspace", ws, "--format", "mf", "-o", str(mf)).returncode == EX_OK
    assert mf.read_bytes().decode("cp932").splitlines()[0].startswith("取引No,取引日,借方勘定科目")
    out = tmp_path / "receipts.zip"
    assert run(env, key, "--workspace", ws, "--format", "zip", "-o", str(out)).returncode == 0
    with zipfile.ZipFile(out) as zf:
        assert sorted(zf.namelist()) == ["2026-11-28_3300_ファミリーマート.jpg",
                                         "2026-12-01_9000_東横イン.jpg", "receipts.csv"]
    generic = run(env, key, "--workspace", ws, "--format", "csv")
    assert generic.stdout.startswith("\ufeffn,merchant,date")  # a BOM for spreadsheets
    audit = [json.loads(line) for line in Path(env["MIRU_AUDIT_PATH"]).read_text().splitlines()]
    kinds = [r["detail"]["kind"] for r in audit if r["kind"] == "receipt_export"]
    assert kinds == ["freee", "mf", "zip", "csv"]
