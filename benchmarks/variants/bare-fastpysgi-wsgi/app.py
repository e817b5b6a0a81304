"""The bare app as WSGI on fastpysgi: parse n, look it up in primebench's table, answer.

The same minimal request handling as bare-granian-rsgi/app.py, under WSGI: the
"bare app on the same core" arm for the fastpysgi variants (issue 18).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from typing import Any

import fastpysgi  # type: ignore[import-untyped]

from primebench.primes.table import PrimeTable

TABLE = PrimeTable.build(1_000_000).view
DEFAULT_N = 10_000  # the article's default when n is missing


def n_of(query: str) -> int:
    """n from `n=<digits>` alone (else the article's default, or 0 for anything else)."""
    if not query:
        return DEFAULT_N
    digits = query[2:]
    if query[:2] != "n=" or not digits.isascii() or not digits.isdigit() or len(digits) > 7:
        return 0
    return int(digits)


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    n = n_of(environ.get("QUERY_STRING", "")) if environ["PATH_INFO"] == "/prime" else -1
    if 1 <= n <= len(TABLE):
        body = b'{"n":%d,"prime":%d}' % (n, TABLE[n - 1])
        start_response("200 OK", [("Content-Type", "application/json")])
    elif n < 0:
        body = b"not found"
        start_response("404 Not Found", [("Content-Type", "text/plain")])
    else:
        body = b"n must be 1 to 1000000"
        start_response("400 Bad Request", [("Content-Type", "text/plain")])
    return (body,)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    fastpysgi.server.add_header_server = ""
    fastpysgi.server.tcp_nodelay = 1
    fastpysgi.server.init(app, args.host, args.port, fastpysgi.LL_WARNING)
    fastpysgi.server.run()
