"""Overload: 1,000 concurrent requests for p(10^12) against a small pool and queue, and a
flood of varied heavy n against the defaults.

What the pool and queue can take is answered; the rest gets 503 + Retry-After at once;
cheap requests keep their latency; the server's memory stays bounded. With the default
queue, admission knows the deadline: what cannot finish within it is refused at once,
never after a wait. These servers run with `--answer-cache 0` or vary n, so that every
answer is computed.

The flood runs in a child process (a small asyncio client, one connection per request),
so that its own CPU work does not distort the latency measured for the cheap requests by
the `GoodTraffic` thread of the test process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
import sympy

from primebench.service.settings import Settings
from tests.service.conftest import P_10_12, GoodTraffic, PeakRss, percentile

if TYPE_CHECKING:
    from tests.service.conftest import Server

pytestmark = pytest.mark.e2e

WORKERS, POOL_SIZE, QUEUE_DEPTH = 2, 1, 4
CAPACITY = WORKERS * (POOL_SIZE + QUEUE_DEPTH)  # heavy computations admitted at once
FLOOD = 1000
MIB = 2**20
RSS_GROWTH_BOUND = (
    64 * MIB
)  # what a flood may add to the whole process tree (measured: see RELIABILITY.md)
CHEAP_P99_BOUND_S = 0.050

# One request per connection, all at once ("{i}" in the target: the request's index in four
# digits); prints [[status, seconds, retry-after, body, seconds from request sent], ...].
FLOOD_CLIENT = r"""
import asyncio, json, sys, time
port, target, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
async def one(i):
    target_i = target.replace("{i}", f"{i:04d}")
    started = time.monotonic()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        sent = time.monotonic()
        writer.write(f"GET {target_i} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
        data = await asyncio.wait_for(reader.read(), 60)
        writer.close()
    except Exception as exc:
        return [None, time.monotonic() - started, None, repr(exc), None]
    answered = time.monotonic()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
    status = int(lines[0].split(" ")[1]) if lines[0].startswith("HTTP/1.1 ") else None
    return [status, answered - started, headers.get("retry-after"), body.decode("latin-1"), answered - sent]
async def main():
    return await asyncio.gather(*(one(i) for i in range(count)))
print(json.dumps(asyncio.run(main())))
"""


def flood(port: int, target: str, count: int) -> list[list[Any]]:
    result = subprocess.run(
        [sys.executable, "-c", FLOOD_CLIENT, str(port), target, str(count)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    replies: list[list[Any]] = json.loads(result.stdout)
    return replies


@pytest.fixture(scope="module")
def server(launch: Any) -> Iterator[Server]:
    with launch(
        "--workers",
        str(WORKERS),
        "--pool-size",
        str(POOL_SIZE),
        "--queue-depth",
        str(QUEUE_DEPTH),
        "--answer-cache",
        "0",
    ) as running:
        yield running


def test_flood_of_huge_n_is_shed_with_503_while_cheap_requests_keep_their_latency(
    server: Server, record_property: Any
) -> None:
    with GoodTraffic(server.port) as baseline:
        time.sleep(1.5)
    idle_rss = server.rss_bytes()
    before = server.metrics()

    with PeakRss(server) as rss, GoodTraffic(server.port) as during:
        started = time.monotonic()
        replies = flood(server.port, "/prime?n=1000000000000", FLOOD)
        flood_s = time.monotonic() - started

    statuses = Counter(reply[0] for reply in replies)
    answered = [r for r in replies if r[0] == 200]
    shed = [r for r in replies if r[0] == 503]
    base_p99, flood_p99 = percentile(baseline.latencies, 99), percentile(during.latencies, 99)
    shed_p99 = percentile([r[1] for r in shed], 99)
    figures = {
        "statuses": dict(statuses),
        "flood_s": round(flood_s, 2),
        "shed_p99_ms": round(shed_p99 * 1000, 1),
        "cheap_p99_ms_before": round(base_p99 * 1000, 2),
        "cheap_p99_ms_during": round(flood_p99 * 1000, 2),
        "cheap_requests_during": len(during.latencies),
        "rss_idle_mib": round(idle_rss / MIB, 1),
        "rss_peak_mib": round(rss.peak_bytes / MIB, 1),
    }
    record_property("overload", figures)
    print("overload figures:", figures)

    # Every request got an answer: the ones admitted a correct prime, the rest a 503 at once.
    assert set(statuses) <= {200, 503}, statuses
    assert len(answered) >= CAPACITY
    assert all(r[3] == f'{{"n":1000000000000,"prime":{P_10_12}}}' for r in answered)
    assert all(
        int(r[2]) >= 1 and json.loads(r[3])["type"] == "urn:primebench:problem:overloaded"
        for r in shed
    )
    # At once, as the server measures it (the client's p99 above includes setting up 1,000
    # connections on 2 shared cores): every 503 within 100 ms, and no 200 is that fast.
    fast = _answered_within_100_ms(server) - _answered_within_100_ms(before)
    assert fast >= len(shed), (fast, figures)
    # Cheap requests were never queued behind the flood.
    assert not during.failures, during.failures[:5]
    assert flood_p99 < max(CHEAP_P99_BOUND_S, 5 * base_p99), figures
    # Memory: admission is bounded, so is memory.
    assert rss.peak_bytes - idle_rss < RSS_GROWTH_BOUND, figures
    # Each refusal is counted, and the in-flight gauges are back to zero.
    overloaded = 'primebench_rejections_total{reason="overloaded"}'

    def settled(after: dict[str, float]) -> bool:
        return (
            after.get(overloaded, 0) - before.get(overloaded, 0) == len(shed)
            and after["primebench_heavy_in_flight"] == 0
            and after["primebench_heavy_queued"] == 0
        )

    after = server.metrics_when(settled)
    assert settled(after), {k: v for k, v in after.items() if "heavy" in k or "rejections" in k}


def _answered_within_100_ms(source: Server | dict[str, float]) -> float:
    """/prime answers the server sent within 100 ms of reading the request (its histogram)."""
    metrics = source if isinstance(source, dict) else source.metrics_when(lambda m: True, 0)
    return metrics.get('primebench_request_seconds_bucket{le="0.1",route="/prime"}', 0.0)


def test_service_is_whole_after_the_flood(server: Server) -> None:
    # Both workers' admissions are back to zero: each takes a full pool plus queue again.
    # (Connections are spread over the workers by the kernel, so ask for one worker's worth.)
    replies = flood(server.port, "/prime?n=1000000000000", POOL_SIZE + QUEUE_DEPTH)
    assert [r[0] for r in replies] == [200] * (POOL_SIZE + QUEUE_DEPTH)


VARIED_FLOOD = 200


def test_flood_of_varied_heavy_n_gets_only_200s_and_immediate_503s(launch: Any) -> None:
    """The issue's burst: 200 requests near n = 10^12 at once, default settings. Admission
    refuses at once what cannot finish within the deadline; nothing waits it out."""
    with launch() as server:
        started = time.monotonic()
        # n from 10^12 to 1.0199 * 10^12
        replies = flood(server.port, "/prime?n=10{i}0000000", VARIED_FLOOD)
        flood_s = time.monotonic() - started
        after = server.metrics()
    statuses = Counter(reply[0] for reply in replies)
    answered = [r for r in replies if r[0] == 200]
    # An admitted job whose own deadline passed gets `deadline-exceeded` (issue 20 allows it:
    # on a loaded machine the pool runs slower than its cost model learned); the rest of
    # the 503s are refusals, which must be at once.
    expired = [r for r in replies if r[0] == 503 and _problem(r) == "deadline-exceeded"]
    shed = [r for r in replies if r[0] == 503 and r not in expired]
    # From the request's bytes sent to the answer: the connection set-up of 200 sockets at
    # once on 2 shared cores is the client's and the kernel's cost, not the admission's.
    shed_p99 = percentile([r[4] for r in shed], 99) if shed else 0.0
    shed_p99_connect = percentile([r[1] for r in shed], 99) if shed else 0.0
    answered_max = max((r[1] for r in answered), default=0.0)
    figures = {
        "statuses": dict(statuses),
        "flood_s": round(flood_s, 2),
        "shed_p99_ms": round(shed_p99 * 1000, 1),
        "shed_p99_ms_with_connect": round(shed_p99_connect * 1000, 1),
        "slowest_200_s": round(answered_max, 2),
        "retry_after": sorted({int(r[2]) for r in shed}),
        "shed_within_100ms_server_side": _answered_within_100_ms(after),
        "deadline_exceeded": len(expired),
    }
    print("varied flood figures:", figures)
    assert set(statuses) <= {200, 503}, figures
    assert answered, figures
    for reply in answered:
        body = json.loads(reply[3])
        assert sympy.isprime(body["prime"]) and body["prime"] > body["n"] * 20
    for reply in shed:
        assert json.loads(reply[3])["type"] == "urn:primebench:problem:overloaded", reply
        assert int(reply[2]) >= 1
    # At once as the server measures it (p(10^12) takes > 0.1 s, so no 200 is in this bucket):
    # every 503 within 100 ms. Admission decides at arrival, once (issue 20): an admitted
    # request is never refused later.
    assert _answered_within_100_ms(after) >= len(shed), figures
    deadline = Settings().deadline  # the launch keeps the default --deadline
    assert all(r[4] >= deadline - 0.05 for r in expired), figures
    assert len(expired) * 4 <= len(answered), figures
    expired_metric = after.get('primebench_rejections_total{reason="deadline-exceeded"}', 0)
    assert expired_metric == len(expired), figures


def _problem(reply: list[Any]) -> str:
    return str(json.loads(reply[3])["type"]).rsplit(":", 1)[-1]
