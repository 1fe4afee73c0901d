"""The Discord stand-in's gateway: the websocket the real discord.py client connects to.

Per connection: HELLO (op 10), then IDENTIFY (op 2) -> READY (guilds unavailable,
``resume_gateway_url`` back to this stand-in) + one GUILD_CREATE per guild, or RESUME (op 6) ->
the session's dispatches after the client's ``seq`` + RESUMED, or INVALID_SESSION (op 9,
``d=false``) for an unknown or invalidated session. Heartbeats (op 1) get ACKs (op 11). Frames
are zlib-stream compressed when the client asks (``compress=zlib-stream``), text otherwise.

Every dispatch goes to every identified session (two clients = two gateway processes) and is
buffered per session with its sequence number, so a dropped session replays what it missed.
Guild messages need the GUILD_MESSAGES intent, DMs DIRECT_MESSAGES; without MESSAGE_CONTENT a
message's content, attachments, embeds and components are emptied unless it is a DM, mentions
the bot, or is the bot's own (as Discord does). Bad token: close 4004; privileged intents not
allowed: close 4014.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.platform.discord_standin_payloads import Intent


@dataclass(frozen=True)
class GatewayFrame:
    """A frame the client sent (op, data) on connection number ``conn``."""

    conn: int
    op: int
    d: Any


@dataclass
class _Conn:
    number: int
    ws: web.WebSocketResponse
    request: web.Request
    compressor: Any = None

    async def send(self, frame: dict[str, Any]) -> None:
        data = json.dumps(frame)
        if self.compressor is not None:
            await self.ws.send_bytes(self.compressor.compress(data.encode())
                                     + self.compressor.flush(zlib.Z_SYNC_FLUSH))
        else:
            await self.ws.send_str(data)


@dataclass
class Session:
    """One identified gateway session; ``frames`` is every dispatch sent to it, in order."""

    id: str
    intents: int
    seq: int = 0
    resumable: bool = True
    frames: list[dict[str, Any]] = field(default_factory=list)
    conn: _Conn | None = None


class Gateway:
    """Gateway half of the stand-in; ``owner`` supplies token, bot, app and guild payloads."""

    def __init__(self, owner: Any, *, heartbeat_interval_ms: int,
                 allowed_intents: int | None) -> None:
        self.owner = owner
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.allowed_intents = allowed_intents
        self.sessions: dict[str, Session] = {}
        self.frames: list[GatewayFrame] = []  # what clients sent
        self.connection_paths: list[str] = []  # path?query of each websocket opened
        self._numbers = itertools.count(1)
        self._session_ids = itertools.count(1)
        self._online = asyncio.Event()
        self._online.set()
        self._changed = asyncio.Condition()

    # ----- counters for assertions -----
    def count(self, op: int) -> int:
        """How many frames with this opcode clients sent (2 IDENTIFY, 6 RESUME, 1 heartbeat)."""
        return sum(1 for f in self.frames if f.op == op)

    async def wait_for_frames(self, op: int, count: int, timeout: float) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: self.count(op) >= count),
                                   timeout)

    def live_sessions(self) -> list[Session]:
        return [s for s in self.sessions.values() if s.conn is not None]

    # ----- dispatching -----
    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a dispatch to every identified session (buffered for resume if disconnected)."""
        for session in list(self.sessions.values()):
            if not session.resumable:
                continue
            shaped = self._shape(session, event, data)
            if shaped is not None:
                await self._send_dispatch(session, event, shaped)

    def _shape(self, session: Session, event: str, data: dict[str, Any]) -> dict[str, Any] | None:
        if event not in ("MESSAGE_CREATE", "MESSAGE_UPDATE"):
            return data
        in_guild = "guild_id" in data
        need = Intent.GUILD_MESSAGES if in_guild else Intent.DIRECT_MESSAGES
        if not session.intents & need:
            return None
        bot_id = self.owner.bot["id"]
        if (session.intents & Intent.MESSAGE_CONTENT or not in_guild
                or data.get("author", {}).get("id") == bot_id
                or any(m.get("id") == bot_id for m in data.get("mentions", []))):
            return data
        return dict(data, content="", attachments=[], embeds=[], components=[])

    async def _send_dispatch(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        frame = {"op": 0, "s": session.seq, "t": event, "d": copy.deepcopy(data)}
        session.frames.append(frame)
        await self._send(session, frame)

    async def _send(self, session: Session, frame: dict[str, Any]) -> None:
        conn = session.conn
        if conn is None:
            return
        try:
            await conn.send(frame)
        except (ConnectionError, RuntimeError):
            session.conn = None  # the frame stays buffered for a resume

    # ----- connection control for tests -----
    async def drop(self, code: int = 4000) -> None:
        """Close every live connection with ``code`` (4000: the client resumes)."""
        for session in self.live_sessions():
            conn, session.conn = session.conn, None
            assert conn is not None
            await conn.ws.close(code=code)

    async def abort(self) -> None:
        """Cut every live connection's TCP transport without a close frame."""
        for session in self.live_sessions():
            conn, session.conn = session.conn, None
            assert conn is not None
            transport = conn.request.transport
            if transport is not None:
                transport.abort()

    @contextlib.asynccontextmanager
    async def offline(self, code: int = 4000) -> AsyncIterator[None]:
        """Drop the connections and hold new ones before HELLO until the block ends."""
        self._online.clear()
        try:
            await self.drop(code)
            yield
        finally:
            self._online.set()

    async def invalidate_sessions(self) -> None:
        """Make every session non-resumable; live ones get INVALID_SESSION (d=false) now."""
        for session in list(self.sessions.values()):
            session.resumable = False
            if session.conn is not None:
                await self._send(session, {"op": 9, "d": False, "s": None, "t": None})

    async def request_reconnect(self) -> None:
        """Send RECONNECT (op 7) on every live connection: the client resumes elsewhere."""
        for session in self.live_sessions():
            await self._send(session, {"op": 7, "d": None, "s": None, "t": None})

    # ----- websocket handler -----
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.connection_paths.append(request.path_qs)
        await self._online.wait()
        conn = _Conn(next(self._numbers), ws, request)
        if request.query.get("compress") == "zlib-stream":
            conn.compressor = zlib.compressobj()
        await conn.send({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms},
                         "s": None, "t": None})
        session: Session | None = None
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op, d = frame.get("op"), frame.get("d")
                async with self._changed:
                    self.frames.append(GatewayFrame(conn.number, op, d))
                    self._changed.notify_all()
                if op == 1:
                    await conn.send({"op": 11, "d": None, "s": None, "t": None})
                elif op == 2:
                    session = await self._identify(conn, d)
                elif op == 6:
                    session = await self._resume(conn, d)
        finally:
            if session is not None and session.conn is conn:
                session.conn = None
                if ws.close_code in (1000, 1001):  # a clean close ends the session
                    session.resumable = False
        return ws

    async def _identify(self, conn: _Conn, d: dict[str, Any]) -> Session | None:
        if d.get("token") != self.owner.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return None
        intents = int(d.get("intents", 0))
        if self.allowed_intents is not None and intents & Intent.PRIVILEGED & ~self.allowed_intents:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return None
        session = Session(id=f"standin-session-{next(self._session_ids)}", intents=intents)
        self.sessions[session.id] = session
        session.conn = conn
        ready = {"v": 10, "user": self.owner.bot, "session_id": session.id,
                 "resume_gateway_url": self.owner.resume_gateway_url,
                 "session_type": "normal", "private_channels": [], "relationships": [],
                 "guilds": [{"id": str(g["id"]), "unavailable": True}
                            for g in self.owner.guild_payloads()],
                 "application": {"id": str(self.owner.app_id),
                                 "flags": self.owner.application_flags},
                 "_trace": ["miru-discord-standin"]}
        await self._send_dispatch(session, "READY", ready)
        for guild in self.owner.guild_payloads():
            await self._send_dispatch(session, "GUILD_CREATE", guild)
        return session

    async def _resume(self, conn: _Conn, d: dict[str, Any]) -> Session | None:
        session = self.sessions.get(str(d.get("session_id")))
        if session is None or not session.resumable or d.get("token") != self.owner.token:
            await conn.send({"op": 9, "d": False, "s": None, "t": None})
            return None
        if session.conn is not None and session.conn is not conn:
            old, session.conn = session.conn, None
            await old.ws.close(code=4000)
        session.conn = conn
        after = d.get("seq") or 0
        for frame in [f for f in session.frames if f["s"] > after]:
            await conn.send(frame)
        await conn.send({"op": 0, "s": session.seq, "t": "RESUMED", "d": {}})
        return session

