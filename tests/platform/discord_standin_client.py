"""Running the real discord.py client against the Discord stand-in: ``Patched`` points
discord.py's REST base (``Route.BASE``) and default gateway
(``DiscordWebSocket.DEFAULT_GATEWAY``) at it; ``run_client`` starts a client, waits until it is
ready and always closes it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any


class Patched:
    """Sets ``Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY``; restores them on exit."""

    def __init__(self, api_url: str, gateway_url: str) -> None:
        self.api_url, self.gateway_url = api_url, gateway_url
        self._saved: tuple[Any, Any] | None = None

    def __enter__(self) -> None:
        import discord.gateway
        import discord.http
        import yarl

        self._saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
        discord.http.Route.BASE = self.api_url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)

    def __exit__(self, *exc: object) -> None:
        import discord.gateway
        import discord.http

        assert self._saved is not None
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self._saved

    async def __aenter__(self) -> None:
        self.__enter__()

    async def __aexit__(self, *exc: object) -> None:
        self.__exit__()


@contextlib.asynccontextmanager
async def run_client(client: Any, standin: Any, *,
                     ready_timeout: float = 10.0) -> AsyncIterator[asyncio.Task[None]]:
    """Start ``client`` on the stand-in's token, wait for ``on_ready``, always close it."""
    task = asyncio.create_task(client.start(standin.token))
    try:
        ready = asyncio.create_task(client.wait_until_ready())
        done, _ = await asyncio.wait({task, ready}, timeout=ready_timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            if task in done:
                task.result()  # raises the client's own error (LoginFailure, ...)
            raise TimeoutError("the discord client did not become ready")
        yield task
    finally:
        await client.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, 5.0)
