"""Refusal summaries on a real audit log with a clock the test moves: one record per window that
had refusals, written when it closes or at shutdown, none lost when a write fails; the throttle
per address."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.api.refusals import MAX_GROUPS, RefusalSummary, SourceThrottle, offered_key
from bot.evidence.audit import AuditLog, derive_chain_key, verify
from tests.fakes import FakeClock

SECRET = b"test-secret-0123456789abcdef-0123456789"


def _records(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


async def test_one_record_per_window_when_it_closes_and_the_rest_at_shutdown(tmp_path):
    path = tmp_path / "audit.jsonl"
    t0 = 1_800_000_000.0  # 2027-01-15T08:00:00Z, a window start
    clock = FakeClock(t=t0)
    summary = RefusalSummary(AuditLog(path, SECRET), window_s=60, clock=clock.now)
    for i in range(100):  # one a second for 100 s: 59 in the first window, 41 in the second
        clock.set(t0 + i + 1)
        summary.note(key="no key", reason="missing", status=401, route="POST /v1/ask")
        if i % 10 == 0:
            summary.note(key="0123456789ab", reason="invalid", status=401, route="GET /v1/cases")
    assert await summary.flush() == 1  # the first window closed at 60 s; the second is open
    assert await summary.flush() == 0
    (first,) = _records(path)
    assert first["kind"] == "api_refused_summary" and first["platform"] == "api"
    d = first["detail"]
    assert (d["window_start"], d["window_end"]) == ("2027-01-15T08:00:00+00:00",
                                                    "2027-01-15T08:01:00+00:00")
    assert d["total"] == 59 + 6 and d["other"] == 0
    assert d["groups"] == [
        {"key": "no key", "reason": "missing", "status": 401, "count": 59,
         "routes": {"POST /v1/ask": 59}, "first": "2027-01-15T08:00:01+00:00",
         "last": "2027-01-15T08:00:59+00:00"},
        {"key": "0123456789ab", "reason": "invalid", "status": 401, "count": 6,
         "routes": {"GET /v1/cases": 6}, "first": "2027-01-15T08:00:01+00:00",
         "last": "2027-01-15T08:00:51+00:00"}]
    await summary.close()  # shutdown: the open window is written, up to now
    records = _records(path)
    assert len(records) == 2 and records[1]["detail"]["total"] == 41 + 4
    assert records[1]["detail"]["window_end"] == "2027-01-15T08:01:40+00:00"
    assert verify(path, derive_chain_key(SECRET)).ok


async def test_groups_past_the_cap_are_counted_not_kept(tmp_path):
    path = tmp_path / "audit.jsonl"
    summary = RefusalSummary(AuditLog(path, SECRET), window_s=60,
                             clock=FakeClock(t=60.0).now)
    for i in range(MAX_GROUPS + 25):
        summary.note(key=f"{i:012x}", reason="invalid", status=401, route="GET /v1/cases")
    await summary.close()
    (record,) = _records(path)
    assert len(record["detail"]["groups"]) == MAX_GROUPS
    assert record["detail"]["other"] == 25 and record["detail"]["total"] == MAX_GROUPS + 25


async def test_a_window_whose_record_cannot_be_written_is_kept_for_the_next_try(tmp_path):
    path = tmp_path / "audit.jsonl"
    clock = FakeClock(t=120.0)
    summary = RefusalSummary(AuditLog(path, SECRET), window_s=60, clock=clock.now)
    summary.note(key="no key", reason="missing", status=401, route="GET /v1/cases")
    path.mkdir()  # the log cannot be written (a directory in its place)
    clock.set(190.0)
    assert await summary.flush() == 0
    path.rmdir()
    assert await summary.flush() == 1
    assert _records(path)[0]["detail"]["total"] == 1


def test_the_throttle_counts_failures_per_address_per_window():
    clock = FakeClock(t=600.0)
    throttle = SourceThrottle(2, window_s=60, clock=clock.now)
    assert [throttle.failed("10.0.0.1") for _ in range(4)] == [False, False, True, True]
    assert throttle.failed("10.0.0.2") is False  # another address has its own count
    clock.set(645.2)
    assert throttle.retry_after() == 15
    clock.set(660.0)  # a new window
    assert throttle.failed("10.0.0.1") is False


@pytest.mark.parametrize("header, shown", [
    ("", "no key"), ("Basic abc", "malformed"), ("Bearer nope", "malformed"),
    ("Bearer miru_0123456789ab_" + "s" * 43, "0123456789ab"),
])
def test_only_a_well_formed_keys_id_is_shown(header, shown):
    assert offered_key(header) == shown
