"""The API against its own contract: Schemathesis generates requests from ``/v1/openapi.json``
(valid and invalid ones) and checks each answer: never a 5xx, only documented status codes and
content types, bodies and headers that match the document.

The server is the real ``serve-api`` stack (``build_app`` with the OCR engine, real Redis) on
127.0.0.1 in a thread of its own, since Schemathesis's tests are synchronous. Bounded: a few
examples per operation, derandomized (the same cases every run), no shrinking.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import checks
from schemathesis.config import SchemathesisConfig

from bot import keys as bot_keys
from bot.api.openapi import document
from tests.integration.test_api import clear, make_stack_settings

pytestmark = pytest.mark.timeout(300)

EXAMPLES = 12  # per operation and mode; the whole file runs in well under a minute
CHECKS = [checks.not_a_server_error, checks.status_code_conformance,
          checks.content_type_conformance, checks.response_schema_conformance,
          checks.response_headers_conformance, checks.positive_data_acceptance]
# What a request the document calls valid may still get: its files need not be images (422),
# more than MIRU_MAX_FILES of them (413), a quota or an Idempotency-Key in use (429, 409). A 400
# for a valid request means the document promises what the server refuses.
ACCEPTED = ["2xx", "401", "403", "409", "413", "422", "429"]

schema = schemathesis.openapi.from_dict(document(), config=SchemathesisConfig.from_dict(
    {"checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}}}))


@dataclass
class Served:
    url: str
    headers: dict[str, str]


class ServerThread:
    """``serve-api`` on 127.0.0.1 in a thread with its own event loop."""

    def __init__(self, tmp: Path) -> None:
        self.settings, _ = make_stack_settings(tmp)
        self.ready = threading.Event()
        self.served: Served | None = None
        self.error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="api-contract", daemon=True)

    def __enter__(self) -> Served:
        self._thread.start()
        assert self.ready.wait(120), "the API did not start"
        if self.error is not None:
            raise self.error
        assert self.served is not None
        return self.served

    def __exit__(self, *_: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(60)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:
            self.error = exc
            self.ready.set()

    async def _main(self) -> None:
        from bot.api.apikeys import ApiKeys
        from bot.api.server import ApiServer, start
        from bot.app import build_app

        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        app = build_app(self.settings)
        assert app.redis is not None
        await clear(app.redis)
        # a worker's heartbeat, so /healthz answers 200 (its 503 means "no worker": by design)
        await app.redis.zadd(bot_keys.WORKERS_SEEN, {"api-contract": time.time() + 3600})
        keys = ApiKeys(app.redis)
        _, key = await keys.create("contract", ("screen", "ask", "receipts", "cases"))
        runner, port = await start(ApiServer(app, keys), host="127.0.0.1", port=0)
        try:
            self.served = Served(f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {key}"})
            self.ready.set()
            await self._stop.wait()
        finally:
            await runner.cleanup()
            await app.redis.zrem(bot_keys.WORKERS_SEEN, "api-contract")
            await clear(app.redis)
            await app.close()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with ServerThread(tmp_path_factory.mktemp("contract")) as served:
        yield served


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_contract(case, api: Served) -> None:
    case.call_and_validate(base_url=api.url, headers=api.headers, checks=CHECKS, timeout=60)
