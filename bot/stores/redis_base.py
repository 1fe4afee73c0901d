"""What every Redis-backed part shares (stores, the job queue): one error translation and the
client check. Its own module so the queue and the stores depend on it, not on each other."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.errors import ConfigError, StoreUnavailable


@contextmanager
def redis_errors(what: str) -> Iterator[None]:
    """Turn redis-py and socket errors into ``StoreUnavailable`` (the user gets a kind line)."""
    try:
        yield
    except (RedisError, OSError) as exc:
        raise StoreUnavailable(f"redis {what} failed: {type(exc).__name__}: {exc}") from exc


async def reachable(redis: Redis) -> bool:
    """Whether Redis answers a PING (a command line's check before it reports on a queue)."""
    try:
        return bool(await redis.ping())
    except (RedisError, OSError):
        return False


def require_bytes_client(redis: Redis) -> None:
    """Images are stored raw, so the client must not decode responses to ``str``."""
    if redis.connection_pool.connection_kwargs.get("decode_responses"):
        raise ConfigError("the Redis client for Miru's stores needs decode_responses=False")


def text(value: Any) -> str:
    """A Redis reply (bytes) as text."""
    return value.decode() if isinstance(value, bytes) else str(value)
