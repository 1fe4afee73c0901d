"""The API's one error shape: ``{"error": {"code": ..., "message": ...}}`` with the right status;
every message is a sentence of ``bot/strings.py`` (English, or Japanese when asked)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from bot import strings


class ApiError(Exception):
    """Answered as JSON by the server's middleware (never a traceback, never an HTML page)."""

    def __init__(self, status: int, code: str, message_key: str, *,
                 headers: Mapping[str, str] | None = None, extra: Mapping[str, Any] | None = None,
                 **params: Any) -> None:
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code
        self.message_key = message_key
        self.params = params
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def response(self, lang: str = "en") -> web.Response:
        return error_response(self.status, self.code,
                              strings.t(self.message_key, lang, **self.params),
                              headers=self.headers, extra=self.extra)


def error_response(status: int, code: str, message: str, *,
                   headers: Mapping[str, str] | None = None,
                   extra: Mapping[str, Any] | None = None) -> web.Response:
    body = {"error": {"code": code, "message": message, **(extra or {})}}
    return web.json_response(body, status=status, headers=dict(headers or {}),
                             dumps=_dumps)


def _dumps(obj: Any) -> str:
    import json

    return json.dumps(obj, ensure_ascii=False)
