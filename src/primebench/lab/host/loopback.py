"""One HTTP request to a contender, with the standard library only.

The lab probes servers written in five stacks; using `http.client` (one fresh
connection per call, no pooling, no retries, no redirects) keeps the probe itself
out of the comparison and means a probe never reuses a connection a crashed server
left half-open. Load generation is not done here: that is the job of real tools.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["HttpAnswer", "RequestFailed", "get"]


class RequestFailed(Exception):
    """No HTTP answer at all: refused, reset, timed out, or not HTTP.

    `timed_out` tells a server that is still computing (the article's Node server
    given a huge n never answers) from one that is not listening.
    """

    def __init__(self, reason: str, *, timed_out: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.timed_out = timed_out


@dataclass(frozen=True)
class HttpAnswer:
    """A complete response. Header names are lower-cased; repeated headers are joined by ", "."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    elapsed_s: float = field(default=0.0, compare=False)

    @property
    def content_type(self) -> str:
        """The media type without parameters (`text/plain; charset=utf-8` -> `text/plain`)."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def json(self) -> Any:
        """The body decoded as JSON; raises ValueError when it is not."""
        return json.loads(self.body)


def get(
    host: str,
    port: int,
    path_and_query: str,
    timeout_s: float = 5.0,
    method: str = "GET",
) -> HttpAnswer:
    """Send one request on a new connection and read the whole answer.

    `timeout_s` bounds connecting and each socket read, so a server that accepts
    but never answers costs at most about that long. Raises `RequestFailed`.
    """
    conn = http.client.HTTPConnection(host, port, timeout=timeout_s)
    started = time.perf_counter()
    try:
        conn.request(method, path_and_query, headers={"Connection": "close"})
        response = conn.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        headers: dict[str, str] = {}
        for name, value in response.getheaders():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        return HttpAnswer(response.status, headers, body, elapsed)
    except TimeoutError as exc:
        raise RequestFailed(f"no answer within {timeout_s:g} s", timed_out=True) from exc
    except (OSError, http.client.HTTPException) as exc:
        raise RequestFailed(f"{type(exc).__name__}: {exc}".rstrip(": ")) from exc
    finally:
        conn.close()
