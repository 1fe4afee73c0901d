"""The scheduled quarantine purge: enforced by the worker, survives errors, stops with it."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.evidence.quarantine import Quarantine
from bot.evidence.secrets import quarantine_key
from bot.jobs.housekeeping import purge_loop, with_purge
from bot.ports import PlatformInfo
from config.policy import Retention

# Runs again in the cluster pass (make test): multi-key commands, scripts and transactions.
pytestmark = pytest.mark.redis

DAY = 24 * 3600


def put_aged(folder: Path, key: bytes, case: str, age_days: float, *,
             legal_hold: bool = False) -> None:
    """A case as ``Quarantine.put`` writes it, but encrypted ``age_days`` ago (Fernet's own
    timestamp is what the purge reads)."""
    f, at = Fernet(key), int(time.time() - age_days * DAY)
    folder.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"meta": {}, "legal_hold": legal_hold, "size": 1}).encode()
    (folder / f"{case}.bin").write_bytes(f.encrypt_at_time(b"x", at))
    (folder / f"{case}.meta").write_bytes(f.encrypt_at_time(body, at))


class FlakyQuarantine(Quarantine):
    """A real quarantine whose first sweep fails, as a full or unmounted disk would."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sweeps = 0

    def sweep(self, *args, **kwargs):
        self.sweeps += 1
        if self.sweeps == 1:
            raise OSError(5, "Input/output error")
        return super().sweep(*args, **kwargs)


async def _until(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_loop_survives_an_error_purges_and_stops_with_the_event(tmp_path, caplog):
    key = Fernet.generate_key()
    q = FlakyQuarantine(tmp_path / "q", key, retention=Retention(quarantine_days=30))
    put_aged(q.dir, key, "old", 31)
    put_aged(q.dir, key, "young", 29)
    put_aged(q.dir, key, "held", 200, legal_hold=True)
    stop = asyncio.Event()
    caplog.set_level(logging.INFO, logger="bot.jobs.housekeeping")
    task = asyncio.create_task(purge_loop(q, stop, interval_s=0.05))
    # The file goes in the sweep's thread, the log line after it returns: wait for the line.
    await _until(lambda: "1 removed" in caplog.text)
    assert "quarantine purge failed" in caplog.text and "Input/output error" in caplog.text
    assert sorted(p.name for p in q.dir.glob("*.bin")) == ["held.bin", "young.bin"]
    stop.set()
    await asyncio.wait_for(task, 2)


async def test_with_purge_cancels_the_loop_when_the_worker_ends(tmp_path):
    q = Quarantine(tmp_path / "q", Fernet.generate_key())
    stop = asyncio.Event()
    result = await asyncio.wait_for(with_purge(asyncio.sleep(0.05, "done"), q, stop), 2)
    assert result == "done" and not stop.is_set()
    assert [t for t in asyncio.all_tasks() if t.get_name() == "quarantine-purge"] == []


class Idle:
    """A platform no job comes for: the worker only keeps house."""

    name = "cli"
    info = PlatformInfo("cli")

    def conversation(self, message):  # pragma: no cover - no job is queued
        raise AssertionError("no job expected")


async def test_run_worker_enforces_the_policy_retention(make_settings, counting_engine):
    """Regression: Quarantine.purge ran nowhere, and [retention] quarantine_days was ignored."""
    from bot.app import build_app

    settings = make_settings(policy="[retention]\nquarantine_days = 2\n")
    app = build_app(settings, engine=counting_engine)
    try:
        folder, key = app.services.quarantine.dir, quarantine_key(settings).value
        put_aged(folder, key, "three-days", 3)
        put_aged(folder, key, "one-day", 1)
        stop = asyncio.Event()
        worker = asyncio.create_task(app.run_worker({"cli": Idle()}, stop, concurrency=1))
        await _until(lambda: not (folder / "three-days.bin").exists())
        assert (folder / "one-day.bin").exists()
        stop.set()
        await asyncio.wait_for(worker, 10)
    finally:
        await app.close()
