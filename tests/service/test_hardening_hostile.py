"""Hostile requests: each gets a 4xx or a closed connection, never a 5xx, and good traffic flows meanwhile.

Every request here is sent byte for byte on a raw socket. A background thread sends cheap,
valid requests the whole time and checks every answer (`GoodTraffic`); each test ends by
checking that none of those failed. Requests that break HTTP/1.1 itself are refused by
granian/hyper before the app sees them (plain 400/414/431 with an empty body); requests
that are valid HTTP but outside the API contract get the app's 400 problem+json.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.service.conftest import P_10_12, GoodTraffic, Reply, exchange, percentile

if TYPE_CHECKING:
    from tests.service.conftest import Server

pytestmark = pytest.mark.e2e

HEADER_TIMEOUT_S = 1.0
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def server(launch: Any) -> Iterator[Server]:
    # Two workers, as deployed; the head timeout is short so slow clients are cut within the test's time.
    with launch(
        "--workers", "2", "--pool-size", "1", "--header-timeout", f"{HEADER_TIMEOUT_S:g}"
    ) as running:
        yield running


@pytest.fixture(scope="module")
def traffic(server: Server) -> Iterator[GoodTraffic]:
    with GoodTraffic(server.port) as running:
        yield running


def get(target: bytes, *headers: bytes) -> bytes:
    return (
        b"GET "
        + target
        + b" HTTP/1.1\r\nHost: t\r\n"
        + b"".join(h + b"\r\n" for h in headers)
        + b"\r\n"
    )


def assert_problem_400(reply: Reply) -> dict[str, Any]:
    assert reply.status == 400, reply
    assert reply.headers["content-type"] == PROBLEM
    problem: dict[str, Any] = json.loads(reply.body)
    assert problem["type"] == "urn:primebench:problem:invalid-n" and problem["status"] == 400
    assert problem["detail"].isascii() and len(problem["detail"]) < 250  # escaped and truncated
    assert all(ch >= " " for ch in problem["detail"])  # no control characters echoed back
    return problem


# --- valid HTTP, outside the contract: the app's 400 problem+json ---------------------------

OUT_OF_CONTRACT = {
    "nul-percent-encoded": b"/prime?n=1%00",
    "nul-in-path": b"/prime/7%00",
    "controls-percent-encoded": b"/prime?n=%01%02%1B%7F",
    "crlf-injection": b"/prime?n=7%0D%0ASet-Cookie:%20x=1",
    "arabic-indic-digit": b"/prime?n=%D9%A3",
    "fullwidth-digit": b"/prime?n=%EF%BC%97",
    "devanagari-digits": b"/prime/%E0%A5%A9%E0%A5%A8",
    "superscript-one": b"/prime?n=%C2%B9",
    "mathematical-bold-digit": b"/prime?n=%F0%9D%9F%8F",
    "raw-utf8-digit-in-path": "/prime/٣".encode(),
    "invalid-utf8-percent-encoded": b"/prime?n=%FF%FE",
    "lone-surrogate-percent-encoded": b"/prime?n=%ED%A0%80",
    "overlong-utf8-of-digit": b"/prime?n=%C0%B1",
    "60000-digit-n": b"/prime/" + b"9" * 60_000,
    "n-past-max-by-one": b"/prime?n=100000000000001",  # default max_n 10^14
    "n-past-64-bits": b"/prime?n=18446744073709551617",
    "leading-zeros-then-too-big": b"/prime?n=" + b"0" * 1000 + b"100000000000001",
}


@pytest.mark.parametrize("target", OUT_OF_CONTRACT.values(), ids=OUT_OF_CONTRACT.keys())
def test_out_of_contract_is_400_problem(
    server: Server, traffic: GoodTraffic, target: bytes
) -> None:
    reply = exchange(server.port, get(target))
    assert_problem_400(reply)
    assert "set-cookie" not in reply.headers
    assert not traffic.failures


def test_10000_n_parameters_is_400(server: Server, traffic: GoodTraffic) -> None:
    reply = exchange(server.port, get(b"/prime?" + b"&".join([b"n=1"] * 10_000)))
    assert "given once" in assert_problem_400(reply)["detail"]
    assert reply.elapsed_s < 1.0
    assert not traffic.failures


def test_10000_other_parameters_and_one_n_is_answered(server: Server, traffic: GoodTraffic) -> None:
    query = b"&".join([b"x=1"] * 10_000) + b"&n=5"
    reply = exchange(server.port, get(b"/prime?" + query))
    assert reply.status == 200 and reply.body == b'{"n":5,"prime":11}'
    assert not traffic.failures


def test_head_of_a_bad_n_is_400_without_body(server: Server, traffic: GoodTraffic) -> None:
    reply = exchange(server.port, b"HEAD /prime?n=%00 HTTP/1.1\r\nHost: t\r\n\r\n")
    assert reply.status == 400 and reply.body == b"" and int(reply.headers["content-length"]) > 0
    assert not traffic.failures


# --- broken HTTP: refused by granian/hyper (4xx with empty body) or the connection closed -----

BROKEN_HTTP = {
    # size limits: hyper refuses a request-target over 65534 bytes with 414 (fixed in hyper)
    "query-100kb": get(b"/prime?n=1&pad=" + b"a" * 100_000),
    "path-70kb": get(b"/prime/" + b"1" * 70_000),
    "header-1mb": get(b"/prime?n=1", b"X-Big: " + b"a" * 1_000_000),
    "200-headers": get(b"/prime?n=1", *(b"X-H%d: v" % i for i in range(200))),
    # bytes that may not appear raw in a request line or header
    "nul-raw-in-target": get(b"/prime?n=1\x00"),
    "controls-raw-in-target": get(b"/prime?n=1\x01\x7f"),
    "invalid-utf8-raw-in-target": get(b"/prime/\xff\xfe"),
    "space-inside-target": b"GET /prime?n=1 2 HTTP/1.1\r\nHost: t\r\n\r\n",
    "nul-in-header-value": get(b"/prime?n=1", b"X-A: a\x00b"),
    "obsolete-line-folding": get(b"/prime?n=1", b"X-A: a\r\n b"),
    "header-without-colon": get(b"/prime?n=1", b"NoColonHere"),
    # framing
    "conflicting-content-lengths": get(b"/prime?n=1", b"Content-Length: 1", b"Content-Length: 2")
    + b"ab",
    "negative-content-length": get(b"/prime?n=1", b"Content-Length: -1"),
    # not HTTP/1.x at all
    "tls-client-hello": bytes.fromhex("16030100a5010000a10303") + bytes(160),
    "http2-preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "http-0.9": b"GET /prime?n=1\r\n\r\n",
    "unknown-version": b"GET /prime?n=1 HTTP/9.9\r\nHost: t\r\n\r\n",
    "nul-in-method": b"G\x00T /prime?n=1 HTTP/1.1\r\nHost: t\r\n\r\n",
    "10kb-method": b"A" * 10_000 + b" /prime?n=1 HTTP/1.1\r\nHost: t\r\n\r\n",
    "binary-noise": bytes(range(256)) * 40,
}


@pytest.mark.parametrize("request_bytes", BROKEN_HTTP.values(), ids=BROKEN_HTTP.keys())
def test_broken_http_is_4xx_or_closed(
    server: Server, traffic: GoodTraffic, request_bytes: bytes
) -> None:
    reply = exchange(server.port, request_bytes)
    assert reply.refused_cleanly, reply
    assert not traffic.failures


def test_overlong_url_is_414(server: Server) -> None:
    assert exchange(server.port, BROKEN_HTTP["query-100kb"]).status == 414


def test_overlong_head_is_431(server: Server) -> None:
    assert exchange(server.port, BROKEN_HTTP["header-1mb"]).status == 431
    assert (
        exchange(server.port, BROKEN_HTTP["200-headers"]).status == 431
    )  # hyper: at most 100 headers


def test_content_length_with_chunked_is_answered_then_closed(
    server: Server, traffic: GoodTraffic
) -> None:
    # RFC 9112 6.3: Transfer-Encoding overrides Content-Length and the server must close after
    # answering, so nothing can be smuggled into a next request on this connection.
    smuggle = get(b"/prime?n=1", b"Content-Length: 3", b"Transfer-Encoding: chunked") + b"0\r\n\r\n"
    reply = exchange(server.port, smuggle + get(b"/prime?n=2"))
    assert reply.status == 200 and reply.body == b'{"n":1,"prime":2}'
    assert reply.headers.get("connection") == "close"
    assert not traffic.failures


def test_body_on_a_get_is_ignored_not_awaited(server: Server, traffic: GoodTraffic) -> None:
    # A body is announced but never sent in full: the answer must not wait for it.
    reply = exchange(
        server.port, get(b"/prime?n=10", b"Content-Length: 100000") + b"partial", timeout_s=5
    )
    assert reply.status == 200 and reply.body == b'{"n":10,"prime":29}' and reply.elapsed_s < 1.0
    assert not traffic.failures


# --- half-sent requests and slow clients -------------------------------------------------------


def _closed_by_server(sock: socket.socket, within_s: float) -> tuple[bool, bytes]:
    """Wait for the server to close; (closed?, whatever it sent first)."""
    sock.settimeout(within_s)
    received = b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except TimeoutError:
        return False, received
    except ConnectionResetError:
        pass
    return True, received


HALF_SENT = {
    "request-line-cut": b"GET /prime?n=1",
    "head-without-blank-line": b"GET /prime?n=1 HTTP/1.1\r\nHost: t\r\n",
    "one-byte": b"G",
    "nothing": b"",
}


@pytest.mark.parametrize("partial", HALF_SENT.values(), ids=HALF_SENT.keys())
def test_half_sent_request_is_closed_after_the_head_timeout(
    server: Server, traffic: GoodTraffic, partial: bytes
) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(partial)
        started = time.monotonic()
        closed, received = _closed_by_server(sock, within_s=HEADER_TIMEOUT_S + 4)
    assert closed, "the server kept a half-sent request open past its head timeout"
    assert time.monotonic() - started < HEADER_TIMEOUT_S + 3
    assert received == b"" or received.startswith(b"HTTP/1.1 408"), received[:100]
    assert not traffic.failures


@pytest.mark.parametrize("partial", [b"GET /prime?n=1", b"GET /prime?n=1 HTTP/1.1\r\nHost: t\r\n"])
def test_half_sent_request_then_client_gone(
    server: Server, traffic: GoodTraffic, partial: bytes
) -> None:
    for how in ("close", "half-close", "reset"):
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.sendall(partial)
        if how == "half-close":
            sock.shutdown(socket.SHUT_WR)
            closed, received = _closed_by_server(sock, within_s=HEADER_TIMEOUT_S + 4)
            assert closed and (received == b"" or received.startswith(b"HTTP/1.1 4")), received[
                :100
            ]
        elif how == "reset":
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
        sock.close()
    assert exchange(server.port, get(b"/prime?n=3")).body == b'{"n":3,"prime":5}'
    assert not traffic.failures


SLOW_CLIENTS = 300
IDLE_CONNECTIONS = 500


def test_slowloris_and_idle_connections_are_cut_while_good_requests_flow(server: Server) -> None:
    """300 clients trickle a header line every 0.2 s and 500 connect and say nothing.

    With a 1 s head timeout the server closes all of them, and a separate stream of good
    requests is answered correctly the whole time.
    """
    trickling = []
    for _ in range(SLOW_CLIENTS):
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.sendall(b"GET /prime?n=1 HTTP/1.1\r\nHost: t\r\n")
        trickling.append(sock)
    idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(IDLE_CONNECTIONS)]
    stop = threading.Event()

    def trickle() -> None:
        line = 0
        while not stop.wait(0.2):
            line += 1
            for sock in trickling:
                try:
                    sock.send(b"X-Slow-%d: y\r\n" % line)
                except OSError:
                    pass  # closed by the server: what we expect

    trickler = threading.Thread(target=trickle, daemon=True)
    trickler.start()
    try:
        with GoodTraffic(server.port) as good:
            time.sleep(HEADER_TIMEOUT_S + 2.0)
        still_open = 0
        for sock in trickling + idle:
            closed, received = _closed_by_server(sock, within_s=0.05)
            still_open += not closed
            assert received == b"" or received.startswith(b"HTTP/1.1 408"), received[:100]
    finally:
        stop.set()
        trickler.join(timeout=5)
        for sock in trickling + idle:
            sock.close()
    print(
        "slowloris figures:",
        {
            "good_requests": len(good.latencies),
            "good_failed": len(good.failures),
            "good_p99_ms": round(percentile(good.latencies, 99) * 1000, 2),
            "still_open": still_open,
        },
    )
    assert still_open == 0, f"{still_open} slow or idle connections outlived the head timeout"
    assert not good.failures, good.failures[:5]
    assert len(good.latencies) > 100
    assert percentile(good.latencies, 99) < 0.25, (
        f"p99 {percentile(good.latencies, 99) * 1000:.1f} ms"
    )


# --- the tally ----------------------------------------------------------------------------------


def test_no_5xx_and_server_intact_after_all_of_the_above(
    server: Server, traffic: GoodTraffic
) -> None:
    assert (
        exchange(server.port, get(b"/prime?n=1000000000000")).body
        == b'{"n":1000000000000,"prime":%d}' % P_10_12
    )
    metrics = server.metrics()
    server_errors = {key: value for key, value in metrics.items() if 'status="5' in key}
    assert not server_errors, server_errors
    assert metrics['primebench_rejections_total{reason="invalid-n"}'] >= len(OUT_OF_CONTRACT)
    assert len(server.workers()) == 2
    assert not traffic.failures, traffic.failures[:5]
    assert len(traffic.latencies) > 100
