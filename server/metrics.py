"""Prometheus metrics at ``/metrics``; every name starts with ``admit_``.

Two kinds. Counters and histograms that the request path feeds (scans, latency, batch
sizes, requests) cost one ``inc`` or ``observe`` each; under the server they live in
``PROMETHEUS_MULTIPROC_DIR`` (set by ``server/serve.py``) so a scrape sums every
worker. Figures that are state rather than events (queue depths, jobs by state, job
failures, gates online) are read from the database and Redis at scrape time, so every
instance and every job worker host reports the same truth without sharing files.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

SCANS = Counter("admit_scans", "Scans decided by the server", ["verdict", "reason", "source"])
SCAN_LATENCY = Histogram(
    "admit_scan_latency_seconds", "Server time for one online scan (request in to answer out)",
    buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5),
)
BATCH_SIZE = Histogram("admit_scan_batch_size", "Offline scans per batch upload",
                       buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000))
COMMIT_GROUP = Histogram("admit_scan_commit_group", "Online scans that shared one commit "
                         "(SQLite group commit)", buckets=(1, 2, 3, 4, 6, 8, 12, 16, 32))
SCAN_PATH = Counter("admit_scan_path", "Online scans by the path that answered them: the "
                    "scan lane, or the full path and why (server/lane.py)", ["path", "why"])
REQUESTS = Counter("admit_http_requests", "HTTP requests answered", ["endpoint", "status"])
GATE_ONLINE_WITHIN_S = 120  # as the dashboard's gate states


@functools.lru_cache(maxsize=1024)
def child(metric: Any, *labels: str) -> Any:
    """``metric.labels(*labels)``, remembered: the label sets on the scan path are few
    (verdicts, reasons, endpoints, statuses) and each lookup otherwise takes a lock."""
    return metric.labels(*labels)


def count_scan(verdict: str, reason: str, source: str = "online") -> None:
    child(SCANS, verdict, reason, source).inc()


def count_commit_group(size: int) -> None:
    COMMIT_GROUP.observe(size)


def count_batch(size: int) -> None:
    BATCH_SIZE.observe(size)


class StateCollector(Collector):
    """Gauges and counters read from the shared stores at scrape time."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        from sqlalchemy import func, select

        from .extensions import db
        from .models import ApiToken

        since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=GATE_ONLINE_WITHIN_S)
        online = db.session.scalar(select(func.count()).select_from(ApiToken).where(
            ApiToken.role == "gate", ApiToken.revoked_at.is_(None),
            ApiToken.last_seen_at >= since)) or 0
        gauge = GaugeMetricFamily("admit_gates_online",
                                  f"Gate devices with a heartbeat in the last {GATE_ONLINE_WITHIN_S} s")
        gauge.add_metric([], online)
        yield gauge
        yield from self._jobs()

    def _jobs(self) -> Iterator[Metric]:
        from .jobs import records, registry
        from .jobs.backends import queue_depths

        by_state = GaugeMetricFamily("admit_jobs", "Job records by kind and state",
                                     labels=["kind", "state"])
        failures = CounterMetricFamily("admit_job_failures", "Job runs that failed",
                                       labels=["kind"])
        # Every known kind reports, at 0 until it fails: a rate over an absent series is
        # no alert at all.
        failed_by_kind = dict.fromkeys(registry.known_kinds(), 0)
        for kind, state, count, failed in records.counts():
            by_state.add_metric([kind, state], count)
            failed_by_kind[kind] = failed_by_kind.get(kind, 0) + failed
        for kind, failed in failed_by_kind.items():
            failures.add_metric([kind], failed)
        depth = GaugeMetricFamily("admit_queue_depth", "Jobs waiting in the queue",
                                  labels=["queue"])
        for queue, waiting in queue_depths(self.app).items():
            depth.add_metric([queue], waiting)
        yield from (by_state, failures, depth)


def _registry(app: Flask) -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = CollectorRegistry()
        for collector in (SCANS, SCAN_LATENCY, BATCH_SIZE, REQUESTS):
            registry.register(collector)
    registry.register(StateCollector(app))
    return registry


def init_app(app: Flask) -> None:
    @app.get("/metrics")
    def metrics() -> Any:
        return Response(generate_latest(_registry(app)),
                        mimetype="text/plain; version=0.0.4; charset=utf-8")


__all__ = ["BATCH_SIZE", "REQUESTS", "SCANS", "SCAN_LATENCY", "count_batch",
           "count_scan", "init_app"]
