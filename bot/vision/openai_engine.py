"""A vision engine behind an OpenAI-compatible server (vLLM, Ollama, llama.cpp, OpenAI).

``POST {base_url}/chat/completions`` with the system prompt, the thread's history and the images as
``data:`` URLs of the processed (metadata-free) bytes. Timeouts, 429 (honouring ``Retry-After``)
and 5xx are retried with exponential backoff (tenacity); what still fails becomes an
``EngineError`` subclass whose message key a user can read.

``stream`` asks for server-sent events (``stream: true``) and yields the text as it grows. The
retries apply until the first text arrives; after that nothing is sent twice: a stream that
breaks (a dropped connection, a read timeout, an error event, an end without ``[DONE]``) raises
``EngineInterrupted`` carrying the text so far, which the pipeline keeps and marks as cut short.
Malformed chunks are skipped (and counted in the log); a server that ignores ``stream`` and
answers with one JSON object is read as the whole answer.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
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

from bot.errors import EngineBusy, EngineEmpty, EngineError, EngineInterrupted
from bot.models import Answer, AnswerRequest, Image
from bot.vision.prompts import PromptLimits, build_messages
from bot.vision.sse import Chunk, parse_chunk, sse_events

log = logging.getLogger(__name__)

MAX_RETRY_AFTER_S = 30.0
MAX_STREAM_CHARS = 200_000  # an answer that long is cut (the pipeline caps far lower anyway)
MAX_STREAM_S = 600.0  # a whole streamed answer; keep-alives and dribbled text cannot hold it open


class _StreamDeadline(Exception):
    """The stream as a whole took longer than ``max_stream_s``."""


async def _until(lines: AsyncIterator[str], deadline: float) -> AsyncIterator[str]:
    """``lines`` until the monotonic ``deadline`` (checked per line: a server sending only
    comments or empty deltas never reaches the event parser's consumer)."""
    async for line in lines:
        if time.monotonic() > deadline:
            raise _StreamDeadline("no end of the answer within the stream's time limit")
        yield line


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


@dataclass
class _StreamState:
    events: AsyncIterator[Any]
    malformed: int = 0


@dataclass
class _Opened:
    """A stream that produced its first text (or ended): the rest is read from ``state``."""

    stack: contextlib.AsyncExitStack
    state: _StreamState | None
    text: str
    finished: bool = False

    @property
    def malformed(self) -> int:
        return self.state.malformed if self.state else 0

    async def chunks(self) -> AsyncIterator[Chunk]:
        """The stream's meaningful chunks; malformed ones are counted, logged once, skipped."""
        if self.state is None:
            return
        async for event in self.state.events:
            chunk = parse_chunk(event)
            if chunk.malformed:
                self.state.malformed += 1
                if self.state.malformed == 1:
                    log.warning("skipping a malformed chunk in the model server's stream")
                continue
            yield chunk


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
        max_stream_s: float = MAX_STREAM_S,
        limits: PromptLimits | None = None,
        json_schema: bool = True,
    ) -> None:
        self.model_id = model
        self.json_schema = json_schema  # send a constrained question's schema as response_format
        self.limits = limits or PromptLimits()
        self.retries = retries
        self.max_new_tokens = max_new_tokens
        self._backoff_s = backoff_s
        self.max_stream_s = max_stream_s
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
        body = {
            "model": self.model_id,
            "messages": openai_messages(request, self.limits),
            "max_tokens": request.max_new_tokens or self.max_new_tokens,
            "temperature": 0,
        }
        if request.json_schema is not None and self.json_schema:  # vLLM, Ollama, llama.cpp
            body["response_format"] = {"type": "json_schema", "json_schema": {
                "name": "answer", "schema": request.json_schema, "strict": True}}
        return body

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
        """The answer so far, each time it grows (see the module docstring)."""
        body = {**self._body(request), "stream": True}
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(_Retryable), stop=stop_after_attempt(self.retries + 1),
            wait=self._wait, reraise=True,
        )
        opened: _Opened | None = None
        try:
            async for attempt in retrying:
                with attempt:
                    opened = await self._open_stream(body)
        except _Retryable as exc:
            raise EngineBusy(f"gave up after {self.retries + 1} tries: {exc}") from exc
        assert opened is not None
        async with opened.stack:
            text = opened.text
            yield text
            if opened.finished:
                return
            async for text in self._rest(opened):
                yield text

    async def _open_stream(self, body: dict[str, Any]) -> _Opened:
        """One try: send, check the status, read until the first text (or the end). Anything
        that fails here may be retried, since nothing has been shown yet."""
        stack = contextlib.AsyncExitStack()
        try:
            try:
                response = await stack.enter_async_context(
                    self._client.stream("POST", "chat/completions", json=body))
                if response.status_code == 429 or response.status_code >= 500:
                    raise _Retryable(f"HTTP {response.status_code}", _retry_after(response))
                if response.status_code >= 400:
                    detail = (await response.aread())[:200].decode("utf-8", "replace")
                    raise EngineError(f"HTTP {response.status_code}: {detail}")
                if "json" in response.headers.get("content-type", ""):
                    return _Opened(stack, None, await self._whole(response), finished=True)
                lines = _until(response.aiter_lines(), time.monotonic() + self.max_stream_s)
                opened = _Opened(stack, _StreamState(sse_events(lines)), "")
                async for chunk in opened.chunks():
                    if chunk.error:
                        raise EngineError(f"error event before any text: {chunk.error}")
                    opened.text += chunk.delta
                    if opened.text.strip():
                        return opened
                    if chunk.done:
                        break
            except httpx.TimeoutException as exc:
                raise _Retryable(f"timeout: {exc!r}") from exc
            except httpx.TransportError as exc:
                raise _Retryable(f"transport: {exc!r}") from exc
            except ValueError as exc:  # an oversized event
                raise EngineEmpty(f"unreadable stream: {exc}") from exc
            except _StreamDeadline as exc:  # not retried: that would double the wait
                raise EngineBusy(str(exc)) from exc
            raise EngineEmpty(f"the stream ended without text ({opened.malformed} malformed)")
        except BaseException:
            await stack.aclose()
            raise

    async def _whole(self, response: httpx.Response) -> str:
        """A server that answered ``stream: true`` with one JSON object."""
        try:
            payload = json.loads(await response.aread())
            text = payload["choices"][0]["message"]["content"]
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, IndexError,
                TypeError) as exc:
            raise EngineEmpty(f"malformed JSON from the model server: {exc!r}") from exc
        if not isinstance(text, str) or not text.strip():
            raise EngineEmpty("the model answered with empty text")
        return text.strip()

    async def _rest(self, opened: _Opened) -> AsyncIterator[str]:
        """After the first text: grow it until ``[DONE]``; a break ends in ``EngineInterrupted``
        with what arrived."""
        text = opened.text
        try:
            async for chunk in opened.chunks():
                if chunk.error:
                    raise EngineInterrupted(f"error event: {chunk.error}", partial=text.strip())
                if chunk.delta:
                    text += chunk.delta
                    if len(text) > MAX_STREAM_CHARS:
                        raise EngineInterrupted("answer longer than the stream limit",
                                                partial=text[:MAX_STREAM_CHARS].strip())
                    yield text.strip()
                if chunk.done:
                    return
        except (httpx.TimeoutException, httpx.TransportError, ValueError, _StreamDeadline) as exc:
            raise EngineInterrupted(f"stream broke: {exc!r}", partial=text.strip()) from exc
        raise EngineInterrupted("stream ended without [DONE]", partial=text.strip())

    async def close(self) -> None:
        await self._client.aclose()
