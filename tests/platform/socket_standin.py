"""A local stand-in of Slack's Socket Mode server: the websocket that ``apps.connections.open``
(on the Web API stand-in) points the client at. It says ``hello``, pushes ``events_api``
envelopes (first deliveries and redeliveries with ``retry_attempt``), and records every message
the client sends back: its acknowledgements, each echoing an ``envelope_id``."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiohttp import WSMsgType, web


class SocketModeStandIn:
    """Serve on 127.0.0.1 (a free port); give ``url`` to ``SlackStandIn.socket_url``."""

    def __init__(self, *, app_id: str = "AMIRU") -> None:
        self.app_id = app_id
        self.acks: list[dict[str, Any]] = []
        self.connections = 0
        self.connected = asyncio.Event()
        self._ws: web.WebSocketResponse | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """A plain ws:// URL, as the SDK must accept for tests (Slack's own is wss://)."""
        return f"ws://127.0.0.1:{self.port}/link/?ticket=standin-ticket&app_id={self.app_id}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/link/", self._link)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()  # answers the client's pings with pongs
        await ws.prepare(request)
        self._ws = ws
        self.connections += 1
        await ws.send_json({"type": "hello", "num_connections": self.connections,
                            "connection_info": {"app_id": self.app_id},
                            "debug_info": {"host": "standin", "approximate_connection_time": 3600}})
        self.connected.set()
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                self.acks.append(json.loads(msg.data))
        return ws

    async def send_event(self, body: dict[str, Any], *, envelope_id: str,
                         retry_attempt: int = 0) -> None:
        """Push an ``events_api`` envelope carrying ``body`` (an ``event_callback``)."""
        assert self._ws is not None, "no client connected"
        await self._ws.send_json({
            "envelope_id": envelope_id, "type": "events_api", "payload": body,
            "accepts_response_payload": False, "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else "",
        })

    async def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for ack in self.acks:
                if ack.get("envelope_id") == envelope_id:
                    return ack
            await asyncio.sleep(0.02)
        raise TimeoutError(f"no ack for {envelope_id}; acks: {self.acks}")
