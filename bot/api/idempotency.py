"""``Idempotency-Key`` for ``POST /v1/ask|screen|receipts``: a client that retries (a timeout, a
dropped connection) gets the first answer again instead of a second run and a second charge.

The record lives in Redis per API key (``keys.api_idempotency``: two tenants' idempotency keys
never meet) and names the request by its *fingerprint*: the route and the SHA-256 of the form's
content (every part's name, file name and bytes, in order; not the raw body, whose multipart
boundary a client picks anew on each try). After the form is read and before anything is counted
or run, one Lua script either claims the key (a "running" marker, lapsing after
``API_IDEMPOTENCY_RUNNING_TTL_S`` should the process die) or returns what is there:

- the same fingerprint, answered: that status and JSON again (``Idempotent-Replayed: true``),
  nothing run, nothing charged, nothing audited;
- the same fingerprint, still running: **409** ``idempotency_in_progress``;
- another fingerprint: **422** ``idempotency_mismatch``.

The handler's own answers (200, and 422 when no file could be used) are kept for
``API_IDEMPOTENCY_TTL_S`` (24 h). An error raised instead (429 over the quota, 503, a bug) frees
the key, so the same request may be tried again later.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.typedefs import Middleware

from bot import keys
from bot.api.apikeys import ApiKey
from bot.api.errors import ApiError
from bot.errors import MiruError
from bot.stores.redis_base import redis_errors, register_script
from bot.stores.redis_base import text as _text

if TYPE_CHECKING:
    from redis.asyncio import Redis, RedisCluster

    from bot.api.upload import Upload

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
ROUTES = frozenset({"/v1/ask", "/v1/screen", "/v1/receipts"})
_VALID = re.compile(r"[\x21-\x7e]{1,255}")  # printable ASCII, no spaces, like Stripe's

# KEYS: the record. ARGV: the running marker, its TTL. nil when claimed, else the record.
_BEGIN = """
local cur = redis.call('GET', KEYS[1])
if cur then return cur end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return false
"""
# KEYS: the record. ARGV: our running marker, the answer (or '' to free it), its TTL.
_END = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) end
return 1
"""


@dataclass(frozen=True)
class Claim:
    """This request's hold on an idempotency key."""

    redis_key: str
    marker: str  # the running marker set (only its holder may replace it)
    fingerprint: str


_CLAIM = web.RequestKey("api_idempotency_claim", Claim)  # the claim this request holds
_KEY = web.RequestKey("api_key", ApiKey)  # the caller's key, once checked


class Replay(Exception):
    """The first answer to the same request; the middleware sends it as it was."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"replay {status}")
        self.status = status
        self.body = body

    def response(self) -> web.Response:
        return web.Response(status=self.status, text=self.body, content_type="application/json",
                            headers={REPLAYED: "true"})


def requested(request: web.Request) -> str | None:
    """The request's Idempotency-Key on a route that takes one (``None`` without); 400 when
    malformed."""
    value = request.headers.get(HEADER)
    if value is None or request.method != "POST" or request.path not in ROUTES:
        return None
    if not _VALID.fullmatch(value):
        raise ApiError(400, "bad_value", "api.bad_value", field=HEADER,
                       expected="1 to 255 printable ASCII characters without spaces")
    return value


class IdempotencyStore:
    """Claims, answers and frees idempotency keys in Redis (``StoreUnavailable``: 503)."""

    def __init__(self, redis: Redis | RedisCluster) -> None:
        self._begin = register_script(redis, _BEGIN)
        self._end = register_script(redis, _END)

    async def begin(self, key_id: str, idempotency_key: str, fingerprint: str) -> Claim:
        """Claim the key for this request; ``Replay`` with the first answer, or ``ApiError``
        409 (still running) or 422 (another request used this key)."""
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()
        redis_key = keys.api_idempotency(key_id, digest)
        marker = json.dumps({"state": "running", "fp": fingerprint, "token": uuid.uuid4().hex,
                             "since": round(time.time(), 3)})
        with redis_errors("api_idempotency_begin"):
            found = await self._begin(keys=[redis_key],
                                      args=[marker, keys.API_IDEMPOTENCY_RUNNING_TTL_S])
        if found is None:
            return Claim(redis_key, marker, fingerprint)
        record = json.loads(_text(found))
        if record.get("fp") != fingerprint:
            raise ApiError(422, "idempotency_mismatch", "api.idempotency_mismatch",
                           header=HEADER)
        if record.get("state") != "done":
            raise ApiError(409, "idempotency_in_progress", "api.idempotency_in_progress",
                           header=HEADER, headers={"Retry-After": "1"})
        raise Replay(int(record["status"]), str(record["body"]))

    async def finish(self, claim: Claim, status: int, body: str) -> None:
        """Keep the answer for ``API_IDEMPOTENCY_TTL_S``."""
        answer = json.dumps({"state": "done", "fp": claim.fingerprint, "status": status,
                             "body": body}, ensure_ascii=False)
        with redis_errors("api_idempotency_finish"):
            await self._end(keys=[claim.redis_key],
                            args=[claim.marker, answer, keys.API_IDEMPOTENCY_TTL_S])

    async def release(self, claim: Claim) -> None:
        """Free the key (the request ended in an error): a retry runs again."""
        with redis_errors("api_idempotency_release"):
            await self._end(keys=[claim.redis_key], args=[claim.marker, "", 0])


def remember_key(request: web.Request, key: ApiKey) -> None:
    """Note the caller's checked key on the request (the idempotency key is per API key)."""
    request[_KEY] = key


async def claim_for(request: web.Request, upload: Upload, store: IdempotencyStore | None) -> None:
    """After the form is read: claim the request's Idempotency-Key, if it has one (``Replay``,
    409 or 422 as ``IdempotencyStore.begin`` says)."""
    wanted = requested(request)
    api_key = request.get(_KEY)
    if wanted is None or store is None or api_key is None:
        return
    fingerprint = hashlib.sha256(f"{request.path}\0{upload.digest}".encode()).hexdigest()
    request[_CLAIM] = await store.begin(api_key.id, wanted, fingerprint)


def middleware(store: IdempotencyStore | None) -> Middleware:
    """Sends a ``Replay``; keeps the answer of a request that claimed a key, or frees the key
    when the request ended in an error. Sits inside the error middleware."""

    @web.middleware
    async def idempotent(request: web.Request,
                         handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                         ) -> web.StreamResponse:
        requested(request)  # a malformed key is a 400 before the body is read
        try:
            response = await handler(request)
        except Replay as replay:
            return replay.response()
        except BaseException:
            await _settle(store, request.get(_CLAIM), None)
            raise
        answer = response.body if isinstance(response, web.Response) else None
        await _settle(store, request.get(_CLAIM), (response.status, answer.decode())
                      if isinstance(answer, bytes) else None)
        return response

    return idempotent


async def _settle(store: IdempotencyStore | None, claim: Claim | None,
                  answer: tuple[int, str] | None) -> None:
    """Keep ``answer`` for the claim, or free it; a Redis failure here costs the replay only
    (the marker lapses by itself), never the answer already made."""
    if store is None or claim is None:
        return
    try:
        if answer is None:
            await store.release(claim)
        else:
            await store.finish(claim, *answer)
    except MiruError as exc:
        log.warning("api: idempotency record not updated (it lapses by itself): %s", exc.code)
