"""Fixtures shared by every test folder: settings in a temporary folder, benign sample photos,
and the Redis the tests use.

Redis: ``MIRU_TEST_REDIS_URL`` (default DB 13 on 127.0.0.1:6379). Under pytest-xdist each worker
takes its own database, the base DB plus the worker's index (gw0: 13, gw1: 14), since fixtures
flush; the worker's URL is put back in ``MIRU_TEST_REDIS_URL`` for `miru` subprocesses and the
platform stacks. With ``MIRU_TEST_REDIS_CLUSTER=1`` each process (each xdist worker) starts a
Redis Cluster of three masters on free ports (tests/rediscluster.py; or uses the
``redis+cluster://`` URL in ``MIRU_TEST_REDIS_URL``: then run without ``-n``), runs only the tests
marked ``redis`` by hand (``pytestmark = pytest.mark.redis``: the stores, queue, worker, quota,
ledger, review store and vault, webhooks, reply claim, audit mirror, access overlay, API
idempotency) against it and empties every master before each one. Tests open clients with
``redis_client()`` / ``sync_redis_client()`` (a ``RedisCluster`` on a cluster), never
``Redis.from_url`` directly.

Tiers: tests under ``tests/unit`` and ``tests/service`` are the fast tier (``make test-fast``):
``_fast_tier_guard`` fails any of them that starts a process or loads an ONNX model; every other
test gets the ``slow`` marker and the session's one set of loaded safety models.

Hypothesis: the ``ci`` profile (bounded examples, no deadline, derandomised) is the default;
``HYPOTHESIS_PROFILE=thorough`` runs many more examples.
"""

from __future__ import annotations

import io
import multiprocessing.process
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis as redis_sync
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from bot.stores.redis_base import (
    RedisLike,
    SyncRedisLike,
    cluster_node_url,
    open_client,
    open_sync_client,
)
from config.settings import Settings, load_settings
from tests.fakes import CountingEngine
from tests.rediscluster import LocalCluster

hypothesis_settings.register_profile(
    "ci", max_examples=100, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.register_profile(
    "thorough", max_examples=2000, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def worker_redis_url(url: str, worker: str | None) -> str:
    """``url`` with its database moved up by the xdist worker's index (``gw1``: +1); a cluster
    URL (one database only) is left as it is."""
    if not worker or cluster_node_url(url) is not None:
        return url
    parts = urlsplit(url)
    db = int(parts.path.lstrip("/") or 0) + int(worker.removeprefix("gw") or 0)
    return urlunsplit(parts._replace(path=f"/{db}"))


BASE_REDIS_URL = os.environ.get("MIRU_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
REDIS_URL = worker_redis_url(BASE_REDIS_URL, os.environ.get("PYTEST_XDIST_WORKER"))
CLUSTER = os.environ.get("MIRU_TEST_REDIS_CLUSTER", "") not in ("", "0")
# The fast tier: folders whose tests may not start a process or load a model.
FAST_TIERS = ("unit", "service")

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
    config.addinivalue_line("markers", "redis: exercises Redis commands, scripts or "
                            "transactions (runs again on a Redis Cluster: set by hand)")
    if not CLUSTER or cluster_node_url(REDIS_URL) is not None:
        # `miru` subprocesses (tests/clirun.py) and platform stacks read the worker's DB here
        os.environ["MIRU_TEST_REDIS_URL"] = REDIS_URL
        return
    if "MIRU_TEST_REDIS_URL" in os.environ and not hasattr(config, "workerinput"):
        raise pytest.UsageError("MIRU_TEST_REDIS_CLUSTER=1 takes a redis+cluster:// URL in "
                                "MIRU_TEST_REDIS_URL, or none (a cluster is started)")
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        return  # the xdist controller runs no test: each worker starts its own cluster
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
        if _tier(item) in FAST_TIERS:
            item.fixturenames.insert(0, "_fast_tier_guard")  # type: ignore[attr-defined]
        else:
            item.add_marker(pytest.mark.slow)
            item.fixturenames.insert(0, "_shared_safety_models")  # type: ignore[attr-defined]
        if not CLUSTER or item.get_closest_marker("redis") is not None:
            keep.append(item)
        else:
            drop.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _cluster_flush(node: pytest.Item | pytest.Module) -> str | None:
    """When a Redis-facing test's cluster is emptied: "test" (before each one) or "module"
    (``pytest.mark.redis(flush="module")``: once, before the module's fixtures, for modules whose
    module-scoped stack keeps state across tests); ``None`` outside the cluster pass."""
    marker = node.get_closest_marker("redis")
    if not CLUSTER or marker is None:
        return None
    return str(marker.kwargs.get("flush", "test"))


@pytest.fixture(autouse=True, scope="module")
def _empty_cluster_per_module(request: pytest.FixtureRequest) -> None:
    if _cluster_flush(request.node) == "module":
        flush_redis()


@pytest.fixture(autouse=True)
def _empty_cluster(request: pytest.FixtureRequest) -> None:
    """On a cluster, each Redis-facing test starts with every master empty (there is no
    private DB to flush); a module marked ``redis(flush="module")`` starts so once."""
    if _cluster_flush(request.node) == "test":
        flush_redis()


def _tier(item: pytest.Item) -> str:
    """The folder under tests/ that holds ``item`` ("unit", "integration", ...)."""
    try:
        parts = Path(str(item.path)).relative_to(item.config.rootpath).parts
    except ValueError:
        return ""
    return parts[1] if len(parts) > 2 and parts[0] == "tests" else ""


class FastTierViolation(AssertionError):
    """A fast-tier test (tests/unit, tests/service) started a process or loaded a model: it
    belongs in tests/integration (or should use the fakes)."""


def _refuse(what: str) -> Callable[..., object]:
    def refuse(*_args: object, **_kwargs: object) -> object:
        raise FastTierViolation(f"the fast tier may not {what}: move this test to "
                                "tests/integration or give it a fake")
    return refuse


@pytest.fixture
def _fast_tier_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    """Given to every test in tests/unit and tests/service (``FAST_TIERS``): starting a
    subprocess (Tesseract included, through pytesseract), a multiprocessing worker or a fork,
    or opening an ONNX Runtime session, fails the test."""
    monkeypatch.setattr(subprocess.Popen, "__init__", _refuse("start a subprocess"))
    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start",
                        _refuse("start a worker process"))
    monkeypatch.setattr(os, "fork", _refuse("fork"))
    import onnxruntime  # already imported by the product code the fast tier tests

    monkeypatch.setattr(onnxruntime.InferenceSession, "__init__",
                        _refuse("load an ONNX model"))


@pytest.fixture(scope="session")
def _shared_safety_models() -> Iterator[None]:
    """One loaded set of the safety models per test process (per xdist worker), for every
    test outside the fast tier: ``safety.build.load_models`` is wrapped in a cache keyed by the
    settings that choose a model (the age estimation switch and model), so ``build_app``,
    ``build_screening`` and the in-process `miru` (tests/clirun.py) load NudeNet, open_nsfw and
    the age model once instead of per app. What the gates do with them is unchanged."""
    from safety import build

    load = build.load_models
    loaded: dict[tuple[bool, str], build.SafetyModels] = {}

    def cached(settings: Settings) -> build.SafetyModels:
        key = (settings.age_estimation, settings.age_model)
        if key not in loaded:
            loaded[key] = load(settings)
        return loaded[key]

    patch = pytest.MonkeyPatch()
    patch.setattr(build, "load_models", cached)
    yield
    patch.undo()


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


@pytest.fixture
def counting_engine() -> CountingEngine:
    return CountingEngine()
