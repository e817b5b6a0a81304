"""Run the RSGI `PrimeApp` under another interface, without copying its request handling.

The light path of `PrimeApp.__call__` awaits nothing, so a synchronous core can drive the
coroutine by hand: one `send(None)` finishes it. Only a heavy n awaits (the compute pool,
which lives on an asyncio loop); `BridgedApp._pooled` then escapes with `NeedsLoop` (a
BaseException, so the app's own `except Exception` does not turn it into a 500) before it
touches any loop, and the bridge runs the whole request again on the loop thread, where
`_pooled` proceeds. The thread that asked waits for that answer: under WSGI a heavy request
holds its thread for as long as the pool takes (with one blocking thread, every other
request waits too).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import TypeVarTuple

from primebench.service.app import PrimeApp
from primebench.service.app import RequestScope as Scope

__all__ = [
    "BridgedApp",
    "LoopThread",
    "NeedsLoop",
    "Proto",
    "RequestHeaders",
    "Response",
    "Scope",
    "drive",
]

log = logging.getLogger("primebench.service")

Headers = list[tuple[str, str]]
_Ts = TypeVarTuple("_Ts")
Response = tuple[int, Headers, bytes]


class NeedsLoop(BaseException):
    """A heavy n reached `_pooled` off the event loop: run this request on the loop instead."""


class BridgedApp(PrimeApp):
    """`PrimeApp` whose pool step refuses to start without a running event loop."""

    async def _pooled(self, n: int) -> bytes:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            raise NeedsLoop from None
        return await super()._pooled(n)


class RequestHeaders:
    """The request's header fields: `items` as the app reads them, `get_all` as granian's has it."""

    __slots__ = ("_fields",)

    def __init__(self, fields: list[tuple[str, str]]) -> None:
        self._fields = fields  # (lower-case name, value), in arrival order

    def get_all(self, key: str) -> list[str]:
        return [value for name, value in self._fields if name == key]

    def items(self) -> list[tuple[str, str]]:
        return self._fields


class Proto:
    """Collects the one answer the app gives (`response_bytes`)."""

    __slots__ = ("response",)

    def __init__(self) -> None:
        self.response: Response = (500, [], b"")

    def response_bytes(self, status: int, headers: Headers, body: bytes) -> None:
        self.response = (status, headers, body)


class _ThreadLoop(asyncio.SelectorEventLoop):
    """An event loop run on a thread beside a WSGI core, which keeps its own signal handling.

    Signal handlers can only be installed from the main thread; the drain's SIGTERM handler
    (service/drain.py) is therefore skipped here, and a SIGTERM sent to the worker itself
    stops it the core's way (docs/RELIABILITY.md, "Other server cores").
    """

    def add_signal_handler(self, sig: int, callback: Callable[[*_Ts], object], *args: *_Ts) -> None:
        log.debug("signal %d: handled by the server core, not by the bridge's loop", sig)


class LoopThread:
    """The asyncio loop a synchronous core lacks: the pool, /metrics publishing and the drain."""

    def __init__(self) -> None:
        self.loop = _ThreadLoop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="primebench-loop", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        """Stop the loop and its thread (at exit); closing twice is harmless."""
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5.0)
        if not self.loop.is_running():
            self.loop.close()

    def call(self, function: Callable[[], object]) -> None:
        """Run `function` on the loop thread and wait for it (the app's init expects a loop)."""

        async def run() -> None:
            function()

        asyncio.run_coroutine_threadsafe(run(), self.loop).result()

    def answer(self, app: PrimeApp, scope: Scope) -> Response:
        """The app's answer computed on the loop thread; the caller's thread waits."""
        proto = Proto()
        asyncio.run_coroutine_threadsafe(app(scope, proto), self.loop).result()
        return proto.response


def drive(app: PrimeApp, scope: Scope, loop: LoopThread) -> Response:
    """The app's answer, on this thread when it awaits nothing, else on the loop thread."""
    proto = Proto()
    coroutine = app(scope, proto)
    try:
        coroutine.send(None)
    except StopIteration:
        return proto.response
    except NeedsLoop:
        pass
    else:  # it awaited something only a running loop can finish: start again there
        coroutine.close()
    return loop.answer(app, scope)
