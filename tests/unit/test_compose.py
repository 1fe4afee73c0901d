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


@pytest.mark.parametrize("name", ["slack", "worker", "api", "discord"])
def test_each_miru_service_runs_a_command_miru_accepts(name: str) -> None:
    service = _services()[name]
    args = _parser().parse_args(service["command"])
    assert args.cmd in ("run", "worker", "serve-api")
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


def test_the_image_copies_every_package_and_runs_unprivileged() -> None:
    """The Dockerfile's build stage copies every package pyproject installs (a new top-level
    package left out would install an image that fails on import), and the stage that runs is
    the last one, as a non-root user."""
    import re
    import tomllib

    root = COMPOSE.parent
    text = (root / "Dockerfile").read_text(encoding="utf-8")
    packages = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))[
        "tool"]["setuptools"]["packages"]["find"]["include"]
    copied = set(re.findall(r"^COPY (\w+) \./\1$", text, flags=re.M))
    assert {p.rstrip("*") for p in packages} <= copied
    stages = re.split(r"^FROM ", text, flags=re.M)[1:]
    assert len(stages) >= 2, "a build stage and a runtime stage"
    runtime = stages[-1]
    user = re.search(r"^USER (\S+)$", runtime, flags=re.M)
    assert user is not None and user.group(1) not in ("root", "0")
    assert "COPY --from=build" in runtime and "build-essential" not in runtime
