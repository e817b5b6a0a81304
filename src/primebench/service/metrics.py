"""Prometheus metrics shared by every worker process (prometheus_client's multiprocess mode).

The serving command points PROMETHEUS_MULTIPROC_DIR at a fresh directory before any
worker starts; each worker writes its own memory-mapped files and /metrics sums them.
Label children are bound once here so the hot path is a few increments, not lookups.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

__all__ = ["Metrics", "CONTENT_TYPE"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
ROUTES = ("/prime", "/prime/{n}", "/healthz", "/readyz", "/metrics", "/openapi.json", "other")
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_LIVE_FILE = re.compile(r"gauge_live\w*_(\d+)\.db$")


class Metrics:
    """The service's metrics. Create once per worker process."""

    def __init__(self) -> None:
        self.requests = Counter("primebench_requests", "HTTP requests answered", ["route", "status"])
        self.latency = Histogram(
            "primebench_request_seconds", "Time to answer, by route", ["route"], buckets=LATENCY_BUCKETS
        )
        self.engine_path = Counter(
            "primebench_answers", "Primes answered, by where they were computed", ["path"]
        )
        self.rejections = Counter("primebench_rejections", "Requests refused, by reason", ["reason"])
        self.heavy_in_flight = Gauge(
            "primebench_heavy_in_flight", "Heavy computations running in the pool", multiprocess_mode="livesum"
        )
        self.heavy_queued = Gauge(
            "primebench_heavy_queued", "Heavy computations waiting for a pool process", multiprocess_mode="livesum"
        )
        self._latency_children = {route: self.latency.labels(route) for route in ROUTES}
        self._path_children = {path: self.engine_path.labels(path) for path in ("table", "inline", "pool")}
        self._request_children: dict[tuple[str, int], Counter] = {}

    def observe(self, route: str, status: int, seconds: float) -> None:
        key = (route, status)
        child = self._request_children.get(key)
        if child is None:
            child = self._request_children[key] = self.requests.labels(route, str(status))
        child.inc()
        self._latency_children[route].observe(seconds)

    def answered_by(self, path: str) -> None:
        self._path_children[path].inc()

    def rejected(self, reason: str) -> None:
        self.rejections.labels(reason).inc()


def render_all() -> bytes:
    """The sum over all worker processes, alive or not (counters survive a worker's replacement)."""
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    _forget_dead_gauges(Path(directory))
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    return generate_latest(registry)


def _forget_dead_gauges(directory: Path) -> None:
    """In-flight gauges of a killed worker would otherwise count forever."""
    for file in directory.glob("gauge_live*.db"):
        match = _LIVE_FILE.search(file.name)
        if match and not _alive(int(match.group(1))):
            multiprocess.mark_process_dead(int(match.group(1)), path=str(directory))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
