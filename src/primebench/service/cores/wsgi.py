"""The service as a WSGI application (granian's WSGI interface, fastpysgi's WSGI mode).

The environ is turned into the scope `PrimeApp` reads; `bridge.drive` answers on the
calling thread unless n is heavy. WSGI servers join repeated header fields with ", "
(PEP 3333 leaves it to them), so a Host value holding a comma counts as repeated: a host
name or address never contains one. The request head is measured from the environ, as
`_head_size` does from granian's headers.
"""

from __future__ import annotations

import atexit
import multiprocessing.util
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from primebench.service.cores.bridge import (
    BridgedApp,
    LoopThread,
    RequestHeaders,
    Scope,
    drive,
)

__all__ = ["WsgiApp", "scope_of"]

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
_STATUS_LINES = {s.value: f"{s.value} {s.phrase}" for s in HTTPStatus}
# Fields a WSGI server moves out of HTTP_* (PEP 3333): their wire names.
_UNPREFIXED = {"CONTENT_TYPE": "content-type", "CONTENT_LENGTH": "content-length"}


def scope_of(environ: dict[str, Any]) -> Scope:
    """The app's scope for one WSGI request."""
    fields: list[tuple[str, str]] = []
    for key, value in environ.items():
        if key[:5] == "HTTP_":
            name = key[5:].lower().replace("_", "-")
            if name == "host" and "," in value:
                fields.extend((name, part.strip()) for part in value.split(","))
            else:
                fields.append((name, value))
        elif key in _UNPREFIXED and value:
            fields.append((_UNPREFIXED[key], value))
    path: str = environ.get("PATH_INFO", "/")
    if not path.isascii():  # PEP 3333: the raw bytes as latin-1; granian gives UTF-8
        path = path.encode("latin-1").decode("utf-8", "replace")
    protocol: str = environ.get("SERVER_PROTOCOL", "HTTP/1.1")
    return Scope(
        environ["REQUEST_METHOD"],
        path,
        environ.get("QUERY_STRING", ""),
        protocol[5:],
        RequestHeaders(fields),
    )


class WsgiApp:
    """One per worker process: the service's app, and the loop thread its pool needs."""

    def __init__(self, app: BridgedApp) -> None:
        self.app = app
        self.loop = LoopThread()
        self.loop.call(lambda: app.__rsgi_init__(self.loop.loop))
        # A granian worker is a multiprocessing child: it runs multiprocessing's finalizers,
        # then joins every non-daemon thread (the pool's), and never runs atexit.
        multiprocessing.util.Finalize(self, self.close, exitpriority=10)
        atexit.register(self.close)

    def close(self) -> None:
        """Stop /metrics publishing and the pool (the RSGI lifecycle's `__rsgi_del__`), once."""
        if self.loop.loop.is_closed():
            return
        self.loop.call(lambda: self.app.__rsgi_del__(self.loop.loop))
        self.loop.close()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        status, headers, body = drive(self.app, scope_of(environ), self.loop)
        # a length, not chunks: the RSGI core's response_bytes sends one too
        start_response(_STATUS_LINES[status], [*headers, ("content-length", str(len(body)))])
        return (body,)
