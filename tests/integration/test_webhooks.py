"""Outgoing webhooks end to end: the real API server, the real audit log and its one tap, the
deliverer in a Redis consumer group, and a local aiohttp receiver that checks each signature
the way docs/api.md tells integrators to (written here again, not imported)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiohttp import web

from bot.api.webhooks import Deliverer, WebhookConfig, dead_events, recent_attempts, retry_dead
from bot.evidence.events import event_for
from tests.integration.test_api import (
    Stack,
    bearer,
    free_port,
    images,
    make_stack_settings,
    run_stack,
)

# The cluster pass empties the cluster once, before the module's stack: its state is shared.
pytestmark = [pytest.mark.redis(flush="module"), pytest.mark.asyncio(loop_scope="module"),
              pytest.mark.timeout(120)]

SECRET = "webhook-test-secret-0123456789-abcdef"


def verify(secret: bytes, headers: Any, body: bytes, tolerance_s: int = 300) -> bool:
    """What a receiver does: v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}"), recent only."""
    ts = headers.get("X-Miru-Request-Timestamp", "")
    if not ts.isdigit() or abs(time.time() - int(ts)) > tolerance_s:
        return False
    expected = "v0=" + hmac.new(secret, f"v0:{ts}:".encode() + body,
                                hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers.get("X-Miru-Signature", ""))


@dataclass
class Receiver:
    """A webhook endpoint on a fixed port that can be stopped, started and made to fail."""

    port: int
    events: list[dict[str, Any]] = field(default_factory=list)
    raw: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    failures_left: int = 0  # answer 500 to this many requests first
    bad_signatures: int = 0
    runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = dict(request.headers)
        self.raw.append((headers, body))
        if not verify(SECRET.encode(), request.headers, body):
            self.bad_signatures += 1
            return web.Response(status=401)
        if self.failures_left > 0:
            self.failures_left -= 1
            return web.Response(status=500)
        self.events.append(json.loads(body))
        return web.Response(status=204)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    def about(self, sha: str) -> list[dict[str, Any]]:
        return [e for e in self.events if sha in e.get("images", [])]


async def until(check, timeout: float = 15.0, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        await asyncio.sleep(step)
    raise AssertionError("condition not met within the timeout")


@pytest.fixture(scope="module")
def receiver_port() -> int:
    return free_port()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def hook(receiver_port: int) -> AsyncIterator[Receiver]:
    r = Receiver(receiver_port)
    await r.start()
    yield r
    await r.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(tmp_path_factory, receiver_port: int, hook: Receiver) -> AsyncIterator[Stack]:
    tmp: Path = tmp_path_factory.mktemp("hooks")
    settings, blocked = make_stack_settings(
        tmp, webhook_url=f"http://127.0.0.1:{receiver_port}/hook", webhook_secret=SECRET,
        webhook_timeout_s=1.0, webhook_backoff_s=0.1, webhook_max_attempts=12)
    async for s in run_stack(settings, blocked, tmp):
        yield s


@pytest_asyncio.fixture(loop_scope="module")
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=60) as c:
        yield c


async def test_a_blocked_verdict_is_posted_signed_and_without_image_bytes(stack, hook, client):
    image = stack.blocked[0]
    sha = hashlib.sha256(image).hexdigest()
    key = await stack.key("screen")
    r = await client.post(f"{stack.url}/v1/screen", headers=bearer(key),
                          files=images(("listed.png", image)))
    assert r.status_code == 200 and r.json()[0]["verdict"]["action"] == "block_and_preserve"
    [event] = await until(lambda: hook.about(sha))
    assert event["type"] == "verdict.blocked" and event["action"] == "block_and_preserve"
    assert event["platform"] == "api" and event["images"] == [sha]
    assert event["reasons"] and event["request_id"].startswith("api:")
    headers, body = next((h, b) for h, b in hook.raw if sha.encode() in b)
    assert headers["X-Miru-Event"] == "verdict.blocked"
    assert headers["X-Miru-Event-Id"] == event["id"]
    assert len(body) < 2000 and image[:64] not in body and image[-64:] not in body
    assert key.split("_", 2)[2].encode() not in body  # nor the API key
    assert hook.bad_signatures == 0
    attempts = await recent_attempts(stack.redis)
    assert any(a["event"] == event["id"] and a["outcome"] == "delivered" for a in attempts)


async def test_a_tampered_body_or_an_old_timestamp_fails_verification(stack, hook, client):
    image = stack.blocked[1]
    sha = hashlib.sha256(image).hexdigest()
    key = await stack.key("ask")
    await client.post(f"{stack.url}/v1/ask", headers=bearer(key),
                      files=images(("listed.png", image)))
    await until(lambda: hook.about(sha))
    headers, body = next((h, b) for h, b in hook.raw if sha.encode() in b)
    assert verify(SECRET.encode(), headers, body)
    assert not verify(SECRET.encode(), headers, body.replace(b"blocked", b"allowed"))
    assert not verify(SECRET.encode(), headers, body + b" ")
    assert not verify(b"another-secret-0123456789abcdef-xyz", headers, body)
    old = {**headers, "X-Miru-Request-Timestamp": str(int(time.time()) - 3600)}
    assert not verify(SECRET.encode(), old, body)


async def test_a_receiver_that_is_down_slows_nothing_and_loses_nothing(stack, hook, client):
    image = stack.blocked[2]
    sha = hashlib.sha256(image).hexdigest()
    key = await stack.key("screen")
    await hook.stop()  # the port is closed: every post is refused
    try:
        since, t0 = time.time(), time.monotonic()
        r = await client.post(f"{stack.url}/v1/screen", headers=bearer(key),
                              files=images(("listed.png", image)))
        elapsed = time.monotonic() - t0
        assert r.status_code == 200 and elapsed < 3.0, elapsed
        # the deliverer keeps trying with backoff, and records every try
        await asyncio.sleep(1.0)
        tries = [a for a in await recent_attempts(stack.redis, 500)
                 if a["outcome"] == "failed" and float(a["ts"]) >= since]
        assert len(tries) >= 2 and all(a["status"] == "" and a["error"] for a in tries)
        assert hook.about(sha) == []
    finally:
        await hook.start()
    [event] = await until(lambda: hook.about(sha), timeout=20)
    await asyncio.sleep(1.0)
    assert len(hook.about(sha)) == 1  # once, not once per try
    mine = [a for a in await recent_attempts(stack.redis, 500) if a["event"] == event["id"]]
    outcomes = [a["outcome"] for a in reversed(mine)]
    assert outcomes[-1] == "delivered" and outcomes.count("failed") >= 1
    assert [int(a["attempt"]) for a in reversed(mine)] == list(range(1, len(mine) + 1))


async def test_500s_are_retried_with_backoff(stack, hook, client):
    image = stack.blocked[3]
    sha = hashlib.sha256(image).hexdigest()
    key = await stack.key("screen")
    hook.failures_left = 2
    r = await client.post(f"{stack.url}/v1/screen", headers=bearer(key),
                          files=images(("listed.png", image)))
    assert r.status_code == 200
    [event] = await until(lambda: hook.about(sha))
    mine = [a for a in await recent_attempts(stack.redis, 500) if a["event"] == event["id"]]
    assert [(a["attempt"], a["outcome"], a["status"]) for a in reversed(mine)] == [
        ("1", "failed", "500"), ("2", "failed", "500"), ("3", "delivered", "204")]


async def test_a_case_decision_is_an_event(stack, hook, client):
    from bot.review.model import Decision
    from bot.review.service import Actor

    image = stack.blocked[4]
    sha = hashlib.sha256(image).hexdigest()
    key = await stack.key("ask")
    await client.post(f"{stack.url}/v1/ask", headers=bearer(key),
                      files=images(("listed.png", image)))
    review = stack.app.services.review
    case = next(c for c in await review.store.list() if sha in c.images)
    await review.decide(case.id, Decision.REJECT, Actor("cli", "moderator"))
    decided = await until(lambda: [e for e in hook.about(sha) if e["type"] == "case.decided"])
    assert decided[0]["case"]["id"] == case.id and decided[0]["case"]["decision"] == "reject"
    assert decided[0]["case"]["status"] == "rejected"


async def test_after_the_last_try_an_event_is_kept_in_the_dead_list(stack):
    """A deliverer of its own (own stream names), against a port nobody listens on."""
    suffix = uuid.uuid4().hex[:8]
    names = {"stream": f"miru:webhooks:t{suffix}:events", "dead": f"miru:webhooks:t{suffix}:dead",
             "attempts": f"miru:webhooks:t{suffix}:attempts"}
    config = WebhookConfig(f"http://127.0.0.1:{free_port()}/hook", SECRET.encode(),
                           timeout_s=0.5, backoff_s=0.05, max_attempts=3)
    d = Deliverer(stack.redis, config, consumer="t", **names)
    await d.ensure_group()
    body = json.dumps({"id": "e1", "type": "verdict.held"}).encode()
    await stack.redis.xadd(names["stream"], {"event": body})
    async with httpx.AsyncClient() as c:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not await stack.redis.xlen(names["dead"]):
            await d.step(c, block_ms=50)
    dead = await stack.redis.xrange(names["dead"])
    assert len(dead) == 1 and dead[0][1][b"event"] == body and dead[0][1][b"attempts"] == b"3"
    assert await stack.redis.xlen(names["stream"]) == 0  # moved, not copied
    tries = await stack.redis.xrange(names["attempts"])
    assert [f[b"outcome"] for _, f in tries] == [b"failed", b"failed", b"dead"]
    for name in names.values():
        await stack.redis.delete(name)


async def test_dead_events_can_be_sent_again(stack, hook):
    body = json.dumps({"id": f"d{uuid.uuid4().hex[:6]}", "type": "verdict.held",
                       "images": ["f" * 64]}).encode()
    dead_id = await stack.redis.xadd("miru:webhooks:dead", {"event": body, "attempts": "6",
                                                            "last_error": "HTTP 500"})
    listed = await dead_events(stack.redis)
    assert any(d["id"] == dead_id.decode() and d["attempts"] == 6 for d in listed)
    assert await retry_dead(stack.redis, dead_id.decode())
    assert not await retry_dead(stack.redis, dead_id.decode())
    await until(lambda: hook.about("f" * 64))


async def test_which_audit_lines_are_events():
    line = {"kind": "verdict", "action": "hold", "request_id": "slack:C1:1", "ts": 0,
            "image_sha256": ["a" * 64], "reasons": ["gate_error"], "chain": "c", "n": 3}
    assert event_for(line)["type"] == "verdict.held"
    assert event_for({**line, "action": "block"})["type"] == "verdict.blocked"
    assert event_for({**line, "action": "allow"}) is None
    assert event_for({**line, "action": "confirm"}) is None
    added = event_for({**line, "kind": "receipt", "action": "",
                       "detail": {"outcome": "added", "n": 4, "image": "a" * 64}})
    assert added["type"] == "receipt.added" and added["receipt"]["n"] == 4
    # an uploader below share (edit keeps a ledger, share takes data out): no event
    assert event_for({**line, "kind": "receipt", "action": "",
                      "detail": {"outcome": "added", "n": 4, "shared": False}}) is None
    assert event_for({**line, "kind": "receipt", "action": "", "detail": {
        "outcome": "added", "n": 4, "shared": True}})["type"] == "receipt.added"
    assert event_for({**line, "kind": "receipt", "detail": {"outcome": "not_receipt"}}) is None
    assert event_for({**line, "kind": "answer"}) is None


async def test_half_a_webhook_configuration_stops_start_up(tmp_path):
    from bot.errors import ConfigError
    from bot.evidence.secrets import webhook_secret
    from config.settings import load_settings

    def settings(**kw):
        return load_settings(data_dir=tmp_path, **kw)

    assert webhook_secret(settings()) is None
    with pytest.raises(ConfigError, match="MIRU_WEBHOOK_SECRET"):
        webhook_secret(settings(webhook_url="https://example.com/h"))
    with pytest.raises(ConfigError, match="at least 32"):
        webhook_secret(settings(webhook_url="https://example.com/h", webhook_secret="short"))
    with pytest.raises(ConfigError, match="http"):
        webhook_secret(settings(webhook_url="ftp://example.com/h", webhook_secret=SECRET))
    secret_file = tmp_path / "hook.secret"
    secret_file.write_text(SECRET)
    secret_file.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        webhook_secret(settings(webhook_url="https://example.com/h",
                                webhook_secret_file=secret_file))
    secret_file.chmod(0o600)
    assert webhook_secret(settings(webhook_url="https://example.com/h",
                                   webhook_secret_file=secret_file)) == SECRET.encode()


async def test_a_failing_tap_never_costs_the_audit_record(tmp_path):
    from bot.evidence.audit import AuditLog

    log = AuditLog(tmp_path / "audit.jsonl", b"s" * 32)
    seen = []

    async def broken(line):
        seen.append(line["n"])
        raise ConnectionError("redis away")

    log.add_tap(broken)
    await log.write(log.record("verdict", "r1", action="block"))
    assert seen == [1]
    assert json.loads((tmp_path / "audit.jsonl").read_text())["kind"] == "verdict"


async def test_miru_webhooks_list_shows_attempts_and_dead_events(stack, hook, tmp_path):
    from tests.clirun import cli_env, miru

    body = json.dumps({"id": "dead-cli", "type": "verdict.blocked"}).encode()
    await stack.redis.xadd("miru:webhooks:attempts", {
        "event": "dead-cli", "type": "verdict.blocked", "attempt": "6", "outcome": "dead",
        "status": "500", "error": "HTTP 500", "ms": "3", "ts": str(time.time())})
    dead_id = (await stack.redis.xadd("miru:webhooks:dead", {
        "event": body, "attempts": "6", "last_error": "HTTP 500"})).decode()
    env = cli_env(tmp_path)
    shown = await asyncio.to_thread(miru, env, "webhooks", "list", "--json", timeout=60)
    assert shown.returncode == 0, shown.stderr
    got = json.loads(shown.stdout)
    assert got["attempts"][0]["event"] == "dead-cli" and got["attempts"][0]["outcome"] == "dead"
    assert any(d["id"] == dead_id and d["event"]["id"] == "dead-cli" for d in got["dead"])
    text = await asyncio.to_thread(miru, env, "webhooks", "list", timeout=60)
    assert dead_id in text.stdout and "HTTP 500" in text.stdout
    missing = await asyncio.to_thread(miru, env, "webhooks", "retry", "1-1", timeout=60)
    assert missing.returncode == 1 and "1-1" in missing.stderr
    again = await asyncio.to_thread(miru, env, "webhooks", "retry", dead_id, timeout=60)
    assert again.returncode == 0 and await stack.redis.xlen("miru:webhooks:dead") == 0


async def test_doctor_checks_the_webhook_receiver_and_the_dead_list(stack, hook):
    """``miru doctor``: a half configuration fails naming the setting, a receiver nobody
    listens on fails, a live one passes, and an event in the dead list is a warning with the
    command that sends it again. The URL's query (it may hold a token) is never shown."""
    from bot.cli.doctor import run_checks
    from config.settings import load_settings

    def check(**kw):
        settings = load_settings(data_dir=stack.tmp, redis_url=stack.settings.redis_url, **kw)
        return next(c for c in run_checks(settings) if c.name == "webhooks")

    assert check().ok and "not configured" in check().detail
    half = check(webhook_url=f"http://127.0.0.1:{hook.port}/hook")
    assert not half.ok and "MIRU_WEBHOOK_SECRET" in half.detail
    down = await asyncio.to_thread(check, webhook_url=f"http://127.0.0.1:{free_port()}/hook",
                                   webhook_secret=SECRET)
    assert not down.ok and "ConnectError" in down.detail and "retried" in down.fix
    await stack.redis.delete("miru:webhooks:dead")
    url = f"http://127.0.0.1:{hook.port}/hook?token=sekrit"
    up = await asyncio.to_thread(check, webhook_url=url, webhook_secret=SECRET)
    assert up.ok and not up.warn and "answers" in up.detail and "sekrit" not in up.detail
    await stack.redis.xadd("miru:webhooks:dead", {"event": b"{}", "attempts": "6",
                                                  "last_error": "HTTP 500"})
    dead = await asyncio.to_thread(check, webhook_url=url, webhook_secret=SECRET)
    assert dead.ok and dead.warn and "1 event(s) in the dead list" in dead.detail
    assert "miru webhooks retry" in dead.fix
    await stack.redis.delete("miru:webhooks:dead")
