"""The service on fastpysgi 0.6 (a C server on libuv), WSGI or ASGI, one process.

fastpysgi's own options carry what they can of the service's settings: the header
timeout bounds each request's arrival (`curr_req_timeout`, `read_req_timeout`) and an
idle keep-alive connection (`next_req_timeout`), as granian's header timeout does;
keep-alive follows `--keep-alive`. It has no connection cap, no respawn and no drain, and
its `workers` are forks without supervision, so this core runs one process whatever
`--workers` says (docs/RELIABILITY.md, "Other server cores", lists what it keeps).

SIGTERM starts the service's drain as far as this core allows: readiness 503 and
`Connection: close` for `--drain` seconds, then fastpysgi's own stop (its SIGINT
handler), then the pool is closed. The signal reaches a watcher thread through
`signal.set_wakeup_fd`. But fastpysgi 0.6 holds the GIL while libuv waits (its
`run_server` never releases it), so no other Python thread runs while the server is
idle: a SIGTERM is acted on only once a request arrives, and the pool's warm-up and the
bridge's loop thread (/metrics publishing) stall between requests too
(docs/RELIABILITY.md).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import socket
import sys
import threading
import time

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
    # its timeouts are checked by a service timer (3 s by default): tick often enough that
    # a connection is cut within a quarter of the timeout past it
    server.svc_timer_interval = max(100, min(3000, timeout_ms // 4))
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
    _drain_on_sigterm(app, settings.drain)
    server.run()
    if isinstance(target, WsgiApp):
        target.close()
    else:
        app.__rsgi_del__(server.loop)
    return 0


def _drain_on_sigterm(app: BridgedApp, drain_s: float) -> None:
    """At SIGTERM: drain for `drain_s`, then stop the server as Ctrl-C would."""
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    signal.signal(signal.SIGTERM, lambda *_: None)  # the C handler writes to the wakeup fd
    signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)

    def watch() -> None:
        assert writer.fileno() >= 0  # held here: the wakeup fd must outlive this function
        while reader.recv(1) != bytes([signal.SIGTERM]):
            continue
        app._start_draining()
        time.sleep(drain_s)
        os.kill(os.getpid(), signal.SIGINT)  # fastpysgi's hook_sigint: stop the server

    threading.Thread(target=watch, name="sigterm", daemon=True).start()
