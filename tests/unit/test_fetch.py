"""The core fetcher (bot/core/fetch.py) against hostile file servers: off-host redirects, plain
http, oversize streams, a lying Content-Length, an HTML page, a server that never answers.

The Discord-like configuration (https CDN hosts, no auth) is served by httpx's MockTransport (it
answers https URLs without TLS); a local aiohttp server plays a stand-in on the API host."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web

from bot.core.fetch import Fetcher, FetchPolicy, url_allowed
from bot.errors import FetchError, FetchForbidden, MissingScope, TooLarge, UnsupportedFormat
from bot.models import ImageRef

CDN = ("cdn.discordapp.com", "media.discordapp.net")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def ref(url: str, **extra) -> ImageRef:
    values = dict(name="pic.png", url=url, mimetype="image/png", size=None)
    values.update(extra)
    return ImageRef(**values)


class Server:
    """A MockTransport handler that records every request and answers from ``routes``."""

    def __init__(self, routes: dict[str, httpx.Response]) -> None:
        self.routes = routes
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return self.routes.get(str(request.url), httpx.Response(404))


def cdn_fetcher(server: Server, **policy) -> Fetcher:
    return Fetcher(FetchPolicy(hosts=CDN, **policy),
                   httpx.AsyncClient(transport=httpx.MockTransport(server)))


def test_url_allow_list() -> None:
    api = "http://127.0.0.1:8765/api/v10"
    assert url_allowed("https://cdn.discordapp.com/attachments/1/2/a.png", CDN)
    assert url_allowed("https://media.discordapp.net/x.png", CDN)
    assert url_allowed("http://127.0.0.1:8765/cdn/a.png", CDN, api)
    assert not url_allowed("http://cdn.discordapp.com/a.png", CDN)  # plain http
    assert not url_allowed("https://cdn.discordapp.com.evil.example/a.png", CDN)
    assert not url_allowed("https://evil.example/a.png", CDN, api)
    assert not url_allowed("http://127.0.0.1:8766/a.png", CDN, api)  # another port
    assert not url_allowed("https://127.0.0.1:8765/a.png", CDN, api)  # another scheme
    assert not url_allowed("http://localhost/a.png", CDN, "")
    assert not url_allowed("not a url", CDN, api)


async def test_downloads_from_an_allowed_host_without_auth() -> None:
    url = "https://cdn.discordapp.com/attachments/1/2/pic.png"
    server = Server({url: httpx.Response(200, content=PNG, headers={"content-type": "image/png"})})
    assert await cdn_fetcher(server).fetch(ref(url), 1_000_000) == PNG
    assert "authorization" not in server.seen[0].headers


async def test_redirect_within_the_hosts_is_followed_with_the_auth_header() -> None:
    first, second = "https://cdn.discordapp.com/a.png", "https://media.discordapp.net/b.png"
    server = Server({first: httpx.Response(302, headers={"location": second}),
                     second: httpx.Response(200, content=PNG)})
    fetcher = cdn_fetcher(server, headers={"Authorization": "Bearer t0k"})
    assert await fetcher.fetch(ref(first), 1_000_000) == PNG
    assert [r.headers["authorization"] for r in server.seen] == ["Bearer t0k"] * 2


@pytest.mark.parametrize("target", [
    "https://evil.example/steal.png",
    "http://cdn.discordapp.com/a.png",  # downgraded to plain http
    "http://169.254.169.254/latest/meta-data/",
])
async def test_redirect_off_the_hosts_is_refused_before_it_is_requested(target: str) -> None:
    url = "https://cdn.discordapp.com/a.png"
    server = Server({url: httpx.Response(302, headers={"location": target})})
    with pytest.raises(FetchForbidden):
        await cdn_fetcher(server, headers={"Authorization": "Bearer t0k"}).fetch(ref(url), 10**6)
    assert [str(r.url) for r in server.seen] == [url]  # the token never went to the target


async def test_http_url_and_foreign_host_are_refused_without_a_request() -> None:
    server = Server({})
    for url in ("http://cdn.discordapp.com/a.png", "https://evil.example/a.png", ""):
        with pytest.raises(FetchForbidden):
            await cdn_fetcher(server).fetch(ref(url), 1_000_000)
    assert server.seen == []


async def test_redirect_loop_stops() -> None:
    url = "https://cdn.discordapp.com/a.png"
    server = Server({url: httpx.Response(302, headers={"location": url})})
    with pytest.raises(FetchError, match="too many redirects"):
        await cdn_fetcher(server).fetch(ref(url), 1_000_000)
    assert len(server.seen) == 4


async def test_declared_size_and_type_are_checked_before_any_request() -> None:
    url = "https://cdn.discordapp.com/a.png"
    server = Server({url: httpx.Response(200, content=PNG)})
    fetcher = cdn_fetcher(server)
    with pytest.raises(TooLarge):
        await fetcher.fetch(ref(url, size=len(PNG)), len(PNG) - 1)
    with pytest.raises(UnsupportedFormat) as exc:
        await fetcher.fetch(ref(url, name="notes.pdf", mimetype="application/pdf"), 10**6)
    assert exc.value.params["name"] == "notes.pdf"
    assert server.seen == []


class Endless(httpx.AsyncByteStream):
    """A body that never ends; counts the chunks it was asked for."""

    def __init__(self) -> None:
        self.chunks = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            self.chunks += 1
            yield b"\0" * 65536


async def test_oversize_stream_is_cut_off_at_the_limit() -> None:
    url = "https://cdn.discordapp.com/huge.png"
    body = Endless()
    server = Server({url: httpx.Response(200, stream=body)})
    with pytest.raises(TooLarge) as exc:
        await cdn_fetcher(server).fetch(ref(url), 1_000_000)
    assert exc.value.params["name"] == "pic.png"
    assert body.chunks == 1_000_000 // 65536 + 1  # stopped reading one chunk past the limit


async def test_lying_content_length_does_not_raise_the_limit() -> None:
    url = "https://cdn.discordapp.com/liar.png"
    body = Endless()
    server = Server({url: httpx.Response(200, stream=body, headers={"content-length": "100"})})
    with pytest.raises(TooLarge):
        await cdn_fetcher(server).fetch(ref(url, size=100), 1_000_000)
    assert body.chunks <= 1_000_000 // 65536 + 1


async def test_declared_content_length_over_the_limit_is_refused_unread() -> None:
    url = "https://cdn.discordapp.com/big.png"
    body = Endless()
    server = Server({url: httpx.Response(200, stream=body,
                                         headers={"content-length": "50000000"})})
    with pytest.raises(TooLarge):
        await cdn_fetcher(server).fetch(ref(url), 1_000_000)
    assert body.chunks == 0


async def test_html_instead_of_the_file_uses_the_platforms_hook() -> None:
    url = "https://cdn.discordapp.com/a.png"
    page = httpx.Response(200, content=b"<html>sign in</html>",
                          headers={"content-type": "text/html; charset=utf-8"})
    with pytest.raises(FetchError, match="HTML") as default:
        await cdn_fetcher(Server({url: page})).fetch(ref(url), 10**6)
    assert not isinstance(default.value, MissingScope)

    def hook(name: str) -> FetchError:
        return MissingScope("files:read is missing", name=name)

    with pytest.raises(MissingScope):
        await cdn_fetcher(Server({url: page}), on_html=hook).fetch(ref(url), 10**6)


async def test_error_status_is_a_fetch_error_naming_the_file() -> None:
    url = "https://cdn.discordapp.com/gone.png"
    with pytest.raises(FetchError) as exc:
        await cdn_fetcher(Server({url: httpx.Response(403)})).fetch(ref(url, name="g.png"), 10**6)
    assert exc.value.detail == "HTTP 403" and exc.value.params["name"] == "g.png"


@pytest.fixture
async def standin() -> AsyncIterator[str]:
    """A real HTTP server on the loopback: the stand-in's API host and port."""

    async def ok(_: web.Request) -> web.Response:
        return web.Response(body=PNG, content_type="image/png")

    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(1.0)
        return web.Response(body=PNG)

    app = web.Application()
    app.router.add_get("/cdn/ok.png", ok)
    app.router.add_get("/cdn/slow.png", slow)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_api_host_stand_in_and_timeout(standin: str) -> None:
    fetcher = Fetcher(FetchPolicy(hosts=CDN, api_url=f"{standin}/api/v10"),
                      httpx.AsyncClient(timeout=0.3))
    try:
        assert await fetcher.fetch(ref(f"{standin}/cdn/ok.png"), 10**6) == PNG
        with pytest.raises(FetchError, match="timeout"):
            await fetcher.fetch(ref(f"{standin}/cdn/slow.png"), 10**6)
    finally:
        await fetcher.close()
