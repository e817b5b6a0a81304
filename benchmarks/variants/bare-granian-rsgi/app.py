"""The bare app on granian RSGI: parse n, look it up in primebench's table, answer.

What is left of a request when the service's own Python is taken away (issue 18, the
"bare app on the same core" arm): the same table and the same `response_bytes` call as
`primebench.service.app`, nothing else. No Host check, no limits, no metrics, no pool:
an n past the table, or one that is not digits, is a plain 400.
"""

from __future__ import annotations

from typing import Any

from primebench.primes.table import PrimeTable

TABLE = PrimeTable.build(1_000_000).view
DEFAULT_N = 10_000  # the article's default when n is missing
JSON = [("content-type", "application/json")]
TEXT = [("content-type", "text/plain")]


def n_of(query: str) -> int:
    """n from `n=<digits>` alone (else the article's default, or 0 for anything else)."""
    if not query:
        return DEFAULT_N
    digits = query[2:]
    if query[:2] != "n=" or not digits.isascii() or not digits.isdigit() or len(digits) > 7:
        return 0
    return int(digits)


class App:
    async def __call__(self, scope: Any, proto: Any) -> None:
        n = n_of(scope.query_string) if scope.path == "/prime" else -1
        if 1 <= n <= len(TABLE):
            proto.response_bytes(200, JSON, b'{"n":%d,"prime":%d}' % (n, TABLE[n - 1]))
        elif n < 0:
            proto.response_bytes(404, TEXT, b"not found")
        else:
            proto.response_bytes(400, TEXT, b"n must be 1 to 1000000")


app = App()
