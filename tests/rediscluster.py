"""A throwaway Redis Cluster of three masters on free ports, for the cluster test run and the
queue benchmark: ``with LocalCluster() as c: c.url`` (a ``redis+cluster://`` URL).

Each node is ``redis-server --cluster-enabled yes`` with its own cluster config file in a temporary
folder, no persistence; ``redis-cli --cluster create`` splits the 16,384 slots over the three and
the start waits for ``cluster_state:ok`` on every node. ``stop`` shuts them down and removes the
folder. ``flush`` empties every master (a cluster has only database 0, no ``SELECT``).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import TracebackType

HOST = "127.0.0.1"
START_TIMEOUT_S = 30.0


class ClusterError(RuntimeError):
    """The cluster could not be started (the message says which step and why)."""


def free_ports(n: int) -> list[int]:
    """``n`` distinct TCP ports free right now; each also needs ``port + 10000`` (the cluster
    bus) free, so ports whose bus port is taken are skipped."""
    ports: list[int] = []
    while len(ports) < n:
        with socket.socket() as s:
            s.bind((HOST, 0))
            port = s.getsockname()[1]
        if port + 10000 > 65535 or port in ports or not _free(port + 10000):
            continue
        ports.append(port)
    return ports


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


class LocalCluster:
    def __init__(self, masters: int = 3) -> None:
        if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
            raise ClusterError("redis-server and redis-cli are needed (Debian: redis-server)")
        self.masters = masters
        self.ports: list[int] = []
        self._procs: list[subprocess.Popen[bytes]] = []
        self._dir: Path | None = None

    @property
    def url(self) -> str:
        return f"redis+cluster://{HOST}:{self.ports[0]}"

    def start(self) -> LocalCluster:
        self._dir = Path(tempfile.mkdtemp(prefix="miru-cluster-"))
        try:
            self._start_nodes()
            self._create()
            self._wait_ok()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_nodes(self) -> None:
        assert self._dir is not None
        for attempt in range(3):  # a port taken between the probe and the bind: new ports
            self.ports = free_ports(self.masters)
            for port in self.ports:
                node = self._dir / str(port)
                node.mkdir()
                self._procs.append(subprocess.Popen(
                    ["redis-server", "--port", str(port), "--bind", HOST,
                     "--cluster-enabled", "yes", "--cluster-config-file", str(node / "nodes.conf"),
                     "--cluster-node-timeout", "5000", "--dir", str(node), "--save", "",
                     "--appendonly", "no", "--logfile", str(node / "redis.log")],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            started = self._procs[-self.masters:]
            # each port answered by the node this cluster started: two clusters starting at
            # once (one per xdist worker) can pick the same free port, and the node that lost
            # the bind would be "up" through the other's, the two clusters then one
            if self._wait(partial(self._all_ours, started),
                          given_up=partial(self._any_exited, started)):
                return
            self._kill()
            if attempt == 2:
                raise ClusterError(f"redis-server did not answer on ports {self.ports}: "
                                   f"see {self._dir}/*/redis.log")

    def _create(self) -> None:
        out = subprocess.run(
            ["redis-cli", "--cluster", "create", *(f"{HOST}:{p}" for p in self.ports),
             "--cluster-replicas", "0", "--cluster-yes"],
            capture_output=True, text=True, timeout=START_TIMEOUT_S, check=False)
        if out.returncode != 0:
            raise ClusterError(f"redis-cli --cluster create failed: {out.stdout}{out.stderr}")

    def _wait_ok(self) -> None:
        def ok() -> bool:
            return all("cluster_state:ok" in self._cli(p, "CLUSTER", "INFO") for p in self.ports)

        if not self._wait(ok):
            raise ClusterError(f"the cluster on ports {self.ports} never reached "
                               "cluster_state:ok")

    def flush(self) -> None:
        """Empty every master (each holds its own slots' keys)."""
        for port in self.ports:
            self._cli(port, "FLUSHALL")

    def stop(self) -> None:
        self._kill()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def _kill(self) -> None:
        for proc in self._procs:
            proc.terminate()
        for proc in self._procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._procs = []

    def _all_ours(self, started: list[subprocess.Popen[bytes]]) -> bool:
        return all(self._ours(p, proc) for p, proc in zip(self.ports, started, strict=True))

    @staticmethod
    def _any_exited(started: list[subprocess.Popen[bytes]]) -> bool:
        return any(proc.poll() is not None for proc in started)

    def _ours(self, port: int, proc: subprocess.Popen[bytes]) -> bool:
        """``port`` answers, and the server answering is ``proc`` (its process id)."""
        return f"process_id:{proc.pid}" in self._cli(port, "INFO", "server").split()

    @staticmethod
    def _cli(port: int, *args: str) -> str:
        with contextlib.suppress(subprocess.TimeoutExpired):
            out = subprocess.run(["redis-cli", "-h", HOST, "-p", str(port), *args],
                                 capture_output=True, text=True, timeout=5, check=False)
            return out.stdout
        return ""

    @staticmethod
    def _wait(check: Callable[[], bool], timeout_s: float = START_TIMEOUT_S,
              given_up: Callable[[], bool] = lambda: False) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if check():
                return True
            if given_up():  # a node exited (its port or bus port was taken): no use waiting
                return False
            time.sleep(0.1)
        return False

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


if __name__ == "__main__":  # a cluster for a manual session: prints its URL, stops on Enter
    with LocalCluster() as cluster:
        print(cluster.url, flush=True)
        with contextlib.suppress(KeyboardInterrupt, EOFError):
            input()
