"""What every Redis-backed part shares (stores, the job queue): the client type, opening a
client from ``MIRU_REDIS_URL`` (one server or a Redis Cluster), one error translation and the
client check. Its own module so the queue and the stores depend on it, not on each other.

Every part takes a ``RedisLike``: a plain ``Redis`` or a ``RedisCluster``. On a cluster, every
multi-key command, Lua script and transaction must stay in one hash slot; ``bot.keys`` gives the
keys that go together one hash tag (``{...}``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, TypeAlias
from urllib.parse import urlsplit, urlunsplit

import redis as redis_sync
from redis.asyncio import Redis, RedisCluster
from redis.asyncio.client import Pipeline
from redis.asyncio.cluster import ClusterNode
from redis.asyncio.connection import Connection
from redis.exceptions import AskError, NoScriptError, RedisClusterException, RedisError
from redis.maint_notifications import MaintNotificationsConfig

from bot.errors import ConfigError, StoreUnavailable
from config.settings import REDIS_CLUSTER_SCHEMES

RedisLike: TypeAlias = Redis | RedisCluster
SyncRedisLike: TypeAlias = redis_sync.Redis | redis_sync.RedisCluster
# What a Redis that is down or unusable raises: redis-py's errors, a cluster client's own (no
# node reachable, a slot not covered: not ``RedisError`` subclasses) and socket errors.
REDIS_FAILURES: tuple[type[BaseException], ...] = (RedisError, RedisClusterException, OSError)


def cluster_node_url(url: str) -> str | None:
    """For a ``redis+cluster://`` (``rediss+cluster://``) URL, the node's plain ``redis://``
    (``rediss://``) URL that redis-py's ``RedisCluster.from_url`` takes; None for any other."""
    parts = urlsplit(url)
    if parts.scheme not in REDIS_CLUSTER_SCHEMES:
        return None
    return urlunsplit(parts._replace(scheme=parts.scheme.removesuffix("+cluster"), path=""))


def shown_url(url: str) -> str:
    """The Redis URL as it may be shown (``miru doctor``, the Home tab, error lines): the
    password in ``redis://user:secret@host`` is replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = f"{parts.username}:" if parts.username else ":"
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{user}***@{host}"))


# Maintenance notifications (Redis 8's CLIENT MAINT_NOTIFICATIONS) off: with "auto", redis-py
# 8.1 asks every new cluster connection for them; on a server without them, connections opened
# at the same moment were found disconnected mid-handshake ('NoneType' has no 'writelines',
# tests/integration/test_quota.py's four gateways at once).
CLUSTER_OPTIONS: dict[str, Any] = {
    "maint_notifications_config": MaintNotificationsConfig(enabled=False)}


class ClusterClient(RedisCluster):
    """redis-py's ``RedisCluster``, which learns the cluster's nodes before its first command.

    redis-py 8.1 resolves a command's routing policy before it finds the nodes; many commands
    at once on a fresh client then use the start-up node's connections while discovery closes
    them (AttributeError 'NoneType' has no attribute 'writelines' mid-handshake: 4 clients x 40
    concurrent EVALs failed about half the time, none once the client had initialized)."""

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        if self._initialize:
            await self.initialize()  # under the client's lock: one discovery, others wait
        return await super().execute_command(*args, **kwargs)


def open_client(url: str, **kwargs: Any) -> RedisLike:
    """An asyncio client for ``url``: a ``RedisCluster`` for a cluster URL, else a ``Redis``.
    ``kwargs`` go to ``from_url`` (for a cluster, ``max_connections`` is per node)."""
    node = cluster_node_url(url)
    if node is not None:
        return ClusterClient.from_url(node, **{**CLUSTER_OPTIONS, **kwargs})
    return Redis.from_url(url, **kwargs)


def open_sync_client(url: str, **kwargs: Any) -> SyncRedisLike:
    """The blocking counterpart of ``open_client`` (command-line checks)."""
    node = cluster_node_url(url)
    if node is not None:
        return redis_sync.RedisCluster.from_url(node, **kwargs)
    return redis_sync.Redis.from_url(url, **kwargs)


class ScriptLike(Protocol):
    def __call__(self, keys: Sequence[Any] = ..., args: Sequence[Any] = ...) -> Awaitable[Any]:
        ...


def register_script(redis: RedisLike, source: str) -> ScriptLike:
    """A Lua script, called ``script(keys=[...], args=[...])``; its keys must share one slot.

    On one server: redis-py's ``register_script``. On a cluster: ``EVALSHA`` to the keys' master,
    and ``EVAL`` (which also caches it there) when that master does not know the script yet,
    instead of redis-py's fallback, a ``SCRIPT LOAD`` sent to every master."""
    if isinstance(redis, RedisCluster):
        return _ClusterScript(redis, source)
    return redis.register_script(source)


class _ClusterScript:
    def __init__(self, cluster: RedisCluster, source: str) -> None:
        self.cluster = cluster
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    async def __call__(self, keys: Sequence[Any] = (), args: Sequence[Any] = ()) -> Any:
        try:
            return await self.cluster.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            return await self.cluster.eval(self.source, len(keys), *keys, *args)


def transaction(redis: RedisLike) -> Pipeline:
    """A MULTI/EXEC pipeline (``watch`` and ``multi`` as usual) that works on a cluster too.

    On one server: ``redis.pipeline(transaction=True)``. On a cluster, redis-py's own
    transaction pipeline sends every queued command from a new thread with its own event loop
    and blocks the caller's loop meanwhile; it hangs when that command needs the client (a
    worker stopped for good in the tests). Here the transaction is a plain pipeline on a
    connection of the master that holds the first key's slot (every key of one transaction
    shares a hash tag, ``bot.keys``): the server refuses any other slot (CROSSSLOT), and a slot
    that moved (MOVED) refreshes the client's map and fails this try (``StoreUnavailable``
    through ``redis_errors``; the caller's retry goes to the right node)."""
    if isinstance(redis, RedisCluster):
        return _SlotTransaction(redis)
    return redis.pipeline(transaction=True)


class _NodePool:
    """One cluster node's connections, in the shape ``Pipeline`` takes a pool."""

    def __init__(self, node: ClusterNode) -> None:
        self.node = node

    async def get_connection(self, *args: Any, **kwargs: Any) -> Connection:
        return self.node.acquire_connection()

    async def release(self, connection: Connection) -> None:
        self.node.release(connection)


class _SlotTransaction(Pipeline):
    def __init__(self, cluster: RedisCluster) -> None:
        super().__init__(None, cluster.response_callbacks, True, None)  # type: ignore[arg-type]
        self._cluster = cluster

    async def _bind(self, key: Any) -> None:
        if self.connection_pool is None:
            await self._cluster.initialize()  # a no-op once the slots are known
            node = self._cluster.get_node_from_key(key)
            if node is None:
                raise RedisClusterException(f"no cluster node holds the slot of {key!r}")
            self.connection_pool = _NodePool(node)

    async def watch(self, *names: Any) -> bool:  # type: ignore[override]
        await self._bind(names[0])
        return bool(await super().watch(*names))

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        if self.connection_pool is None:
            if not self.command_stack:
                return []
            args, _ = self.command_stack[0]
            await self._bind(args[1])  # every data command's first key is its first argument
        try:
            return await super().execute(raise_on_error)
        except AskError:  # MOVED too: the slot lives elsewhere now; learn the new map
            await self._cluster.nodes_manager.initialize()
            raise
        finally:
            self.connection_pool = None  # type: ignore[assignment]

    async def reset(self) -> None:  # type: ignore[override]
        if self.connection_pool is None:  # never bound: nothing to release
            self.command_stack, self.watching, self.explicit_transaction = [], False, False
            return
        await super().reset()


@contextmanager
def redis_errors(what: str) -> Iterator[None]:
    """Turn redis-py and socket errors into ``StoreUnavailable`` (the user gets a kind line)."""
    try:
        yield
    except REDIS_FAILURES as exc:
        raise StoreUnavailable(f"redis {what} failed: {type(exc).__name__}: {exc}") from exc


async def reachable(redis: RedisLike) -> bool:
    """Whether Redis answers a PING (a command line's check before it reports on a queue)."""
    try:
        return bool(await redis.ping())
    except REDIS_FAILURES:
        return False


def require_bytes_client(redis: RedisLike) -> None:
    """Images are stored raw, so the client must not decode responses to ``str``."""
    if redis.get_connection_kwargs().get("decode_responses"):
        raise ConfigError("the Redis client for Miru's stores needs decode_responses=False")


def text(value: Any) -> str:
    """A Redis reply (bytes) as text."""
    return value.decode() if isinstance(value, bytes) else str(value)
