"""`miru receipt` in a subprocess: the real gates, the real reader, a process pool; the JSON
contract of the issue, one entry per file in the order given, bad files never stopping the rest."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
from pathlib import Path

import pytest

from bot.cli.exitcodes import EX_DATAERR, EX_OK
from bot.receipts.codec import CONTRACT_FIELDS
from tests.clirun import miru
from tests.openai_standin import Script, completion, running
from tests.platform.receipt_flow import BLURRED, PROSE, RECEIPT_EN, RECEIPT_JA

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

KEYS = ["file", "verdict", *CONTRACT_FIELDS, "checks", "error"]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, data in (("ja.png", RECEIPT_JA), ("en.png", RECEIPT_EN), ("prose.png", PROSE),
                       ("blur.png", BLURRED), ("broken.jpg", b"\xff\xd8\xff not a jpeg"),
                       ("empty.png", b"")):
        out[name] = tmp_path / name
        out[name].write_bytes(data)
    out["missing.png"] = tmp_path / "missing.png"
    return out


def test_json_contract_for_many_files_good_and_bad(env, files) -> None:
    order = ["ja.png", "broken.jpg", "en.png", "missing.png", "prose.png", "blur.png",
             "empty.png"]
    proc = miru(env, "receipt", *(str(files[n]) for n in order), "--json")
    assert proc.returncode == EX_OK, proc.stderr
    assert proc.stderr == ""  # no progress bar when stderr is not a terminal
    entries = json.loads(proc.stdout)
    assert [Path(e["file"]).name for e in entries] == order
    assert all(list(e) == KEYS for e in entries)
    ja, broken, en, missing, prose, blur, empty = entries
    assert (ja["verdict"], ja["total"], ja["currency"], ja["date"]) == (
        "allow", "1234", "JPY", "2026-11-20")
    assert isinstance(ja["confidence"]["total"], float) and ja["error"] is None
    assert (en["total"], en["currency"], en["merchant"]) == ("23.45", "USD", "CORNER MARKET")
    assert en["invoice_number"] is None and en["invoice_compliant"] is None
    assert all(isinstance(i["amount"], str) for i in en["items"])
    assert broken["verdict"] is None and broken["error"]["code"] == "corrupt"
    assert missing["error"]["code"] == "unreadable" and missing["total"] is None
    assert empty["error"]["code"] == "empty"
    assert prose["verdict"] == "allow" and prose["error"]["code"] == "not_a_receipt"
    assert blur["error"]["code"] == "unreadable_receipt" and blur["total"] is None
    audit = [json.loads(line) for line in
             (Path(env["MIRU_AUDIT_PATH"])).read_text().splitlines()]
    verdicts = [r for r in audit if r["kind"] == "verdict"]
    assert len(verdicts) == 4  # every file that was screened, none that was not
    assert hashlib.sha256(RECEIPT_JA).hexdigest() in {r["image_sha256"][0] for r in verdicts}


def test_csv_and_text_and_exit_status(env, files) -> None:
    proc = miru(env, "receipt", str(files["en.png"]), str(files["broken.jpg"]), "--csv")
    assert proc.returncode == EX_OK
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert [(r["total"], r["currency"], r["error"]) for r in rows] == [
        ("23.45", "USD", ""), ("", "", "corrupt")]
    text = miru(env, "receipt", str(files["en.png"]))
    assert text.returncode == EX_OK and "CORNER MARKET · 2026-11-20 · 23.45 USD" in text.stdout
    none = miru(env, "receipt", str(files["broken.jpg"]), str(files["missing.png"]), "--json")
    assert none.returncode == EX_DATAERR and len(json.loads(none.stdout)) == 2
    usage = miru(env, "receipt", str(files["en.png"]), "--json", "--csv")
    assert usage.returncode == 2
    # -o FILE: what a spreadsheet opens (a BOM for Japanese, CRLF); nothing on stdout
    out = files["en.png"].parent / "receipts.csv"
    wrote = miru(env, "receipt", str(files["ja.png"]), "--csv", "-o", str(out))
    assert wrote.returncode == EX_OK and wrote.stdout == ""
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\r\n") == 2
    (row,) = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    assert (row["total"], row["currency"], row["payment_method"]) == ("1234", "JPY",
                                                                      "credit_card")


def test_progress_bar_only_on_a_terminal(env, files) -> None:
    import fcntl
    import os
    import pty
    import struct
    import subprocess
    import sys
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a real size
    try:
        proc = subprocess.run([sys.executable, "-m", "bot", "receipt", str(files["en.png"]),
                               str(files["broken.jpg"]), "--json"], env=env, stdout=subprocess.PIPE,
                              stderr=slave, timeout=240)
        os.close(slave)
        shown = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the terminal's other end is closed and drained
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(master)
    assert proc.returncode == EX_OK
    assert b"2/2" in shown and b"Traceback" not in shown
    assert len(json.loads(proc.stdout)) == 2  # stdout stays clean JSON


@pytest.fixture
async def vision():
    """A local OpenAI-compatible model server (``tests/openai_standin.py``)."""
    async for server in running():
        yield server


async def test_a_vision_model_gives_its_second_opinion_from_the_parent(env, files,
                                                                        vision) -> None:
    """With a model configured, the parent asks it about each readable receipt the workers
    read (the prose page, no receipt, is not asked about): a difference is listed in
    ``checks`` and marked on the text line, the OCR value kept; a model that fails changes
    nothing."""
    reading = {"is_receipt": True, "merchant": "Corner Market", "date": None, "total": "32.45",
               "tax": None, "tax_rate": None, "currency": "USD", "payment_method": None,
               "category": None, "invoice_number": None}
    vision.script = [completion(json.dumps(reading))]
    env = {**env, "MIRU_VLM_BACKEND": "openai", "MIRU_OPENAI_BASE_URL": vision.base_url,
           "MIRU_OPENAI_RETRIES": "0"}
    proc = await asyncio.to_thread(miru, env, "receipt", str(files["en.png"]),
                                   str(files["prose.png"]), "--json")
    assert proc.returncode == EX_OK, proc.stderr
    en, prose = json.loads(proc.stdout)
    assert en["checks"] == [{"field": "total", "model": "32.45"}] and en["total"] == "23.45"
    assert en["confidence"]["total"] <= 0.5 and prose["checks"] == []
    assert len(vision.bodies) == 1  # one question: the prose page was never shown
    audit = [json.loads(line) for line in Path(env["MIRU_AUDIT_PATH"]).read_text().splitlines()]
    opinions = [r["detail"].get("second_opinion") for r in audit if r["kind"] == "verdict"]
    assert [o["differ"] for o in opinions if o] == [["total"]]
    text = await asyncio.to_thread(miru, env, "receipt", str(files["en.png"]))
    assert "23.45 USD ⚠" in text.stdout and "32.45" in text.stdout
    vision.script = [Script(status=500)]
    failed = await asyncio.to_thread(miru, env, "receipt", str(files["en.png"]), "--json")
    (same,) = json.loads(failed.stdout)
    assert same["checks"] == [] and same["total"] == "23.45"
    assert same["confidence"]["total"] > 0.5  # as OCR read it
