"""The Discord stand-in's attachment host, like Discord's CDN: bytes under
``/attachments/{channel}/{id}/{name}?ex=<hex expiry>&is=<hex issued>&hm=<signature>&``.

A link works until its ``ex``; ``expire_links()`` moves the host's clock past every link issued
so far (they answer 404 "This content is no longer available.", as Discord's CDN does), while
``fresh()`` re-signs a message's attachment URLs, as fetching the message again does on Discord.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from aiohttp import web

from tests.platform.discord_standin_payloads import attachment_payload
from tests.platform.discord_standin_rest import Req

GONE = "This content is no longer available."


@dataclass(frozen=True)
class _Hosted:
    data: bytes
    content_type: str | None


class CdnHost:
    """Signed, expiring attachment links served from the stand-in's own host."""

    def __init__(self, base_url: Callable[[], str], ids: Callable[[], int], *,
                 link_ttl_s: float) -> None:
        self._base_url = base_url
        self._ids = ids
        self.link_ttl_s = link_ttl_s
        self._files: dict[str, _Hosted] = {}
        self._secret = b"standin-cdn-secret"
        self._clock_skew = 0.0

    def host(self, channel_id: int, data: bytes, filename: str, content_type: str | None, *,
             width: int | None = None, height: int | None = None) -> dict[str, Any]:
        """Serve ``data``; return its attachment payload with a freshly signed URL."""
        att_id = self._ids()
        path = f"/attachments/{channel_id}/{att_id}/{quote(filename)}"
        self._files[path] = _Hosted(data, content_type)
        return attachment_payload(att_id, filename=filename, size=len(data),
                                  url=self._sign(path), content_type=content_type,
                                  width=width, height=height)

    def expire_links(self) -> None:
        self._clock_skew += self.link_ttl_s + 1

    def fresh(self, message: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(message)
        for att in out.get("attachments", []):
            att["url"] = att["proxy_url"] = self._sign(urlsplit(att["url"]).path)
        return out

    def _now(self) -> float:
        return time.time() + self._clock_skew

    def _sign(self, path: str) -> str:
        issued = int(self._now())
        query = f"ex={int(issued + self.link_ttl_s):x}&is={issued:x}"
        return f"{self._base_url()}{path}?{query}&hm={self._mac(path, query)}&"

    def _mac(self, path: str, query: str) -> str:
        return hmac.new(self._secret, f"{path}?{query}".encode(), hashlib.sha256).hexdigest()

    async def serve(self, req: Req) -> web.Response:
        hosted = self._files.get(req.path)
        ex, issued, mac = (req.query.get(k, "") for k in ("ex", "is", "hm"))
        try:
            expires = int(ex, 16)
        except ValueError:
            expires = 0
        valid = hmac.compare_digest(mac, self._mac(req.path, f"ex={ex}&is={issued}"))
        if hosted is None or not valid or expires < self._now():
            return web.Response(status=404, text=GONE)
        return web.Response(body=hosted.data, headers={
            "Content-Type": hosted.content_type or "application/octet-stream"})
