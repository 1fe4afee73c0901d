"""The throwaway Redis Cluster of the cluster test run (tests/rediscluster.py): each xdist
worker starts its own at once, and a port one of them picks can be answered by another
server; the cluster must never take that server for its node (two workers' clusters then
flushed each other's keys mid-test)."""

from __future__ import annotations

import subprocess
import time

import pytest

from tests import rediscluster as rc


@pytest.fixture
def foreign_port() -> int:
    """A plain Redis (not a cluster node) on a free port, as another worker's node would be."""
    (port,) = rc.free_ports(1)
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", rc.HOST,
                             "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while rc.LocalCluster._cli(port, "PING").strip() != "PONG":
            assert time.monotonic() < deadline, "the foreign redis-server never answered"
            time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_port_answered_by_another_server_is_not_taken_for_a_node(monkeypatch,
                                                                   foreign_port: int) -> None:
    picks: list[list[int]] = []
    real = rc.free_ports

    def ports(n: int) -> list[int]:
        got = real(n)
        if not picks:  # the first pick collides with the other server's port
            got = [foreign_port, *got[1:]]
        picks.append(got)
        return got

    monkeypatch.setattr(rc, "free_ports", ports)
    with rc.LocalCluster() as cluster:
        assert len(picks) == 2 and foreign_port not in cluster.ports
        assert all("cluster_state:ok" in rc.LocalCluster._cli(p, "CLUSTER", "INFO")
                   for p in cluster.ports)
    info = rc.LocalCluster._cli(foreign_port, "INFO", "cluster")
    assert "cluster_enabled:0" in info  # the other server was left alone
