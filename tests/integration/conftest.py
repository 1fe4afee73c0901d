"""Fixtures for the integration tests."""

import uuid
from pathlib import Path

import pytest

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
async def stream(redis):
    """A job stream of the test's own, deleted afterwards with its dead-letter stream."""
    name = f"test:jobs:{uuid.uuid4().hex}"
    yield name
    await redis.delete(name, f"{name}:dead")
