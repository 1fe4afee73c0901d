"""Reply claims against the real Redis: one run answers, and a run after the holder died
before posting (a worker SIGKILLed mid-answer) takes the claim over, so the user is answered."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from bot import keys
from bot.stores.redis_store import RedisStateStore

# Runs again in the cluster pass (make test): multi-key commands, scripts and transactions.
pytestmark = pytest.mark.redis


async def _seen(redis, worker: str, ago_s: float) -> None:
    await redis.zadd(keys.WORKERS_SEEN, {worker: time.time() - ago_s})


async def test_one_run_claims_and_a_posted_reply_is_never_taken_over(redis):
    rid = f"test:{uuid.uuid4().hex}"
    a, b = (RedisStateStore(redis, holder=f"w-{uuid.uuid4().hex[:6]}") for _ in range(2))
    try:
        assert await a.claim_reply(rid)
        assert not await a.claim_reply(rid)  # the same worker again: its run may still go on
        await _seen(redis, a.holder, 0)
        assert not await b.claim_reply(rid)  # the holder is alive
        await a.reply_posted(rid)
        await _seen(redis, a.holder, 3600)
        assert not await b.claim_reply(rid)  # sent: dead or not, nobody answers again
        assert await redis.get(keys.reply_sent(rid)) == b"sent"
        assert 0 < await redis.ttl(keys.reply_sent(rid)) <= keys.REPLY_CLAIM_TTL_S
    finally:
        await redis.delete(keys.reply_sent(rid))
        await redis.zrem(keys.WORKERS_SEEN, a.holder, b.holder)


async def test_a_claim_whose_worker_died_before_posting_is_taken_over_once(redis):
    rid = f"test:{uuid.uuid4().hex}"
    dead = RedisStateStore(redis, holder=f"w-{uuid.uuid4().hex[:6]}", holder_dead_after_s=30)
    others = [RedisStateStore(redis, holder=f"w-{uuid.uuid4().hex[:6]}",
                              holder_dead_after_s=30) for _ in range(5)]
    try:
        assert await dead.claim_reply(rid)
        await _seen(redis, dead.holder, 10)  # missed a beat or two: still counted alive
        assert not await others[0].claim_reply(rid)
        await _seen(redis, dead.holder, 31)  # gone: its job was claimed by another worker
        won = await asyncio.gather(*(o.claim_reply(rid) for o in others))
        assert sum(won) == 1  # the compare-and-set lets one of the racing runs answer
        winner = others[won.index(True)]
        assert await redis.get(keys.reply_sent(rid)) == f"claimed:{winner.holder}".encode()
        assert 0 < await redis.ttl(keys.reply_sent(rid)) <= keys.REPLY_CLAIM_TTL_S
        await _seen(redis, winner.holder, 0)
        assert not await dead.claim_reply(rid)  # a late run of the dead worker: no
    finally:
        await redis.delete(keys.reply_sent(rid))
        await redis.zrem(keys.WORKERS_SEEN, dead.holder, *(o.holder for o in others))


async def test_a_holder_never_seen_or_without_a_name_keeps_its_claim(redis):
    """A process that is not a worker (no heartbeat) and a store without a holder name (the
    claims of older versions, '1') are never judged dead."""
    rid, legacy = f"test:{uuid.uuid4().hex}", f"test:{uuid.uuid4().hex}"
    unseen = RedisStateStore(redis, holder=f"api-{uuid.uuid4().hex[:6]}")
    other = RedisStateStore(redis, holder=f"w-{uuid.uuid4().hex[:6]}", holder_dead_after_s=0)
    try:
        assert await unseen.claim_reply(rid)
        assert not await other.claim_reply(rid)
        assert await RedisStateStore(redis).claim_reply(legacy)
        assert await redis.get(keys.reply_sent(legacy)) == b"1"
        assert not await other.claim_reply(legacy)
    finally:
        await redis.delete(keys.reply_sent(rid), keys.reply_sent(legacy))


async def test_a_worker_killed_mid_answer_is_answered_for_by_the_next_run(
        redis, make_settings, counting_engine):
    """The real pipeline: worker A claims the reply and starts streaming the answer, then
    dies (its task is cancelled and its heartbeat stops). The job's next run on worker B
    answers; a third run posts nothing."""
    from bot.app import build_app
    from bot.models import ImageRef, IncomingMessage, ReplyKind
    from tests.fakes import FakeConversation, FakePlatform
    from tests.render import blank, image_bytes

    entered = asyncio.Event()

    class Hanging:
        name, model_id = "hanging", "hanging"

        async def answer(self, request):
            raise AssertionError("the pipeline streams")

        async def stream(self, request):
            yield "partly"
            entered.set()
            await asyncio.Event().wait()  # the worker dies here

        async def close(self) -> None:
            return None

    class Streaming(FakeConversation):
        async def fetch(self, ref, max_bytes: int) -> bytes:
            return image_bytes(blank((320, 200), (200, 220, 240)))

        async def partial(self, text: str) -> None:
            self.platform.statuses.append((self.message.message_id, text))  # type: ignore[arg-type]

    class StreamingPlatform(FakePlatform):
        def conversation(self, message: IncomingMessage) -> FakeConversation:
            return Streaming(message, self)

    settings = make_settings()
    a = build_app(settings, engine=Hanging(), consumer=f"wa-{uuid.uuid4().hex[:6]}")
    b = build_app(settings, engine=counting_engine, consumer=f"wb-{uuid.uuid4().hex[:6]}")
    n = uuid.uuid4().hex[:8]
    message = IncomingMessage("slack", "TK", "C1", f"{n}.0", f"m{n}", "U1", "what is it?",
                              images=(ImageRef("sign.png", url="https://files.slack.com/s"),),
                              event_id=f"E{n}")
    on_a, on_b = StreamingPlatform(), StreamingPlatform()
    try:
        await _seen(redis, a.queue.consumer, 0)  # type: ignore[union-attr]
        job = asyncio.create_task(a.run_job({"slack": on_a}, message))
        await asyncio.wait_for(entered.wait(), 60)
        job.cancel()  # SIGKILL, as far as Redis can tell: no post, no closed claim
        await asyncio.gather(job, return_exceptions=True)
        assert on_a.replies == []
        await _seen(redis, a.queue.consumer, keys.REPLY_HOLDER_DEAD_AFTER_S + 1)  # type: ignore[union-attr]

        await b.run_job({"slack": on_b}, message)
        assert [r.kind for r in on_b.replies] == [ReplyKind.ANSWER]
        assert "what is it?" in on_b.replies[0].text
        await b.run_job({"slack": on_b}, message)  # once more: the reply went out
        assert len(on_b.replies) == 1
    finally:
        await a.close()
        await b.close()
        await redis.zrem(keys.WORKERS_SEEN, a.queue.consumer, b.queue.consumer)  # type: ignore[union-attr]
