"""The service on fastpysgi 0.6 (a C server on libuv), WSGI or ASGI, one process.

fastpysgi's own options carry what they can of the service's settings: the header
timeout bounds each request's arrival (`curr_req_timeout`, `read_req_timeout`) and an
idle keep-alive connection (`next_req_timeout`), as granian's header timeout does;
keep-alive follows `--keep-alive`. It has no connection cap, no respawn and no drain, and
its `workers` are forks without supervision, so this core runs one process whatever
`--workers` says (docs/RELIABILITY.md, "Other server cores", lists what it keeps).
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys

from primebench.primes import prepare
from primebench.service.cores.asgi import AsgiApp
from primebench.service.cores.bridge import BridgedApp
from primebench.service.cores.wsgi import WsgiApp
from primebench.service.cpus import read_limits
from primebench.service.server import raise_open_files_limit
from primebench.service.settings import Settings
from primebench.service.sizing import size

__all__ = ["serve"]

_LOG_WARNING = 4  # fastpysgi.LL_WARNING


def serve(settings: Settings, interface: str) -> int:
    """Serve until SIGINT; SIGTERM stops at once (no drain)."""
    import fastpysgi

    settings = dataclasses.replace(settings, workers=1)
    sizing = size(settings, read_limits())
    raise_open_files_limit()
    print(f"primebench on fastpysgi {interface}: {sizing.describe()}", file=sys.stderr, flush=True)
    app = BridgedApp(settings, prepare(settings.engine, settings.table_size), sizing)
    server = fastpysgi.server
    timeout_ms = round(settings.header_timeout * 1000)
    server.read_req_timeout = timeout_ms
    server.curr_req_timeout = timeout_ms
    server.next_req_timeout = timeout_ms
    server.allow_keepalive = settings.keep_alive
    server.backlog = settings.backlog
    server.add_header_server = ""
    server.tcp_nodelay = 1
    if interface == "wsgi":
        target: object = WsgiApp(app)
    else:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        server.loop = loop
        server.lifespan = 1
        target = AsgiApp(app)
    server.init(target, settings.host, settings.port, _LOG_WARNING)
    server.run()
    return 0
