"""Thread memory and state stores: one contract for Redis (real server) and in-memory, plus
Redis TTLs, hash tags, forget via the user index, and Redis being down."""

from __future__ import annotations

import asyncio
import hashlib
import uuid

import pytest
from redis.asyncio import Redis, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.crc import key_slot

from bot import keys
from bot.errors import ConfigError, StoreUnavailable
from bot.models import Image, IncomingMessage, ThreadKey, Turn
from bot.stores.base import StateStore, ThreadMemory, ThreadState
from bot.stores.memory import MemoryStateStore, MemoryThreadMemory
from bot.stores.redis_store import RedisStateStore, RedisThreadMemory
from tests.conftest import CLUSTER, redis_client, sync_redis_client
from tests.fakes import FakeClock, job_queue

# Runs again in the cluster pass (make test): multi-key commands, scripts and transactions.
pytestmark = pytest.mark.redis

KNOBS = dict(turn_ttl_s=3600, image_ttl_s=600, max_turns=3, max_image_bytes=250)


@pytest.fixture
def tag() -> str:
    """A unique token inside every id a test uses, so its keys are found and removed."""
    return uuid.uuid4().hex[:12]


@pytest.fixture
async def redis(tag):
    client = redis_client()
    yield client
    names = [k async for k in client.scan_iter(match=f"*{tag}*", count=1000)]
    if names:
        await client.delete(*names)
    await client.aclose()


@pytest.fixture(params=["redis", "memory"])
def stores(request, redis, tag) -> tuple[ThreadMemory, StateStore, FakeClock | None]:
    if request.param == "redis":
        return RedisThreadMemory(redis, **KNOBS), RedisStateStore(redis), None
    clock = FakeClock()
    return (MemoryThreadMemory(**KNOBS, clock=clock.monotonic),
            MemoryStateStore(clock=clock.monotonic), clock)


def thread(tag: str, n: int = 0) -> ThreadKey:
    return ThreadKey("slack", f"T{tag}", "C1", f"{n}.{tag}")


def image(index: int, size: int = 100) -> Image:
    data = bytes([index % 256]) * size
    return Image(index, data, "image/png", 8, 8, "png", f"{index:064x}",
                 hashlib.sha256(data).hexdigest())


def message(tag: str, user: str) -> IncomingMessage:
    return IncomingMessage("slack", f"T{tag}", "C1", f"1.{tag}", "m1", user, "ok?",
                           event_id=f"E{tag}")


async def test_unknown_thread_is_empty(stores, tag):
    memory, _, _ = stores
    assert await memory.load(thread(tag)) == ThreadState()
    assert await memory.get_images(thread(tag), ["ab" * 32]) == []


async def test_turns_are_capped_oldest_first_out(stores, tag):
    memory, _, _ = stores
    t = thread(tag)
    await memory.append(t, f"U{tag}", [Turn("user", "q1", ts=1.0), Turn("assistant", "a1", ts=2.0)])
    await memory.append(t, f"U{tag}", [Turn("user", "q2", ("x",), 3.0), Turn("assistant", "a2")])
    state = await memory.load(t)
    assert [x.text for x in state.turns] == ["a1", "q2", "a2"]
    assert state.turns[1] == Turn("user", "q2", ("x",), 3.0)


async def test_images_come_back_whole_in_the_order_asked(stores, tag):
    memory, _, _ = stores
    t = thread(tag)
    a, b = image(1), image(2, 50)
    await memory.put_images(t, f"U{tag}", [a, b])
    got = await memory.get_images(t, [b.sha256, "f" * 64, a.sha256])
    assert [(g.index, g.data, g.sha256, g.mime, g.original_sha256) for g in got] == [
        (b.index, b.data, b.sha256, b.mime, b.original_sha256),
        (a.index, a.data, a.sha256, a.mime, a.original_sha256)]
    assert set((await memory.load(t)).image_ids) == {a.sha256, b.sha256}


async def test_image_bytes_are_capped_oldest_dropped(stores, tag):
    memory, _, _ = stores
    t = thread(tag)
    imgs = [image(i) for i in range(1, 4)]  # 3 x 100 bytes, cap 250
    for img in imgs:
        await memory.put_images(t, f"U{tag}", [img])
    state = await memory.load(t)
    assert state.image_ids == (imgs[1].sha256, imgs[2].sha256)
    assert await memory.get_images(t, [imgs[0].sha256]) == []
    await memory.put_images(t, f"U{tag}", [image(9, 300)])  # alone over the cap: not kept
    assert (await memory.load(t)).image_ids == (imgs[1].sha256, imgs[2].sha256)


async def test_forget_thread_removes_everything_of_it(stores, tag):
    memory, _, _ = stores
    t, other = thread(tag, 1), thread(tag, 2)
    for th in (t, other):
        await memory.append(th, f"U{tag}", [Turn("user", "hi")])
        await memory.put_images(th, f"U{tag}", [image(1)])
    assert await memory.forget_thread(t) >= 2
    assert await memory.load(t) == ThreadState()
    assert await memory.get_images(t, [image(1).sha256]) == []
    assert (await memory.load(other)).turns == (Turn("user", "hi"),)
    assert await memory.forget_thread(t) == 0


async def test_forget_user_removes_only_their_threads(stores, tag):
    memory, _, _ = stores
    a, b = f"A{tag}", f"B{tag}"
    for n in (1, 2):
        await memory.append(thread(tag, n), a, [Turn("user", "mine")])
    await memory.put_images(thread(tag, 2), a, [image(3)])
    await memory.append(thread(tag, 3), b, [Turn("user", "theirs")])
    assert await memory.forget_user("slack", a) >= 3
    for n in (1, 2):
        assert await memory.load(thread(tag, n)) == ThreadState()
    assert (await memory.load(thread(tag, 3))).turns == (Turn("user", "theirs"),)
    assert await memory.forget_user("discord", a) == 0


async def test_state_once_only_prefs_pending_active(stores, tag):
    _, state, _ = stores
    assert await state.first_time("slack", f"Ev{tag}") is True
    assert await state.first_time("slack", f"Ev{tag}") is False
    assert await state.first_time("discord", f"Ev{tag}") is True
    assert [await state.claim_reply(f"r{tag}") for _ in range(3)] == [True, False, False]
    assert await state.get_pref("slack", f"U{tag}", "lang") is None
    await state.set_pref("slack", f"U{tag}", "lang", "ja")
    await state.set_pref("slack", f"U{tag}", "tone", "short")
    assert await state.get_pref("slack", f"U{tag}", "lang") == "ja"
    msg = message(tag, f"U{tag}")
    await state.save_pending(f"p{tag}", msg, 60)
    assert await state.pop_pending(f"p{tag}") == msg
    assert await state.pop_pending(f"p{tag}") is None
    t = thread(tag)
    assert await state.is_active(t) is False
    await state.mark_active(t)
    assert await state.is_active(t) is True
    assert await state.ping() is True


async def test_memory_ttls_follow_the_clock(tag):
    clock = FakeClock()
    memory = MemoryThreadMemory(**KNOBS, clock=clock.monotonic)
    state = MemoryStateStore(clock=clock.monotonic)
    t = thread(tag)
    await memory.append(t, "U1", [Turn("user", "hi")])
    await memory.put_images(t, "U1", [image(1)])
    await state.save_pending("p", message(tag, "U1"), 30)
    clock.advance(601)  # past the image TTL, before the turn TTL
    assert await memory.load(t) == ThreadState((Turn("user", "hi"),), ())
    assert await memory.get_images(t, [image(1).sha256]) == []
    assert await state.pop_pending("p") is None
    clock.advance(3000)
    assert await memory.load(t) == ThreadState()
    assert await state.first_time("slack", "e") is True
    clock.advance(keys.EVENT_DEDUP_TTL_S + 1)
    assert await state.first_time("slack", "e") is True


async def test_memory_state_forget_user_drops_prefs_and_pending(tag):
    state = MemoryStateStore()
    await state.set_pref("slack", "U1", "lang", "en")
    await state.save_pending("p1", message(tag, "U1"), 60)
    await state.save_pending("p2", message(tag, "U2"), 60)
    assert await state.forget_user("slack", "U1") == 2
    assert await state.get_pref("slack", "U1", "lang") is None
    assert await state.pop_pending("p2") is not None


async def test_redis_ttls_and_hash_tags(redis, tag):
    memory = RedisThreadMemory(redis, **KNOBS)
    state = RedisStateStore(redis)
    t, user = thread(tag), f"U{tag}"
    await memory.append(t, user, [Turn("user", "hi")])
    await memory.put_images(t, user, [image(1)])
    await state.save_pending(f"p{tag}", message(tag, user), 90)
    await state.set_pref("slack", user, "lang", "ja")
    assert 3590 <= await redis.ttl(keys.thread_turns(t)) <= 3600
    assert 590 <= await redis.ttl(keys.thread_image(t, image(1).sha256)) <= 600
    assert 590 <= await redis.ttl(keys.thread_images_index(t)) <= 600
    assert 80 <= await redis.ttl(keys.pending_consent(f"p{tag}")) <= 90
    assert await redis.ttl(keys.user_pref("slack", user)) > keys.USER_PREF_TTL_S - 10
    assert await redis.ttl(keys.user_index("slack", user)) > keys.USER_PREF_TTL_S - 10
    assert await state.first_time("slack", f"E{tag}")
    dedup_ms = await redis.pttl(keys.event_seen("slack", f"E{tag}"))
    assert 0 < dedup_ms <= keys.EVENT_DEDUP_TTL_S * 1000
    thread_keys = [k async for k in redis.scan_iter(match=f"*{t.thread}*")]
    assert thread_keys and all(b"{" + t.tag().encode() + b"}" in k for k in thread_keys)


async def test_redis_expiry_is_real(redis, tag):
    memory = RedisThreadMemory(redis, turn_ttl_s=1, image_ttl_s=1, max_turns=5,
                               max_image_bytes=1000)
    t = thread(tag)
    await memory.append(t, f"U{tag}", [Turn("user", "hi")])
    await memory.put_images(t, f"U{tag}", [image(1)])
    assert (await memory.load(t)).image_ids
    await asyncio.sleep(1.2)
    assert await memory.load(t) == ThreadState()
    assert await memory.get_images(t, [image(1).sha256]) == []


async def test_redis_forget_user_leaves_no_key_of_theirs(redis, tag):
    memory, state = RedisThreadMemory(redis, **KNOBS), RedisStateStore(redis)
    user = f"U{tag}"
    for n in (1, 2):
        await memory.append(thread(tag, n), user, [Turn("user", "mine")])
        await memory.put_images(thread(tag, n), user, [image(n)])
    await state.set_pref("slack", user, "lang", "en")
    await state.save_pending(f"p{tag}", message(tag, user), 60)
    other = f"O{tag}"
    await memory.append(thread(tag, 9), other, [Turn("user", "theirs")])
    assert await memory.forget_user("slack", user) >= 8
    assert [k async for k in redis.scan_iter(match=f"*{user}*")] == []
    for n in (1, 2):
        assert [k async for k in redis.scan_iter(match=f"*{thread(tag, n).thread}*")] == []
    left = {k async for k in redis.scan_iter(match=f"*{tag}*")}
    assert left == {keys.thread_turns(thread(tag, 9)).encode(),
                    keys.thread_users(thread(tag, 9)).encode(),
                    keys.user_index("slack", other).encode()}


def test_a_decoding_client_is_refused():
    with pytest.raises(ConfigError):
        RedisStateStore(Redis(decode_responses=True))
    with pytest.raises(ConfigError):  # a cluster client too (it has no connection_pool)
        RedisStateStore(RedisCluster(host="127.0.0.1", port=1, decode_responses=True))
    RedisStateStore(RedisCluster(host="127.0.0.1", port=1))  # bytes: accepted, not connected


async def test_redis_down_is_store_unavailable():
    down = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    try:
        memory, state = RedisThreadMemory(down, **KNOBS), RedisStateStore(down)
        t = ThreadKey("slack", "T", "C", "1")
        with pytest.raises(StoreUnavailable):
            await memory.load(t)
        with pytest.raises(StoreUnavailable):
            await memory.append(t, "U", [Turn("user", "x")])
        with pytest.raises(StoreUnavailable):
            await memory.forget_user("slack", "U")
        with pytest.raises(StoreUnavailable):
            await state.first_time("slack", "E")
        assert await state.ping() is False
    finally:
        await down.aclose()


def test_both_implementations_satisfy_the_protocols(stores):
    memory, state, _ = stores
    assert isinstance(memory, ThreadMemory) and isinstance(state, StateStore)


@pytest.mark.parametrize("kind", ["redis", "memory"])
async def test_forget_finds_a_users_turns_in_a_thread_others_kept_alive(redis, tag, kind):
    """A writes, B writes later in the same thread: the thread outlives A's first TTL, and
    forget_user(A) must still remove the thread data A wrote."""
    clock = FakeClock()
    knobs = dict(turn_ttl_s=2, image_ttl_s=2, max_turns=5, max_image_bytes=1000)
    memory = (RedisThreadMemory(redis, **knobs, job_base=None) if kind == "redis"
              else MemoryThreadMemory(**knobs, clock=clock.monotonic))

    async def wait(seconds: float) -> None:
        clock.advance(seconds)
        if kind == "redis":
            await asyncio.sleep(seconds)

    t, a, b = thread(tag), f"A{tag}", f"B{tag}"
    await memory.append(t, a, [Turn("user", "from A")])
    await memory.put_images(t, a, [image(1)])
    await wait(1.0)
    await memory.append(t, b, [Turn("user", "from B")])
    await memory.put_images(t, b, [image(2)])
    if kind == "redis":  # every participant's index outlives the data it lists
        index_ms = await redis.pttl(keys.user_index("slack", a))
        assert index_ms >= await redis.pttl(keys.thread_turns(t)) - 50
    await wait(1.3)  # past A's own writes' TTL, not past B's
    assert (await memory.load(t)).turns == (Turn("user", "from A"), Turn("user", "from B"))
    assert await memory.forget_user("slack", a) >= 1
    assert await memory.load(t) == ThreadState()


async def test_forget_user_also_removes_their_queued_jobs(redis, tag):
    base = f"test:{{jobs-{tag}}}"
    q = job_queue(redis, base, "c")
    await q.ensure_group()
    user = f"U{tag}"
    await q.enqueue(message(tag, user))
    await q.enqueue(message(tag, f"O{tag}"))
    memory = RedisThreadMemory(redis, **KNOBS, job_base=base, job_group="g")
    await memory.append(thread(tag), user, [Turn("user", "mine")])
    # the turns, the participants, the user's index and the queued job
    assert await memory.forget_user("slack", user) == 4
    assert [j.message.user for j in await q.take(block_ms=50, count=5)] == [f"O{tag}"]


class SlotSpy:
    """Asks the real server (``COMMAND GETKEYS``) which keys each command touches, and records
    every transaction or multi-key command whose keys fall on more than one Cluster slot."""

    def __init__(self) -> None:

        self.checker = sync_redis_client()
        self.transactions: list[list[tuple]] = []
        self.singles: list[tuple] = []
        self.cross_slot: list[list[bytes]] = []

    def keys_of(self, args: tuple) -> list[bytes]:
        from redis.exceptions import ResponseError

        try:
            keys_ = self.checker.command_getkeys(*args)
        except ResponseError:  # a command without keys (PING, SCRIPT LOAD…)
            return []
        return [k.encode() if isinstance(k, str) else k for k in keys_]

    def check(self, commands: list[tuple]) -> None:
        names = [k for args in commands for k in self.keys_of(args)]
        if len({key_slot(k) for k in names}) > 1:
            self.cross_slot.append(names)

    def install(self, monkeypatch) -> None:
        from redis.asyncio.client import Pipeline

        spy, run_pipeline, run_command = self, Pipeline.execute, Redis.execute_command

        async def execute(pipe, raise_on_error: bool = True):
            commands = [args for args, _ in pipe.command_stack]
            if pipe.is_transaction:
                spy.transactions.append(commands)
                spy.check(commands)
            else:
                for args in commands:
                    spy.singles.append(args)
                    spy.check([args])
            return await run_pipeline(pipe, raise_on_error)

        async def execute_command(client, *args, **options):
            spy.singles.append(args)
            spy.check([args])
            return await run_command(client, *args, **options)

        monkeypatch.setattr(Pipeline, "execute", execute)
        monkeypatch.setattr(Redis, "execute_command", execute_command)


@pytest.mark.skipif(CLUSTER, reason="the spy wraps the one-server client; on a Redis Cluster the "
                    "server itself refuses a cross-slot command, in every test of the run")
async def test_every_transaction_stays_on_one_cluster_slot(redis, tag, monkeypatch):
    spy = SlotSpy()
    spy.install(monkeypatch)
    pipe = redis.pipeline(transaction=True)  # the spy itself: a cross-slot MULTI is caught
    pipe.set(f"x{tag}", 1).set(f"y{tag}", 1)
    await pipe.execute()
    assert spy.cross_slot == [[f"x{tag}".encode(), f"y{tag}".encode()]]
    spy.cross_slot.clear()

    base = f"test:{{jobs-{tag}}}"
    memory = RedisThreadMemory(redis, **KNOBS, job_base=base, job_group="g")
    state = RedisStateStore(redis)
    t, a, b = thread(tag), f"A{tag}", f"B{tag}"
    for user in (a, b):
        await memory.append(t, user, [Turn("user", "hi"), Turn("assistant", "hello")])
        await memory.put_images(t, user, [image(1), image(2)])
        await state.set_pref("slack", user, "lang", "ja")
        await state.save_pending(f"p{user}", message(tag, user), 60)
    await memory.put_images(t, a, [image(3, 200)])  # over the cap: older images dropped
    await memory.load(t)
    await memory.get_images(t, [image(1).sha256, image(3).sha256])
    await state.pop_pending(f"p{a}")
    await state.mark_active(t)
    await state.is_active(t)
    await state.first_time("slack", f"E{tag}")
    await state.claim_reply(f"r{tag}")
    q = job_queue(redis, base, "c")
    await q.ensure_group()
    await q.enqueue(message(tag, a))
    await q.enqueue(message(tag, b))
    jobs = await q.take(block_ms=50, count=2)
    await q.touch(jobs)
    await q.retry(jobs[0])
    await q.ack(jobs[1])
    await memory.forget_user("slack", a)
    await memory.forget_thread(thread(tag, 2))
    await memory.forget_thread(t)
    assert spy.cross_slot == []
    assert len(spy.transactions) >= 15
    hincrby = [c for c in spy.singles if c[0] == "HINCRBY"]
    assert hincrby == []  # the image counter is written only with its EXPIRE, in one MULTI
    for commands in spy.transactions:
        for args in commands:
            if args[0] == "HINCRBY":
                assert ("EXPIRE", args[1]) in [(c[0], c[1]) for c in commands]
    spy.checker.close()


async def test_a_threads_language_lives_with_its_turns_and_goes_with_forget(stores, tag):
    """Issue 22: the thread's answer language, for later turns (both stores)."""
    memory, _, clock = stores
    t = thread(tag, 7)
    assert await memory.language(t) is None
    await memory.set_language(t, f"U{tag}", "ja")
    assert await memory.language(t) == "ja"
    await memory.set_language(t, f"U{tag}", "en")
    assert await memory.language(t) == "en"
    assert await memory.forget_thread(t) >= 1
    assert await memory.language(t) is None
    await memory.set_language(t, f"U{tag}", "ja")
    await memory.forget_user("slack", f"U{tag}")
    assert await memory.language(t) is None
    if clock is not None:  # the memory store's TTL (Redis: checked in test_reply_language)
        await memory.set_language(t, f"U{tag}", "ja")
        clock.advance(KNOBS["turn_ttl_s"] + 1)
        assert await memory.language(t) is None
