"""The own core (service/http1.py): its target parsing, and over real sockets what only it
decides: the answer order of pipelined requests, and the connection cap.

The rest of what a core must keep (limits, timeouts, hostile input, the drain, crashes)
is the e2e service suite, which runs on this core by default and on granian with
PRIMEBENCH_SERVER=granian (docs/RELIABILITY.md).
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
import sympy

from primebench.service.http1 import Refused, _escape_request_line, _target
from tests.servers import start_server


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (b"/prime?n=7", ("/prime", "n=7")),
        (b"/prime", ("/prime", "")),
        (b"/prime/%31%32", ("/prime/12", "")),  # the path percent-decoded, as granian gives it
        (b"/prime?n=%31", ("/prime", "n=%31")),  # the query raw: the app's parser decides
        (b"/prime/%D9%A3", ("/prime/\u0663", "")),  # UTF-8 decoded: an Arabic-Indic three
        (b"/prime/%FF", ("/prime/\ufffd", "")),  # invalid UTF-8 replaced, never an error
        (b"http://example.org/prime?n=3", ("/prime", "n=3")),  # absolute form
        (b"*", ("*", "")),
    ],
)
def test_the_target_is_split_and_decoded_as_granian_does(
    url: bytes, expected: tuple[str, str]
) -> None:
    assert _target(url) == expected


def test_a_target_that_is_not_a_url_is_refused_400() -> None:
    with pytest.raises(Refused) as refused:
        _target(b"http://[bad/prime")
    assert refused.value.status == 400


def test_raw_non_ascii_bytes_of_a_request_line_are_percent_encoded_and_nothing_else() -> None:
    data = "GET /prime/\u0663 HTTP/1.1\r\nX: \u00e9\r\n\r\n".encode()
    escaped = _escape_request_line(data)
    assert escaped == b"GET /prime/%D9%A3 HTTP/1.1\r\nX: \xc3\xa9\r\n\r\n"


def _read_answers(sock: socket.socket, count: int, timeout_s: float) -> list[bytes]:
    """`count` whole answers (head and Content-Length body) from a kept-alive socket."""
    sock.settimeout(timeout_s)
    data, answers = b"", []
    while len(answers) < count:
        end = data.find(b"\r\n\r\n")
        if end >= 0:
            head = data[:end].decode("latin-1").lower()
            length = int(head.split("content-length: ")[1].split("\r\n")[0])
            if len(data) >= end + 4 + length:
                answers.append(data[end + 4 : end + 4 + length])
                data = data[end + 4 + length :]
                continue
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return answers


@pytest.mark.e2e
@pytest.mark.concurrent  # answers and their order only, no figure
def test_pipelined_answers_leave_in_request_order_when_one_waits_for_the_pool() -> None:
    """The second request goes to the compute pool; the cheap ones behind it wait for it."""
    heavy = 10**12
    ns = [3, heavy, 5, 7]
    request = b"".join(
        b"GET /prime?n=%d HTTP/1.1\r\nHost: t\r\n\r\n" % n for n in ns
    )  # one write: a pipelined burst
    with (
        start_server("--workers", "1", "--answer-cache", "0") as server,
        socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock,
    ):
        sock.sendall(request)
        answers = _read_answers(sock, len(ns), 30)
    assert (
        answers
        == [b'{"n":%d,"prime":%d}' % (n, sympy.prime(n)) for n in ns[:1]]
        + [
            b'{"n":%d,"prime":29996224275833}' % heavy,  # p(10^12), published (OEIS A006988)
            *(b'{"n":%d,"prime":%d}' % (n, sympy.prime(n)) for n in ns[2:]),
        ]
    )


@pytest.mark.e2e
def test_past_the_connection_cap_a_client_waits_in_the_backlog_until_one_closes() -> None:
    cap = 16  # the smallest --max-connections
    with start_server("--workers", "1", "--max-connections", str(cap)) as server:
        held = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(cap)]
        try:
            for sock in held:  # each is accepted and answered
                sock.sendall(b"GET /prime?n=1 HTTP/1.1\r\nHost: t\r\n\r\n")
                assert _read_answers(sock, 1, 5) == [b'{"n":1,"prime":2}']
            extra = socket.create_connection(("127.0.0.1", server.port))  # the kernel's backlog
            extra.sendall(b"GET /prime?n=2 HTTP/1.1\r\nHost: t\r\n\r\n")
            extra.settimeout(0.5)
            with pytest.raises(TimeoutError):
                extra.recv(1)  # not accepted: the worker holds its cap
            held.pop().close()
            started = time.monotonic()
            assert _read_answers(extra, 1, 5) == [b'{"n":2,"prime":3}']
            assert time.monotonic() - started < 1.0
            extra.close()
        finally:
            for sock in held:
                sock.close()


@pytest.mark.e2e
@pytest.mark.concurrent  # answers and their order only, no figure
def test_a_client_that_sends_without_reading_gets_every_answer_in_order_when_it_reads() -> None:
    """2,000 pipelined requests, nothing read for a second: the worker stops reading this
    client (MAX_PIPELINED answers waiting, or its write buffer full) instead of buffering
    without bound, and resumes as the client reads; every answer arrives, in order."""
    ns = [1 + i % 1000 for i in range(2000)]
    with (
        start_server("--workers", "1") as server,
        socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock,
    ):
        sender = threading.Thread(
            target=sock.sendall,
            args=(b"".join(b"GET /prime?n=%d HTTP/1.1\r\nHost: t\r\n\r\n" % n for n in ns),),
            daemon=True,
        )
        sender.start()
        time.sleep(1.0)
        answers = _read_answers(sock, len(ns), 30)
        sender.join(10)
    assert answers == [b'{"n":%d,"prime":%d}' % (n, sympy.prime(n)) for n in ns]
