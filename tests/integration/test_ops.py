"""Health and metrics served on their own port (``miru worker --metrics-port``), scraped with
httpx: the worker's counters after jobs ran, 503 when Redis is down or no worker is alive, and
the command in a subprocess stopping cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot import keys
from bot.errors import DeliveryFailed
from bot.jobs.worker import Worker
from bot.models import IncomingMessage
from bot.ops.http import Ops, serve
from bot.ops.metrics import Metrics
from bot.wiring import connect_redis
from tests.clirun import cli_env
from tests.conftest import redis_client
from tests.integration.test_queue import _run_worker, msg, queue


@pytest.fixture
async def redis():
    client = redis_client()
    await client.delete(keys.WORKERS_SEEN)
    yield client
    await client.delete(keys.WORKERS_SEEN)
    await client.aclose()


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(text) for s in f.samples}


async def test_worker_metrics_after_jobs_and_health(redis, stream):
    q = queue(redis, stream, "w-metrics")
    await q.ensure_group()
    metrics = Metrics()
    runner, port = await serve(Ops(metrics, q, redis), host="127.0.0.1", port=0)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            before = await client.get("/healthz")
            assert before.status_code == 503  # no worker seen yet
            assert before.json() == {"ok": False, "status": "degraded", "redis": True,
                                     "workers": 0, "unserved": {},
                                     "reasons": ["no worker seen in the last minute"]}
            await q.enqueue(msg(1))
            await q.enqueue(msg(2))
            await q.enqueue(msg(3))
            runs: list[str] = []

            async def handle(m: IncomingMessage) -> None:
                runs.append(m.message_id)
                if m.message_id == "m2":
                    raise DeliveryFailed("channel_not_found")

            await _run_worker(Worker(q, handle, block_ms=20, metrics=metrics),
                              lambda: len(runs) == 3 and metrics.jobs_dead.labels(
                                  "failed")._value.get() == 1)
            health = await client.get("/healthz")
            got = samples((await client.get("/metrics")).text)
    finally:
        await runner.cleanup()
    assert health.status_code == 200 and health.json()["workers"] == 1
    assert got[("miru_jobs_done_total", ())] == 2
    assert got[("miru_jobs_failed_total", ())] == 1
    assert got[("miru_jobs_dead_total", (("reason", "failed"),))] == 1
    assert got[("miru_jobs_dead_letters", ())] == 1
    assert got[("miru_jobs_queued", ())] == 0 and got[("miru_jobs_pending", ())] == 0
    assert got[("miru_jobs_in_flight", ())] == 0
    assert ("miru_quota_refusals_total", (("scope", "user"),)) not in got  # none refused


async def test_redis_down_is_503_and_metrics_still_render():
    down = connect_redis("redis://127.0.0.1:1/0")
    from bot.jobs.queue import JobQueue

    ops = Ops(Metrics(), JobQueue(down, consumer="x"), down)
    runner, port = await serve(ops, host="127.0.0.1", port=0)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            health = await client.get("/healthz")
            scraped = await client.get("/metrics")
    finally:
        await runner.cleanup()
        await down.aclose()
    assert health.status_code == 503
    assert health.json() == {"ok": False, "status": "down", "redis": False, "workers": 0,
                             "unserved": {}, "reasons": ["Redis does not answer"]}
    assert scraped.status_code == 200 and "miru_jobs_queued 0.0" in scraped.text


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_miru_worker_serves_metrics_and_stops_on_sigterm(tmp_path: Path, redis):
    env = cli_env(tmp_path)
    env["SLACK_BOT_TOKEN"] = "xoxb-test-not-used"
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "worker", "--metrics-port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        health = None
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    health = await client.get("/healthz")
                    if health.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
            assert health is not None and health.status_code == 200, proc.poll()
            assert "miru_jobs_done_total" in (await client.get("/metrics")).text
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err[-2000:]
        assert "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_a_bad_metrics_port_is_a_usage_error(tmp_path: Path):
    from tests.clirun import miru

    env = cli_env(tmp_path)
    out = miru(env, "worker", "--metrics-port", "70000", timeout=60)
    assert out.returncode == 2 and "--metrics-port" in out.stderr
