"""The service as an ASGI application (fastpysgi's ASGI mode, on an asyncio loop it borrows).

Every request is awaited on the loop, so a heavy n waits for the pool without holding
anything: the same shape as the RSGI core. The app is started by the lifespan protocol
(or by the first request, for a server that sends no lifespan).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from primebench.service.cores.bridge import BridgedApp, Proto, RequestHeaders, Scope

__all__ = ["AsgiApp"]

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class AsgiApp:
    def __init__(self, app: BridgedApp) -> None:
        self.app = app
        self.started = False

    def _start(self) -> None:
        if not self.started:
            self.started = True
            self.app.__rsgi_init__(asyncio.get_running_loop())

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.app.__rsgi_del__(asyncio.get_running_loop())
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        self._start()
        fields = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        proto = Proto()
        await self.app(
            Scope(
                scope["method"],
                scope["path"],
                scope["query_string"].decode("latin-1"),
                scope["http_version"],
                RequestHeaders(fields),
            ),
            proto,
        )
        status, headers, body = proto.response
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
            }
        )
        await send({"type": "http.response.body", "body": body})
