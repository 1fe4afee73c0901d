"""``/healthz`` and ``/metrics`` on the Slack gateway's HTTP port, scraped with httpx after real
traffic (signed events to Bolt, a worker on Redis, the Web API stand-in)."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.platform.slack_events import GENERAL, mention
from tests.platform.slack_stack import coffee_file

pytestmark = pytest.mark.slow


def samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def test_metrics_and_health_on_the_gateway_port_after_traffic(stacks, standin) -> None:
    stack = await stacks()
    base = stack.url.removesuffix("/slack/events")
    ts = "1700000101.000100"
    await stack.sender.event(mention(standin, ts, files=[coffee_file(standin)]), event_id="EvM1")
    await standin.wait_for(lambda: "white_check_mark" in standin.reactions(GENERAL, ts))
    async with httpx.AsyncClient(base_url=base) as client:
        health = await client.get("/healthz")
        scraped = await client.get("/metrics")
    assert health.status_code == 200
    assert health.json() == {"ok": True, "status": "ok", "redis": True, "workers": 1,
                             "unserved": {}, "reasons": []}
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    got = samples(scraped.text)
    assert got[("miru_verdicts_total", (("action", "allow"),))] == 1
    for stage in ("fetch", "ingest", "gates", "engine", "reply"):
        assert got[("miru_stage_seconds_count", (("stage", stage),))] >= 1, stage
    assert got[("miru_jobs_done_total", ())] == 1
    assert got[("miru_jobs_in_flight", ())] == 0
    assert got[("miru_jobs_queued", ())] == 0 and got[("miru_jobs_dead_letters", ())] == 0
    assert got[("miru_workers_seen", ())] == 1
    assert got[("miru_platform_workers", (("platform", "slack"),))] == 1
    assert got[("miru_platform_jobs_waiting", (("platform", "slack"),))] == 0


async def test_health_is_503_without_a_worker(stacks) -> None:
    stack = await stacks(worker=False)
    base = stack.url.removesuffix("/slack/events")
    async with httpx.AsyncClient(base_url=base) as client:
        health = await client.get("/healthz")
    assert health.status_code == 503
    assert health.json() == {"ok": False, "status": "degraded", "redis": True, "workers": 0,
                             "unserved": {}, "reasons": ["no worker seen in the last minute"]}
