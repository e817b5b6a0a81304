"""Prometheus metrics summed over every worker process, at a hot-path cost of plain integer adds.

prometheus_client's own multiprocess mode writes memory-mapped files under a lock on
every increment: measured here at ~8 us of a ~12 us request. Instead each worker counts
in plain Python ints and publishes a JSON snapshot of its counts to a shared directory
(at most once a second, at the end of any second it counted in, and at every scrape it
serves); /metrics sums the snapshots and renders them with prometheus_client's public
metric families. Counters of a replaced worker keep counting in the sum; gauges only
count live processes. A scrape served by one worker may see another worker's counts up
to a second old.

The floor's answer (/prime, 200, from the table, within the first latency bucket) is the
most frequent one and costs a few microseconds in all, so it is counted in two plain
attributes (`observe_floor`: ~0.1 us against `observe`'s ~0.5 us plus `answered_by`) and
folded into the labelled counts by `snapshot`, which every reader (publish, scrape) goes
through: no count is later than it was before.

prometheus_client is imported at the first scrape, not at start: its import (~50 ms, a
quarter of the service's) is on no request's path but /metrics, and a cold start
(issue 21, P6) should not pay it.
"""

from __future__ import annotations

import asyncio
import json
import os
from bisect import bisect_left
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client.core import HistogramMetricFamily, Metric

__all__ = [
    "CONTENT_TYPE",
    "DIR_ENV",
    "ROUTES",
    "SIZING_GAUGES",
    "Metrics",
    "render_all",
]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
DIR_ENV = "PRIMEBENCH_METRICS_DIR"
# The sizes chosen at start (service/sizing.py): name -> help. The deployment's container
# test reads `primebench_workers 1.0` under `--cpus 1`: these names are a contract.
SIZING_GAUGES = {
    "workers": "Worker processes",
    "pool_processes": "Compute-pool processes per worker",
    "compute_threads": "primecount threads per computation",
    "cpu_limit": "CPUs this service may use (affinity mask and cgroup quota)",
}
ROUTES = ("/prime", "/prime/{n}", "/healthz", "/readyz", "/metrics", "/openapi.json", "other")
BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
)
_FIRST_BUCKET = BUCKETS[0]
PUBLISH_EVERY_S = 1.0


class Metrics:
    """One worker's counts. Not thread-safe: used from the worker's event loop only."""

    def __init__(
        self, directory: Path | None = None, sizing: dict[str, float] | None = None
    ) -> None:
        self.directory = directory
        self.sizing = sizing or {}
        self.cache_hits = 0
        self.cache_misses = 0
        self.requests: dict[tuple[str, int], int] = {}
        self.latency: dict[
            str, list[float]
        ] = {}  # route -> per-bucket counts (+Inf last), then the sum
        self.answers: dict[str, int] = {}
        self.rejections: dict[str, int] = {}
        self.heavy_in_flight = 0
        self.heavy_queued = 0
        self.dirty = False
        # The floor's answers (/prime, 200, from the table, within the first bucket), not yet
        # folded into the labelled counts above: two adds instead of four dict updates.
        self.floor_count = 0
        self.floor_seconds = 0.0
        self._timer: asyncio.TimerHandle | None = None

    def observe_floor(self, seconds: float) -> None:
        """Count one /prime 200 answered from the table (~0.1 us); folded in at `snapshot`."""
        if seconds <= _FIRST_BUCKET:
            self.floor_count += 1
            self.floor_seconds += seconds
        else:
            self.observe("/prime", 200, seconds)
            self.answered_by("table")

    def _fold_floor(self) -> None:
        """Move the floor's counts into the labelled ones: every reader goes through here."""
        count = self.floor_count
        if not count:
            return
        key = ("/prime", 200)
        self.requests[key] = self.requests.get(key, 0) + count
        counts = self.latency.get("/prime")
        if counts is None:
            counts = self.latency["/prime"] = [0.0] * (len(BUCKETS) + 2)
        counts[0] += count
        counts[-1] += self.floor_seconds
        self.answers["table"] = self.answers.get("table", 0) + count
        self.floor_count, self.floor_seconds = 0, 0.0
        self.dirty = True

    def observe(self, route: str, status: int, seconds: float) -> None:
        """Count one answer: two dict updates and a bucket (~0.4 us); publishing is a timer's job."""
        key = (route, status)
        requests = self.requests
        requests[key] = requests.get(key, 0) + 1
        counts = self.latency.get(route)
        if counts is None:
            counts = self.latency[route] = [0.0] * (len(BUCKETS) + 2)
        # A floor answer takes microseconds: the first bucket, without a bisection.
        counts[0 if seconds <= _FIRST_BUCKET else bisect_left(BUCKETS, seconds)] += 1
        counts[-1] += seconds
        self.dirty = True

    def start_publishing(self, loop: asyncio.AbstractEventLoop) -> None:
        """Publish this worker's counts every PUBLISH_EVERY_S while they change (on the worker's loop)."""

        def tick() -> None:
            if self.dirty or self.floor_count:
                self.publish()
            self._timer = loop.call_later(PUBLISH_EVERY_S, tick)

        self._timer = loop.call_later(PUBLISH_EVERY_S, tick)

    def stop_publishing(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.dirty or self.floor_count:
            self.publish()

    def answered_by(self, path: str) -> None:
        self.answers[path] = self.answers.get(path, 0) + 1

    def rejected(self, reason: str) -> None:
        self.rejections[reason] = self.rejections.get(reason, 0) + 1

    def heavy(self, running: int, queued: int) -> None:
        self.heavy_in_flight, self.heavy_queued = running, queued

    def snapshot(self) -> dict[str, object]:
        self._fold_floor()
        return {
            "pid": os.getpid(),
            "requests": {
                f"{route} {status}": count for (route, status), count in self.requests.items()
            },
            "latency": self.latency,
            "answers": self.answers,
            "rejections": self.rejections,
            "heavy_in_flight": self.heavy_in_flight,
            "heavy_queued": self.heavy_queued,
            "cache": {"hit": self.cache_hits, "miss": self.cache_misses},
        }

    def publish(self) -> None:
        """Write this worker's snapshot atomically (rename), so readers never see half a file."""
        if self.directory is None:
            return
        final = self.directory / f"worker-{os.getpid()}.json"
        tmp = final.with_suffix(".tmp")
        text = json.dumps(self.snapshot())  # folds the floor's counts in, which dirties
        self.dirty = False
        tmp.write_text(text)
        os.replace(tmp, final)


def render_all(own: Metrics) -> bytes:
    """The Prometheus text for all workers: this worker's live counts plus the others' snapshots."""
    own.publish()
    snapshots = [own.snapshot()]
    if own.directory is not None:
        for file in own.directory.glob("worker-*.json"):
            if file.name != f"worker-{os.getpid()}.json":
                try:
                    snapshots.append(json.loads(file.read_text()))
                except (OSError, ValueError):
                    continue  # replaced between glob and read
    from prometheus_client import CollectorRegistry, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Summed(snapshots, own.sizing))
    return generate_latest(registry)


class _Summed:
    def __init__(self, snapshots: list[dict[str, object]], sizing: dict[str, float]) -> None:
        self.snapshots = snapshots
        self.sizing = sizing

    def _sum(self, field: str) -> dict[str, int]:
        total: dict[str, int] = {}
        for snap in self.snapshots:
            for key, value in snap.get(field, {}).items():  # type: ignore[attr-defined]
                total[key] = total.get(key, 0) + value
        return total

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        requests = CounterMetricFamily(
            "primebench_requests", "HTTP requests answered", labels=["route", "status"]
        )
        for key, count in sorted(self._sum("requests").items()):
            route, status = key.rsplit(" ", 1)
            requests.add_metric([route, status], count)
        yield requests
        yield self._latency()
        for name, field, doc, label in (
            (
                "primebench_answers",
                "answers",
                "Primes answered, by where they were computed",
                "path",
            ),
            ("primebench_rejections", "rejections", "Requests refused, by reason", "reason"),
            (
                "primebench_answer_cache",
                "cache",
                "Heavy answers looked up in the answer cache",
                "result",
            ),
        ):
            family = CounterMetricFamily(name, doc, labels=[label])
            for key, count in sorted(self._sum(field).items()):
                family.add_metric([key], count)
            yield family
        live = [s for s in self.snapshots if _alive(int(s["pid"]))]  # type: ignore[call-overload]
        for name, doc in (
            ("heavy_in_flight", "Heavy computations running in the pool"),
            ("heavy_queued", "Heavy computations waiting for a pool process"),
        ):
            total = sum(int(s[name]) for s in live)  # type: ignore[call-overload]
            yield GaugeMetricFamily(f"primebench_{name}", doc, value=total)
        for name, doc in SIZING_GAUGES.items():
            if name in self.sizing:
                yield GaugeMetricFamily(f"primebench_{name}", doc, value=self.sizing[name])

    def _latency(self) -> HistogramMetricFamily:
        from prometheus_client.core import HistogramMetricFamily

        family = HistogramMetricFamily(
            "primebench_request_seconds", "Time to answer, by route", labels=["route"]
        )
        merged: dict[str, list[float]] = {}
        for snap in self.snapshots:
            for route, counts in snap.get("latency", {}).items():  # type: ignore[attr-defined]
                into = merged.setdefault(route, [0.0] * len(counts))
                for i, value in enumerate(counts):
                    into[i] += value
        for route, counts in sorted(merged.items()):
            cumulative, buckets = 0.0, []
            for bound, count in zip((*map(str, BUCKETS), "+Inf"), counts[:-1]):
                cumulative += count
                buckets.append((bound, cumulative))
            family.add_metric([route], buckets, sum_value=counts[-1])
        return family


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
