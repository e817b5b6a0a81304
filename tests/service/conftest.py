"""Shared pieces of the hardening tests (tests/service/test_hardening_*.py).

`launch(...)` starts a real `primebench serve` on a free loopback port and, when the test
is done, stops it the way an orchestrator does (SIGTERM to the main process only), then
checks that it exited within its grace period and that no process of its process group
outlived it (a pool process or forkserver orphaned by a dead worker would show here).

The raw-socket client (`exchange`, `fetch`) is deliberately not httpx: hostile requests
must reach the server byte for byte, and a flood of a thousand requests must cost the
client (which shares the machine's two cores with the server) as little as possible.
"""

from __future__ import annotations

import asyncio
import http.client
import math
import socket
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Self

import pytest

from tests.servers import Server, start_server

# p(n) for the cheap requests of the background traffic (checked against sympy.prime).
KNOWN_PRIMES = {1: 2, 2: 3, 3: 5, 10: 29, 100: 541, 1000: 7919, 10_000: 104_729, 99_991: 1_299_553}
P_10_12 = 29_996_224_275_833


@pytest.fixture(scope="session")
def launch() -> Callable[..., AbstractContextManager[Server]]:
    """`with launch("--workers", "1", ...) as server:` (usable from module-scoped fixtures)."""
    return start_server


# --- raw HTTP/1.1 over a socket -------------------------------------------------------------


@dataclass
class Reply:
    """What came back on one connection: a status (None if the server closed without answering)."""

    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    closed: bool = False
    elapsed_s: float = 0.0
    error: str = ""

    @property
    def refused_cleanly(self) -> bool:
        """A 4xx, or a connection closed without an answer: what hostile input may get."""
        return self.status is None or 400 <= self.status < 500


def _parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers


def exchange(port: int, request: bytes, timeout_s: float = 10.0) -> Reply:
    """Send raw bytes, read one response (by content-length) or the close. TimeoutError if neither comes."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
        error = ""
        try:
            sock.sendall(request)
        except (BrokenPipeError, ConnectionResetError) as exc:
            error = f"send: {exc!r}"  # the server answered and closed before taking it all
        buffer = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError as exc:
                error = error or f"recv: {exc!r}"
                chunk = b""
            except TimeoutError:
                raise TimeoutError(
                    f"no answer and no close within {timeout_s} s; got {buffer[:200]!r}"
                ) from None
            if not chunk:
                break
            buffer += chunk
            head, sep, body = buffer.partition(b"\r\n\r\n")
            if sep:
                _, headers = _parse_head(head)
                if request.startswith(b"HEAD ") or len(body) >= int(
                    headers.get("content-length", "0")
                ):
                    break
    elapsed = time.monotonic() - started
    head, sep, body = buffer.partition(b"\r\n\r\n")
    if not sep:
        return Reply(
            None, closed=True, elapsed_s=elapsed, error=error or f"partial: {buffer[:100]!r}"
        )
    status, headers = _parse_head(head)
    return Reply(status, headers, body, closed=not chunk, elapsed_s=elapsed, error=error)


async def fetch(port: int, target: str, timeout_s: float = 30.0, method: str = "GET") -> Reply:
    """One request on a fresh connection (Connection: close), asyncio streams; never raises for I/O."""
    started = time.monotonic()
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port), timeout_s
        )
    except (OSError, TimeoutError) as exc:
        return Reply(None, elapsed_s=time.monotonic() - started, error=f"connect: {exc!r}")
    data = b""
    try:
        writer.write(f"{method} {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
        async with asyncio.timeout(timeout_s):
            while chunk := await reader.read(65536):
                data += chunk
    except (OSError, TimeoutError) as exc:
        # "exchange: ..." only when not one byte of an answer came: a reset after some is a cut answer.
        where = "exchange" if not data else f"after {len(data)} bytes"
        return Reply(None, elapsed_s=time.monotonic() - started, error=f"{where}: {exc!r}")
    finally:
        writer.close()
    elapsed = time.monotonic() - started
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return Reply(None, closed=True, elapsed_s=elapsed, error=f"partial: {data[:100]!r}")
    status, headers = _parse_head(head)
    if len(body) != int(headers.get("content-length", len(body))):
        return Reply(None, headers, body, closed=True, elapsed_s=elapsed, error="truncated body")
    return Reply(status, headers, body, closed=True, elapsed_s=elapsed)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


# --- background load ------------------------------------------------------------------------


class GoodTraffic:
    """A thread sending cheap, valid requests on keep-alive connections and checking every answer.

    A failed exchange (error, wrong status or body) is counted, then the thread reconnects.
    """

    def __init__(self, port: int, pause_s: float = 0.002) -> None:
        self._port = port
        self._pause_s = pause_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="good-traffic", daemon=True)
        self.latencies: list[float] = []
        self.failures: list[str] = []

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self._port, timeout=10)
        items = list(KNOWN_PRIMES.items())
        index = 0
        while not self._stop.is_set():
            n, prime = items[index % len(items)]
            index += 1
            started = time.perf_counter()
            try:
                conn.request("GET", f"/prime?n={n}")
                response = conn.getresponse()
                body = response.read()
                if response.status != 200 or body != b'{"n":%d,"prime":%d}' % (n, prime):
                    self.failures.append(f"n={n}: {response.status} {body[:80]!r}")
            except (OSError, http.client.HTTPException) as exc:
                self.failures.append(f"n={n}: {exc!r}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self._port, timeout=10)
                continue
            self.latencies.append(time.perf_counter() - started)
            self._stop.wait(self._pause_s)
        conn.close()


class PeakRss:
    """Samples the summed RSS of a server's process tree every `interval_s`; keeps the peak."""

    def __init__(self, server: Server, interval_s: float = 0.05) -> None:
        self._server = server
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self.peak_bytes = 0

    def __enter__(self) -> Self:
        self.peak_bytes = self._server.rss_bytes()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            self.peak_bytes = max(self.peak_bytes, self._server.rss_bytes())
