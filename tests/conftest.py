"""Fixtures shared by every test folder: settings in a temporary folder, benign sample photos,
and the Redis the tests use.

Redis: ``MIRU_TEST_REDIS_URL`` (default DB 13 on 127.0.0.1:6379). With
``MIRU_TEST_REDIS_CLUSTER=1`` the session starts a Redis Cluster of three masters on free ports
(tests/rediscluster.py; or uses the ``redis+cluster://`` URL in ``MIRU_TEST_REDIS_URL``), runs
only the Redis-facing tests (marked ``redis``: by their fixtures, see ``REDIS_FIXTURES``, or by
hand) against it and empties every master before each one. Tests open clients with
``redis_client()`` / ``sync_redis_client()`` (a ``RedisCluster`` on a cluster), never
``Redis.from_url`` directly.
"""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import redis as redis_sync

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from bot.models import Answer, AnswerRequest
from bot.stores.redis_base import (
    RedisLike,
    SyncRedisLike,
    cluster_node_url,
    open_client,
    open_sync_client,
)
from config.settings import Settings, load_settings
from tests.rediscluster import LocalCluster

REDIS_URL = os.environ.get("MIRU_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
CLUSTER = os.environ.get("MIRU_TEST_REDIS_CLUSTER", "") not in ("", "0")
# A test that uses one of these fixtures talks to Redis (directly or through build_app, a `miru`
# subprocess or a platform stack); it gets the ``redis`` marker and runs in the cluster pass.
REDIS_FIXTURES = frozenset({"redis", "rdb", "make_settings", "env", "ledger_with_receipts",
                            "access_redis", "stack_settings"})

_cluster: LocalCluster | None = None


def redis_client(**kwargs: object) -> RedisLike:
    """An asyncio client for the tests' Redis (a ``RedisCluster`` on a cluster)."""
    return open_client(REDIS_URL, **kwargs)


def sync_redis_client(**kwargs: object) -> SyncRedisLike:
    return open_sync_client(REDIS_URL, **kwargs)


def flush_redis() -> None:
    """Empty the tests' Redis: its DB, or every master of the cluster."""
    client = sync_redis_client()
    try:
        if isinstance(client, redis_sync.RedisCluster):
            client.flushall(target_nodes=redis_sync.RedisCluster.PRIMARIES)
        else:
            client.flushdb()
    finally:
        client.close()


def pytest_configure(config: pytest.Config) -> None:
    global REDIS_URL, _cluster
    config.addinivalue_line("markers", "redis: talks to Redis (runs again on a Redis Cluster)")
    if not CLUSTER or cluster_node_url(REDIS_URL) is not None:
        return
    if "MIRU_TEST_REDIS_URL" in os.environ:
        raise pytest.UsageError("MIRU_TEST_REDIS_CLUSTER=1 takes a redis+cluster:// URL in "
                                "MIRU_TEST_REDIS_URL, or none (a cluster is started)")
    if hasattr(config, "workerinput"):  # an xdist worker: its controller started one
        return
    _cluster = LocalCluster().start()
    REDIS_URL = _cluster.url
    os.environ["MIRU_TEST_REDIS_URL"] = REDIS_URL  # `miru` subprocesses (tests/clirun.py)


def pytest_unconfigure(config: pytest.Config) -> None:
    global _cluster
    if _cluster is not None:
        _cluster.stop()
        _cluster = None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep, drop = [], []
    for item in items:
        if REDIS_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.redis)
        if not CLUSTER or item.get_closest_marker("redis") is not None:
            keep.append(item)
        else:
            drop.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(autouse=True)
def _empty_cluster(request: pytest.FixtureRequest) -> None:
    """On a cluster, each Redis-facing test starts with every master empty (there is no
    private DB to flush)."""
    if CLUSTER and request.node.get_closest_marker("redis") is not None:
        flush_redis()


def jpeg_bytes(array, *, quality: int = 90, exif: bytes | None = None) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    kwargs = {"quality": quality}
    if exif is not None:
        kwargs["exif"] = exif
    Image.fromarray(array).convert("RGB").save(buf, "JPEG", **kwargs)
    return buf.getvalue()


@pytest.fixture(scope="session")
def coffee_jpeg() -> bytes:
    from skimage import data

    return jpeg_bytes(data.coffee())


@pytest.fixture(scope="session")
def astronaut_jpeg() -> bytes:
    from skimage import data

    return jpeg_bytes(data.astronaut())


@pytest.fixture(scope="session")
def chelsea_jpeg() -> bytes:
    from skimage import data

    return jpeg_bytes(data.chelsea())


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings rooted in a temporary folder; a policy TOML body may be given as text."""

    def make(policy: str | None = None, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "data_dir": tmp_path / "data",
            "audit_path": tmp_path / "data" / "audit.jsonl",
            "redis_url": REDIS_URL,
            "vlm_backend": "ocr",
            "audit_secret": "test-secret-0123456789abcdef-0123456789",
        }
        if policy is not None:
            path = tmp_path / "policy.toml"
            path.write_text(policy, encoding="utf-8")
            values["policy_file"] = path
        values.update(overrides)
        return load_settings(**values)

    return make


class CountingEngine:
    """A stand-in for a vision model where counting calls is the point of the test: it records
    every request it is asked and answers with what it was given."""

    name = "counting"
    model_id = "counting-engine"

    def __init__(self) -> None:
        self.requests: list[AnswerRequest] = []

    async def answer(self, request: AnswerRequest) -> Answer:
        self.requests.append(request)
        text = f"saw {len(request.images)} image(s); asked: {request.question}"
        return Answer(text=text, engine=self.name, model=self.model_id)

    async def stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        answer = await self.answer(request)
        yield answer.text[: len(answer.text) // 2]
        yield answer.text

    async def close(self) -> None:
        return None


@pytest.fixture
def counting_engine() -> CountingEngine:
    return CountingEngine()
