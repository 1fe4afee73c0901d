"""docker-compose.yml stays in step with the command line: every Miru service's command parses
with ``miru``'s own parser, Redis keeps its append-only file, and the stop grace period leaves
room for a worker's 30 s drain."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.cli.main import _parser
from bot.jobs.worker import Worker

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


def _services() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]


@pytest.mark.parametrize("name", ["slack", "worker", "discord"])
def test_each_miru_service_runs_a_command_miru_accepts(name: str) -> None:
    service = _services()[name]
    args = _parser().parse_args(service["command"])
    assert args.cmd in ("run", "worker")
    assert service["environment"]["MIRU_REDIS_URL"].startswith("redis://redis:")
    grace = int(service["stop_grace_period"].removesuffix("s"))
    assert grace > Worker(object(), lambda m: None).drain_s  # type: ignore[arg-type]


def test_redis_keeps_an_append_only_file_and_gateways_leave_work_to_workers() -> None:
    services = _services()
    assert "--appendonly" in services["redis"]["command"]
    assert services["redis"]["command"][services["redis"]["command"].index("--appendonly") + 1] \
        == "yes"
    assert "--no-worker" in services["slack"]["command"]
    assert "--metrics-port" in services["worker"]["command"]
