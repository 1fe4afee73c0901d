"""The integration API under hostile clients: slow connections and a flood of refusals.

    .venv/bin/python bench/api_limits.py                  # 200 slow clients, 20 s of refusals
    .venv/bin/python bench/api_limits.py --slow 500 --refuse-seconds 60

Starts the real ``miru serve-api`` (``python -m bot``) on a free port of 127.0.0.1, with its data
and audit log in a temporary folder and Redis database 12 (``--redis``), then:

1. **Slow clients**: ``--slow`` connections each send a request line and one header, then
   nothing. After the header timeout (``MIRU_HTTP_HEADER_TIMEOUT_S``, 10 s by default) plus two
   seconds, prints how many the server still holds open, and whether an ordinary request
   (``GET /v1/openapi.json``) was answered while they were connected (issue 19, item 10: before the
   listener's guards, all 200 were still open after 60 s).
2. **Refusals**: unauthenticated ``POST /v1/screen`` requests as fast as one client can send them
   for ``--refuse-seconds``; then stops the server (which writes the open window's summary) and
   prints requests refused, audit lines written, audit bytes, and bytes per refusal, with the
   day's audit volume at 500 refusals a second extrapolated from the bytes written per window
   (issue 19, item 12: one fsynced line per refusal was about 22 GB a day at that rate).

Prints figures; not a test.
"""


from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _start(tmp: Path, port: int, redis_url: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MIRU_", "SLACK_"))}
    env.update({"MIRU_DATA_DIR": str(tmp / "data"), "MIRU_AUDIT_PATH": str(tmp / "audit.jsonl"),
                "MIRU_VLM_BACKEND": "ocr", "MIRU_OFFLINE": "1", "HF_HUB_OFFLINE": "1",
                "MIRU_REDIS_URL": redis_url,
                "MIRU_AUDIT_SECRET": "bench-api-limits-0123456789abcdef-0123"})
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve-api", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"serve-api exited {proc.returncode}: "
                             f"{proc.stderr.read().decode()[-800:] if proc.stderr else ''}")
        try:
            if httpx.get(f"http://{HOST}:{port}/healthz", timeout=1).status_code < 600:
                return proc
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("serve-api did not answer /healthz within 120 s")


async def _slow_clients(port: int, count: int, wait_s: float) -> None:
    conns = []
    for _ in range(count):
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(b"POST /v1/screen HTTP/1.1\r\nHost: x\r\n")
        conns.append((reader, writer))
    await asyncio.sleep(0.5)
    async with httpx.AsyncClient() as client:
        t0 = time.monotonic()
        ok = (await client.get(f"http://{HOST}:{port}/v1/openapi.json", timeout=10)).status_code
        took = time.monotonic() - t0
    print(f"slow clients: {count} connected; GET /v1/openapi.json meanwhile -> {ok} "
          f"in {took:.2f} s")
    await asyncio.sleep(wait_s)
    still = 0
    for reader, writer in conns:
        try:
            data = await asyncio.wait_for(reader.read(1), 0.05)
            still += 0 if (data == b"" or reader.at_eof()) else 1
        except TimeoutError:
            still += 1  # nothing sent and not closed: the server still holds it
        except ConnectionError:
            pass
        writer.close()
    print(f"slow clients: {still}/{count} still open after {wait_s:.0f} s")


def _refusals(port: int, seconds: float) -> int:
    sent = 0
    with httpx.Client() as client:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            r = client.post(f"http://{HOST}:{port}/v1/screen", content=b"x", timeout=5)
            assert r.status_code in (401, 429), r.status_code
            sent += 1
    return sent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--slow", type=int, default=200)
    ap.add_argument("--refuse-seconds", type=float, default=20.0)
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    args = ap.parse_args()
    header_timeout = float(os.environ.get("MIRU_HTTP_HEADER_TIMEOUT_S", "10"))
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        port = _free_port()
        proc = _start(tmp, port, args.redis)
        try:
            asyncio.run(_slow_clients(port, args.slow, header_timeout + 2))
            audit = tmp / "audit.jsonl"
            before = audit.stat().st_size if audit.exists() else 0
            lines_before = len(audit.read_bytes().splitlines()) if audit.exists() else 0
            t0 = time.monotonic()
            sent = _refusals(port, args.refuse_seconds)
            elapsed = time.monotonic() - t0
        finally:
            proc.terminate()
            proc.wait(30)
        data = audit.read_bytes() if audit.exists() else b""
        new = data[before:]
        lines = data.splitlines()[lines_before:]
        actions = [json.loads(x).get("action", "?") for x in lines]
        windows = max(1, math.ceil(elapsed / 60))
        per_day = len(new) / windows * 1440
        print(f"refusals: {sent} refused in {elapsed:.1f} s ({sent / elapsed:.0f}/s); "
              f"audit: {len(lines)} line(s) {sorted(set(actions))}, {len(new)} bytes, "
              f"{len(new) / max(sent, 1):.2f} bytes per refusal")
        print(f"refusals: at 500/s all day, about {per_day / 1e6:.2f} MB of audit log a day "
              f"({len(new)} bytes per one-minute window x 1440)")


if __name__ == "__main__":
    main()
