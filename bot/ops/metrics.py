"""Miru's Prometheus metrics, all in one registry per process (``Metrics``), built by
``build_app`` and handed to the pipeline and the worker; ``/metrics`` renders it.

Counters and histograms count what this process did; the queue gauges (queued, pending, dead,
workers seen) are read from Redis when scraped (``bot.ops.http``), so every process reports the
same shared figures.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.context_managers import Timer

STAGES = ("fetch", "ingest", "gates", "engine", "reply")
# Seconds: a fetch or a gate takes milliseconds to seconds, an engine up to minutes.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


class Metrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.jobs_queued = Gauge("miru_jobs_queued", "Jobs waiting for a worker (shared queue)",
                                 registry=r)
        self.jobs_pending = Gauge("miru_jobs_pending",
                                  "Jobs taken by a worker and not yet acknowledged (shared queue)",
                                  registry=r)
        self.jobs_dead_letters = Gauge("miru_jobs_dead_letters",
                                       "Jobs in the dead-letter stream (shared)", registry=r)
        self.workers_seen = Gauge("miru_workers_seen", "Workers seen in the last minute",
                                  registry=r)
        self.platform_jobs_waiting = Gauge(
            "miru_platform_jobs_waiting", "Jobs queued or pending in a platform's stream",
            ["platform"], registry=r)
        self.platform_workers = Gauge(
            "miru_platform_workers", "Workers serving a platform seen in the last minute "
            "(0 with jobs waiting: nothing answers them)", ["platform"], registry=r)
        self.jobs_in_flight = Gauge("miru_jobs_in_flight", "Jobs this process is running",
                                    registry=r)
        self.jobs_done = Counter("miru_jobs_done", "Jobs this process finished", registry=r)
        self.jobs_failed = Counter("miru_jobs_failed",
                                   "Job runs that raised (retried or given up)", registry=r)
        self.jobs_dead = Counter("miru_jobs_dead",
                                 "Jobs this process moved to the dead letters", ["reason"],
                                 registry=r)
        self.verdicts = Counter("miru_verdicts", "Verdicts reached, by action", ["action"],
                                registry=r)
        self.stage_seconds = Histogram("miru_stage_seconds", "Time spent per request stage",
                                       ["stage"], buckets=_BUCKETS, registry=r)
        self.quota_refusals = Counter("miru_quota_refusals",
                                      "Requests refused by a quota, by what was exhausted",
                                      ["scope"], registry=r)
        for stage in STAGES:  # every stage shows from the start, even before traffic
            self.stage_seconds.labels(stage)

    def time(self, stage: str) -> Timer:
        """``with metrics.time("gates"): ...`` observes the block's duration."""
        return self.stage_seconds.labels(stage).time()

    def render(self) -> bytes:
        return generate_latest(self.registry)
