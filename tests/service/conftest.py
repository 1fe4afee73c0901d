"""The service tier: ``build_app`` on the fakes of ``tests/fakes.py``, every branch of the one
path in milliseconds. Nothing here loads a model or starts a process: a guard fails any test
that opens an ONNX session or spawns a subprocess or a process (a default port left in place
would do both: the safety models, Tesseract, the decoder pool)."""

from __future__ import annotations

import multiprocessing.process
import os
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import onnxruntime
import pytest

from config.settings import Settings, load_settings
from tests.conftest import flush_redis
from tests.service.rig import Rig, build_rig

SECRET = "service-tier-secret-0123456789abcdef"


class Forbidden(BaseException):
    """Raised by the guard; a ``BaseException`` so the pipeline's own handlers let it through."""


@pytest.fixture(autouse=True)
def _no_models_no_processes(monkeypatch: pytest.MonkeyPatch) -> Any:
    tried: list[str] = []

    def refuse(what: str) -> Callable[..., Any]:
        def call(*_a: Any, **_k: Any) -> Any:
            tried.append(what)
            raise Forbidden(f"the service tier never {what}")
        return call

    monkeypatch.setattr(onnxruntime, "InferenceSession", refuse("loads an ONNX model"))
    monkeypatch.setattr(subprocess, "Popen", refuse("spawns a subprocess"))
    monkeypatch.setattr(os, "fork", refuse("forks"))
    monkeypatch.setattr(os, "posix_spawn", refuse("spawns a process"))
    monkeypatch.setattr(os, "posix_spawnp", refuse("spawns a process"))
    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start",
                        refuse("starts a process"))
    yield
    if tried:
        pytest.fail("the service tier must stay in process and model-free; tried: "
                    + ", ".join(sorted(set(tried))))


def _settings(tmp_path: Path, policy: str | None, redis_url: str | None,
              **overrides: Any) -> Settings:
    tmp_path.mkdir(parents=True, exist_ok=True)
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data", "audit_path": tmp_path / "data" / "audit.jsonl",
        "audit_secret": SECRET, "vlm_backend": "ocr", "language": "en",
    }
    if redis_url is not None:
        values["redis_url"] = redis_url
    if policy is not None:
        path = tmp_path / "policy.toml"
        path.write_text(policy, encoding="utf-8")
        values["policy_file"] = path
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Callable[..., Rig]]:
    """Factory: ``rig(policy_text, engine=, ocr=, ports={...}, **settings)``, everything in
    this process (``ports``: more of ``build_app``'s, such as a ``memory`` two apps share)."""
    made: list[Rig] = []

    def make(policy: str | None = None, *, engine: Any = None, ocr: Any = None,
             ports: dict[str, Any] | None = None, **overrides: Any) -> Rig:
        made.append(build_rig(_settings(tmp_path / f"r{len(made)}", policy, None, **overrides),
                              engine=engine, ocr=ocr, **(ports or {})))
        return made[-1]

    yield make
    for r in made:
        await r.close()


@pytest.fixture
async def redis_rig(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[Rig]]]:
    """Factory: ``await redis_rig(policy_text, **settings)`` on the tests' real Redis (its DB
    emptied first): review cases, quotas, ledgers and reply claims as production keeps them."""
    from tests.conftest import REDIS_URL  # read now: the cluster pass sets it at start-up

    flush_redis()
    made: list[Rig] = []

    async def make(policy: str | None = None, *, engine: Any = None, ocr: Any = None,
                   ports: dict[str, Any] | None = None, **overrides: Any) -> Rig:
        made.append(build_rig(_settings(tmp_path / f"r{len(made)}", policy, REDIS_URL,
                                        **overrides), redis=True, engine=engine, ocr=ocr,
                              **(ports or {})))
        return made[-1]

    yield make
    for r in made:
        await r.close()
    flush_redis()
