"""A bounded worker: distinct heavy n, one after another, for as long as the service runs.

Issue 20: 20,000 distinct n between 10^7 and 10^8 over keep-alive grew the worker's RSS by
about 2.7 KiB per request, past the answer cache's bound. The bar: 100,000 such requests
grow the worker by at most 5 MiB once the answer cache is full. This test keeps that bound
per request (5 MiB / 100,000 = 52 bytes) over fewer requests, with a smaller cache that
fills sooner. Two causes were found and both fail it: granian's rust task implementation
keeps a reference to every future a request awaits (about 150 bytes each since the future
resolves with None), and before that the future held pebble's ProcessFuture (its lock,
condition and callbacks: the 2.7 KiB).
"""

from __future__ import annotations

import http.client
import random

import pytest

from tests.servers import start_server

pytestmark = pytest.mark.e2e

BOUND_BYTES_PER_REQUEST = 5 * 2**20 / 100_000
CACHE = 1_000
WARM_UP = 2 * CACHE  # the cache is full, and every path has run many times
MEASURED = 6_000


def _ask(conn: http.client.HTTPConnection, n: int) -> None:
    conn.request("GET", f"/prime?n={n}")
    reply = conn.getresponse()
    body = reply.read()
    assert reply.status == 200, body


def test_worker_rss_stays_flat_over_distinct_heavy_n() -> None:
    ns = random.Random(20).sample(range(10**7, 10**8), WARM_UP + MEASURED)
    with start_server(
        "--workers", "1", "--pool-size", "1", "--answer-cache", str(CACHE)
    ) as server:
        (worker,) = server.workers()
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            for n in ns[:WARM_UP]:
                _ask(conn, n)
            before = worker.memory_info().rss
            for n in ns[WARM_UP:]:
                _ask(conn, n)
            after = worker.memory_info().rss
        finally:
            conn.close()
        cached = server.metrics()['primebench_answers_total{path="pool"}']
    assert cached == WARM_UP + MEASURED  # every one was computed, none came from the cache
    growth = after - before
    assert growth <= BOUND_BYTES_PER_REQUEST * MEASURED, (
        f"the worker grew by {growth / 2**10:.0f} KiB over {MEASURED} distinct heavy n "
        f"({growth / MEASURED:.0f} B each; bound {BOUND_BYTES_PER_REQUEST:.0f} B)"
    )
