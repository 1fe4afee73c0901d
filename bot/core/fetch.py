"""Download a user's file from a platform's own file hosts, and from nowhere else.

One fetcher for every platform; each configures it with its hosts (``FetchPolicy``): Slack with
``files.slack.com`` and the bot token, Discord with its CDN hosts and no auth. Every hop of a
redirect is checked against the hosts (https only, or exactly the configured API host and port,
which is how tests point a platform at a local stand-in). The file is refused before any byte is
read when its declared type is not an image or its declared size (the platform's, then the
response's ``Content-Length``) is over the limit, and the download stops as soon as the bytes
read pass the limit, whatever the headers said. Timeouts and network errors become ``FetchError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx

from bot.errors import FetchError, FetchForbidden, UnsupportedFormat
from bot.imaging.ingest import check_size
from bot.models import ImageRef

FETCH_TIMEOUT_S = 30.0
MAX_REDIRECTS = 3


def html_instead_of_file(name: str) -> FetchError:
    """The default for a page where a file was expected (a sign-in page, an error page)."""
    return FetchError("HTML instead of the file", name=name)


@dataclass(frozen=True)
class FetchPolicy:
    """Where a platform's files may come from and how to ask for them.

    ``hosts``: https hosts that serve files. ``api_url``: the platform's configured API base; its
    exact scheme, host and port are allowed too (a local stand-in in tests, never a wildcard).
    ``headers``: sent on every hop (an ``Authorization`` header for Slack; only ever to allowed
    hosts). ``on_html``: the error for an HTML body instead of the file (Slack: a missing scope).
    """

    hosts: tuple[str, ...]
    api_url: str = ""
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    on_html: Callable[[str], FetchError] = html_instead_of_file
    max_redirects: int = MAX_REDIRECTS


def url_allowed(url: str, hosts: tuple[str, ...], api_url: str = "") -> bool:
    """Only https on ``hosts``, or the very scheme, host and port of ``api_url``."""
    try:
        target = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return False
    if target.scheme == "https" and target.host in hosts:
        return True
    if not api_url:
        return False
    try:
        api = httpx.URL(api_url)
    except (httpx.InvalidURL, TypeError):
        return False
    return bool(api.host) and (target.scheme, target.host, target.port) == (
        api.scheme, api.host, api.port)


def new_client(timeout_s: float = FETCH_TIMEOUT_S) -> httpx.AsyncClient:
    """The HTTP client a fetcher owns: redirects are followed by hand, hop by hop."""
    return httpx.AsyncClient(timeout=timeout_s, follow_redirects=False)


class Fetcher:
    """Downloads ``ImageRef``s under one ``FetchPolicy`` with one ``httpx.AsyncClient``."""

    def __init__(self, policy: FetchPolicy, http: httpx.AsyncClient | None = None) -> None:
        self.policy = policy
        self.http = http or new_client()

    def allowed(self, url: str) -> bool:
        return url_allowed(url, self.policy.hosts, self.policy.api_url)

    async def fetch(self, ref: ImageRef, max_bytes: int) -> bytes:
        """The file's bytes. Raises ``UnsupportedFormat`` (declared type), ``TooLarge``
        (declared or downloaded size), ``FetchForbidden`` (a hop off the allowed hosts) or
        ``FetchError`` (HTTP status, HTML body, too many redirects, timeout, network)."""
        name = ref.name or "file"
        if ref.mimetype and not ref.mimetype.startswith("image/"):
            raise UnsupportedFormat(f"mimetype {ref.mimetype}", name=name)
        check_size(ref.size, max_bytes, name, "declared size")
        url = ref.url
        try:
            for _ in range(self.policy.max_redirects + 1):
                if not self.allowed(url):
                    raise FetchForbidden("host not allowed", name=name)
                async with self.http.stream("GET", url, headers=dict(self.policy.headers)) as resp:
                    if resp.is_redirect:
                        url = str(resp.url.join(resp.headers.get("location", "")))
                        continue
                    return await self._read(resp, name, max_bytes)
            raise FetchError("too many redirects", name=name)
        except httpx.TimeoutException:
            raise FetchError("timeout", name=name) from None
        except httpx.HTTPError as exc:
            raise FetchError(type(exc).__name__, name=name) from None

    async def _read(self, resp: httpx.Response, name: str, max_bytes: int) -> bytes:
        if resp.status_code != 200:
            raise FetchError(f"HTTP {resp.status_code}", name=name)
        if "text/html" in resp.headers.get("content-type", ""):
            raise self.policy.on_html(name)
        declared = resp.headers.get("content-length", "")
        if declared.isdigit():
            check_size(int(declared), max_bytes, name, "Content-Length")
        data = bytearray()
        async for chunk in resp.aiter_bytes():
            data += chunk
            check_size(len(data), max_bytes, name, "download")
        return bytes(data)

    async def close(self) -> None:
        await self.http.aclose()
