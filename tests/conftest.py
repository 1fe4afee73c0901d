"""Fixtures shared by every test folder: settings in a temporary folder, benign sample photos."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from bot.models import Answer, AnswerRequest
from config.settings import Settings, load_settings

REDIS_URL = os.environ.get("MIRU_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


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
