"""The integration API end to end: the real aiohttp server on a free port, httpx against it, the
real gates and OCR engine (``build_app``), real Redis; blocked verdicts from the test hash list.

One server serves the whole module (building the gates once keeps the file fast); each test
makes its own keys, so nothing one test does changes what another sees.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import socket
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import pytest_asyncio
from PIL import Image
from redis.asyncio import Redis

from bot.api.apikeys import ApiKeys, Scope
from bot.api.contract import outcome_json
from bot.api.server import ApiServer, start
from bot.api.webhooks import deliverer_alongside
from bot.app import build_app
from bot.cli.local import LocalConversation, cli_message
from bot.runtime import App
from config.settings import Settings, load_settings
from tests.clirun import cli_env, miru
from tests.conftest import REDIS_URL, redis_client

pytestmark = [pytest.mark.redis, pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(120)]

MAX_BODY = 8_000_000
_PATTERNS = ("miru:{api}:*", "miru:api:*", "miru:webhooks:*", "miru:quota:*", "miru:review:*",
             "miru:quarantine:*", "miru:reply:*", "miru:active:*")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def noise_png(seed: int, size: int = 96) -> bytes:
    """A benign image (coloured noise) with its own SHA-256, to list in the test hash list."""
    arr = np.random.default_rng(seed).integers(0, 255, (size, size, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    return buf.getvalue()


async def clear(redis: Redis) -> None:
    for pattern in _PATTERNS:
        async for key in redis.scan_iter(match=pattern, count=500):
            await redis.delete(key)


@dataclass
class Stack:
    settings: Settings
    app: App
    url: str
    port: int
    redis: Redis
    keys: ApiKeys
    blocked: list[bytes]  # hash-listed images: each one's verdict is block_and_preserve
    tmp: Path
    server: ApiServer

    async def key(self, *scopes: Scope, workspace: str = "api") -> str:
        _, key = await self.keys.create(f"k-{uuid.uuid4().hex[:10]}", tuple(scopes) or
                                        ("screen", "ask", "receipts", "cases"), workspace)
        return key

    def audit(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in
                self.settings.audit_path.read_text(encoding="utf-8").splitlines()]


POLICY = """[defaults]
consent = "off"
[channels.api]
consent = "require"
[hash_lists]
sha256_files = ["{listed}"]
[tiers.default]
[tiers.tiny]
images_per_user_per_day = 1
[tiers.single]
concurrent_per_user = 1
[plans]
default = "default"
[plans.workspaces]
tiny = "tiny"
single = "single"
"""


@pytest.fixture(scope="module")
def stack_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("api")


@pytest.fixture(scope="module")
def stack_settings(stack_dir: Path) -> tuple[Settings, list[bytes]]:
    return make_stack_settings(stack_dir)


def make_stack_settings(tmp: Path, **overrides: Any) -> tuple[Settings, list[bytes]]:
    blocked = [noise_png(seed) for seed in range(8)]
    listed = tmp / "known.sha256"
    listed.write_text("".join(hashlib.sha256(b).hexdigest() + "\n" for b in blocked))
    policy = tmp / "policy.toml"
    policy.write_text(POLICY.format(listed=listed), encoding="utf-8")
    settings = load_settings(
        data_dir=tmp / "data", audit_path=tmp / "data" / "audit.jsonl", redis_url=REDIS_URL,
        vlm_backend="ocr", audit_secret="test-secret-0123456789abcdef-0123456789",
        policy_file=policy, api_max_body_bytes=MAX_BODY,
        **{"api_max_auth_failures": 10_000, **overrides})
    return settings, blocked


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(stack_dir: Path, stack_settings) -> AsyncIterator[Stack]:
    settings, blocked = stack_settings
    async for s in run_stack(settings, blocked, stack_dir):
        yield s


async def run_stack(settings: Settings, blocked: list[bytes], tmp: Path
                    ) -> AsyncIterator[Stack]:
    redis = redis_client()
    await clear(redis)
    app = build_app(settings)
    assert app.redis is not None
    keys = ApiKeys(app.redis)
    server = ApiServer(app, keys)
    runner, port = await start(server, host="127.0.0.1", port=0)
    stop = asyncio.Event()
    try:
        async with deliverer_alongside(app.redis, settings, stop):
            yield Stack(settings, app, f"http://127.0.0.1:{port}", port, redis, keys, blocked,
                        tmp, server)
    finally:
        stop.set()
        await runner.cleanup()
        await app.close()
        await clear(redis)
        await redis.aclose()


@pytest_asyncio.fixture(loop_scope="module")
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=60) as c:
        yield c


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def images(*files: tuple[str, bytes]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("image", (name, data, "application/octet-stream")) for name, data in files]


# -- keys and scopes ---------------------------------------------------------------------------

async def test_no_key_or_a_bad_key_is_401_with_a_challenge_and_audited(stack, client,
                                                                       coffee_jpeg):
    await stack.server.refusals.flush(final=True)
    before = len(stack.audit()) if stack.settings.audit_path.exists() else 0
    bad = "miru_0123456789ab_" + "x" * 43
    good = await stack.key("screen")
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    for headers in ({}, bearer(bad), bearer(forged), {"Authorization": f"Basic {good}"},
                    bearer("x" * 5000)):
        r = await client.post(f"{stack.url}/v1/screen", headers=headers,
                              files=images(("c.jpg", coffee_jpeg)))
        assert r.status_code == 401, (headers.keys(), r.text)
        assert r.json()["error"]["code"] == "unauthorized"
        assert r.headers["WWW-Authenticate"].startswith('Bearer realm="miru"')
    await stack.server.refusals.flush(final=True)
    (summary,) = [rec for rec in stack.audit()[before:] if rec["kind"] == "api_refused_summary"]
    groups = {(g["key"], g["reason"], g["status"]): g["count"]
              for g in summary["detail"]["groups"]}
    assert groups == {("no key", "missing", 401): 1, ("0123456789ab", "invalid", 401): 1,
                      (good.split("_")[1], "invalid", 401): 1, ("malformed", "invalid", 401): 2}
    assert summary["detail"]["total"] == 5
    text = stack.settings.audit_path.read_text()
    assert good.split("_", 2)[2] not in text and forged.split("_", 2)[2] not in text


async def test_a_key_outside_its_scope_is_403(stack, client, coffee_jpeg):
    key = await stack.key("screen")
    r = await client.post(f"{stack.url}/v1/ask", headers=bearer(key),
                          files=images(("c.jpg", coffee_jpeg)))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert "ask" in r.json()["error"]["message"]
    r = await client.get(f"{stack.url}/v1/cases", headers=bearer(key))
    assert r.status_code == 403
    r = await client.post(f"{stack.url}/v1/screen", headers=bearer(key),
                          files=images(("c.jpg", coffee_jpeg)))
    assert r.status_code == 200
    await stack.server.refusals.flush(final=True)
    summary = [rec for rec in stack.audit() if rec["kind"] == "api_refused_summary"][-1]
    mine = {(g["reason"], g["status"]): g["routes"] for g in summary["detail"]["groups"]
            if g["key"] == key.split("_")[1]}
    assert mine == {("scope ask", 403): {"POST /v1/ask": 1},
                    ("scope cases", 403): {"GET /v1/cases": 1}}


async def test_refusals_are_one_summary_per_window_not_a_line_each(stack, client):
    """Regression (issue 19): every unauthenticated request wrote a fsynced, chained line (500
    a second were 20 GB a day). Now the audit log does not grow with refusals; one record per
    window counts them all."""
    await stack.server.refusals.flush(final=True)
    path = stack.settings.audit_path
    size = path.stat().st_size if path.exists() else 0
    scoped = await stack.key("screen")
    for i in range(60):
        headers = [{}, bearer(f"miru_{i:012x}_" + "s" * 43), bearer(scoped)][i % 3]
        r = await client.get(f"{stack.url}/v1/cases", headers=headers)
        assert r.status_code in (401, 403)
    assert (path.stat().st_size if path.exists() else 0) == size  # nothing per refusal
    assert await stack.server.refusals.flush(final=True) == 1
    summary = stack.audit()[-1]
    assert summary["kind"] == "api_refused_summary" and summary["detail"]["total"] == 60
    counts = Counter()
    for g in summary["detail"]["groups"]:
        counts[(g["reason"], g["status"])] += g["count"]
    assert counts == {("missing", 401): 20, ("invalid", 401): 20, ("scope cases", 403): 20}
    assert "s" * 43 not in stack.settings.audit_path.read_text()


async def test_an_address_hammering_bad_keys_gets_429_and_nothing_is_lost(stack, client):
    """Past the threshold of failed keys from one address, 429 with Retry-After; a valid key
    from that address still works; the refusals still open at shutdown are written then."""
    server = ApiServer(stack.app, stack.keys)
    server.throttle.limit = 3
    runner, port = await start(server, host="127.0.0.1", port=0)
    url = f"http://127.0.0.1:{port}/v1/cases"
    try:
        got = [(await client.get(url, headers=bearer("miru_0123456789ab_" + "x" * 43)))
               for _ in range(5)]
        assert [r.status_code for r in got] == [401, 401, 401, 429, 429]
        assert got[-1].json()["error"]["code"] == "too_many_failures"
        assert 1 <= int(got[-1].headers["Retry-After"]) <= 60
        assert (await client.get(url, headers=bearer(await stack.key("cases")))).status_code \
            == 200
    finally:
        await runner.cleanup()
    summary = stack.audit()[-1]
    assert summary["kind"] == "api_refused_summary"
    assert sorted((g["reason"], g["status"], g["count"]) for g in summary["detail"]["groups"]) \
        == [("invalid", 401, 3), ("throttled", 429, 2)]


# -- limits ------------------------------------------------------------------------------------

async def test_a_wrong_content_type_is_415(stack, client):
    key = await stack.key("ask")
    r = await client.post(f"{stack.url}/v1/ask", headers=bearer(key), json={"image": "x"})
    assert r.status_code == 415
    assert r.json()["error"]["code"] == "unsupported_media_type"
    r = await client.post(f"{stack.url}/v1/ask", headers=bearer(key), content=b"raw bytes")
    assert r.status_code == 415


async def test_too_many_images_are_refused_whole(stack, client, coffee_jpeg):
    key = await stack.key("screen")
    for count in (stack.settings.max_files + 1, 50):
        r = await client.post(f"{stack.url}/v1/screen", headers=bearer(key),
                              files=images(*[(f"{i}.jpg", coffee_jpeg) for i in range(count)]))
        assert r.status_code == 413, r.text
        assert r.json()["error"]["code"] == "too_many_images"
    r = await client.post(f"{stack.url}/v1/screen", headers=bearer(key),
                          data={"question": "no image"}, files=[("x", ("", b"", "text/plain"))])
    assert r.status_code == 400 and r.json()["error"]["code"] == "unknown_field"


async def test_a_100_mb_body_is_refused_from_its_headers(stack):
    key = await stack.key("ask")
    reader, writer = await asyncio.open_connection("127.0.0.1", stack.port)
    head = (f"POST /v1/ask HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n"
            "Content-Type: multipart/form-data; boundary=b\r\n"
            f"Content-Length: {100 * 1024 * 1024}\r\n\r\n")
    t0 = time.monotonic()
    writer.write(head.encode() + b"\0" * 65536)  # of the 100 MB announced, 64 KB are sent
    await writer.drain()
    status = await asyncio.wait_for(reader.readline(), 5)
    elapsed = time.monotonic() - t0
    assert b" 413 " in status, status
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    body = json.loads(await reader.readexactly(length))
    writer.close()
    assert body["error"]["code"] == "body_too_large" and elapsed < 2


async def test_a_chunked_body_is_counted_as_it_streams(stack, client):
    key = await stack.key("screen")
    head = (b'--bnd\r\nContent-Disposition: form-data; name="image"; filename="big.jpg"\r\n'
            b"Content-Type: image/jpeg\r\n\r\n")

    async def body():  # no Content-Length: the server must count
        yield head
        for _ in range(MAX_BODY // 1_000_000 + 2):
            yield b"\0" * 1_000_000

    r = await client.post(f"{stack.url}/v1/screen", headers={
        **bearer(key), "Content-Type": "multipart/form-data; boundary=bnd"}, content=body())
    assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"


@pytest.mark.parametrize("where", ["preamble", "epilogue", "field"])
async def test_every_byte_of_a_chunked_body_counts(stack, client, coffee_jpeg, where):
    """Regression (issue 19): only the parts' contents were counted, so a chunked body with a
    preamble (or epilogue) bigger than the limit passed, and a good image after it was
    screened."""
    key = await stack.key("screen")
    line = b"p" * 60_000 + b"\r\n"
    padding = [line] * (MAX_BODY // len(line) + 2)  # over the limit on its own
    image = (b'--bnd\r\nContent-Disposition: form-data; name="image"; filename="c.jpg"\r\n'
             b"Content-Type: image/jpeg\r\n\r\n" + coffee_jpeg + b"\r\n")
    question = b'--bnd\r\nContent-Disposition: form-data; name="question"\r\n\r\n'

    async def body():  # chunked: no Content-Length to refuse it by
        if where == "preamble":
            for chunk in padding:
                yield chunk
        yield image
        if where == "field":  # a text field is counted though only 16 KB of it could be kept
            yield question
            for chunk in padding:
                yield chunk.replace(b"\r\n", b"  ")
            yield b"\r\n"
        yield b"--bnd--\r\n"
        if where == "epilogue":
            for chunk in padding:
                yield chunk

    r = await client.post(f"{stack.url}/v1/screen", headers={
        **bearer(key), "Content-Type": "multipart/form-data; boundary=bnd"}, content=body())
    assert r.status_code == 413, r.text[:300]
    assert r.json()["error"]["code"] == "body_too_large"


async def test_malformed_forms_are_400(stack, client, coffee_jpeg):
    key = await stack.key("ask")
    r = await client.post(f"{stack.url}/v1/ask", headers={
        **bearer(key), "Content-Type": "multipart/form-data"}, content=b"--x\r\n\r\n")
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_form"
    r = await client.post(f"{stack.url}/v1/ask", headers=bearer(key), data={"lang": "fr"},
                          files=images(("c.jpg", coffee_jpeg)))
    assert r.status_code == 400 and "lang" in r.json()["error"]["message"]
    r = await client.post(f"{stack.url}/v1/ask", headers=bearer(key), data={"question": "?"})
    assert r.status_code == 415  # a form without files is urlencoded: not multipart
    r = await client.post(f"{stack.url}/v1/ask", headers=bearer(key),
                          data={"question": "x" * 20_000}, files=images(("c.jpg", coffee_jpeg)))
    assert r.status_code == 400 and r.json()["error"]["code"] == "field_too_long"


async def test_unknown_routes_and_methods_answer_json(stack, client):
    r = await client.get(f"{stack.url}/v2/nothing")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = await client.delete(f"{stack.url}/v1/ask")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"
    assert r.headers["Allow"] == "POST"
    r = await client.get(f"{stack.url}/metrics")
    assert r.status_code == 200 and "miru_" in r.text


# -- the answers -------------------------------------------------------------------------------

async def test_ask_answers_exactly_what_miru_ask_json_prints(stack, client, coffee_jpeg):
    key = await stack.key("ask")
    r = await client.post(f"{stack.url}/v1/ask", headers=bearer(key), data={
        "question": "what is this?", "lang": "en"}, files=images(("coffee.jpg", coffee_jpeg)))
    assert r.status_code == 200, r.text
    got = r.json()
    path = stack.tmp / "coffee.jpg"
    path.write_bytes(coffee_jpeg)
    local = await stack.app.pipeline.handle(LocalConversation(
        cli_message([path], "what is this?", language="en", thread=uuid.uuid4().hex)))
    assert got == json.loads(json.dumps(outcome_json(local)))
    assert got["verdict"]["action"] == "allow" and got["engine"] == "ocr"


async def test_the_policy_channel_api_and_the_consent_field(stack, client, astronaut_jpeg):
    """API requests are the policy file's channel ``api``: here it asks for consent."""
    key = await stack.key("ask")
    r = await client.post(f"{stack.url}/v1/ask", headers=bearer(key),
                          files=images(("a.jpg", astronaut_jpeg)))
    assert r.status_code == 200 and r.json()["verdict"]["action"] == "confirm"
    assert r.json()["answer"] is None
    r = await client.post(f"{stack.url}/v1/ask", headers=bearer(key), data={"consent": "true"},
                          files=images(("a.jpg", astronaut_jpeg)))
    assert r.json()["verdict"]["action"] in ("allow", "allow_blurred")
    assert r.json()["answer"]


async def test_a_non_image_gets_the_rejection_miru_ask_gives(stack, client):
    key = await stack.key("ask")
    r = await client.post(f"{stack.url}/v1/ask", headers=bearer(key),
                          files=images(("notes.jpg", b"just some text, not an image")))
    assert r.status_code == 422
    path = stack.tmp / "notes.jpg"
    path.write_bytes(b"just some text, not an image")
    local = await stack.app.pipeline.handle(LocalConversation(
        cli_message([path], "", thread=uuid.uuid4().hex)))
    assert r.json() == json.loads(json.dumps(outcome_json(local)))
    assert r.json()["error"]["code"] == "unsupported_format"


async def test_screen_gives_a_verdict_per_image_in_order(stack, client, coffee_jpeg):
    key = await stack.key("screen")
    r = await client.post(f"{stack.url}/v1/screen", headers=bearer(key), files=images(
        ("coffee.jpg", coffee_jpeg), ("listed.png", stack.blocked[0]), ("empty.png", b"")))
    assert r.status_code == 200, r.text
    coffee, listed, empty = r.json()
    assert coffee["file"] == "coffee.jpg" and coffee["verdict"]["action"] == "allow"
    assert listed["verdict"]["action"] == "block_and_preserve"
    assert "hash_match" in listed["verdict"]["reasons"][0] or listed["verdict"]["reasons"]
    assert empty == {"file": "empty.png", "error": {"code": "empty",
                                                    "message": "empty.png is empty."}}
    verdicts = [rec for rec in stack.audit() if rec["kind"] == "verdict"
                and rec["platform"] == "api" and rec["action"] == "block_and_preserve"]
    assert hashlib.sha256(stack.blocked[0]).hexdigest() in verdicts[-1]["image_sha256"]


async def test_receipts_are_screened_then_read(stack, client):
    from bot.receipts.codec import CONTRACT_FIELDS
    from tests.platform.receipt_flow import RECEIPT_EN

    key = await stack.key("receipts")
    r = await client.post(f"{stack.url}/v1/receipts", headers=bearer(key), files=images(
        ("en.png", RECEIPT_EN), ("listed.png", stack.blocked[1])))
    assert r.status_code == 200, r.text
    read, listed = r.json()
    assert list(read) == ["file", "verdict", *CONTRACT_FIELDS, "checks", "error"]
    assert read["checks"] == [] and listed["checks"] == []  # no vision model here
    assert read["verdict"] == "allow" and read["error"] is None
    assert "CORNER" in (read["merchant"] or "").upper() and read["total"] == "23.45"
    assert listed["verdict"] == "block_and_preserve" and listed["total"] is None
    assert listed["error"]["code"] == "not_screened_clear"


async def test_screen_and_receipts_keep_what_they_stop_and_name_no_case(stack, client):
    """/v1/screen and /v1/receipts preserve a hash-listed file and open a case, as chat does:
    the API is no free oracle against the hash lists. The answer names no case (a preserved
    case's id is the moderators' alone)."""
    key = await stack.key("screen", "receipts")
    review = stack.app.services.review
    for route, listed in (("screen", stack.blocked[3]), ("receipts", stack.blocked[4])):
        r = await client.post(f"{stack.url}/v1/{route}", headers=bearer(key),
                              files=images(("listed.png", listed)))
        assert r.status_code == 200, r.text
        sha = hashlib.sha256(listed).hexdigest()
        [case] = [c for c in await review.store.list() if sha in c.images]
        assert case.action == "block_and_preserve" and case.platform == "api"
        assert await review.quarantine.get(case.evidence[0]) == listed
        assert case.id not in r.text and "case" not in r.json()[0]
        opened = [rec for rec in stack.audit() if rec["kind"] == "review_opened"
                  and rec["detail"]["case"] == case.id]
        assert opened and opened[0]["platform"] == "api"


async def test_screening_fails_closed_when_nothing_can_be_kept(stack, client, coffee_jpeg):
    """Neither the shared quarantine nor the local folder takes the evidence: no verdict, a
    503 that says why, an audit record; a file that needs no keeping is still screened."""
    from bot.errors import QuarantineError

    keeper = stack.app.pipeline.steps.keeper
    assert keeper.review is not None and keeper.quarantine is not None

    async def redis_lost(*args: Any, **kwargs: Any) -> None:
        raise QuarantineError("the shared quarantine is away")

    def full_disk(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    shared, local = keeper.review.quarantine, keeper.quarantine
    shared_put, local_put = shared.put, local.put
    shared.put, local.put = redis_lost, full_disk  # type: ignore[method-assign]
    key = await stack.key("screen", "receipts", "ask")
    try:
        for route, listed in (("screen", stack.blocked[5]), ("receipts", stack.blocked[6]),
                              ("ask", stack.blocked[7])):
            r = await client.post(f"{stack.url}/v1/{route}", headers=bearer(key),
                                  files=images(("clean.jpg", coffee_jpeg),
                                               ("listed.png", listed)))
            assert r.status_code == 503, r.text
            error = r.json()["error"]
            assert error["code"] == "not_preserved" and "listed.png" in error["message"]
            assert "block_and_preserve" not in r.text
            sha = hashlib.sha256(listed).hexdigest()
            assert any(rec["kind"] == "error" and rec["detail"].get("code") == "not_preserved"
                       and sha in rec["image_sha256"] for rec in stack.audit())
        r = await client.post(f"{stack.url}/v1/screen", headers=bearer(key),
                              files=images(("clean.jpg", coffee_jpeg)))
        assert r.status_code == 200 and r.json()[0]["verdict"]["action"] == "allow"
    finally:
        shared.put, local.put = shared_put, local_put  # type: ignore[method-assign]


async def test_cases_need_the_cases_scope(stack, client):
    asker = await stack.key("ask")
    r = await client.post(f"{stack.url}/v1/ask", headers=bearer(asker),
                          files=images(("listed.png", stack.blocked[2])))
    assert r.status_code == 200 and r.json()["verdict"]["action"] == "block_and_preserve"
    r = await client.get(f"{stack.url}/v1/cases", headers=bearer(asker))
    assert r.status_code == 403
    moderator = await stack.key("cases")
    r = await client.get(f"{stack.url}/v1/cases", headers=bearer(moderator),
                         params={"status": "pending"})
    assert r.status_code == 200
    cases = [c for c in r.json() if c["platform"] == "api"]
    assert cases and cases[-1]["action"] == "block_and_preserve"
    r = await client.get(f"{stack.url}/v1/cases", headers=bearer(moderator),
                         params={"status": "lost"})
    assert r.status_code == 400


async def test_over_the_quota_is_429_with_the_reset_time(stack, client, coffee_jpeg):
    key = await stack.key("screen", "ask", workspace="tiny")  # 1 image per user per day
    r = await client.post(f"{stack.url}/v1/screen", headers=bearer(key),
                          files=images(("c.jpg", coffee_jpeg)))
    assert r.status_code == 200
    t0 = time.monotonic()
    r = await client.post(f"{stack.url}/v1/ask", headers=bearer(key),
                          files=images(("c.jpg", coffee_jpeg)))
    assert r.status_code == 429, r.text
    assert time.monotonic() - t0 < 5  # refused before any gate runs
    error = r.json()["error"]
    assert error["code"] == "quota_user" and error["limit"] == 1
    assert 0 < int(r.headers["Retry-After"]) <= 24 * 3600
    assert error["reset"].endswith("T00:00:00+00:00") and "UTC" in error["message"]
    assert stack.audit()[-1]["kind"] == "quota_refused"
    assert stack.audit()[-1]["platform"] == "api"


async def test_the_concurrency_slot_is_freed_when_the_answer_is_sent(stack, client,
                                                                     coffee_jpeg):
    key = await stack.key("screen", workspace="single")  # one request at a time per key
    for _ in range(3):
        r = await client.post(f"{stack.url}/v1/screen", headers=bearer(key),
                              files=images(("c.jpg", coffee_jpeg)))
        assert r.status_code == 200, r.text  # a slot never freed would make this a 429


async def test_errors_speak_japanese_when_asked(stack, client):
    r = await client.get(f"{stack.url}/v1/cases", headers={"Accept-Language": "ja"})
    assert r.status_code == 401 and "API キー" in r.json()["error"]["message"]


async def test_openapi_documents_every_route(stack, client):
    r = await client.get(f"{stack.url}/v1/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.1")
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    served = {(route.method, route.resource.canonical)
              for route in ApiServer(stack.app, stack.keys).application().router.routes()
              if route.method != "HEAD" and route.resource is not None}
    assert served == documented


# -- the command line --------------------------------------------------------------------------

async def test_api_key_create_prints_the_key_once_and_revoke_ends_it(stack, client, tmp_path):
    env = cli_env(tmp_path)
    name = f"cli-{uuid.uuid4().hex[:8]}"
    made = await asyncio.to_thread(miru, env, "api-key", "create", name, "--scope",
                                   "cases,screen", "--workspace", "acme", timeout=60)
    assert made.returncode == 0, made.stderr
    lines = made.stdout.splitlines()
    key = lines[-1]
    assert lines == [key] and key.startswith("miru_") and " " not in key
    assert "shown only now" in made.stderr and key not in made.stderr
    r = await client.get(f"{stack.url}/v1/cases", headers=bearer(key))
    assert r.status_code == 200
    listed = await asyncio.to_thread(miru, env, "api-key", "list", "--json", timeout=60)
    mine = [k for k in json.loads(listed.stdout) if k["name"] == name]
    assert mine == [{**mine[0], "scopes": ["cases", "screen"], "workspace": "acme"}]
    secret = key.split("_", 2)[2]
    assert secret not in listed.stdout and "sha256" not in listed.stdout
    shown = await asyncio.to_thread(miru, env, "api-key", "list", timeout=60)
    assert name in shown.stdout and secret not in shown.stdout
    gone = await asyncio.to_thread(miru, env, "api-key", "revoke", name, timeout=60)
    assert gone.returncode == 0, gone.stderr
    r = await client.get(f"{stack.url}/v1/cases", headers=bearer(key))
    assert r.status_code == 401
    bad = await asyncio.to_thread(miru, env, "api-key", "create", "x", "--scope",
                                  "screen,admin", timeout=60)
    assert bad.returncode == 2 and "'admin'" in bad.stderr and bad.stdout == ""
    again = await asyncio.to_thread(miru, env, "api-key", "revoke", name, timeout=60)
    assert again.returncode == 1 and name in again.stderr
    kinds = [json.loads(line) for line in (tmp_path / "data" / "audit.jsonl").read_text()
             .splitlines()]
    assert [(r["kind"], r["action"]) for r in kinds] == [("api_key", "create"),
                                                         ("api_key", "revoke")]
    assert secret not in (tmp_path / "data" / "audit.jsonl").read_text()


async def test_a_key_is_stored_only_hashed(stack):
    record, key = await stack.keys.create(f"h-{uuid.uuid4().hex[:8]}", ("screen",))
    raw = json.dumps({k.decode(): v.decode() for k, v in
                      (await stack.redis.hgetall("miru:{api}:keys")).items()})
    secret = key.split("_", 2)[2]
    assert secret not in raw and hashlib.sha256(secret.encode()).hexdigest() in raw
    assert (await stack.keys.check(key)) == record
    with pytest.raises(ValueError, match="exists already"):
        await stack.keys.create(record.name, ("ask",))


# -- Idempotency-Key ---------------------------------------------------------------------------

def idem(value: str | bytes) -> dict[str, Any]:
    return {"Idempotency-Key": value}


async def test_the_same_idempotency_key_and_form_replays_the_first_answer(stack, client,
                                                                          coffee_jpeg):
    """Regression (issue 19): a retried request ran and was charged again. Here the workspace
    allows one image a day: a second run would be a 429."""
    key = await stack.key("ask", "screen", workspace="tiny")
    form = {"data": {"question": "what is this?", "lang": "en"},
            "files": images(("coffee.jpg", coffee_jpeg))}
    first = await client.post(f"{stack.url}/v1/ask", headers={**bearer(key), **idem("order-1")},
                              **form)
    assert first.status_code == 200, first.text
    audited = len(stack.audit())
    again = await client.post(f"{stack.url}/v1/ask", headers={**bearer(key), **idem("order-1")},
                              **form)  # httpx picks a new multipart boundary: same form still
    assert again.status_code == 200, again.text
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert len(stack.audit()) == audited  # nothing ran: no verdict, no answer audited
    fresh = await client.post(f"{stack.url}/v1/ask", headers={**bearer(key), **idem("order-2")},
                              **form)
    assert fresh.status_code == 429  # the day's one image was charged once, by the first


async def test_the_same_key_with_another_form_or_route_is_422(stack, client, coffee_jpeg,
                                                              astronaut_jpeg):
    key = await stack.key("ask", "screen")
    headers = {**bearer(key), **idem("k-422")}
    r = await client.post(f"{stack.url}/v1/screen", headers=headers,
                          files=images(("c.jpg", coffee_jpeg)))
    assert r.status_code == 200
    for route, files in (("screen", images(("c.jpg", astronaut_jpeg))),
                         ("screen", images(("other-name.jpg", coffee_jpeg))),
                         ("ask", images(("c.jpg", coffee_jpeg)))):
        r = await client.post(f"{stack.url}/v1/{route}", headers=headers, files=files)
        assert r.status_code == 422, (route, r.text)
        assert r.json()["error"]["code"] == "idempotency_mismatch"


async def test_a_request_still_running_with_the_key_is_409(stack, client, coffee_jpeg):
    key = await stack.key("screen")
    record = await stack.keys.check(key)
    assert record is not None and stack.server.idempotency is not None
    form = images(("c.jpg", coffee_jpeg))
    # the form's fingerprint, as the server computes it: claim it as another request would
    from bot.api.idempotency import Claim

    first = await client.post(f"{stack.url}/v1/screen", headers={**bearer(key), **idem("run-1")},
                              files=form)
    assert first.status_code == 200
    (found,) = [k async for k in stack.redis.scan_iter(match=f"miru:api:idem:{{{record.id}}}:*")]
    stored = json.loads(await stack.redis.get(found))
    claim = await stack.server.idempotency.begin(record.id, "run-2", stored["fp"])
    assert isinstance(claim, Claim)
    r = await client.post(f"{stack.url}/v1/screen", headers={**bearer(key), **idem("run-2")},
                          files=form)
    assert r.status_code == 409 and r.json()["error"]["code"] == "idempotency_in_progress"
    await stack.server.idempotency.finish(claim, 200, '{"done": true}')
    r = await client.post(f"{stack.url}/v1/screen", headers={**bearer(key), **idem("run-2")},
                          files=form)
    assert r.status_code == 200 and r.json() == {"done": True}


async def test_two_tenants_idempotency_keys_never_collide(stack, client, coffee_jpeg,
                                                          astronaut_jpeg):
    a, b = await stack.key("screen"), await stack.key("screen", workspace="acme")
    ra = await client.post(f"{stack.url}/v1/screen", headers={**bearer(a), **idem("same")},
                           files=images(("a.jpg", coffee_jpeg)))
    rb = await client.post(f"{stack.url}/v1/screen", headers={**bearer(b), **idem("same")},
                           files=images(("b.jpg", astronaut_jpeg)))
    assert ra.status_code == rb.status_code == 200, (ra.text, rb.text)
    assert ra.json()[0]["file"] == "a.jpg" and rb.json()[0]["file"] == "b.jpg"
    assert "Idempotent-Replayed" not in rb.headers


async def test_an_error_frees_the_key_and_a_bad_key_is_400(stack, client, coffee_jpeg):
    key = await stack.key("screen", workspace="tiny")
    r = await client.post(f"{stack.url}/v1/screen", headers=bearer(key),
                          files=images(("c.jpg", coffee_jpeg)))
    assert r.status_code == 200  # the day's one image
    record = await stack.keys.check(key)
    assert record is not None
    for _ in range(2):  # a 429 is not kept: the same request may be tried again later
        r = await client.post(f"{stack.url}/v1/screen", headers={**bearer(key), **idem("q")},
                              files=images(("c.jpg", coffee_jpeg)))
        assert r.status_code == 429 and "Idempotent-Replayed" not in r.headers
    assert [k async for k in stack.redis.scan_iter(match=f"miru:api:idem:{{{record.id}}}:*")] \
        == []
    for bad in ("x" * 256, "with space", "日本".encode()):
        r = await client.post(f"{stack.url}/v1/screen", headers={**bearer(key), **idem(bad)},
                              files=images(("c.jpg", coffee_jpeg)))
        assert r.status_code == 400 and "Idempotency-Key" in r.json()["error"]["message"]
