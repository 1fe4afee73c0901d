"""The one engine interface every answerer implements (vision model, HTTP server, OCR only)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol, runtime_checkable

from bot.models import Answer, AnswerRequest


@runtime_checkable
class Engine(Protocol):
    """Answers a question about screened, metadata-free images.

    ``answer`` returns the whole answer; ``stream`` yields the answer's text as it grows (each item
    is the text so far, so a platform can edit one message in place) and ends with the full text.
    Engines raise ``bot.errors.EngineError`` (or a subclass) with a user-safe message key.
    """

    name: str
    model_id: str

    async def answer(self, request: AnswerRequest) -> Answer: ...

    def stream(self, request: AnswerRequest) -> AsyncIterator[str]: ...

    async def close(self) -> None: ...
