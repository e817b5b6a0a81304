"""The bare app on primebench's own core: parse n, look it up in primebench's table, answer.

What is left of a request when the service's own Python is taken away (issue 18, the
"bare app on the same core" arm), on the same core as `primebench serve`: llhttp
(httptools) on uvloop, the answer written inside `data_received`. The same table, the
same header fields (content-type, date, content-length). No Host check, limits, metrics,
pool, timeouts or drain: an n past the table, or one that is not digits, is a plain 400.

    python app.py HOST PORT WORKERS
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from email.utils import formatdate

import httptools
import uvloop

from primebench.primes.table import PrimeTable

TABLE = PrimeTable.build(1_000_000).view
DEFAULT_N = 10_000  # the article's default when n is missing
JSON = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
MISSING = b"HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\n"
BAD = b"HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\n"


def n_of(query: bytes) -> int:
    """n from `n=<digits>` alone (else the article's default, or 0 for anything else)."""
    if not query:
        return DEFAULT_N
    digits = query[2:]
    if query[:2] != b"n=" or not digits.isdigit() or len(digits) > 7:
        return 0
    return int(digits)


class Clock:
    date = b""

    def tick(self, loop: asyncio.AbstractEventLoop) -> None:
        self.date = b"date: %s\r\n" % formatdate(usegmt=True).encode()
        loop.call_later(1.0, self.tick, loop)


CLOCK = Clock()


class Connection(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.parser = httptools.HttpRequestParser(self)
        self.url = b""

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.transport.close()

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_headers_complete(self) -> None:
        path, _, query = self.url.partition(b"?")
        self.url = b""
        n = n_of(query) if path == b"/prime" else -1
        if 1 <= n <= len(TABLE):
            head, body = JSON, b'{"n":%d,"prime":%d}' % (n, TABLE[n - 1])
        elif n < 0:
            head, body = MISSING, b"not found"
        else:
            head, body = BAD, b"n must be 1 to 1000000"
        self.transport.write(
            b"%s%scontent-length: %d\r\n\r\n%s" % (head, CLOCK.date, len(body), body)
        )


async def serve(sock: socket.socket) -> None:
    loop = asyncio.get_running_loop()
    CLOCK.tick(loop)
    server = await loop.create_server(Connection, sock=sock)
    await server.serve_forever()


def main(host: str, port: int, workers: int) -> None:
    sock = socket.create_server((host, port), backlog=4096)
    for _ in range(workers - 1):
        if os.fork() == 0:
            break
    uvloop.run(serve(sock))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
