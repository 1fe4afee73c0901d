"""A vision engine behind an OpenAI-compatible server (vLLM, Ollama, llama.cpp, OpenAI).

``POST {base_url}/chat/completions`` with the system prompt, the thread's history and the images as
``data:`` URLs of the processed (metadata-free) bytes. Timeouts, 429 (honouring ``Retry-After``)
and 5xx are retried with exponential backoff (tenacity); what still fails becomes an
``EngineError`` subclass whose message key a user can read.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from bot.errors import EngineBusy, EngineEmpty, EngineError
from bot.models import Answer, AnswerRequest, Image
from bot.vision.prompts import PromptLimits, build_messages

MAX_RETRY_AFTER_S = 30.0


class _Retryable(Exception):
    """A 429, a 5xx or a transport failure: worth another try."""

    def __init__(self, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


def data_url(image: Image) -> str:
    """The image's processed bytes as a ``data:`` URL."""
    return f"data:{image.mime};base64,{base64.b64encode(image.data).decode('ascii')}"


def openai_messages(request: AnswerRequest, limits: PromptLimits | None = None) -> list[dict]:
    """``build_messages`` in OpenAI's format: the k-th image part becomes the k-th image's URL."""
    images = iter(request.images)
    out = []
    for message in build_messages(request, limits):
        parts: list[dict[str, Any]] = []
        for part in message["content"]:
            if part["type"] == "image":
                parts.append({"type": "image_url", "image_url": {"url": data_url(next(images))}})
            else:
                parts.append(part)
        if message["role"] != "user" and all(p["type"] == "text" for p in parts):
            out.append({"role": message["role"], "content": "\n".join(p["text"] for p in parts)})
        else:
            out.append({"role": message["role"], "content": parts})
    return out


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


class OpenAIEngine:
    """Engine over ``/v1/chat/completions``; ``base_url`` ends with ``/v1``."""

    name = "openai"

    def __init__(
        self,
        base_url: str,
        api_key: str,
        model: str,
        *,
        timeout_s: float,
        retries: int,
        transport: httpx.AsyncBaseTransport | None = None,
        max_new_tokens: int = 256,
        backoff_s: float = 0.5,
        limits: PromptLimits | None = None,
    ) -> None:
        self.model_id = model
        self.limits = limits or PromptLimits()
        self.retries = retries
        self.max_new_tokens = max_new_tokens
        self._backoff_s = backoff_s
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/", headers=headers,
            timeout=httpx.Timeout(timeout_s), transport=transport,
        )

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return exc.retry_after
        return wait_exponential(multiplier=self._backoff_s, max=MAX_RETRY_AFTER_S)(state)

    def _body(self, request: AnswerRequest) -> dict[str, Any]:
        return {
            "model": self.model_id,
            "messages": openai_messages(request, self.limits),
            "max_tokens": request.max_new_tokens or self.max_new_tokens,
            "temperature": 0,
        }

    async def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self._client.post("chat/completions", json=body)
        except httpx.TimeoutException as exc:
            raise _Retryable(f"timeout: {exc!r}") from exc
        except httpx.TransportError as exc:
            raise _Retryable(f"transport: {exc!r}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise _Retryable(f"HTTP {response.status_code}", _retry_after(response))
        if response.status_code >= 400:
            raise EngineError(f"HTTP {response.status_code}: {response.text[:200]}")
        try:
            payload = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise EngineEmpty(f"malformed JSON from the model server: {exc}") from exc
        if not isinstance(payload, dict):
            raise EngineEmpty("the model server's answer is not a JSON object")
        return payload

    async def _call(self, body: dict[str, Any]) -> dict[str, Any]:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(_Retryable), stop=stop_after_attempt(self.retries + 1),
            wait=self._wait, reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._post(body)
        except _Retryable as exc:
            raise EngineBusy(f"gave up after {self.retries + 1} tries: {exc}") from exc
        raise EngineError("unreachable")  # pragma: no cover - tenacity either returns or raises

    async def answer(self, request: AnswerRequest) -> Answer:
        started = time.perf_counter()
        payload = await self._call(self._body(request))
        try:
            text = payload["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise EngineEmpty(f"no choices[0].message.content in the answer: {exc!r}") from exc
        if not isinstance(text, str) or not text.strip():
            raise EngineEmpty("the model answered with empty text")
        usage = payload.get("usage") or {}
        return Answer(
            text=text.strip(), engine=self.name, model=str(payload.get("model") or self.model_id),
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            timings_ms={"request": (time.perf_counter() - started) * 1000},
        )

    async def stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        """One item, the whole answer: servers differ in SSE details, and retries need a
        complete response."""
        yield (await self.answer(request)).text

    async def close(self) -> None:
        await self._client.aclose()
