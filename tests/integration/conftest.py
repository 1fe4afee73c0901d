"""Fixtures for the integration tests."""

import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot import keys
from bot.evidence.vault import RedisQuarantine
from bot.review.store import ReviewStore
from tests.clirun import cli_env
from tests.conftest import redis_client


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """Environment for a `miru` subprocess: OCR engine, offline, data in tmp_path."""
    return cli_env(tmp_path)


@pytest.fixture
async def redis():
    """An async client on the test Redis (a cluster in the cluster pass); modules that must
    clear shared keys around each test define their own."""
    client = redis_client()
    yield client
    await client.aclose()


@pytest.fixture
async def opened_cases(redis):
    """The review cases opened since the test began (call it), on this worker's database, which
    other tests' cases share: a test that counts cases counts only its own. They are forgotten
    afterwards, with their evidence in the shared quarantine."""
    store = ReviewStore(redis)
    before = set(await store.ids())

    async def opened() -> list:
        return [c for c in [await store.get(i) for i in await store.ids() if i not in before]
                if c is not None]

    yield opened
    vault = RedisQuarantine(redis, Fernet.generate_key())  # deleting reads no evidence: any key
    for case in await opened():
        await store.forget(case.id)
        for eid in case.evidence:
            await vault.delete(eid)


PLATFORMS = ("slack", "discord")


@pytest.fixture
async def stream(redis):
    """The job queue's key base of the test's own (``JobQueue(base=...)``: a stream per
    platform, all under one hash tag), deleted afterwards with its dead-letter stream; also a
    stream name of the test's own (the audit mirror's tests)."""
    base = f"test:{{jobs-{uuid.uuid4().hex}}}"
    yield base
    await redis.delete(base, f"{base}:dead", keys.job_platforms(base),
                       *(keys.job_unserved_tell(p, f"{base}:dead") for p in PLATFORMS),
                       *(keys.job_stream(p, base) for p in PLATFORMS),
                       *(keys.job_serving(p, base) for p in PLATFORMS))
