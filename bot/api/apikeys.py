"""API keys in Redis, stored hashed: ``miru_<id>_<secret>``; only the SHA-256 of the secret is
kept (the secret is 256 random bits, so a plain hash is enough; there is nothing to guess). The
key is shown once, when created. A request's key is looked up by its id and compared in constant
time (``hmac.compare_digest``).

A key belongs to one workspace (``--workspace``, default ``api``): its requests count against
that workspace's plan, and what it reads back (``GET /v1/cases``) is that workspace's only. An
operator's key made with ``all_workspaces`` (``miru api-key create --all-workspaces``) reads
every workspace's cases."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any, Literal

from redis.asyncio import Redis, RedisCluster

from bot import keys
from bot.stores.redis_base import redis_errors, register_script
from bot.stores.redis_base import text as _text

Scope = Literal["screen", "ask", "receipts", "cases"]
SCOPES: tuple[Scope, ...] = ("screen", "ask", "receipts", "cases")
DEFAULT_WORKSPACE = "api"
KEY_PREFIX = "miru"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_KEY_CHARS = 200  # a longer Authorization value is refused before any lookup
MAX_KEYS = 10_000

# KEYS: names hash, keys hash. ARGV: name, id, record. 0 when the name is taken.
_CREATE = """
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1
"""
# KEYS: names hash, keys hash. ARGV: name. 0 when there is no such key.
_REVOKE = """
local id = redis.call('HGET', KEYS[1], ARGV[1])
if not id then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], id)
return 1
"""


class KeyUsageError(ValueError):
    """A bad name, scope or workspace: the message names it."""


@dataclass(frozen=True)
class ApiKey:
    """What a key may do (never the key or its hash)."""

    id: str
    name: str
    scopes: tuple[Scope, ...]
    workspace: str
    created: float
    all_workspaces: bool = False  # an operator's key: reads every workspace's cases

    def as_json(self) -> dict[str, Any]:
        from datetime import UTC, datetime

        return {"id": self.id, "name": self.name, "scopes": list(self.scopes),
                "workspace": self.workspace, "all_workspaces": self.all_workspaces,
                "created": datetime.fromtimestamp(self.created, UTC).isoformat(
                    timespec="seconds")}


def parse_scopes(text: str) -> tuple[Scope, ...]:
    """``"screen,ask"`` -> scopes; ``KeyUsageError`` naming an unknown one."""
    found: list[Scope] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if part not in SCOPES:
            raise KeyUsageError(f"unknown scope {part!r} (scopes: {', '.join(SCOPES)})")
        if part not in found:
            found.append(part)
    if not found:
        raise KeyUsageError(f"give at least one scope ({', '.join(SCOPES)})")
    return tuple(found)


def check_name(value: str, what: str = "name") -> str:
    if not NAME.match(value):
        raise KeyUsageError(f"{what} {value[:70]!r} must be 1-64 letters, digits, '.', '_' or "
                            "'-', starting with a letter or digit")
    return value


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_key(key: str) -> tuple[str, str] | None:
    """(id, secret) of a well-formed key, else ``None``."""
    if len(key) > MAX_KEY_CHARS:
        return None
    prefix, _, rest = key.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != KEY_PREFIX or not re.fullmatch(r"[0-9a-f]{12}", key_id) or len(secret) < 16:
        return None
    return key_id, secret


class ApiKeys:
    """Create, list, revoke and check keys (Redis errors raise ``StoreUnavailable``)."""

    def __init__(self, redis: Redis | RedisCluster) -> None:
        self.r = redis
        self._create = register_script(redis, _CREATE)
        self._revoke = register_script(redis, _REVOKE)

    async def create(self, name: str, scopes: tuple[Scope, ...],
                     workspace: str = DEFAULT_WORKSPACE, *,
                     all_workspaces: bool = False) -> tuple[ApiKey, str]:
        """The new key's record and the key itself (to show once). ``KeyUsageError`` when the
        name is taken. ``all_workspaces``: an operator's key (every workspace's cases)."""
        check_name(name)
        check_name(workspace, "workspace")
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        record = ApiKey(key_id, name, scopes, workspace, time.time(), all_workspaces)
        body = json.dumps({**_record_json(record), "sha256": _digest(secret)})
        with redis_errors("api_key_create"):
            ok = await self._create(keys=[keys.API_KEY_NAMES, keys.API_KEYS],
                                    args=[name, key_id, body])
        if not int(ok):
            raise KeyUsageError(f"an API key named {name!r} exists already (revoke it first)")
        return record, f"{KEY_PREFIX}_{key_id}_{secret}"

    async def revoke(self, name: str) -> bool:
        with redis_errors("api_key_revoke"):
            return bool(int(await self._revoke(keys=[keys.API_KEY_NAMES, keys.API_KEYS],
                                               args=[name])))

    async def list(self) -> list[ApiKey]:
        with redis_errors("api_key_list"):
            raw = await self.r.hgetall(keys.API_KEYS)
        found = [k for k in (_load(v) for v in list(raw.values())[:MAX_KEYS]) if k is not None]
        return sorted(found, key=lambda k: k.name)

    async def check(self, key: str) -> ApiKey | None:
        """The key's record when ``key`` is valid (exists, secret matches), else ``None``."""
        parts = split_key(key)
        if parts is None:
            return None
        key_id, secret = parts
        with redis_errors("api_key_check"):
            raw = await self.r.hget(keys.API_KEYS, key_id)
        if raw is None:
            return None
        try:
            stored = json.loads(_text(raw))["sha256"]
        except (ValueError, KeyError, TypeError):
            return None
        if not hmac.compare_digest(_digest(secret), str(stored)):
            return None
        return _load(raw)


def _record_json(k: ApiKey) -> dict[str, Any]:
    return {"id": k.id, "name": k.name, "scopes": list(k.scopes), "workspace": k.workspace,
            "created": k.created, "all_workspaces": k.all_workspaces}


def _load(raw: Any) -> ApiKey | None:
    try:
        d = json.loads(_text(raw))
        scopes = tuple(s for s in d["scopes"] if s in SCOPES)
        return ApiKey(str(d["id"]), str(d["name"]), scopes, str(d["workspace"]),
                      float(d["created"]), d.get("all_workspaces") is True)
    except (ValueError, KeyError, TypeError):
        return None
