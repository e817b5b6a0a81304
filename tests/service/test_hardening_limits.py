"""Limits are configuration, and each one that the app enforces shows in /metrics when it rejects.

max_n, queue depth and deadline are enforced by the app and counted in
`primebench_rejections_total{reason=...}`. The request-head size limit and the head
timeout are enforced by granian (hyper) before a request reaches the app, so the app
cannot count them: the test shows that the app's request counters do not move.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.service.conftest import Reply, exchange, fetch

if TYPE_CHECKING:
    from tests.service.conftest import Server

pytestmark = pytest.mark.e2e

MAX_N = 10**12 - 1  # not the default, to show the setting is what decides
HEAD_LIMIT = 8192
DEADLINE_S = 0.03


@pytest.fixture(scope="module")
def server(launch: Any) -> Iterator[Server]:
    with launch(
        "--workers", "1", "--pool-size", "1", "--queue-depth", "0", "--deadline", f"{DEADLINE_S:g}",
        "--max-n", str(MAX_N), "--max-header-bytes", str(HEAD_LIMIT),
    ) as running:  # fmt: skip
        yield running


def rejections(metrics: dict[str, float], reason: str) -> float:
    return metrics.get(f'primebench_rejections_total{{reason="{reason}"}}', 0.0)


def test_max_n_rejects_and_counts(server: Server) -> None:
    before = rejections(server.metrics(), "invalid-n")
    reply = exchange(server.port, b"GET /prime?n=%d HTTP/1.1\r\nHost: t\r\n\r\n" % (MAX_N + 1))
    assert reply.status == 400 and f"from 1 to {MAX_N} " in json.loads(reply.body)["detail"]
    after = server.metrics_when(lambda m: rejections(m, "invalid-n") > before)
    assert rejections(after, "invalid-n") == before + 1


def test_what_cannot_finish_within_the_deadline_is_refused_at_once_and_counted(
    server: Server,
) -> None:
    before = server.metrics()

    async def burst() -> list[Reply]:
        return list(
            await asyncio.gather(*(fetch(server.port, f"/prime?n={MAX_N - i}") for i in range(6)))
        )

    # p(~10^12) takes ~0.1-0.5 s here: past the 30 ms deadline, so admission refuses all six
    # at once ("overloaded" + Retry-After), none waits the deadline out.
    replies = asyncio.run(burst())
    assert [r.status for r in replies] == [503] * 6
    assert all(json.loads(r.body)["type"] == "urn:primebench:problem:overloaded" for r in replies)
    assert all(int(r.headers["retry-after"]) >= 1 for r in replies)
    assert max(r.elapsed_s for r in replies) < 1.0
    after = server.metrics_when(
        lambda m: rejections(m, "overloaded") == rejections(before, "overloaded") + 6
    )
    assert rejections(after, "overloaded") == rejections(before, "overloaded") + 6
    assert rejections(after, "deadline-exceeded") == rejections(before, "deadline-exceeded")


def test_a_heavy_n_that_fits_the_deadline_is_answered(server: Server) -> None:
    reply = asyncio.run(fetch(server.port, "/prime?n=10000001"))
    assert reply.status == 200 and reply.body == b'{"n":10000001,"prime":179424691}'


def test_head_size_limit_is_enforced_by_granian_and_not_counted_by_the_app(server: Server) -> None:
    before = server.metrics()
    under = exchange(
        server.port, b"GET /prime?n=5 HTTP/1.1\r\nHost: t\r\nX-Pad: " + b"a" * 7000 + b"\r\n\r\n"
    )
    assert under.status == 200
    over_header = exchange(
        server.port, b"GET /prime?n=5 HTTP/1.1\r\nHost: t\r\nX-Pad: " + b"a" * 20_000 + b"\r\n\r\n"
    )
    over_url = exchange(
        server.port, b"GET /prime?n=5&pad=" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: t\r\n\r\n"
    )
    assert over_header.status == 431 and over_url.status == 431  # the limit covers the whole head
    after = server.metrics_when(
        lambda m: m.get('primebench_requests_total{route="/prime",status="200"}', 0) > 0
    )
    app_answers = [k for k in after if k.startswith("primebench_requests_total") and "/prime" in k]
    counted = sum(after[k] for k in app_answers) - sum(before.get(k, 0) for k in app_answers)
    assert counted == 1  # only the request under the limit reached the app
    assert not any('status="431"' in key for key in after)
