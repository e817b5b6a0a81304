"""Limits are configuration, and each one that the app enforces shows in /metrics when it rejects.

max_n, queue depth and deadline are enforced by the app and counted in
`primebench_rejections_total{reason=...}`. The request-head size limit and the head
timeout are enforced by granian (hyper) before a request reaches the app, so the app
cannot count them: the test shows that the app's request counters do not move.
"""

from __future__ import annotations

import asyncio
import json
import socket
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


def _head_of(size: int, *, in_target: bool = False) -> bytes:
    """A GET /prime?n=5 whose head (request line to the blank line) is exactly `size` bytes."""
    bare = b"GET /prime?n=5 HTTP/1.1\r\nHost: t\r\n\r\n"
    if in_target:  # "&pad=" + padding in the query string
        pad = b"a" * (size - len(bare) - 5)
        return b"GET /prime?n=5&pad=" + pad + b" HTTP/1.1\r\nHost: t\r\n\r\n"
    pad = b"a" * (size - len(bare) - len(b"X-Pad: \r\n"))
    return b"GET /prime?n=5 HTTP/1.1\r\nHost: t\r\nX-Pad: " + pad + b"\r\n\r\n"


def test_head_size_limit_holds_at_its_value_as_a_problem(server: Server) -> None:
    """--max-header-bytes to the byte (the app), and granian's buffer (2x) as the outer bound."""
    before = server.metrics()
    at_limit = exchange(server.port, _head_of(HEAD_LIMIT))
    at_limit_in_target = exchange(server.port, _head_of(HEAD_LIMIT, in_target=True))
    assert at_limit.status == 200 and at_limit_in_target.status == 200
    over = [
        exchange(server.port, _head_of(HEAD_LIMIT + 1)),
        exchange(server.port, _head_of(HEAD_LIMIT + 1, in_target=True)),
        exchange(server.port, _head_of(2 * HEAD_LIMIT - 100)),
    ]
    for reply in over:
        assert reply.status == 431, reply
        assert reply.headers["content-type"] == "application/problem+json"
        problem = json.loads(reply.body)
        assert problem["type"] == "urn:primebench:problem:header-too-large"
        assert f"the limit is {HEAD_LIMIT}" in problem["detail"]
    assert json.loads(over[0].body)["detail"].startswith(f"the request head is {HEAD_LIMIT + 1} ")
    # past granian's buffer (twice the limit), hyper refuses before the app: a bare 431
    past_buffer = exchange(server.port, _head_of(4 * HEAD_LIMIT))
    assert past_buffer.status == 431
    assert past_buffer.headers.get("content-type") != "application/problem+json"
    after = server.metrics_when(lambda m: rejections(m, "header-too-large") >= 3)
    assert rejections(after, "header-too-large") - rejections(before, "header-too-large") == 3


def test_a_malformed_chunked_body_on_a_get_is_answered_then_closed(server: Server) -> None:
    """The app does not read GET bodies; hyper, discarding one, finds the bad chunk and closes.

    So the request pipelined behind the malformed body is never parsed: nothing is smuggled.
    """
    bad_chunk = (
        b"GET /prime?n=5 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nhi\r\n"
    )
    smuggled = b"GET /prime?n=6 HTTP/1.1\r\nHost: t\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(bad_chunk + b"0\r\n\r\n" + smuggled)
        received = b""
        while chunk := sock.recv(65536):  # until the server closes (a timeout fails the test)
            received += chunk
    assert received.count(b"HTTP/1.1 ") == 1
    assert received.startswith(b"HTTP/1.1 200 ") and received.endswith(b'{"n":5,"prime":11}')
