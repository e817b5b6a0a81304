"""Per-worker metrics (service/metrics.py): the floor's two plain counters are folded into
the labelled counts before anything reads them, exactly once, and published like the rest.

The oracle for bucket placement is the bucket bounds written out here, not `bisect`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from primebench.service.metrics import BUCKETS, Metrics, render_all


def _buckets(**by_bound: int) -> list[float]:
    """Per-bucket counts (+Inf last) from {'le_0_005': 1, ...}; the sum is not included."""
    counts = [0.0] * (len(BUCKETS) + 1)
    for key, count in by_bound.items():
        bound = float(key[3:].replace("_", "."))
        counts[BUCKETS.index(bound)] = count
    return counts


def test_floor_answers_join_the_labelled_counts() -> None:
    metrics = Metrics()
    for _ in range(3):
        metrics.observe_floor(1e-5)
    metrics.observe("/prime", 200, 0.002)  # a general answer on the same route
    snap = metrics.snapshot()
    assert snap["requests"] == {"/prime 200": 4}
    latency = snap["latency"]["/prime"]  # type: ignore[index]
    assert latency[:-1] == _buckets(le_0_0005=3, le_0_0025=1)
    assert latency[-1] == pytest.approx(3e-5 + 0.002)
    assert snap["answers"] == {"table": 3}


def test_a_slow_floor_answer_lands_in_its_own_bucket() -> None:
    metrics = Metrics()
    metrics.observe_floor(0.003)
    snap = metrics.snapshot()
    assert snap["requests"] == {"/prime 200": 1}
    assert snap["latency"]["/prime"][:-1] == _buckets(le_0_005=1)  # type: ignore[index]
    assert snap["answers"] == {"table": 1}


def test_reading_twice_does_not_count_twice() -> None:
    metrics = Metrics()
    metrics.observe_floor(1e-5)
    first = metrics.snapshot()
    metrics.observe_floor(1e-5)
    second = metrics.snapshot()
    assert first["requests"] == {"/prime 200": 1}
    assert second["requests"] == {"/prime 200": 2}
    assert second["latency"]["/prime"][0] == 2  # type: ignore[index]


def test_floor_counts_alone_are_published(tmp_path: Path) -> None:
    """The publisher writes when only the floor counted (nothing set `dirty`)."""
    metrics = Metrics(tmp_path)
    metrics.observe_floor(1e-5)
    assert not metrics.dirty
    metrics.stop_publishing()
    published = json.loads((tmp_path / f"worker-{os.getpid()}.json").read_text())
    assert published["requests"] == {"/prime 200": 1}
    assert published["answers"] == {"table": 1}
    assert not metrics.dirty and metrics.floor_count == 0


def test_a_scrape_shows_floor_answers_summed_with_another_worker(tmp_path: Path) -> None:
    other = Metrics()  # another worker, counted the general way
    for _ in range(5):
        other.observe("/prime", 200, 1e-5)
        other.answered_by("table")
    (tmp_path / "worker-1.json").write_text(json.dumps(other.snapshot() | {"pid": 1}))
    metrics = Metrics(tmp_path)
    metrics.observe_floor(1e-5)
    metrics.observe_floor(1e-5)
    text = render_all(metrics).decode()
    assert 'primebench_requests_total{route="/prime",status="200"} 7.0' in text
    assert 'primebench_answers_total{path="table"} 7.0' in text
    assert 'primebench_request_seconds_bucket{le="0.0005",route="/prime"} 7.0' in text
